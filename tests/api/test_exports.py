"""CSV and NumPy .npz answers of the trace endpoints, read back and compared with the JSON."""

from __future__ import annotations

import csv
import io
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.serialize import TraceView, to_csv
from app.zoo import LoadedModel

TEXT = {"input": "a great film"}
NUMBERS = {"input": [[10, 1000], [11, 1001], [12, 1002]]}


def json_trace(client: TestClient, model_id: str, body: dict[str, Any]) -> dict[str, Any]:
    return client.post(f"/api/v1/models/{model_id}/trace", json=body).json()


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize(
    ("model_id", "body"),
    [
        pytest.param("tiny-text-gru", TEXT, id="gru-text"),
        pytest.param("tiny-text-bilstm", TEXT, id="bilstm-text"),
        pytest.param("tiny-numbers-lstm", NUMBERS, id="lstm-two-layers"),
        pytest.param("tiny-chain-classes", TEXT, id="bilstm-then-gru"),
        pytest.param("tiny-chain-series", NUMBERS, id="gru-reset-before-then-lstm"),
    ],
)
def test_csv_has_one_row_per_layer_direction_step_and_unit(
    client: TestClient, model_id: str, body: dict[str, Any]
) -> None:
    expected = json_trace(client, model_id, body)
    response = client.post(f"/api/v1/models/{model_id}/trace?format=csv", json=body)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="trace-{model_id}.csv"'
    )
    rows = csv_rows(response.text)
    gates = list(dict.fromkeys(name for layer in expected["layers"] for name in layer["gates"]))
    assert list(rows[0]) == [
        "layer",
        "block",
        "kind",
        "direction",
        "step",
        "unit",
        "token",
        *gates,
        "cell",
        "hidden",
    ]
    assert len(rows) == sum(layer["units"] for layer in expected["layers"]) * expected["steps"]
    for row in rows:
        layer = next(
            item
            for item in expected["layers"]
            if item["layer"] == int(row["layer"]) and item["direction"] == row["direction"]
        )
        step, unit = int(row["step"]), int(row["unit"])
        assert (int(row["block"]), row["kind"]) == (layer["block"], layer["kind"])
        assert float(row["hidden"]) == layer["hidden"][step][unit]
        for gate in gates:
            if gate in layer["gates"]:
                assert float(row[gate]) == layer["gates"][gate][step][unit]
            else:
                assert row[gate] == ""  # another block's cell has this gate
        if layer["cell"] is None:
            assert row["cell"] == ""
        else:
            assert float(row["cell"]) == layer["cell"][step][unit]
        if expected["tokens"] is not None:
            assert row["token"] == expected["tokens"][step]


def test_accept_header_asks_for_csv(client: TestClient) -> None:
    response = client.post(
        "/api/v1/models/tiny-text-gru/trace", json=TEXT, headers={"Accept": "text/csv"}
    )
    assert response.headers["content-type"].startswith("text/csv")
    assert response.text.startswith(
        "layer,block,kind,direction,step,unit,token,reset,update,candidate"
    )


@pytest.mark.parametrize(
    ("query", "headers"),
    [
        pytest.param("?format=npz", {}, id="query"),
        pytest.param("", {"Accept": "application/x-npz"}, id="accept-header"),
    ],
)
def test_npz_holds_every_array_equal_to_the_json(
    client: TestClient, query: str, headers: dict[str, str]
) -> None:
    expected = client.post(
        "/api/v1/models/tiny-numbers-lstm/trace?precision=full", json=NUMBERS
    ).json()
    response = client.post(
        f"/api/v1/models/tiny-numbers-lstm/trace{query}", json=NUMBERS, headers=headers
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-npz"
    assert 'filename="trace-tiny-numbers-lstm.npz"' in response.headers["content-disposition"]
    with np.load(io.BytesIO(response.content), allow_pickle=False) as arrays:
        names = set(arrays.files)
        for layer in expected["layers"]:
            stem = f"layer{layer['layer']}_{layer['direction']}"
            for gate, values in layer["gates"].items():
                np.testing.assert_array_equal(arrays[f"{stem}_{gate}"], np.float32(values))
            np.testing.assert_array_equal(arrays[f"{stem}_hidden"], np.float32(layer["hidden"]))
            np.testing.assert_array_equal(arrays[f"{stem}_cell"], np.float32(layer["cell"]))
        np.testing.assert_array_equal(arrays["values"], expected["values"])
        assert arrays["layer1_forward_forget"].shape == (3, 3)
    assert {"values", "scaled", "layer0_forward_input", "layer1_forward_hidden"} <= names


def test_npz_of_text_holds_the_tokens(client: TestClient) -> None:
    response = client.post("/api/v1/models/tiny-text-gru/trace?format=npz", json=TEXT)
    with np.load(io.BytesIO(response.content), allow_pickle=False) as arrays:
        assert arrays["tokens"].tolist() == ["<pad>", "<pad>", "<pad>", "a", "great", "film"]
        assert arrays["token_kinds"].tolist()[0] == "pad"
        assert arrays["layer0_forward_update"].shape == (6, 3)
        assert "layer0_forward_cell" not in arrays.files


def test_adhoc_trace_exports_too(client: TestClient) -> None:
    body = {"cell": "gru", "input_size": 1, "hidden_size": 2, "seed": 3, "input": [1.0, 2.0]}
    response = client.post("/api/v1/trace?format=csv", json=body)
    assert response.status_code == 200
    assert 'filename="trace-adhoc-gru-seed3.csv"' in response.headers["content-disposition"]
    assert len(csv_rows(response.text)) == 2 * 2
    npz = client.post("/api/v1/trace?format=npz", json=body)
    with np.load(io.BytesIO(npz.content), allow_pickle=False) as arrays:
        assert arrays["values"].tolist() == [[1.0], [2.0]]


def test_unknown_format_is_a_422(client: TestClient) -> None:
    response = client.post("/api/v1/models/tiny-text-gru/trace?format=xlsx", json=TEXT)
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "format"


def test_csv_quotes_tokens_and_defuses_formulas(model_of: Any) -> None:
    model: LoadedModel = model_of("tiny-text-gru")
    traced = model.run_trace("a great film")
    layers = traced.trace.layers
    view = TraceView(cell="gru", layers=layers, tokens=["=1+2", 'say "hi", ok', "x", "y", "z", "w"])
    rows = csv_rows(to_csv(view, 4).decode())
    assert rows[0]["token"] == "'=1+2"
    assert rows[3]["token"] == 'say "hi", ok'

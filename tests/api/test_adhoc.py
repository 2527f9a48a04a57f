"""POST /api/v1/trace: seeded ad-hoc networks."""

from __future__ import annotations

from typing import Any

import httpx
import numpy as np
import pytest
import torch
from fastapi.testclient import TestClient

from app.recurrent import RecurrentOptions
from app.recurrent.seeded import seeded_recurrent

STEPS = [[0.5, -1.0], [1.0, 0.0], [0.0, 0.25], [-0.5, 0.5]]


def adhoc(**fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"cell": "lstm", "input_size": 2, "hidden_size": 3, "input": STEPS}
    return {**body, **fields}


def test_adhoc_trace_has_the_trace_layout_without_prediction(client: TestClient) -> None:
    response = client.post("/api/v1/trace", json=adhoc())
    assert response.status_code == 200
    body = response.json()
    assert (body["model"], body["cell"], body["steps"]) == (None, "lstm", 4)
    assert body["prediction"] is None and body["step_predictions"] is None
    assert body["tokens"] is None and body["values"] == STEPS
    [layer] = body["layers"]
    assert list(layer["gates"]) == ["input", "forget", "candidate", "output"]
    assert len(layer["cell"]) == 4 and len(layer["hidden"][0]) == 3


@pytest.mark.parametrize(
    ("cell", "layers", "bidirectional", "reset_after"),
    [
        pytest.param("rnn", 1, False, True, id="rnn"),
        pytest.param("gru", 2, True, True, id="gru-2-layers-bidirectional"),
        pytest.param("lstm", 3, False, True, id="lstm-3-layers"),
        pytest.param("gru", 2, True, False, id="gru-reset-before-2-layers-bidirectional"),
    ],
)
def test_adhoc_top_hidden_equals_the_native_module(
    client: TestClient, cell: str, layers: int, bidirectional: bool, reset_after: bool
) -> None:
    fields = adhoc(
        cell=cell, num_layers=layers, bidirectional=bidirectional, reset_after=reset_after, seed=11
    )
    body = client.post("/api/v1/trace?precision=full", json=fields).json()
    assert {layer["reset_after"] for layer in body["layers"]} == {reset_after}
    options = RecurrentOptions(
        cell=cell,  # type: ignore[arg-type]
        input_size=2,
        hidden_size=3,
        num_layers=layers,
        bidirectional=bidirectional,
        reset_after=reset_after,
    )
    module = seeded_recurrent(options, 11)
    with torch.no_grad():
        output, _ = module(torch.tensor([STEPS]))
    top = [layer for layer in body["layers"] if layer["layer"] == layers - 1]
    hidden = np.concatenate([np.asarray(layer["hidden"]) for layer in top], axis=-1)
    np.testing.assert_allclose(hidden, output[0].numpy(), atol=1e-6)


def test_same_seed_gives_the_same_numbers_in_another_process(
    client: TestClient, http: httpx.Client
) -> None:
    fields = adhoc(seed=1234, hidden_size=5)
    here = client.post("/api/v1/trace?precision=full", json=fields).json()
    there = http.post("/api/v1/trace?precision=full", json=fields).json()
    assert here["layers"] == there["layers"]


def test_different_seeds_give_different_weights(client: TestClient) -> None:
    first = client.post("/api/v1/trace", json=adhoc(seed=1)).json()
    second = client.post("/api/v1/trace", json=adhoc(seed=2)).json()
    assert first["layers"][0]["hidden"] != second["layers"][0]["hidden"]


def test_adhoc_trace_leaves_the_global_rng_alone(client: TestClient) -> None:
    before = torch.random.get_rng_state()
    assert client.post("/api/v1/trace", json=adhoc(seed=987_654)).status_code == 200
    assert torch.equal(before, torch.random.get_rng_state())


def test_relu_rnn_is_accepted_and_relu_lstm_refused(client: TestClient) -> None:
    relu = client.post("/api/v1/trace", json=adhoc(cell="rnn", nonlinearity="relu"))
    assert relu.status_code == 200
    assert relu.json()["nonlinearity"] == "relu"  # the page's equations and colour ranges read it
    assert client.post("/api/v1/trace", json=adhoc()).json()["nonlinearity"] == "tanh"
    assert min(v for row in relu.json()["layers"][0]["hidden"] for v in row) >= 0
    refused = client.post("/api/v1/trace", json=adhoc(nonlinearity="relu"))
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["field"] == "nonlinearity"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        pytest.param({"hidden_size": 513}, "hidden_size", id="hidden-over-limit"),
        pytest.param({"num_layers": 5}, "num_layers", id="layers-over-limit"),
        pytest.param(
            {"input_size": 257, "input": [[0.0] * 257]}, "input_size", id="input-over-limit"
        ),
        pytest.param({"input": [[0.0, 0.0]] * 2001}, "input", id="steps-over-limit"),
        pytest.param({"hidden_size": 0}, "hidden_size", id="hidden-zero"),
        pytest.param({"hidden_size": "3"}, "hidden_size", id="hidden-as-string"),
        pytest.param({"hidden_size": 3.0}, "hidden_size", id="hidden-as-float"),
        pytest.param({"bidirectional": "yes"}, "bidirectional", id="bidirectional-as-string"),
        pytest.param({"cell": "transformer"}, "cell", id="unknown-cell"),
        pytest.param({"seed": -1}, "seed", id="negative-seed"),
        pytest.param({"input": []}, "input", id="no-steps"),
        pytest.param({"input": [[1.0]]}, "input[0]", id="narrow-step"),
        pytest.param({"input": [[1.0, 2.0], [1.0]]}, "input[1]", id="ragged"),
        pytest.param({"input": [1.0, 2.0]}, "input[0]", id="flat-for-two-features"),
        pytest.param({"input": [[1.0, None]]}, "input[0][1]", id="null-value"),
        pytest.param({"extra": 1}, "extra", id="unknown-field"),
    ],
)
def test_adhoc_refuses_with_a_422_naming_the_field(
    client: TestClient, fields: dict[str, Any], field: str
) -> None:
    response = client.post("/api/v1/trace", json=adhoc(**fields))
    assert response.status_code == 422, response.text
    fields_named = [item["field"] for item in response.json()["detail"]]
    assert field in fields_named


def test_a_trace_too_large_to_send_is_refused(client: TestClient) -> None:
    fields = adhoc(hidden_size=512, num_layers=4, bidirectional=True, input=[[0.0, 0.0]] * 200)
    response = client.post("/api/v1/trace", json=fields)
    assert response.status_code == 422
    assert "numbers; the limit is" in response.json()["message"]


def test_reset_after_false_is_a_gru_option_only(client: TestClient) -> None:
    response = client.post("/api/v1/trace", json=adhoc(cell="lstm", reset_after=False))
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "reset_after"

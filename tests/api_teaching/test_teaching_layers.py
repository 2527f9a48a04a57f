"""Teaching views on chains of blocks (the tiny zoo's real chain models): every layer and
direction can be asked for, the payloads list the choices, and a layer or direction the model
lacks is a 422 naming the field and what it may be."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app

SENTENCE = "a great film and a good plot"
ROWS = [[10.0, 1000.0], [11.0, 1001.0], [12.0, 1003.0], [13.0, 1002.0], [9.0, 999.0]]
CLASSES_LAYERS = [
    {"layer": 0, "block": 0, "block_layer": 0, "kind": "lstm", "direction": "forward", "units": 5},
    {"layer": 0, "block": 0, "block_layer": 0, "kind": "lstm", "direction": "backward", "units": 5},
    {"layer": 1, "block": 1, "block_layer": 0, "kind": "gru", "direction": "forward", "units": 3},
]


@pytest.fixture(scope="module")
def client(tiny_models_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = Settings(models_dir=tiny_models_dir, data_dir=tmp_path_factory.mktemp("data"))
    with TestClient(create_app(settings)) as client:
        yield client


def post(client: TestClient, model: str, series: str, body: dict[str, Any]) -> Any:
    return client.post(f"/api/v1/models/{model}/{series}", json=body)


def trace(client: TestClient, model: str, raw: Any) -> dict[str, Any]:
    response = client.post(f"/api/v1/models/{model}/trace", json={"input": raw})
    return response.raise_for_status().json()


def layer_of(payload: dict[str, Any], layer: int, direction: str) -> dict[str, Any]:
    return next(
        item
        for item in payload["layers"]
        if item["layer"] == layer and item["direction"] == direction
    )


@pytest.mark.parametrize(
    ("layer", "direction", "index"),
    [
        pytest.param(0, "forward", 0, id="block-1-forward"),
        pytest.param(0, "backward", 1, id="block-1-backward"),
        pytest.param(-2, "backward", 1, id="negative-from-the-top"),
        pytest.param(1, "forward", 2, id="block-2"),
    ],
)
def test_compare_draws_the_chosen_layer_of_a_chain(
    client: TestClient, layer: int, direction: str, index: int
) -> None:
    body = {"input": SENTENCE, "layer": layer, "direction": direction}
    payload = post(client, "tiny-chain-classes", "compare", body).raise_for_status().json()
    assert payload["layers"] == CLASSES_LAYERS
    (run,) = payload["runs"]  # a mixed chain has no siblings
    expected = trace(client, "tiny-chain-classes", SENTENCE)["layers"][index]
    chosen = CLASSES_LAYERS[index]
    assert {key: run[key] for key in ("layer", "direction", "block", "block_layer")} == {
        key: chosen[key] for key in ("layer", "direction", "block", "block_layer")
    }
    assert run["cell"] == chosen["kind"]
    assert run["gate_names"] == list(expected["gates"])
    assert run["gates"] == expected["gates"]
    assert run["hidden"] == expected["hidden"]
    assert run["blocks"] == 2


def test_compare_defaults_to_the_top_layer_forward(client: TestClient) -> None:
    payload = post(client, "tiny-chain-series", "compare", {"input": ROWS}).json()
    (run,) = payload["runs"]
    assert (payload["layer"], payload["direction"]) == (-1, "forward")
    assert (run["layer"], run["block"], run["block_layer"], run["cell"]) == (2, 1, 1, "lstm")
    assert [(item["block"], item["kind"]) for item in payload["layers"]] == [
        (0, "gru"),
        (1, "lstm"),
        (1, "lstm"),
    ]
    gru = post(client, "tiny-chain-series", "compare", {"input": ROWS, "layer": 0}).json()
    assert gru["runs"][0]["cell"] == "gru"
    assert gru["runs"][0]["reset_after"] is False


@pytest.mark.parametrize("series", ["compare", "padding"])
@pytest.mark.parametrize(
    ("body", "field", "code", "params", "words"),
    [
        pytest.param(
            {"layer": 2},
            "layer",
            "layer_out_of_range",
            {"layer": 2, "min": -2, "max": 1},
            "layer must be between -2 and 1",
            id="layer-too-high",
        ),
        pytest.param(
            {"layer": -3},
            "layer",
            "layer_out_of_range",
            {"layer": -3, "min": -2, "max": 1},
            "layer must be between -2 and 1",
            id="layer-too-low",
        ),
        pytest.param(
            {"layer": 1, "direction": "backward"},
            "direction",
            "direction_not_in_layer",
            {"layer": 1, "direction": "backward"},
            "direction must be 'forward' for layer 1",
            id="backward-on-a-one-way-layer",
        ),
    ],
)
def test_a_layer_or_direction_the_chain_lacks_is_a_422_naming_the_field(
    client: TestClient,
    series: str,
    body: dict[str, Any],
    field: str,
    code: str,
    params: dict[str, Any],
    words: str,
) -> None:
    response = post(client, "tiny-chain-classes", series, {"input": SENTENCE, **body})
    assert response.status_code == 422
    (item,) = response.json()["detail"]
    assert (item["loc"], item["field"], item["code"], item["params"]) == (
        ["body", field],
        field,
        code,
        params,
    )
    assert item["msg"].startswith(words), item["msg"]


def test_a_direction_that_is_no_direction_is_refused_by_the_schema(client: TestClient) -> None:
    body = {"input": SENTENCE, "direction": "sideways"}
    response = post(client, "tiny-chain-classes", "compare", body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["code"] == "not_allowed"


def test_padding_measures_the_chosen_layer(client: TestClient) -> None:
    body = {"input": SENTENCE, "layer": 0, "direction": "backward"}
    payload = post(client, "tiny-chain-classes", "padding", body).raise_for_status().json()
    assert (payload["layer"], payload["direction"]) == (0, "backward")
    assert payload["layers"] == CLASSES_LAYERS
    pre = payload["runs"][0]
    assert pre["cell"] == "lstm"
    assert set(pre["gates"]) == {"input", "forget", "candidate", "output"}
    # The model pre-pads as Keras does, so the pre variant is exactly the model's own trace.
    expected = trace(client, "tiny-chain-classes", SENTENCE)["layers"][1]
    assert pre["gates"] == expected["gates"]
    assert pre["hidden"] == expected["hidden"]
    top = post(client, "tiny-chain-classes", "padding", {"input": SENTENCE}).json()
    assert top["runs"][0]["cell"] == "gru"
    assert (
        top["runs"][0]["gates"]
        == trace(client, "tiny-chain-classes", SENTENCE)["layers"][2]["gates"]
    )


def test_saturation_points_name_their_block_and_kind(client: TestClient) -> None:
    payload = post(client, "tiny-chain-classes", "saturation", {"input": SENTENCE}).json()
    assert (payload["cell"], payload["blocks"]) == ("mixed", 2)
    seen = {
        (p["layer"], p["block"], p["block_layer"], p["kind"], p["direction"], p["gate"])
        for p in payload["points"]
    }
    assert seen == {
        *(
            (0, 0, 0, "lstm", d, g)
            for d in ("forward", "backward")
            for g in ("input", "forget", "output")
        ),
        *((1, 1, 0, "gru", "forward", g) for g in ("reset", "update")),
    }


def test_gradient_on_a_chain_says_its_blocks_and_the_top_layer(client: TestClient) -> None:
    payload = post(client, "tiny-chain-series", "sensitivity", {"input": ROWS}).json()
    (run,) = payload["runs"]
    assert (run["cell"], run["blocks"], run["keep_gate"]) == ("mixed", 2, "forget")
    assert run["top"] == {
        "layer": 2,
        "block": 1,
        "block_layer": 1,
        "kind": "lstm",
        "direction": "forward",
        "units": 3,
    }


def test_state_stack_lists_every_layer_of_every_block(client: TestClient) -> None:
    payload = post(client, "tiny-chain-series", "state", {"input": ROWS}).json()
    assert (payload["cell"], payload["blocks"]) == ("mixed", 2)
    layers = payload["stack"]["layers"]
    assert [(x["layer"], x["block"], x["block_layer"], x["kind"]) for x in layers] == [
        (0, 0, 0, "gru"),
        (1, 1, 0, "lstm"),
        (2, 1, 1, "lstm"),
    ]
    traced = trace(client, "tiny-chain-series", ROWS)
    assert [layer["outputs"] for layer in layers] == [x["hidden"] for x in traced["layers"]]


def test_state_stack_of_a_bidirectional_layer_holds_both_directions(client: TestClient) -> None:
    rows = [0.1, 0.4, 0.2, 0.3]
    payload = post(client, "tiny-series-birnn", "state", {"input": rows}).json()
    (layer,) = payload["stack"]["layers"]
    assert (layer["directions"], layer["units"]) == (2, 4)
    traced = trace(client, "tiny-series-birnn", rows)
    forward, backward = (layer_of(traced, 0, d)["hidden"] for d in ("forward", "backward"))
    assert layer["outputs"] == [f + b for f, b in zip(forward, backward, strict=True)]

"""POST /intervene, /patching and /attribution: the engine's traces and predictions over HTTP,
OpenAPI, and 422s that name the intervention's field."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from fastapi.testclient import TestClient

from app.recurrent import Intervention, intervene, trace_chain

TEXT, OTHER = "a great film", "a dull film"


def post(client: TestClient, model: str, route: str, body: dict[str, Any], status: int = 200):  # noqa: ANN201
    response = client.post(f"/api/v1/models/{model}/{route}?precision=full", json=body)
    assert response.status_code == status, response.text
    return response.json()


def test_intervene_returns_the_engines_patched_trace(client: TestClient, model_of: Any) -> None:
    body = post(
        client,
        "tiny-text-bilstm",
        "intervene",
        {
            "input": TEXT,
            "interventions": [
                {
                    "site": "layer0.backward.forget",
                    "op": "set",
                    "value": 1.0,
                    "units": [0, 1],
                    "steps": {"start": 2, "stop": 5},
                },
                {
                    "site": "layer0.forward.hidden",
                    "op": "patch",
                    "steps": [3],
                    "source_input": OTHER,
                },
            ],
        },
    )
    model = model_of("tiny-text-bilstm")
    features = model.prepare(TEXT).features
    blocks = list(model.network.blocks)
    source = trace_chain(blocks, model.prepare(OTHER).features)
    expected = intervene(
        blocks,
        features,
        [
            Intervention("layer0.backward.forget", "set", [0, 1], range(2, 5), 1.0),
            Intervention("layer0.forward.hidden", "patch", steps=[3], reference=source),
        ],
    ).patched
    for layer in body["patched"]["layers"]:
        found = expected.layer(layer["layer"], layer["direction"])
        torch.testing.assert_close(torch.tensor(layer["hidden"]), found.hidden[0])
    forget = torch.tensor(body["patched"]["layers"][1]["gates"]["forget"])
    assert body["patched"]["layers"][1]["direction"] == "backward"
    assert bool((forget[2:5, :2] == 1).all())
    change = body["prediction_change"]
    assert change["delta"] == pytest.approx(change["after"] - change["before"])
    assert body["clean"]["prediction"] == model.run_trace(TEXT).prediction.as_dict()


def test_knobs_are_listed_and_applied(client: TestClient) -> None:
    listed = client.get("/api/v1/knobs").json()["knobs"]
    assert {"update-always-0", "forget-always-1"} <= {knob["id"] for knob in listed}
    body = post(client, "tiny-text-gru", "intervene", {"input": TEXT, "knobs": ["update-always-0"]})
    for layer in body["patched"]["layers"]:
        assert all(value == 0 for row in layer["hidden"] for value in row)


@pytest.mark.parametrize(
    ("intervention", "loc"),
    [
        pytest.param({"site": "layer7.forward.hidden", "op": "zero"}, "site", id="no-layer-7"),
        pytest.param(
            {"site": "layer0.forward.forget", "op": "zero"}, "site", id="lstm-gate-on-gru"
        ),
        pytest.param(
            {"site": "layer0.forward.reset", "op": "zero", "units": [999]},
            "units",
            id="unit-out-of-range",
        ),
        pytest.param(
            {"site": "layer0.forward.reset", "op": "zero", "steps": [999]},
            "steps",
            id="step-out-of-range",
        ),
        pytest.param({"site": "layer0.forward.reset", "op": "set"}, "value", id="set-no-value"),
        pytest.param(
            {"site": "layer0.forward.reset", "op": "patch"}, "source_input", id="patch-no-source"
        ),
    ],
)
def test_bad_interventions_are_422_naming_the_field(
    client: TestClient, intervention: dict[str, Any], loc: str
) -> None:
    body = post(
        client,
        "tiny-text-gru",
        "intervene",
        {"input": TEXT, "interventions": [intervention]},
        status=422,
    )
    item = body["detail"][0]
    assert item["loc"] == ["body", "interventions", 0, loc]
    assert item["code"] == "invalid_intervention"
    assert loc.split("_")[0] in item["msg"] or "layer" in item["msg"]


def test_schema_errors_are_422(client: TestClient) -> None:
    body = post(
        client,
        "tiny-text-gru",
        "intervene",
        {"input": TEXT, "interventions": [{"site": "layer0.forward.reset", "op": "clamp"}]},
        status=422,
    )
    assert body["detail"][0]["loc"][:4] == ["body", "interventions", 0, "op"]
    body = post(
        client,
        "tiny-text-gru",
        "intervene",
        {"input": TEXT, "knobs": ["forget-always-1"]},
        status=422,
    )
    assert body["detail"][0]["loc"] == ["body", "knobs"]


def test_patching_sweep_over_http(client: TestClient) -> None:
    body = post(
        client,
        "tiny-text-gru",
        "patching",
        {"input": TEXT, "corrupted_input": OTHER, "kind": "layer_step", "site": "hidden"},
    )
    assert body["rows"] == ["layer0.forward.hidden"]
    assert len(body["effect"]) == 1 and len(body["effect"][0]) == body["steps"]
    assert body["effect"][0][-1] == pytest.approx(1.0, abs=1e-5)
    units = post(client, "tiny-text-gru", "patching", {"input": TEXT, "corrupted_input": OTHER})
    assert units["kind"] == "step_unit" and units["runs"] == len(units["rows"]) * units["steps"]


def test_attribution_over_http(client: TestClient) -> None:
    body = post(
        client,
        "tiny-numbers-lstm",
        "attribution",
        {"input": [[10, 1000], [12, 1003], [9, 990]], "method": "all"},
    )
    assert set(body["scores"]) == {"integrated_gradients", "occlusion", "gradient_x_input"}
    assert all(len(scores) == 3 for scores in body["scores"].values())
    assert body["completeness_gap"] <= 0.01
    assert len(body["rank_correlation"]) == 3
    assert body["per_prefix"] is None


def test_attribution_per_prefix_over_http(client: TestClient) -> None:
    body = post(
        client,
        "tiny-numbers-lstm",
        "attribution",
        {"input": [[10, 1000], [12, 1003], [9, 990]], "per_prefix": True},
    )
    rows = body["per_prefix"]["rows"]
    assert len(rows) == 3 and rows[0][1:] == [0.0, 0.0] and rows[1][2:] == [0.0]
    assert all(gap <= 0.01 for gap in body["per_prefix"]["completeness_gap"])


def test_routes_are_in_openapi(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for route in ("intervene", "patching", "attribution"):
        assert f"/api/v1/models/{{model_id}}/{route}" in paths
    assert "/api/v1/knobs" in paths

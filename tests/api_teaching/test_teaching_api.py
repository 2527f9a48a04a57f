"""The teaching series over HTTP: every number equals app.teaching's (and the trace API's)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from teaching.tiny_zoo import WEATHER_ROWS

from app.api.teaching import (
    CompareResponse,
    PaddingResponse,
    ParameterTable,
    SaturationResponse,
    SensitivityResponse,
    StateResponse,
)
from app.config import Settings
from app.main import create_app
from app.teaching.forming import tipping_step
from app.teaching.gradient import gradient_study
from app.teaching.parameters import parameter_table
from app.teaching.saturation import saturation_study
from app.zoo import LoadedModel

SENTENCE = "a truly great film"
ROWS = [list(row) for row in WEATHER_ROWS]
ModelOf = Callable[[str], LoadedModel]


def post(client: TestClient, path: str, body: dict[str, Any], status: int = 200) -> Any:
    response = client.post(f"/api/v1/models/{path}", json=body)
    assert response.status_code == status, response.text
    return response.json()


def rounded(values: Any, decimals: int = 4) -> Any:
    return np.round(np.asarray(values, dtype=np.float64), decimals).tolist()


# -- compare --------------------------------------------------------------------------------------


def test_compare_runs_the_siblings_in_the_notes_order_and_matches_the_trace_api(
    client: TestClient,
) -> None:
    payload = post(client, "tiny-en-gru/compare", {"input": SENTENCE})
    CompareResponse.model_validate(payload)
    assert [run["model"] for run in payload["runs"]] == [
        "tiny-en-rnn",
        "tiny-en-lstm",
        "tiny-en-gru",
    ]
    assert payload["axis"] == ["<pad>"] * 4 + ["a", "truly", "great", "film"]
    for run in payload["runs"]:
        trace = post(client, f"{run['model']}/trace", {"input": SENTENCE})
        top = trace["layers"][-1]
        assert run["hidden"] == top["hidden"]
        assert run["gates"] == top["gates"]
        assert run["cell_state"] == top["cell"]
        assert run["prediction"] == trace["prediction"]
        assert run["step_predictions"] == trace["step_predictions"]
        assert run["positions"] == list(range(8))
    assert [run["gate_names"] for run in payload["runs"]] == [
        [],
        ["input", "forget", "candidate", "output"],
        ["reset", "update", "candidate"],
    ]


def test_compare_marks_the_step_where_the_prediction_moved_most(client: TestClient) -> None:
    for run in post(client, "tiny-en-lstm/compare", {"input": SENTENCE})["runs"]:
        series = [step["positive_probability"] for step in run["step_predictions"]]
        changes = [abs(series[t] - series[t - 1]) for t in range(1, len(series))]
        assert run["tipping_step"] == 1 + int(np.argmax(changes))
        assert run["tipping_step"] == tipping_step(series)


def test_compare_parameter_tables_count_every_tensor(client: TestClient, model_of: ModelOf) -> None:
    for run in post(client, "tiny-en-rnn/compare", {"input": SENTENCE})["runs"]:
        model = model_of(run["model"])
        table = run["parameters"]
        assert table["total"] == model.total_parameters
        rows = {row["key"]: row for row in table["rows"]}
        recurrent = rows["blocks.0.0"]
        blocks = {"rnn": 1, "lstm": 4, "gru": 3}[run["cell"]]
        assert recurrent["pytorch"]["count"] == blocks * (5 * (6 + 5) + 2 * 5)
        assert recurrent["pytorch"]["substituted"] == f"{blocks} × (5 × (6 + 5) + 2 × 5)"
        keras_biases = 2 if run["cell"] == "gru" else 1
        assert recurrent["keras"]["count"] == blocks * (5 * (6 + 5) + keras_biases * 5)
        detail = client.get(f"/api/v1/models/{run['model']}").json()
        assert {row["key"]: row["parameters"] for row in detail["parameter_counts"]} == {
            key: row["pytorch"]["count"] for key, row in rows.items()
        }


def test_parameters_endpoint_gives_the_table_alone(client: TestClient, model_of: ModelOf) -> None:
    response = client.get("/api/v1/models/tiny-weather-lstm/parameters")
    assert response.status_code == 200
    table = ParameterTable.model_validate(response.json())
    expected = parameter_table(model_of("tiny-weather-lstm").config)
    assert [row.pytorch.count for row in table.rows] == [row.pytorch.count for row in expected]
    assert [row.name for row in table.rows] == [
        "LSTM layer 1",
        "LSTM layer 2",
        "Dense 1",
        "Dense 2",
    ]
    assert table.keras_total == sum(row.keras.count for row in expected if row.keras)


def test_compare_of_numbers_models_pairs_the_weather_siblings(client: TestClient) -> None:
    payload = post(client, "tiny-weather-gru/compare", {"input": ROWS})
    assert [run["model"] for run in payload["runs"]] == ["tiny-weather-lstm", "tiny-weather-gru"]
    assert payload["axis"] == ["1", "2", "3", "4", "5", "6"]
    assert payload["runs"][0]["values"] == ROWS


# -- sensitivity ----------------------------------------------------------------------------------


def test_sensitivity_series_are_the_tracers_unrounded(
    client: TestClient, model_of: ModelOf
) -> None:
    payload = post(client, "tiny-en-lstm/sensitivity", {"input": SENTENCE})
    SensitivityResponse.model_validate(payload)
    models = [model_of(run["model"]) for run in payload["runs"]]
    study = gradient_study(models, SENTENCE)
    for run, expected in zip(payload["runs"], study.runs, strict=True):
        assert run["sensitivity"] == expected.sensitivity
        assert run["retention"] == expected.retention
        assert run["keep_gate"] == expected.keep_gate
    assert [run["keep_gate"] for run in payload["runs"]] == [None, "forget", "update"]
    assert payload["runs"][0]["retention"] is None


def test_sensitivity_summary_is_computed_from_the_series(client: TestClient) -> None:
    payload = post(client, "tiny-en-lstm/sensitivity", {"input": SENTENCE})
    summary = payload["summary"]
    ratios = {}
    for kept, run in zip(summary["kept"], payload["runs"], strict=True):
        first = next(step for step, kind in enumerate(run["token_kinds"]) if kind != "pad")
        assert (kept["model"], kept["first_step"]) == (run["model"], first)
        series = run["sensitivity"]
        assert kept["ratio"] == pytest.approx(series[first] / series[-1], rel=1e-12)
        ratios[run["model"]] = (kept["ratio"], run["cell"])
    ranked = sorted(ratios, key=lambda model: ratios[model][0], reverse=True)
    assert summary["most"] == ranked[0]
    assert summary["factor"] == pytest.approx(ratios[ranked[0]][0] / ratios[ranked[1]][0])
    assert summary["textbook_holds"] is (ratios[ranked[-1]][1] == "rnn")


# -- saturation -----------------------------------------------------------------------------------


def test_saturation_points_equal_the_analysis(client: TestClient, model_of: ModelOf) -> None:
    payload = post(client, "tiny-weather-lstm/saturation", {"input": ROWS, "low": 0.3, "high": 0.7})
    SaturationResponse.model_validate(payload)
    study = saturation_study(model_of("tiny-weather-lstm"), ROWS, 0.3, 0.7)
    assert payload["points"] == [point.__dict__ for point in study.points]
    assert payload["gates"] == ["input", "forget", "output"]
    assert len(payload["points"]) == 2 * 3 * 4
    assert (payload["low"], payload["high"], payload["steps"]) == (0.3, 0.7, 6)


def test_saturation_of_a_plain_rnn_is_refused_in_the_error_shape(client: TestClient) -> None:
    error = post(client, "tiny-en-rnn/saturation", {"input": SENTENCE}, status=422)
    (item,) = error["detail"]
    assert item["type"] == "saturation_needs_gates"
    assert item["loc"] == ["path", "model_id"]
    assert "plain RNN" in error["message"]


def test_saturation_thresholds_must_be_ordered(client: TestClient) -> None:
    error = post(
        client, "tiny-en-gru/saturation", {"input": SENTENCE, "low": 0.9, "high": 0.1}, 422
    )
    assert "low (0.9) must be smaller than high (0.1)" in error["message"]


# -- padding --------------------------------------------------------------------------------------


def without_truncation(prediction: dict[str, Any]) -> dict[str, Any]:
    """A predict answer's prediction without its `truncated` note (the teaching payloads say
    what was read in their token lists instead)."""
    return {key: value for key, value in prediction.items() if key != "truncated"}


def test_padding_variants_and_the_trained_variant_matches_predict(client: TestClient) -> None:
    payload = post(client, "tiny-en-gru/padding?precision=full", {"input": SENTENCE})
    PaddingResponse.model_validate(payload)
    pre, post_run, masked = payload["runs"]
    assert (payload["maxlen"], payload["trained_with"]) == (8, "pre")
    assert pre["token_ids"][:4] == [0, 0, 0, 0] and post_run["token_ids"][4:] == [0, 0, 0, 0]
    assert masked["token_ids"] == pre["token_ids"][4:] and masked["pad_steps"] == 0
    predicted = client.post("/api/v1/models/tiny-en-gru/predict", json={"inputs": [SENTENCE]})
    assert pre["prediction"] == without_truncation(predicted.json()["predictions"][0])
    trace = post(client, "tiny-en-gru/trace?precision=full", {"input": SENTENCE})
    assert pre["gates"] == trace["layers"][0]["gates"]
    assert pre["hidden"] == trace["layers"][0]["hidden"]
    assert masked["pad_change"]["update"] is None
    assert pre["change"]["hidden"][0] is None and len(pre["change"]["hidden"]) == 8


def test_padding_change_series_are_rounded_gate_differences(client: TestClient) -> None:
    run = post(client, "tiny-en-lstm/padding?precision=full", {"input": SENTENCE})["runs"][1]
    forget = np.asarray(run["gates"]["forget"], dtype=np.float64)
    expected = np.abs(np.diff(forget, axis=0)).mean(axis=1)
    assert run["change"]["forget"][1:] == pytest.approx(expected.tolist(), rel=1e-5)


def test_padding_of_a_numbers_model_is_refused(client: TestClient) -> None:
    error = post(client, "tiny-weather-gru/padding", {"input": ROWS}, status=422)
    assert error["detail"][0]["type"] == "padding_needs_text"


# -- state ----------------------------------------------------------------------------------------


def _predict(client: TestClient, model_id: str, raws: list[Any]) -> list[Any]:
    response = client.post(f"/api/v1/models/{model_id}/predict", json={"inputs": raws})
    return [without_truncation(item) for item in response.json()["predictions"]]


@pytest.mark.parametrize("model_id", ["tiny-weather-gru", "tiny-weather-lstm"])
def test_state_carried_equals_whole_and_fresh_equals_the_second_part(
    client: TestClient, model_id: str
) -> None:
    payload = post(client, f"{model_id}/state?precision=full", {"input": ROWS})
    StateResponse.model_validate(payload)
    whole, first_half, second_half = _predict(client, model_id, [ROWS, ROWS[:3], ROWS[3:]])
    assert payload["split"] == 3
    assert payload["whole"]["prediction"] == whole
    assert payload["carried"]["prediction"]["value"] == pytest.approx(whole["value"], rel=1e-5)
    carried_steps = payload["carried"]["step_predictions"]
    assert [step["value"] for step in carried_steps] == pytest.approx(
        [step["value"] for step in payload["whole"]["step_predictions"][3:]], rel=1e-5
    )
    assert payload["fresh"]["prediction"] == second_half
    assert payload["first"]["prediction"] == first_half
    assert payload["carried"]["initial_hidden"] == payload["first"]["final_hidden"]
    assert payload["fresh"]["initial_hidden"] == [[0.0] * 4, [0.0] * 4]


def test_state_stack_is_the_trace_layer_by_layer(client: TestClient) -> None:
    stack = post(client, "tiny-weather-gru/state", {"input": ROWS})["stack"]
    trace = post(client, "tiny-weather-gru/trace", {"input": ROWS})
    assert [layer["outputs"] for layer in stack["layers"]] == [
        layer["hidden"] for layer in trace["layers"]
    ]
    assert stack["final_hidden"] == trace["layers"][1]["hidden"][-1]
    assert stack["inputs"] == rounded(trace["scaled"])
    assert [step["name"] for step in stack["head"]] == ["Dense 1", "Dense 2"]


def test_state_with_a_following_window(client: TestClient) -> None:
    payload = post(client, "tiny-weather-lstm/state", {"input": ROWS[:4], "next_input": ROWS[4:]})
    assert payload["split"] == 4
    assert payload["carried"]["values"] == ROWS[4:]
    assert (payload["carried"]["start"], payload["carried"]["steps"]) == (4, 2)


@pytest.mark.parametrize(
    ("model_id", "body", "kind", "loc"),
    [
        pytest.param(
            "tiny-en-gru",
            {"input": SENTENCE},
            "state_needs_numbers",
            ["path", "model_id"],
            id="text",
        ),
        pytest.param(
            "tiny-weather-gru",
            {"input": ROWS, "split": 6},
            "state_bad_split",
            ["body", "split"],
            id="split-at-the-end",
        ),
        pytest.param(
            "tiny-weather-gru",
            {"input": ROWS[:1]},
            "state_needs_two_steps",
            ["path", "model_id"],
            id="one-step",
        ),
    ],
)
def test_state_refusals_name_the_reason(
    client: TestClient, model_id: str, body: dict[str, Any], kind: str, loc: list[str]
) -> None:
    (item,) = post(client, f"{model_id}/state", body, status=422)["detail"]
    assert (item["type"], item["loc"]) == (kind, loc)


def test_state_refuses_split_and_next_input_together(client: TestClient) -> None:
    body = {"input": ROWS, "split": 2, "next_input": ROWS}
    error = post(client, "tiny-weather-gru/state", body, status=422)
    assert "either split or next_input" in error["message"]


# -- common ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("view", ["compare", "sensitivity", "saturation", "padding", "state"])
def test_unknown_model_is_a_404_in_the_error_shape(client: TestClient, view: str) -> None:
    error = post(client, f"no-such-model/{view}", {"input": SENTENCE}, status=404)
    assert error["detail"][0]["type"] == "not_found"


def test_bad_input_is_a_422_naming_the_field(client: TestClient) -> None:
    error = post(client, "tiny-weather-gru/compare", {"input": [[1, 2, "x", 4]]}, status=422)
    assert error["detail"][0]["field"] == "input[0][2]"


@pytest.mark.parametrize(
    ("limits", "loc"),
    [
        pytest.param({"max_text_chars": 5}, ["body", "input"], id="text-too-long"),
        pytest.param({"max_trace_values": 10}, ["body"], id="sibling-trace-too-large"),
    ],
)
@pytest.mark.parametrize("view", ["compare", "sensitivity"])
def test_sibling_views_refuse_input_over_the_operator_limits(
    tiny_zoo_dir: Path, tmp_path: Path, view: str, limits: dict[str, int], loc: list[str]
) -> None:
    settings = Settings(models_dir=tiny_zoo_dir, data_dir=tmp_path, **limits)
    with TestClient(create_app(settings)) as limited:
        error = post(limited, f"tiny-en-gru/{view}", {"input": SENTENCE}, status=422)
    assert (error["detail"][0]["loc"], error["detail"][0]["type"]) == (loc, "limit_exceeded")


def test_openapi_documents_every_teaching_series(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    paths = schema["paths"]
    expected = {
        "compare": "CompareResponse",
        "sensitivity": "SensitivityResponse",
        "saturation": "SaturationResponse",
        "padding": "PaddingResponse",
        "state": "StateResponse",
    }
    for view, response_model in expected.items():
        operation = paths[f"/api/v1/models/{{model_id}}/{view}"]["post"]
        assert operation["tags"] == ["teaching"]
        assert operation["description"]
        content = operation["responses"]["200"]["content"]["application/json"]
        assert content["schema"]["$ref"].endswith(response_model)
    sensitivity = schema["components"]["schemas"]["SensitivityRun"]["properties"]["sensitivity"]
    assert "d h_T / d x_t" in sensitivity["description"]
    assert paths["/api/v1/models/{model_id}/parameters"]["get"]["tags"] == ["teaching"]

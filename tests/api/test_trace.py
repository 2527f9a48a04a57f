"""POST /api/v1/models/{id}/trace and /predict: layout, values, precision, predictions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.api.schemas import TraceResponse
from app.zoo import LoadedModel
from app.zoo.loaded import truncation_of

ModelOf = Callable[[str], LoadedModel]


def trace(client: TestClient, model_id: str, raw: Any, query: str = "") -> dict[str, Any]:
    response = client.post(f"/api/v1/models/{model_id}/trace{query}", json={"input": raw})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    TraceResponse.model_validate(body)
    return body


def decimals(value: float) -> int:
    text = repr(value)
    return len(text.split(".")[1]) if "." in text and "e" not in text else 0


def all_floats(body: dict[str, Any]) -> list[float]:
    values: list[float] = []
    for layer in body["layers"]:
        for series in [*layer["gates"].values(), layer["hidden"], layer["cell"] or []]:
            values.extend(value for row in series for value in row if value is not None)
    return values


def test_text_trace_shows_tokens_as_the_model_saw_them(client: TestClient) -> None:
    body = trace(client, "tiny-text-gru", "A great film, zzz!")
    assert body["model"] == "tiny-text-gru"
    assert (body["cell"], body["steps"]) == ("gru", 6)
    assert body["tokens"] == ["<pad>", "<pad>", "a", "great", "film", "zzz"]
    assert body["token_kinds"] == ["pad", "pad", "word", "word", "word", "oov"]
    assert body["token_ids"][:2] == [0, 0] and body["token_ids"][-1] == 1  # <OOV> is 1
    assert body["values"] is None and body["scaled"] is None


def test_gru_trace_has_gates_by_name_per_step_and_unit(client: TestClient) -> None:
    body = trace(client, "tiny-text-gru", "a great film")
    [layer] = body["layers"]
    assert (layer["layer"], layer["direction"], layer["units"]) == (0, "forward", 3)
    assert list(layer["gates"]) == ["reset", "update", "candidate"]
    for series in [*layer["gates"].values(), layer["hidden"]]:
        assert len(series) == 6 and all(len(row) == 3 for row in series)
    assert layer["cell"] is None
    assert all(0 <= v <= 1 for row in layer["gates"]["update"] for v in row)


def test_trace_values_equal_the_tracer_to_the_precision(
    client: TestClient, model_of: ModelOf
) -> None:
    body = trace(client, "tiny-numbers-lstm", [[10, 1000], [12, 1003], [9, 990]])
    direct = model_of("tiny-numbers-lstm").run_trace([[10, 1000], [12, 1003], [9, 990]])
    for layer, expected in zip(body["layers"], direct.trace.layers, strict=True):
        for name, values in layer["gates"].items():
            np.testing.assert_allclose(values, expected.gates[name][0], atol=5e-5)
        np.testing.assert_allclose(layer["hidden"], expected.hidden[0], atol=5e-5)
        np.testing.assert_allclose(layer["cell"], expected.cell[0], atol=5e-5)


def test_numbers_trace_returns_values_scaled_and_the_prediction_in_units(
    client: TestClient, model_of: ModelOf
) -> None:
    steps = [[10, 1000], [11, 1001], [12, 1002], [13, 1003]]
    body = trace(client, "tiny-numbers-lstm", steps)
    assert body["tokens"] is None and body["token_kinds"] is None
    assert body["values"] == [[float(a), float(b)] for a, b in steps]
    assert body["scaled"][0] == [0.4, 0.5]  # (10 - -10) / 50, (1000 - 950) / 100
    assert [(layer["layer"], layer["direction"]) for layer in body["layers"]] == [
        (0, "forward"),
        (1, "forward"),
    ]
    assert list(body["layers"][0]["gates"]) == ["input", "forget", "candidate", "output"]
    assert len(body["layers"][1]["cell"]) == 4
    expected = model_of("tiny-numbers-lstm").predict([steps])[0]
    assert body["prediction"]["unit"] == "°C"
    assert body["prediction"]["value"] == pytest.approx(expected.value, abs=1e-4)


def test_step_predictions_end_in_the_prediction(client: TestClient) -> None:
    body = trace(client, "tiny-text-gru", "a dull film")
    steps = body["step_predictions"]
    assert len(steps) == body["steps"]
    assert steps[-1] == body["prediction"]
    assert set(body["prediction"]) == {"label", "probability", "positive_probability"}
    assert body["prediction"]["label"] in {"negative", "positive"}


def test_bidirectional_trace_orders_layers_as_the_tracer_and_has_no_step_predictions(
    client: TestClient,
) -> None:
    body = trace(client, "tiny-text-bilstm", "great acting")
    assert [(layer["layer"], layer["direction"]) for layer in body["layers"]] == [
        (0, "forward"),
        (0, "backward"),
    ]
    assert body["step_predictions"] is None
    assert body["prediction"]["label"] in {"negative", "positive"}


def test_rnn_trace_has_no_gates_and_a_flat_list_is_one_feature(client: TestClient) -> None:
    body = trace(client, "tiny-series-birnn", [0.1, 0.5, 0.9])
    assert body["values"] == [[0.1], [0.5], [0.9]]
    assert all(layer["gates"] == {} and layer["cell"] is None for layer in body["layers"])
    assert body["cell"] == "rnn"


def test_floats_are_rounded_to_four_decimals_by_default(client: TestClient) -> None:
    body = trace(client, "tiny-numbers-lstm", [[10, 1000], [11, 1001]])
    assert body["precision"] == 4
    assert max(decimals(value) for value in all_floats(body)) <= 4
    assert decimals(body["prediction"]["value"]) <= 4


def test_precision_query_sets_the_decimals(client: TestClient) -> None:
    body = trace(client, "tiny-numbers-lstm", [[10, 1000], [11, 1001]], "?precision=2")
    assert body["precision"] == 2
    assert max(decimals(value) for value in all_floats(body)) <= 2


def test_full_precision_gives_the_float32_values(client: TestClient, model_of: ModelOf) -> None:
    body = trace(client, "tiny-numbers-lstm", [[10, 1000], [11, 1001]], "?precision=full")
    assert body["precision"] is None
    assert max(decimals(value) for value in all_floats(body)) > 4
    direct = model_of("tiny-numbers-lstm").run_trace([[10, 1000], [11, 1001]])
    hidden = np.asarray(body["layers"][0]["hidden"], dtype=np.float32)
    np.testing.assert_array_equal(hidden, direct.trace.layers[0].hidden[0].numpy())


@pytest.mark.parametrize("precision", ["-1", "18", "two", "4.5", ""])
def test_invalid_precision_is_a_422_naming_it(client: TestClient, precision: str) -> None:
    response = client.post(
        f"/api/v1/models/tiny-text-gru/trace?precision={precision}", json={"input": "a film"}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "precision"


def test_repeated_trace_is_answered_identically(client: TestClient) -> None:
    first = client.post("/api/v1/models/tiny-text-gru/trace", json={"input": "a great plot"})
    second = client.post("/api/v1/models/tiny-text-gru/trace", json={"input": "a great plot"})
    assert first.content == second.content
    assert first.headers["content-type"] == second.headers["content-type"]


def test_predict_answers_in_order_with_the_trace_predictions(client: TestClient) -> None:
    texts = ["a great film", "a dull film", "good plot", "bad acting"]
    response = client.post("/api/v1/models/tiny-text-gru/predict", json={"inputs": texts})
    assert response.status_code == 200
    predictions = response.json()["predictions"]
    assert len(predictions) == 4
    for text, prediction in zip(texts, predictions, strict=True):
        traced = trace(client, "tiny-text-gru", text, "?precision=full")["prediction"]
        assert prediction["label"] == traced["label"]
        assert prediction["probability"] == pytest.approx(traced["probability"], abs=1e-6)


def test_predict_numbers_names_the_bad_input_by_index(client: TestClient) -> None:
    inputs = [[[1, 1000]], [[1, 2, 3]]]
    response = client.post("/api/v1/models/tiny-numbers-lstm/predict", json={"inputs": inputs})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "inputs", 1, 0]


def test_shipped_korean_model_traces_a_sentence(shipped: httpx.Client) -> None:
    response = shipped.post(
        "/api/v1/models/sentiment-ko-gru/trace", json={"input": "배우들 연기가 정말 좋았다"}
    )
    assert response.status_code == 200
    body = response.json()
    assert "정말" in body["tokens"] and body["token_kinds"][0] == "pad"
    assert 0.5 <= body["prediction"]["probability"] <= 1.0
    assert len(body["step_predictions"]) == body["steps"] == 40


def test_shipped_weather_model_predicts_in_degrees(shipped: httpx.Client) -> None:
    detail = shipped.get("/api/v1/models/weather-lstm").json()
    example = detail["examples"][0]
    steps = example["input"] if isinstance(example, dict) else example
    response = shipped.post("/api/v1/models/weather-lstm/trace", json={"input": steps})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["values"] == [[float(v) for v in row] for row in steps]
    assert isinstance(body["prediction"]["value"], float)


def test_trace_says_how_many_tokens_a_long_text_lost_and_from_which_end(
    client: TestClient,
) -> None:
    """Keras's truncating='pre' keeps the last maxlen tokens; the response says so."""
    words = "a great film and a good plot but dull acting"  # 10 tokens, maxlen 6
    body = trace(client, "tiny-text-gru", words)
    assert body["truncated"] == {"dropped": 4, "kept": 6, "from": "start"}
    assert body["tokens"] == ["a", "good", "plot", "but", "dull", "acting"]
    assert trace(client, "tiny-text-gru", "a great film")["truncated"] is None


def test_predict_reports_truncation_per_input(client: TestClient) -> None:
    texts = ["a great film", "a great film and a good plot but dull acting"]
    response = client.post("/api/v1/models/tiny-text-gru/predict", json={"inputs": texts})
    assert [item["truncated"] for item in response.json()["predictions"]] == [
        None,
        {"dropped": 4, "kept": 6, "from": "start"},
    ]


@pytest.mark.parametrize(
    ("count", "truncating", "expected"),
    [
        pytest.param(6, "pre", None, id="fits"),
        pytest.param(9, "pre", {"dropped": 3, "kept": 6, "from": "start"}, id="pre-drops-start"),
        pytest.param(9, "post", {"dropped": 3, "kept": 6, "from": "end"}, id="post-drops-end"),
    ],
)
def test_truncation_follows_keras_truncating(
    count: int, truncating: str, expected: dict[str, Any] | None
) -> None:
    found = truncation_of(count, 6, truncating)
    assert (found.as_dict() if found else None) == expected


def test_openapi_documents_truncated(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    assert set(schemas["TruncatedOut"]["properties"]) == {"dropped", "kept", "from"}
    assert "truncated" in schemas["TraceResponse"]["properties"]
    assert "truncated" in schemas["PredictedOut"]["properties"]

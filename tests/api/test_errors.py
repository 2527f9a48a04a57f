"""Every 4xx has one shape, names the field and the problem, and never echoes the input."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from app.api.errors import ERROR_CODES, ErrorResponse, code_of, field_path, parse_field
from app.config import Settings
from app.main import create_app
from app.zoo import LoadedModel

TEXT_TRACE = "/api/v1/models/tiny-text-gru/trace"
NUMBERS_TRACE = "/api/v1/models/tiny-numbers-lstm/trace"
JSON = {"Content-Type": "application/json"}


def assert_error(
    response: httpx.Response, status: int, field: str | None = None, code: str | None = None
) -> dict[str, Any]:
    """The one error shape, with `field` among the fields it names and `code` among its codes;
    every item has a documented code and JSON params."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body: dict[str, Any] = response.json()
    ErrorResponse.model_validate(body)
    assert body["message"] == "; ".join(item["msg"] for item in body["detail"])
    for item in body["detail"]:
        assert item["msg"].startswith(item["field"])
        assert item["field"] == field_path(item["loc"])
        assert item["code"] in ERROR_CODES, item
        assert isinstance(item["params"], dict)
    if field is not None:
        assert field in [item["field"] for item in body["detail"]], body
    if code is not None:
        assert code in [item["code"] for item in body["detail"]], body
    return body


@pytest.mark.parametrize(
    ("raw", "field", "words", "code"),
    [
        pytest.param("", "input", "empty", "empty_text", id="empty-text"),
        pytest.param("   \t\n ", "input", "empty", "empty_text", id="whitespace-text"),
        pytest.param("!!! ...", "input", "no words", "no_words", id="only-punctuation"),
        pytest.param(None, "input", "got null", "wrong_input_type", id="null"),
        pytest.param(42, "input", "got 42", "wrong_input_type", id="number"),
        pytest.param({"text": "hi"}, "input", "an object", "wrong_input_type", id="object"),
        pytest.param([1.0, 2.0], "input", "sentence", "not_text", id="numbers-for-a-text-model"),
    ],
)
def test_text_model_refuses_bad_input(
    client: TestClient, raw: Any, field: str, words: str, code: str
) -> None:
    body = assert_error(client.post(TEXT_TRACE, json={"input": raw}), 422, field, code)
    assert words in body["message"]


@pytest.mark.parametrize(
    ("raw", "field", "code", "params"),
    [
        pytest.param(
            [[1, 2], [3]], "input[1]", "wrong_width", {"values": 1, "width": 2}, id="ragged"
        ),
        pytest.param(
            [[1, 2, 3]], "input[0]", "wrong_width", {"values": 3, "width": 2}, id="too-wide"
        ),
        pytest.param(
            [1, 2], "input[0]", "not_a_step", {"width": 2, "got": "1"}, id="flat-for-two-features"
        ),
        pytest.param(
            [[1, "2"]], "input[0][1]", "not_a_number", {"got": "'2'"}, id="string-as-number"
        ),
        pytest.param([[1, True]], "input[0][1]", "not_a_number", {"got": "true"}, id="boolean"),
        pytest.param([[1, None]], "input[0][1]", "not_a_number", {"got": "null"}, id="null"),
        pytest.param(
            [[1, [2]]], "input[0][1]", "not_a_number", {"got": "a list"}, id="nested-list"
        ),
        pytest.param([[1, 1e39]], "input[0][1]", "too_large_number", None, id="beyond-float32"),
        pytest.param([[1, 10**400]], "input[0][1]", "too_large_number", None, id="huge-integer"),
        pytest.param([], "input", "no_steps", {}, id="no-steps"),
        pytest.param(
            [[1, 2]] * 2001,
            "input",
            "too_many_steps",
            {"steps": 2001, "limit": 2000},
            id="too-many-steps",
        ),
        pytest.param("a sentence", "input", "not_steps", None, id="text-for-a-numbers-model"),
    ],
)
def test_numbers_model_refuses_bad_input(
    client: TestClient, raw: Any, field: str, code: str, params: dict[str, Any] | None
) -> None:
    body = assert_error(client.post(NUMBERS_TRACE, json={"input": raw}), 422, field, code)
    if params is not None:
        assert body["detail"][0]["params"] == params


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_literals_are_refused_naming_the_value(
    client: TestClient, literal: str
) -> None:
    content = f'{{"input": [[1, 1000], [2, {literal}]]}}'
    body = assert_error(client.post(NUMBERS_TRACE, content=content, headers=JSON), 422)
    assert body["detail"][0]["loc"] == ["body", "input", 1, 1]
    assert "finite" in body["message"]
    expected = {"NaN": "nan", "Infinity": "inf", "-Infinity": "-inf"}[literal]
    assert (body["detail"][0]["code"], body["detail"][0]["params"]) == (
        "not_finite",
        {"got": expected},
    )


def test_many_bad_values_are_reported_but_not_all(client: TestClient) -> None:
    raw = [[1, "x"]] * 500
    body = assert_error(client.post(NUMBERS_TRACE, json={"input": raw}), 422)
    assert len(body["detail"]) == 20
    assert len(response_text := str(body)) < 10_000, response_text


def test_too_long_text_is_refused(client: TestClient) -> None:
    body = assert_error(client.post(TEXT_TRACE, json={"input": "film " * 2001}), 422, "input")
    assert "the limit is 10000" in body["message"]
    item = body["detail"][0]
    assert (item["type"], item["code"], item["params"]) == (
        "limit_exceeded",
        "too_long_text",
        {"characters": 10005, "limit": 10000},
    )


def test_too_many_inputs_to_predict_are_refused(client: TestClient) -> None:
    response = client.post("/api/v1/models/tiny-text-gru/predict", json={"inputs": ["a film"] * 65})
    body = assert_error(response, 422, "inputs", "too_many_inputs")
    assert "65 inputs; the limit is 64" in body["message"]
    assert body["detail"][0]["params"] == {"inputs": 65, "limit": 64}


def test_too_much_text_in_one_predict_call_is_refused(client: TestClient) -> None:
    """Morpheme analysis costs by the character: 64 texts of 9,000 characters cost ~40 s of
    CPU, so one call holds at most GATESCOPE_MAX_BATCH_CHARS characters together."""
    texts = ["가" * 9_000] * 3
    response = client.post("/api/v1/models/tiny-text-gru/predict", json={"inputs": texts})
    body = assert_error(response, 422, "inputs", "too_much_text")
    assert body["detail"][0]["params"] == {"characters": 27_000, "limit": 20_000}
    assert "several calls" in body["message"]


@pytest.mark.parametrize(
    ("content", "headers", "field", "code"),
    [
        pytest.param(b'{"input": "a', JSON, "body", "invalid_json", id="truncated-json"),
        pytest.param(b"", JSON, "body", "missing", id="empty-body"),
        pytest.param(b"null", JSON, "body", "not_an_object", id="null-body"),
        pytest.param(b"[1, 2]", JSON, "body", "not_an_object", id="list-body"),
        pytest.param(
            b'{"input": "a film", "x": 1}', JSON, "x", "unknown_field", id="unknown-field"
        ),
        pytest.param(b'{"inputs": "a film"}', JSON, "input", "missing", id="missing-field"),
        pytest.param(
            b'{"input": "a film"}',
            {"Content-Type": "text/plain"},
            "body",
            "not_an_object",
            id="text-plain",
        ),
        pytest.param(
            b"input=a+film",
            {"Content-Type": "application/x-www-form-urlencoded"},
            "body",
            "not_an_object",
            id="form",
        ),
    ],
)
def test_malformed_bodies_are_4xx_naming_the_body(
    client: TestClient, content: bytes, headers: dict[str, str], field: str, code: str
) -> None:
    assert_error(client.post(TEXT_TRACE, content=content, headers=headers), 422, field, code)


def test_invalid_utf8_is_a_400_in_the_error_shape(http: httpx.Client) -> None:
    response = http.post(TEXT_TRACE, content=b'{"input": "\xff\xfe film"}', headers=JSON)
    assert response.status_code in (400, 422)
    assert_error(response, response.status_code)


def test_unknown_route_and_wrong_method_use_the_error_shape(client: TestClient) -> None:
    body = assert_error(client.get("/api/v1/nothing-here"), 404, code="not_found")
    assert body["detail"][0]["params"] == {"method": "GET", "path": "/api/v1/nothing-here"}
    body = assert_error(client.get(TEXT_TRACE), 405, code="method_not_allowed")
    assert "Method Not Allowed" in body["message"]


def test_error_never_echoes_the_input(client: TestClient) -> None:
    secret = "x" * 50 + "SECRET"
    response = client.post(NUMBERS_TRACE, json={"input": [[secret, 1]]})
    assert "SECRET" not in response.text


def test_fields_become_paths_and_back() -> None:
    assert field_path(["body", "inputs", 2, 0]) == "inputs[2][0]"
    assert field_path(["query", "precision"]) == "precision"
    assert field_path(["body"]) == "body"
    assert field_path([]) == ""
    assert parse_field("inputs[2][0]") == ["inputs", 2, 0]
    assert parse_field("input") == ["input"]


def test_unexpected_errors_become_a_json_500(
    tiny_models_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(LoadedModel, "predict_prepared", broken)
    app = create_app(Settings(models_dir=tiny_models_dir, data_dir=tmp_path))
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.post("/api/v1/models/tiny-text-gru/predict", json={"inputs": ["a"]})
    body = assert_error(response, 500, code="internal_error")
    assert body["detail"][0]["type"] == "internal_error"
    assert "boom" not in response.text


# -- codes and params ---------------------------------------------------------------------------


def test_a_lone_surrogate_is_not_text(client: TestClient) -> None:
    response = client.post(TEXT_TRACE, content=b'{"input": "a \\ud800 film"}', headers=JSON)
    body = assert_error(response, 422, "input", "not_utf8")
    assert "lone surrogate" in body["message"]


def test_an_unknown_model_is_a_404_naming_the_id(client: TestClient) -> None:
    body = assert_error(client.get("/api/v1/models/nope"), 404, "model_id", "unknown_model")
    params = body["detail"][0]["params"]
    assert params["model_id"] == "nope"
    assert "tiny-text-gru" in params["known"]


@pytest.mark.parametrize(
    ("body", "field", "code", "params"),
    [
        pytest.param(
            {"hidden_size": 600},
            "hidden_size",
            "limit_exceeded",
            {"value": 600, "limit": 512},
            id="over-the-operator-limit",
        ),
        pytest.param({"hidden_size": 0}, "hidden_size", "below_minimum", {"limit": 1}, id="zero"),
        pytest.param(
            {"hidden_size": 5000},
            "hidden_size",
            "above_maximum",
            {"limit": 4096},
            id="over-the-format-limit",
        ),
        pytest.param({"hidden_size": "8"}, "hidden_size", "not_an_integer", {}, id="string"),
        pytest.param({"cell": "LSTM"}, "cell", "not_allowed", None, id="cell"),
        pytest.param({"nonlinearity": "relu"}, "nonlinearity", "rnn_only_option", {}, id="relu"),
        pytest.param(
            {"input": [[1, 2]]},
            "input[0]",
            "wrong_width",
            {"values": 2, "width": 1},
            id="wrong-width",
        ),
        pytest.param({"input": []}, "input", "no_steps", {}, id="no-steps"),
        pytest.param({"seed": 1.5}, "seed", "not_an_integer", {}, id="float-seed"),
        pytest.param({"bogus": 1}, "bogus", "unknown_field", {}, id="unknown-field"),
    ],
)
def test_adhoc_errors_have_codes_and_params(
    client: TestClient, body: dict[str, Any], field: str, code: str, params: dict[str, Any] | None
) -> None:
    request = {"cell": "lstm", "input_size": 1, "hidden_size": 4, "input": [1.0], **body}
    answer = assert_error(client.post("/api/v1/trace", json=request), 422, field, code)
    if params is not None:
        item = next(item for item in answer["detail"] if item["field"] == field)
        assert item["params"] == params


def test_an_adhoc_trace_over_the_value_limit_names_the_numbers(
    tiny_models_dir: Path, tmp_path: Path
) -> None:
    app = create_app(Settings(models_dir=tiny_models_dir, data_dir=tmp_path, max_trace_values=10))
    request = {"cell": "lstm", "input_size": 1, "hidden_size": 4, "input": [1.0, 2.0]}
    with TestClient(app) as limited:
        body = assert_error(limited.post("/api/v1/trace", json=request), 422, "body")
    item = body["detail"][0]
    assert (item["type"], item["code"]) == ("limit_exceeded", "too_large_trace")
    assert item["params"]["limit"] == 10
    assert f"would hold {item['params']['values']} numbers" in item["msg"]
    assert item["params"]["values"] > 10


def test_401_413_and_409_carry_codes(tiny_models_dir: Path, tmp_path: Path) -> None:
    settings = Settings(
        models_dir=tiny_models_dir, data_dir=tmp_path, token="s3cret", max_body_bytes=2048
    )
    auth = {"Authorization": "Bearer s3cret"}
    with TestClient(create_app(settings)) as guarded:
        assert_error(guarded.get("/api/v1/models"), 401, "authorization", "unauthorized")

        big = {"input": "film " * 1000}
        body = assert_error(guarded.post(TEXT_TRACE, json=big, headers=auth), 413, "body")
        assert (body["detail"][0]["code"], body["detail"][0]["params"]) == (
            "body_too_large",
            {"limit": 2048},
        )

        shipped = tiny_models_dir / "tiny-text-gru"
        files = {
            "file": ("weights.safetensors", (shipped / "weights.safetensors").read_bytes()),
            "config": ("config.json", (shipped / "config.json").read_bytes()),
        }
        response = guarded.post(
            "/api/v1/models", files=files, data={"id": "tiny-text-gru"}, headers=auth
        )
        assert_error(response, 409, "id", "id_taken")


def test_params_never_echo_the_input(client: TestClient) -> None:
    secret = "x" * 50 + "SECRET"
    for raw in ([[secret, 1]], [secret]):
        body = assert_error(client.post(NUMBERS_TRACE, json={"input": raw}), 422)
        assert "SECRET" not in str(body["detail"][0]["params"])


def test_many_bad_values_each_have_their_code(client: TestClient) -> None:
    raw = [[1, "x"], [float("1e39"), 2], [1, None]]
    body = assert_error(client.post(NUMBERS_TRACE, json={"input": raw}), 422)
    assert [(item["field"], item["code"]) for item in body["detail"]] == [
        ("input[0][1]", "not_a_number"),
        ("input[1][0]", "too_large_number"),
        ("input[2][1]", "not_a_number"),
    ]


def test_pydantic_types_map_to_codes_and_own_types_stay() -> None:
    assert code_of("float_parsing") == "not_a_number"
    assert code_of("some_new_pydantic_type") == "invalid"
    assert code_of("padding_needs_text", own=True) == "padding_needs_text"
    assert code_of("conflict", own=True) == "id_taken"


def test_every_code_is_documented_in_openapi_and_the_readme(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()["components"]["schemas"]["ErrorItem"]
    described = schema["properties"]["code"]["description"]
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    errors_section = readme[readme.index("### Errors") :]
    for code in ERROR_CODES:
        assert f"`{code}`" in described, code
        assert f"`{code}`" in errors_section, code
    assert {"code", "params"} <= set(schema["required"])

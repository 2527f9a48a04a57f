"""Every 4xx has one shape, names the field and the problem, and never echoes the input."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from app.api.errors import ErrorResponse, field_path, parse_field
from app.config import Settings
from app.main import create_app
from app.zoo import LoadedModel

TEXT_TRACE = "/api/v1/models/tiny-text-gru/trace"
NUMBERS_TRACE = "/api/v1/models/tiny-numbers-lstm/trace"
JSON = {"Content-Type": "application/json"}


def assert_error(response: httpx.Response, status: int, field: str | None = None) -> dict[str, Any]:
    """The one error shape, with `field` among the fields it names."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body: dict[str, Any] = response.json()
    ErrorResponse.model_validate(body)
    assert body["message"] == "; ".join(item["msg"] for item in body["detail"])
    for item in body["detail"]:
        assert item["msg"].startswith(item["field"])
        assert item["field"] == field_path(item["loc"])
    if field is not None:
        assert field in [item["field"] for item in body["detail"]], body
    return body


@pytest.mark.parametrize(
    ("raw", "field", "words"),
    [
        pytest.param("", "input", "empty", id="empty-text"),
        pytest.param("   \t\n ", "input", "empty", id="whitespace-text"),
        pytest.param("!!! ...", "input", "no words", id="only-punctuation"),
        pytest.param(None, "input", "got null", id="null"),
        pytest.param(42, "input", "got 42", id="number"),
        pytest.param({"text": "hi"}, "input", "an object", id="object"),
        pytest.param([1.0, 2.0], "input", "sentence", id="numbers-for-a-text-model"),
    ],
)
def test_text_model_refuses_bad_input(client: TestClient, raw: Any, field: str, words: str) -> None:
    body = assert_error(client.post(TEXT_TRACE, json={"input": raw}), 422, field)
    assert words in body["message"]


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        pytest.param([[1, 2], [3]], "input[1]", id="ragged"),
        pytest.param([[1, 2, 3]], "input[0]", id="too-wide"),
        pytest.param([1, 2], "input[0]", id="flat-for-two-features"),
        pytest.param([[1, "2"]], "input[0][1]", id="string-as-number"),
        pytest.param([[1, True]], "input[0][1]", id="boolean"),
        pytest.param([[1, None]], "input[0][1]", id="null"),
        pytest.param([[1, [2]]], "input[0][1]", id="nested-list"),
        pytest.param([[1, 1e39]], "input[0][1]", id="beyond-float32"),
        pytest.param([[1, 10**400]], "input[0][1]", id="huge-integer"),
        pytest.param([], "input", id="no-steps"),
        pytest.param([[1, 2]] * 2001, "input", id="too-many-steps"),
        pytest.param("a sentence", "input", id="text-for-a-numbers-model"),
    ],
)
def test_numbers_model_refuses_bad_input(client: TestClient, raw: Any, field: str) -> None:
    assert_error(client.post(NUMBERS_TRACE, json={"input": raw}), 422, field)


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_literals_are_refused_naming_the_value(
    client: TestClient, literal: str
) -> None:
    content = f'{{"input": [[1, 1000], [2, {literal}]]}}'
    body = assert_error(client.post(NUMBERS_TRACE, content=content, headers=JSON), 422)
    assert body["detail"][0]["loc"] == ["body", "input", 1, 1]
    assert "finite" in body["message"]


def test_many_bad_values_are_reported_but_not_all(client: TestClient) -> None:
    raw = [[1, "x"]] * 500
    body = assert_error(client.post(NUMBERS_TRACE, json={"input": raw}), 422)
    assert len(body["detail"]) == 20
    assert len(response_text := str(body)) < 10_000, response_text


def test_too_long_text_is_refused(client: TestClient) -> None:
    body = assert_error(client.post(TEXT_TRACE, json={"input": "film " * 2001}), 422, "input")
    assert "the limit is 10000" in body["message"]


def test_too_many_inputs_to_predict_are_refused(client: TestClient) -> None:
    response = client.post("/api/v1/models/tiny-text-gru/predict", json={"inputs": ["a film"] * 65})
    body = assert_error(response, 422, "inputs")
    assert "65 inputs; the limit is 64" in body["message"]


@pytest.mark.parametrize(
    ("content", "headers", "field"),
    [
        pytest.param(b'{"input": "a', JSON, "body", id="truncated-json"),
        pytest.param(b"", JSON, "body", id="empty-body"),
        pytest.param(b"null", JSON, "body", id="null-body"),
        pytest.param(b"[1, 2]", JSON, "body", id="list-body"),
        pytest.param(b'{"input": "a film", "x": 1}', JSON, "x", id="unknown-field"),
        pytest.param(b'{"inputs": "a film"}', JSON, "input", id="missing-field"),
        pytest.param(
            b'{"input": "a film"}', {"Content-Type": "text/plain"}, "body", id="text-plain"
        ),
        pytest.param(
            b"input=a+film",
            {"Content-Type": "application/x-www-form-urlencoded"},
            "body",
            id="form",
        ),
    ],
)
def test_malformed_bodies_are_4xx_naming_the_body(
    client: TestClient, content: bytes, headers: dict[str, str], field: str
) -> None:
    assert_error(client.post(TEXT_TRACE, content=content, headers=headers), 422, field)


def test_invalid_utf8_is_a_400_in_the_error_shape(http: httpx.Client) -> None:
    response = http.post(TEXT_TRACE, content=b'{"input": "\xff\xfe film"}', headers=JSON)
    assert response.status_code in (400, 422)
    assert_error(response, response.status_code)


def test_unknown_route_and_wrong_method_use_the_error_shape(client: TestClient) -> None:
    assert_error(client.get("/api/v1/nothing-here"), 404)
    body = assert_error(client.get(TEXT_TRACE), 405)
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

    monkeypatch.setattr(LoadedModel, "predict", broken)
    app = create_app(Settings(models_dir=tiny_models_dir, data_dir=tmp_path))
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.post("/api/v1/models/tiny-text-gru/predict", json={"inputs": ["a"]})
    body = assert_error(response, 500)
    assert body["detail"][0]["type"] == "internal_error"
    assert "boom" not in response.text

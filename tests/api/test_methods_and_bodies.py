"""Bodies that cannot be read are 422s naming `body`; HEAD and OPTIONS work; path patterns."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.zoo.spec import MODEL_ID_PATTERN

TRACE = "/api/v1/models/tiny-text-gru/trace"
JSON = {"content-type": "application/json"}


@pytest.mark.parametrize(
    ("content", "code"),
    [
        pytest.param(b'{"input": "\xff\xfe film"}', "not_utf8", id="not-utf8"),
        pytest.param(b"[" * 50_000 + b"]" * 50_000, "too_deep", id="nested-50k-deep"),
        pytest.param(b'{"input": [[' + b"9" * 5000 + b"]]}", "too_large_number", id="5000-digits"),
    ],
)
def test_unreadable_json_bodies_are_422_naming_the_body(
    client: TestClient, content: bytes, code: str
) -> None:
    response = client.post(TRACE, content=content, headers=JSON)
    assert response.status_code == 422, response.text
    item = response.json()["detail"][0]
    assert (item["field"], item["code"]) == ("body", code)
    assert item["msg"].startswith("body ")


def test_a_10000_character_file_name_is_a_documented_400(client: TestClient) -> None:
    response = client.post("/api/v1/models", files={"file": ("x" * 10_000 + ".keras", b"abc")})
    assert response.status_code in (400, 422), response.text
    assert response.json()["detail"][0]["code"] in ("bad_request", "invalid_model")
    schema = client.get("/openapi.json").json()
    assert "400" in schema["paths"]["/api/v1/models"]["post"]["responses"]


@pytest.mark.parametrize(
    ("path", "allow"),
    [
        pytest.param("/api/v1/models", "GET, HEAD, OPTIONS, POST", id="list-and-upload"),
        pytest.param("/api/v1/models/tiny-text-gru", "DELETE, GET, HEAD, OPTIONS", id="model"),
        pytest.param(TRACE, "OPTIONS, POST", id="trace"),
        pytest.param("/healthz", "GET, HEAD, OPTIONS", id="health"),
    ],
)
def test_options_and_405_name_every_method_of_the_path(
    client: TestClient, path: str, allow: str
) -> None:
    options = client.options(path)
    assert (options.status_code, options.headers["allow"]) == (204, allow)
    refused = client.put(path)
    assert (refused.status_code, refused.headers["allow"]) == (405, allow)


def test_options_on_an_unknown_path_is_404(client: TestClient) -> None:
    assert client.options("/no/such/path").status_code == 404


@pytest.mark.parametrize("path", ["/healthz", "/api/v1/models", "/api/v1/models/tiny-text-gru"])
def test_head_answers_like_get_without_a_body(client: TestClient, path: str) -> None:
    got, head = client.get(path), client.head(path)
    assert head.status_code == got.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == got.headers["content-type"]


def test_path_parameters_carry_their_pattern(client: TestClient) -> None:
    """Model ids carry the model-id pattern; every other string has a pattern or an enum, and
    every number its type."""
    paths = client.get("/openapi.json").json()["paths"]
    for path, operations in paths.items():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] != "path":
                    continue
                schema = parameter["schema"]
                if parameter["name"] == "model_id":
                    assert schema["pattern"] == MODEL_ID_PATTERN, path
                elif schema.get("type") == "string":
                    assert "pattern" in schema or "enum" in schema, (path, parameter["name"])
                else:
                    assert schema.get("type") == "integer", (path, parameter["name"])

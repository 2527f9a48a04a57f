"""The optional bearer token, the offline /docs and the OpenAPI schema, gzip."""

from __future__ import annotations

import gzip
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from app.apibench import UvicornProcess


@pytest.fixture(scope="module")
def guarded(
    start_server: Callable[..., UvicornProcess], tiny_models_dir: Path
) -> Iterator[httpx.Client]:
    server = start_server(
        {"GATESCOPE_TOKEN": "classroom-secret", "GATESCOPE_MODELS_DIR": str(tiny_models_dir)}
    )
    with httpx.Client(base_url=server.url, timeout=30) as client:
        yield client


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="no-header"),
        pytest.param({"Authorization": "Bearer wrong"}, id="wrong-token"),
        pytest.param({"Authorization": "Basic Y2xhc3Nyb29tLXNlY3JldA=="}, id="basic-scheme"),
        pytest.param({"Authorization": "Bearer classroom-secret-and-more"}, id="longer-token"),
        pytest.param({"Authorization": "Bearer"}, id="scheme-without-token"),
    ],
)
def test_api_needs_the_token_when_set(guarded: httpx.Client, headers: dict[str, str]) -> None:
    for response in (
        guarded.get("/api/v1/models", headers=headers),
        guarded.post("/api/v1/models/tiny-text-gru/trace", json={"input": "a"}, headers=headers),
    ):
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert response.json()["detail"][0]["loc"] == ["header", "authorization"]


def test_api_answers_with_the_token(guarded: httpx.Client) -> None:
    headers = {"Authorization": "Bearer classroom-secret"}
    assert guarded.get("/api/v1/models", headers=headers).status_code == 200
    response = guarded.post(
        "/api/v1/trace",
        json={"cell": "gru", "input_size": 1, "hidden_size": 2, "input": [1.0]},
        headers=headers,
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    "path", ["/healthz", "/", "/docs", "/docs/assets/swagger-ui.css", "/openapi.json"]
)
def test_pages_docs_and_health_stay_open(guarded: httpx.Client, path: str) -> None:
    assert guarded.get(path).status_code == 200


def test_static_files_stay_open(guarded: httpx.Client) -> None:
    static = Path(__file__).resolve().parents[2] / "static"
    some_file = next(path for path in static.rglob("*") if path.is_file())
    response = guarded.get(f"/static/{some_file.relative_to(static).as_posix()}")
    assert response.status_code == 200


def test_swagger_ui_is_served_with_no_external_url(client: TestClient) -> None:
    html = client.get("/docs").text
    assert "SwaggerUIBundle" in html
    assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", html, re.IGNORECASE), html
    for asset in re.findall(r'(?:href|src)="([^"]+)"', html):
        assert asset.startswith("/docs/assets/")
        assert client.get(asset).status_code == 200


def test_swagger_ui_reads_openapi_3_1_under_a_csp(client: TestClient) -> None:
    """Swagger UI 3.20 could not read OpenAPI 3.1 ('no valid version field'); 5.x can."""
    assert client.get("/openapi.json").json()["openapi"].startswith("3.1")
    bundle = client.get("/docs/assets/swagger-ui-bundle.js").text
    major = re.search(r'PACKAGE_VERSION:"(\d+)\.', bundle)
    assert major and int(major.group(1)) >= 5
    policy = client.get("/docs").headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert re.search(r"script-src 'self' 'sha256-[A-Za-z0-9+/=]+';", policy), policy
    assert "connect-src 'self'" in policy


def test_health_answers_head(client: TestClient) -> None:
    response = client.head("/healthz")
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["x-gatescope-worker"]


def test_redoc_is_off(client: TestClient) -> None:
    assert client.get("/redoc").status_code == 404


def test_openapi_documents_every_endpoint_with_models_and_examples(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    paths = schema["paths"]
    expected = {
        ("/api/v1/models", "get"): "ModelList",
        ("/api/v1/models/{model_id}", "get"): "ModelDetail",
        ("/api/v1/models/{model_id}/trace", "post"): "TraceResponse",
        ("/api/v1/models/{model_id}/predict", "post"): "PredictResponse",
        ("/api/v1/trace", "post"): "TraceResponse",
    }
    for (path, method), model in expected.items():
        operation = paths[path][method]
        assert operation["description"], path
        ok = operation["responses"]["200"]["content"]
        assert ok["application/json"]["schema"]["$ref"].endswith(model)
        errors = operation["responses"]["422"]["content"]["application/json"]["schema"]
        assert errors["$ref"].endswith("ErrorResponse")
        if method == "post":
            body = operation["requestBody"]["content"]["application/json"]
            assert body["examples"], path
    trace = paths["/api/v1/models/{model_id}/trace"]["post"]["responses"]["200"]["content"]
    assert {"text/csv", "application/x-npz"} <= set(trace)
    # Bearer auth is in the schema only when the server has a token: tests/api/test_security.py


def test_large_json_is_gzipped_when_accepted(http: httpx.Client) -> None:
    body = {"cell": "lstm", "input_size": 1, "hidden_size": 64, "input": [0.5] * 50}
    with http.stream(
        "POST", "/api/v1/trace", json=body, headers={"Accept-Encoding": "gzip"}
    ) as response:
        raw = b"".join(response.iter_raw())
    assert response.headers["content-encoding"] == "gzip"
    assert "Accept-Encoding" in response.headers["vary"]
    plain = http.post("/api/v1/trace", json=body, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert gzip.decompress(raw) == plain.content
    assert len(raw) < len(plain.content) / 2


def test_model_list_is_gzipped_by_the_middleware(http: httpx.Client) -> None:
    with http.stream("GET", "/api/v1/models", headers={"Accept-Encoding": "gzip"}) as response:
        raw = b"".join(response.iter_raw())
    assert response.headers["content-encoding"] == "gzip"
    assert gzip.decompress(raw).startswith(b'{"data":')


def test_small_responses_are_not_gzipped(http: httpx.Client) -> None:
    response = http.get("/healthz", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in response.headers


def test_npz_is_not_gzipped_again(http: httpx.Client) -> None:
    body = {"cell": "lstm", "input_size": 1, "hidden_size": 64, "input": [0.5] * 50}
    response = http.post("/api/v1/trace?format=npz", json=body, headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in response.headers

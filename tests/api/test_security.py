"""Guards before the body: the token, other sites' pages, the security headers, the schema.

Each guard answers from the request line and headers alone, so the tests that matter send a
declared body and never send it: a 401 or 403 must come back regardless.
"""

from __future__ import annotations

import base64
import hashlib
import re
import socket
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from app.apibench import UvicornProcess
from app.config import Settings
from app.main import create_app

TOKEN = "classroom-secret"
UPLOAD_BYTES = 45_000_000


def raw_exchange(url: str, head: str, timeout: float = 10.0) -> bytes:
    """Send a request's head only (its body is declared, never sent) and read the answer."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(head.encode())
        sock.sendall(b"--x\r\n" + b"\0" * 65_536)  # a start; the other 45 MB never come
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = sock.recv(65_536)
            if not chunk:
                break
            answer += chunk
        return answer


def upload_head(headers: str = "") -> str:
    return (
        "POST /api/v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: multipart/form-data; boundary=x\r\n"
        f"Content-Length: {UPLOAD_BYTES}\r\n{headers}\r\n"
    )


@pytest.fixture(scope="module")
def guarded(start_server: Callable[..., UvicornProcess], tiny_models_dir: Path) -> UvicornProcess:
    return start_server({"GATESCOPE_TOKEN": TOKEN, "GATESCOPE_MODELS_DIR": str(tiny_models_dir)})


def test_a_45_mb_upload_without_the_token_gets_401_before_its_body(
    guarded: UvicornProcess,
) -> None:
    answer = raw_exchange(guarded.url, upload_head())
    assert answer.startswith(b"HTTP/1.1 401"), answer[:200]
    assert b"www-authenticate: Bearer" in answer.lower().replace(b"bearer", b"Bearer")


def test_a_cross_site_upload_gets_403_before_its_body(tiny_server: UvicornProcess) -> None:
    answer = raw_exchange(
        tiny_server.url,
        upload_head("Origin: https://evil.example\r\nSec-Fetch-Site: cross-site\r\n"),
    )
    assert answer.startswith(b"HTTP/1.1 403"), answer[:200]
    assert b"cross_origin" in answer or b"connection: close" in answer.lower()


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        pytest.param({"Origin": "https://evil.example"}, 403, id="other-origin"),
        pytest.param({"Origin": "null"}, 403, id="null-origin"),
        pytest.param({"Sec-Fetch-Site": "cross-site"}, 403, id="cross-site-no-origin"),
        pytest.param({"Origin": "https://class.example"}, 404, id="allowed-origin"),
        pytest.param({"Origin": "http://testserver"}, 404, id="same-origin"),
        pytest.param({"Sec-Fetch-Site": "same-origin"}, 404, id="fetch-same-origin"),
        pytest.param({}, 404, id="not-a-browser"),
    ],
)
def test_changes_from_other_sites_are_refused(
    headers: dict[str, str], status: int, tiny_models_dir: Path, tmp_path: Path
) -> None:
    settings = Settings(
        models_dir=tiny_models_dir, data_dir=tmp_path, allowed_origins="https://class.example"
    )
    with TestClient(create_app(settings)) as client:
        response = client.delete("/api/v1/models/not-there", headers=headers)
        assert response.status_code == status, response.text
        if status == 403:
            assert response.json()["detail"][0]["code"] == "cross_origin"
        read = client.get("/api/v1/models", headers=headers)  # reading is never refused
        assert read.status_code == 200


@pytest.mark.parametrize("path", ["/", "/docs", "/api/v1/models", "/api/v1/models/nope"])
def test_every_response_carries_the_security_headers(client: TestClient, path: str) -> None:
    headers = client.get(path).headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "same-origin"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]


def test_docs_has_a_strict_csp_that_allows_its_own_inline_script(client: TestClient) -> None:
    response = client.get("/docs")
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "'unsafe-inline'" not in policy.split("style-src")[0]
    for script in re.findall(r"<script>(.*?)</script>", response.text, re.DOTALL):
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy


@pytest.mark.parametrize("token", ["", "   "])
def test_an_empty_token_is_refused_at_start_up(token: str) -> None:
    with pytest.raises(ValidationError, match="GATESCOPE_TOKEN is set but empty"):
        Settings(token=token)


def test_an_empty_token_stops_the_server_with_a_clear_message(
    tmp_path: Path, tiny_models_dir: Path
) -> None:
    from app.apibench import start_uvicorn

    env = {"GATESCOPE_TOKEN": "", "GATESCOPE_MODELS_DIR": str(tiny_models_dir)}
    with pytest.raises(RuntimeError, match="GATESCOPE_TOKEN is set but empty"):
        start_uvicorn(env, tmp_path, timeout=60)


def operations(schema: dict[str, object]) -> list[dict[str, object]]:
    paths = schema["paths"]
    assert isinstance(paths, dict)
    return [op for path in paths.values() for op in path.values()]


def test_the_schema_needs_no_bearer_auth_without_a_token(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert all("security" not in operation for operation in operations(schema))
    assert "securitySchemes" not in schema.get("components", {})


def test_the_schema_has_bearer_auth_with_a_token(guarded: UvicornProcess) -> None:
    schema = httpx.get(f"{guarded.url}/openapi.json", timeout=30).json()
    secured = [op for op in operations(schema) if "security" in op]
    assert secured and all(op["security"] == [{"HTTPBearer": []}] for op in secured)
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"

"""413 for bodies over GATESCOPE_MAX_BODY_BYTES: declared, streamed, or lied about."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest

from app.api.middleware import BodyLimitMiddleware
from app.apibench import UvicornProcess

TRACE = "/api/v1/models/tiny-text-gru/trace"
LIMIT = 2_000_000


def test_declared_oversized_body_is_a_413_before_reading(http: httpx.Client) -> None:
    body = b'{"input": "' + b"a" * (LIMIT + 10) + b'"}'
    response = http.post(TRACE, content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    detail = response.json()["detail"][0]
    assert (detail["loc"], detail["type"]) == (["body"], "too_large")
    assert "2000000 bytes" in detail["msg"]


def test_streamed_body_without_length_is_cut_off_with_a_413(http: httpx.Client) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"input": "'
        for _ in range(40):
            yield b"a" * 100_000
        yield b'"}'

    response = http.post(TRACE, content=chunks(), headers={"Content-Type": "application/json"})
    assert "content-length" not in response.request.headers
    assert response.status_code == 413


def raw_exchange(server: UvicornProcess, request: bytes) -> bytes:
    """Send raw bytes on a fresh connection; return what came back before the server closed.

    The server may close (or reset) the connection before all of the request is sent.
    """
    url = urlparse(server.url)
    received = b""
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        try:
            sock.sendall(request)
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except ConnectionResetError:
            pass
    return received


def test_body_longer_than_its_content_length_does_not_get_through(
    tiny_server: UvicornProcess,
) -> None:
    payload = b'{"input": "a great film"}' + b" " * 3_000_000
    head = (
        f"POST {TRACE} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: 10\r\n\r\n"
    ).encode()
    answer = raw_exchange(tiny_server, head + payload)
    # Only ten bytes are the body (invalid JSON: 422); the rest is not a valid next request.
    assert answer.startswith(b"HTTP/1.1 4"), answer[:300]
    assert b"HTTP/1.1 2" not in answer and b"HTTP/1.1 5" not in answer


def test_content_length_larger_than_the_body_is_not_a_5xx(tiny_server: UvicornProcess) -> None:
    head = (
        f"POST {TRACE} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: 5000\r\n\r\n"
    ).encode()
    answer = raw_exchange(tiny_server, head + b'{"input": "a"}')
    assert not answer.startswith(b"HTTP/1.1 5"), answer[:300]


# -- the middleware on its own ---------------------------------------------------------------


class Recorder:
    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []

    async def __call__(self, message: dict[str, Any]) -> None:
        self.messages.append(message)

    @property
    def status(self) -> int:
        return int(self.messages[0]["status"])


def receiver(chunks: list[bytes]) -> Any:
    messages = [
        {"type": "http.request", "body": chunk, "more_body": index < len(chunks) - 1}
        for index, chunk in enumerate(chunks)
    ]

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    return receive


async def reading_app(scope: Any, receive: Any, send: Any) -> None:
    """An app that reads the whole body, swallows read errors (as FastAPI does) and answers 400."""
    status = 200
    try:
        while (await receive())["more_body"]:
            pass
    except Exception:
        status = 400
    await send({"type": "http.response.start", "status": status, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


def scope(headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    return {"type": "http", "method": "POST", "path": "/", "headers": headers}


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("headers", "chunks", "status"),
    [
        pytest.param([], [b"a" * 600, b"a" * 600], 413, id="chunked-over"),
        pytest.param([(b"content-length", b"10")], [b"a" * 2000], 413, id="lying-length"),
        pytest.param([(b"content-length", b"5000")], [b""], 413, id="declared-over"),
        pytest.param([(b"content-length", b"junk")], [b"a" * 10], 200, id="junk-length-small"),
        pytest.param([], [b"a" * 1000], 200, id="at-the-limit"),
        pytest.param(
            [(b"content-type", b"multipart/form-data; boundary=x")],
            [b"a" * 3000],
            200,
            id="uploads-get-their-own-limit",
        ),
    ],
)
async def test_middleware_counts_what_arrives(
    headers: list[tuple[bytes, bytes]], chunks: list[bytes], status: int
) -> None:
    middleware = BodyLimitMiddleware(reading_app, max_bytes=1000, max_upload_bytes=4000)
    send = Recorder()
    await middleware(scope(headers), receiver(chunks), send)
    assert send.status == status
    assert len([m for m in send.messages if m["type"] == "http.response.start"]) == 1

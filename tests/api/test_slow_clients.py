"""A client that stops sending its body cannot hold a connection: 408, then the server closes."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

from app.apibench import UvicornProcess


def test_a_body_that_stops_arriving_gets_408_and_a_closed_connection(
    start_server: Callable[..., UvicornProcess], tiny_models_dir: Path
) -> None:
    server = start_server(
        {"GATESCOPE_BODY_TIMEOUT": "1", "GATESCOPE_MODELS_DIR": str(tiny_models_dir)}
    )
    host, port = server.url.removeprefix("http://").split(":")
    head = (
        "POST /api/v1/models/tiny-text-gru/trace HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"
    )
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(head.encode() + b'{"input": "a')  # and then nothing more
        answer = b""
        while chunk := sock.recv(65_536):  # ends when the server closes the connection
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert b"request_timeout" in answer

"""Two gatescope servers on one data dir behind Debian's nginx, configured as docs/deploy.md says.

The nginx `upstream`/`server` blocks are read from docs/deploy.md (only the ports and listen
address swapped for free ones on 127.0.0.1), wrapped in a main configuration that keeps nginx's
pid, logs and temporary files in a tmp dir. Through the proxy: an upload is listed and traced by
BOTH servers (each asked directly), a delete is seen by both, an atlas index built by one is
served by the other; and slow clients are absorbed: a client that dribbles its headers and body
over seconds costs gatescope a request of milliseconds (its access log says), where the same
client straight at gatescope gets a 408.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from app.apibench import UvicornProcess, free_port, start_uvicorn
from tests.conftest import REPO, STARTUP_TIMEOUT

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
DEPLOY_DOC = REPO / "docs" / "deploy.md"
DOC_UPSTREAMS = ("127.0.0.1:8001", "127.0.0.1:8002")
BODY_TIMEOUT = 1.0  # gatescope's own: a pause longer than this straight at it is a 408
PAUSE = 1.6  # the slow client's pauses: longer than gatescope's timeout, shorter than nginx's

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        NGINX is None,
        reason="nginx is not installed (apt-get install nginx-light; make test does it as root)",
    ),
]


def doc_nginx_config() -> str:
    """The ```nginx block of docs/deploy.md."""
    found = re.search(r"```nginx\n(.*?)```", DEPLOY_DOC.read_text(encoding="utf-8"), re.DOTALL)
    assert found, f"{DEPLOY_DOC} has no nginx block"
    return found.group(1)


def temp_path_directives(prefix: Path) -> str:
    """This nginx build's temporary paths (`nginx -V`), moved into prefix."""
    built = subprocess.run([str(NGINX), "-V"], capture_output=True, text=True).stderr
    kinds = re.findall(r"--http-(\w+)-temp-path=", built)
    lines = []
    for kind in kinds:
        (prefix / kind).mkdir(exist_ok=True)
        directive = "client_body_temp_path" if kind == "client-body" else f"{kind}_temp_path"
        lines.append(f"{directive} {prefix / kind};")
    return "\n    ".join(lines)


def nginx_config(prefix: Path, port: int, upstreams: list[str]) -> str:
    site = doc_nginx_config()
    for documented, actual in zip(DOC_UPSTREAMS, upstreams, strict=True):
        assert f"server {documented};" in site
        site = site.replace(f"server {documented};", f"server {actual};")
    assert "listen 80;" in site
    site = site.replace("listen 80;", f"listen 127.0.0.1:{port};")
    user = "user root;" if os.geteuid() == 0 else ""  # workers write the tmp dir we own
    return f"""
daemon off;
worker_processes 1;
{user}
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log {prefix}/access.log;
    {temp_path_directives(prefix)}
{site}
}}
"""


@dataclass
class Deployment:
    proxy: str
    servers: list[UvicornProcess]
    data_dir: Path
    nginx_log: Path


def wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"nginx exited: {log.read_text(errors='replace')}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nginx did not listen: {log.read_text(errors='replace')}")


@pytest.fixture(scope="module")
def deployment(
    tmp_path_factory: pytest.TempPathFactory, tiny_models_dir: Path
) -> Iterator[Deployment]:
    data_dir = tmp_path_factory.mktemp("shared-data")
    env = {
        "GATESCOPE_MODELS_DIR": str(tiny_models_dir),
        "GATESCOPE_DATA_DIR": str(data_dir),
        "GATESCOPE_ACCESS_LOG": "json",
        "GATESCOPE_BODY_TIMEOUT": str(BODY_TIMEOUT),
    }
    servers: list[UvicornProcess] = []
    nginx: subprocess.Popen[bytes] | None = None
    try:
        for _ in range(2):
            servers.append(start_uvicorn(env, data_dir, timeout=STARTUP_TIMEOUT))
        prefix = tmp_path_factory.mktemp("nginx")
        port = free_port()
        upstreams = [server.url.removeprefix("http://") for server in servers]
        (prefix / "nginx.conf").write_text(nginx_config(prefix, port, upstreams))
        log = prefix / "stderr.log"
        with log.open("wb") as output:
            nginx = subprocess.Popen(
                [str(NGINX), "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-e", str(log)],
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        wait_for_port(port, nginx, log)
        yield Deployment(f"http://127.0.0.1:{port}", servers, data_dir, prefix / "error.log")
    finally:
        if nginx is not None:
            nginx.terminate()
            nginx.wait(timeout=15)
        for server in servers:
            server.stop()


def upload_files(tiny_models_dir: Path) -> dict[str, Any]:
    source = tiny_models_dir / "tiny-text-gru"
    return {
        "file": ("weights.safetensors", (source / "weights.safetensors").read_bytes()),
        "config": ("config.json", (source / "config.json").read_bytes()),
    }


def model_ids(url: str) -> set[str]:
    response = httpx.get(f"{url}/api/v1/models", timeout=30)
    assert response.status_code == 200, response.text
    return {model["id"] for model in response.json()["data"]}


def test_an_upload_through_the_proxy_is_listed_traced_and_deleted_by_both_servers(
    deployment: Deployment, tiny_models_dir: Path
) -> None:
    created = httpx.post(
        f"{deployment.proxy}/api/v1/models",
        files=upload_files(tiny_models_dir),
        data={"id": "shared-upload"},
        timeout=60,
    )
    assert created.status_code == 201, created.text
    body = {"input": "a great film"}
    traces = []
    for server in deployment.servers:
        assert "shared-upload" in model_ids(server.url), server.url
        traced = httpx.post(
            f"{server.url}/api/v1/models/shared-upload/trace?precision=full", json=body, timeout=30
        )
        assert traced.status_code == 200, traced.text
        traces.append(traced.json())
    assert traces[0] == traces[1], "the two servers traced the upload differently"

    deleted = httpx.delete(f"{deployment.proxy}/api/v1/models/shared-upload", timeout=30)
    assert deleted.status_code == 204, deleted.text
    for server in deployment.servers:
        assert "shared-upload" not in model_ids(server.url), server.url
        gone = httpx.post(f"{server.url}/api/v1/models/shared-upload/trace", json=body, timeout=30)
        assert gone.status_code == 404, (server.url, gone.text)


def test_an_atlas_built_through_the_proxy_is_served_by_both_servers(
    deployment: Deployment,
) -> None:
    path = "/api/v1/models/tiny-text-gru/atlas"
    corpus = "a great film\na dull film\ngreat acting and a good plot\nbad plot, dull acting\n"
    started = httpx.post(
        f"{deployment.proxy}{path}", files={"corpus": ("reviews.txt", corpus.encode())}, timeout=60
    )
    assert started.status_code in (200, 202), started.text
    deadline = time.monotonic() + 60
    ready: dict[str, Any] = {}
    while len(ready) < 2 and time.monotonic() < deadline:
        for server in deployment.servers:
            status = httpx.get(f"{server.url}{path}", timeout=30).json()
            if status["status"] == "ready":
                ready[server.url] = status
        time.sleep(0.2)
    assert len(ready) == 2, f"ready on {sorted(ready)} only"
    first, second = ready.values()
    assert first == second
    assert first["corpus"]["name"] == "reviews.txt" and first["corpus"]["documents"] == 4


def slow_request(port: int, marker: str, direct: bool) -> tuple[bytes, float]:
    """A trace request whose headers and body arrive in pieces PAUSE seconds apart; the answer
    and how long the client took."""
    body = b'{"input": "a great film"}'
    head = (
        "POST /api/v1/models/tiny-text-gru/trace HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"X-Forwarded-For: {marker}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    pieces = [head[:40], head[40:], body[:10], body[10:]]
    if direct:
        pieces = [head + body[:10], body[10:]]  # gatescope waits for headers for ever: the body
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        for index, piece in enumerate(pieces):
            if index:
                time.sleep(PAUSE)
            try:
                sock.sendall(piece)
            except OSError:
                break  # the server gave up on us
        answer = b""
        while chunk := sock.recv(65_536):
            answer += chunk
    return answer, time.monotonic() - started


def logged(server: UvicornProcess, marker: str) -> list[dict[str, Any]]:
    entries = []
    for line in server.log().splitlines():
        if line.startswith("{") and marker in line:
            entries.append(orjson.loads(line))
    return entries


def test_the_proxy_absorbs_a_slow_client(deployment: Deployment) -> None:
    proxy_port = int(deployment.proxy.rsplit(":", 1)[1])
    answer, took = slow_request(proxy_port, "slow-through-proxy", direct=False)
    assert answer.startswith(b"HTTP/1.1 200"), answer[:300]
    assert took >= 3 * PAUSE
    entries = [
        entry for server in deployment.servers for entry in logged(server, "slow-through-proxy")
    ]
    assert len(entries) == 1, entries
    # nginx sent the request whole: gatescope held it for milliseconds, not the client's seconds.
    assert entries[0]["status"] == 200
    assert entries[0]["duration_ms"] < BODY_TIMEOUT * 1000 / 2, entries[0]

    direct_port = int(deployment.servers[0].url.rsplit(":", 1)[1])
    answer, _ = slow_request(direct_port, "slow-direct", direct=True)
    assert answer.startswith(b"HTTP/1.1 408"), answer[:300]

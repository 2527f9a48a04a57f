"""Memory comes back: after any mix of requests the server's RSS is within a stated bound of idle.

Sixteen one-step ad-hoc requests of 1.3 KB each (LSTM 256 -> 512, four layers, bidirectional,
each with its own seed: 22 M parameters, 88 MB per network) once pinned 1.4 GB, because the
seeded-module cache kept sixteen networks whatever their size. Caches are now bounded in bytes,
and the bound below (stated in the README) is the two caches' budgets plus allocator slack.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from app.apibench import UvicornProcess
from app.recurrent.seeded import SEEDED_CACHE_BYTES

MB = 1_000_000
SLACK_BYTES = 150 * MB  # torch's and the allocator's own working memory after big requests
CACHE_BYTES = 64 * MB  # GATESCOPE_CACHE_BYTES's default


def rss_bytes(pid: int) -> int:
    """The process's resident set size, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS for {pid}")


def big_network(seed: int) -> dict[str, object]:
    row = [0.1] * 256
    return {
        "cell": "lstm",
        "input_size": 256,
        "hidden_size": 512,
        "num_layers": 4,
        "bidirectional": True,
        "seed": seed,
        "input": [row],
    }


@pytest.mark.slow
def test_memory_returns_near_idle_after_big_networks_and_traces(
    start_server: Callable[..., UvicornProcess],
) -> None:
    server = start_server({"GATESCOPE_HEAVY_QUEUE": "64"})  # its own server: RSS is its own
    with httpx.Client(base_url=server.url, timeout=300) as client:
        for _ in range(3):  # warm: first traces, first gzip, first thread caches
            small = {"cell": "gru", "input_size": 1, "hidden_size": 4, "seed": 1, "input": [1.0]}
            assert client.post("/api/v1/trace", json=small).status_code == 200
            text = {"input": "이 영화 정말 재미있어요"}
            assert (
                client.post("/api/v1/models/sentiment-ko-gru/trace", json=text).status_code == 200
            )
        idle = rss_bytes(server.process.pid)

        for seed in range(16):
            response = client.post("/api/v1/trace", json=big_network(seed))
            assert response.status_code == 200, response.text
        long_trace = {
            "cell": "lstm",
            "input_size": 8,
            "hidden_size": 512,
            "seed": 3,
            "input": [[0.5] * 8] * 1000,
        }
        assert client.post("/api/v1/trace", json=long_trace).status_code == 200
        after = rss_bytes(server.process.pid)

    bound = SEEDED_CACHE_BYTES + CACHE_BYTES + SLACK_BYTES
    print(f"idle {idle / MB:.0f} MB, after {after / MB:.0f} MB, bound +{bound / MB:.0f} MB")
    assert after - idle <= bound, f"idle {idle / MB:.0f} MB, after {after / MB:.0f} MB"

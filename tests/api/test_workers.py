"""Several uvicorn workers agree: same models, same seeded networks, same answers.

Each round opens a new connection, asks /healthz which worker holds it (the pid in
X-Gatescope-Worker), and then asks that same worker (same keep-alive connection) for the model
list and an ad-hoc trace. The test fails unless two different processes answered.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import httpx

from app.api import WORKER_HEADER
from app.apibench import UvicornProcess

ROUNDS_AT_MOST = 200
SECONDS_AT_MOST = 60.0


def test_two_workers_give_the_same_answers(
    start_server: Callable[..., UvicornProcess], tiny_models_dir: Path
) -> None:
    server = start_server({"GATESCOPE_MODELS_DIR": str(tiny_models_dir)}, workers=2)
    body = {"cell": "gru", "input_size": 1, "hidden_size": 4, "seed": 5, "input": [0.1, 0.2]}
    answers: dict[str, set[bytes]] = {}
    counts: dict[str, set[int]] = {}
    started = time.monotonic()
    for _ in range(ROUNDS_AT_MOST):
        with httpx.Client(base_url=server.url, timeout=30) as client:  # a new connection
            worker = client.get("/healthz").headers[WORKER_HEADER]
            counts.setdefault(worker, set()).add(client.get("/api/v1/models").json()["count"])
            response = client.post("/api/v1/trace?precision=full", json=body)
            assert response.status_code == 200
            answers.setdefault(worker, set()).add(response.content)
        if len(answers) >= 2 or time.monotonic() - started > SECONDS_AT_MOST:
            break

    assert len(answers) == 2, f"only worker(s) {sorted(answers)} answered"
    assert set(answers) == set(counts)
    assert len(set().union(*answers.values())) == 1, "the workers traced differently"
    assert len(set().union(*counts.values())) == 1, "the workers list different models"

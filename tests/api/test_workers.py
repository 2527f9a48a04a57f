"""Several uvicorn workers agree: same models, same seeded networks, same answers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx

from app.apibench import UvicornProcess
from tests.conftest import TINY_IDS


def test_two_workers_give_the_same_answers(
    start_server: Callable[..., UvicornProcess], tiny_models_dir: Path
) -> None:
    server = start_server({"GATESCOPE_MODELS_DIR": str(tiny_models_dir)}, workers=2)
    body = {"cell": "gru", "input_size": 1, "hidden_size": 4, "seed": 5, "input": [0.1, 0.2]}
    answers = set()
    # New connections each time, so both worker processes get requests.
    for _ in range(12):
        with httpx.Client(base_url=server.url, timeout=30) as client:
            assert client.get("/api/v1/models").json()["count"] == len(TINY_IDS)
            response = client.post("/api/v1/trace?precision=full", json=body)
            assert response.status_code == 200
            answers.add(response.content)
    assert len(answers) == 1

"""The playground over HTTP, end to end on tiny runs: tasks, determinism, checkpoint traces,
save -> the explorer's trace of the saved model, limits, the NaN guard, the queue and the live
channel (server-sent events), including cancel on disconnect and two workers."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app

BASE = "/api/v1/playground"
TINY = {
    "task": "dyck1",
    "size": 8,
    "cell": "lstm",
    "hidden": 3,
    "batch_size": 8,
    "eval_every": 5,
    "checkpoint_every": 10,
    "learning_rate": 0.05,
}


@pytest.fixture(scope="module")
def app(tiny_models_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    settings = Settings(
        models_dir=tiny_models_dir,
        data_dir=tmp_path_factory.mktemp("playground-data"),
        playground_concurrent=1,
        playground_max_call_steps=200,
        playground_max_steps=400,
    )
    return create_app(settings)


@pytest.fixture(scope="module")
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


def start(client: TestClient, **changes: Any) -> dict[str, Any]:
    response = client.post(f"{BASE}/runs", json={**TINY, **changes})
    assert response.status_code == 201, response.text
    return response.json()


def events(lines: Iterator[str]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(event, data) pairs of a server-sent event stream."""
    event = None
    for line in lines:
        if line.startswith("event: "):
            event = line[7:]
        elif line.startswith("data: "):
            assert event is not None
            yield event, json.loads(line[6:])


def test_tasks_list_every_task_with_both_languages_and_a_baseline(client: TestClient) -> None:
    tasks = client.get(f"{BASE}/tasks").json()["tasks"]
    assert [task["name"] for task in tasks] == [
        "counter",
        "selective-counter",
        "latch",
        "dyck1",
        "parity",
        "adding",
        "copy",
        "sine",
    ]
    for task in tasks:
        assert task["explain"]["en"] and task["explain"]["ko"]
        assert task["baseline"]["loss"] > 0 and task["probe"]
    dyck = next(task for task in tasks if task["name"] == "dyck1")
    assert dyck["longer_test"] and dyck["size"]["default"] == 50


def test_runs_train_deterministically_through_the_api(client: TestClient) -> None:
    first, second = start(client), start(client)
    assert first["step"] == 0 and first["id"] != second["id"]
    a = client.post(f"{BASE}/runs/{first['id']}/train", json={"steps": 20}).json()
    for steps in (7, 13):
        b = client.post(f"{BASE}/runs/{second['id']}/train", json={"steps": steps}).json()
    assert (a["step"], b["step"], a["trained"], a["stopped"]) == (20, 20, 20, "done")
    assert a["history"] == client.get(f"{BASE}/runs/{second['id']}").json()["history"]
    assert a["probe_traces"] == b["probe_traces"]
    rows = a["history"]["lstm"]
    assert [row["step"] for row in rows] == [0, 5, 10, 15, 20]
    assert set(rows[-1]) >= {"train_loss", "test_loss", "test_accuracy", "gradient_norm"}
    since = client.get(f"{BASE}/runs/{first['id']}", params={"since": 10}).json()
    assert [row["step"] for row in since["history"]["lstm"]] == [15, 20]


def test_checkpoint_traces_and_save_open_in_the_explorer_with_the_same_gates(
    client: TestClient,
) -> None:
    run = start(client)
    client.post(f"{BASE}/runs/{run['id']}/train", json={"steps": 10})
    points = client.get(f"{BASE}/runs/{run['id']}").json()["checkpoints"]
    assert [point["step"] for point in points] == [0, 10]
    first = client.get(f"{BASE}/runs/{run['id']}/checkpoints/0/trace").json()
    latest = client.get(
        f"{BASE}/runs/{run['id']}/checkpoints/-1/trace", params={"input": "(()())"}
    ).json()
    assert (first["step"], latest["step"], latest["checkpoint"]) == (0, 10, 1)
    gates = latest["traces"]["lstm"]["layers"][0]["gates"]
    assert first["traces"]["lstm"]["layers"][0]["gates"] != gates
    saved = client.post(f"{BASE}/runs/{run['id']}/save", json={})
    assert saved.status_code == 201, saved.text
    model_id = saved.json()["id"]
    assert saved.json()["url"] == f"/?model={model_id}"
    model = client.get(f"/api/v1/models/{model_id}").json()
    assert model["task"] == "next-token" and "playground" in model["card"].lower()
    explorer = client.post(
        f"/api/v1/models/{model_id}/trace", json={"input": "(()())"}, params={"precision": "full"}
    ).json()
    layer = explorer["layers"][0]
    for name, values in gates.items():
        np.testing.assert_allclose(layer["gates"][name], values, atol=1e-4, err_msg=name)
    assert client.post(f"{BASE}/runs/{run['id']}/save", json={"id": model_id}).status_code == 409


def test_a_numeric_task_saves_as_a_regression_the_explorer_traces(client: TestClient) -> None:
    run = start(client, task="adding", size=6, cell="gru", checkpoint_every=5)
    client.post(f"{BASE}/runs/{run['id']}/train", json={"steps": 5})
    text = "0.5, 1\n0.25, 0\n0.75, 1"
    ours = client.get(f"{BASE}/runs/{run['id']}/checkpoints/-1/trace", params={"input": text})
    model_id = client.post(f"{BASE}/runs/{run['id']}/save").json()["id"]
    rows = [[0.5, 1], [0.25, 0], [0.75, 1]]
    theirs = client.post(
        f"/api/v1/models/{model_id}/trace", json={"input": rows}, params={"precision": "full"}
    ).json()
    np.testing.assert_allclose(
        theirs["layers"][0]["hidden"],
        ours.json()["traces"]["gru"]["layers"][0]["hidden"],
        atol=1e-4,
    )
    assert theirs["prediction"] is not None


def test_limits_and_bad_requests_use_the_one_error_shape(client: TestClient) -> None:
    run = start(client)
    too_many = client.post(f"{BASE}/runs/{run['id']}/train", json={"steps": 201})
    assert too_many.status_code == 422
    assert too_many.json()["detail"][0]["code"] == "above_maximum"
    huge = client.post(
        f"{BASE}/runs",
        json={
            **TINY,
            "task": "copy",
            "size": 100,
            "cell": "all",
            "hidden": 64,
            "layers": 2,
            "batch_size": 256,
        },
    )
    assert huge.status_code == 422 and huge.json()["detail"][0]["code"] == "run_too_large"
    bad = client.post(f"{BASE}/runs", json={**TINY, "hidden": 65})
    assert bad.status_code == 422 and bad.json()["detail"][0]["code"] == "above_maximum"
    missing = client.get(f"{BASE}/runs/run-000000000000")
    assert missing.status_code == 404 and missing.json()["detail"][0]["code"] == "unknown_run"
    symbol = client.get(f"{BASE}/runs/{run['id']}/checkpoints/0/trace", params={"input": "(x)"})
    assert symbol.status_code == 422 and symbol.json()["detail"][0]["code"] == "invalid_probe"
    assert client.get(f"{BASE}/runs/{run['id']}/checkpoints/5/trace").status_code == 404
    capped = start(client)
    for _ in range(2):
        client.post(f"{BASE}/runs/{capped['id']}/train", json={"steps": 200})
    last = client.post(f"{BASE}/runs/{capped['id']}/train", json={"steps": 1}).json()
    assert (last["stopped"], last["status"], last["step"]) == ("limit", "limit", 400)
    assert client.delete(f"{BASE}/runs/{run['id']}").status_code == 204
    assert client.get(f"{BASE}/runs/{run['id']}").status_code == 404


def test_nan_pauses_the_run_with_a_clear_message(client: TestClient) -> None:
    run = start(
        client,
        task="sine",
        size=5,
        cell="rnn",
        optimizer="sgd",
        learning_rate=100,
        gradient_clip=None,
    )
    trained = client.post(f"{BASE}/runs/{run['id']}/train", json={"steps": 50}).json()
    assert trained["stopped"] == "paused" and trained["status"] == "paused"
    assert "lower" in trained["message"].lower()
    again = client.post(f"{BASE}/runs/{run['id']}/train", json={"steps": 1})
    assert again.status_code == 409 and again.json()["detail"][0]["code"] == "run_paused"


def test_live_channel_streams_updates_until_max_steps(client: TestClient) -> None:
    run = start(client)
    url = f"{BASE}/runs/{run['id']}/live"
    seen = []
    with client.stream("GET", url, params={"max_steps": 15, "steps_per_event": 5}) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        for event, data in events(response.iter_lines()):
            seen.append((event, data.get("step")))
            if event == "update":
                assert data["probe_traces"]["lstm"]["layers"][0]["gates"]["forget"]
            if event == "end":
                assert data["reason"] == "max_steps"
                break
    assert seen == [("open", 0), ("update", 5), ("update", 10), ("update", 15), ("end", None)]


def test_live_channel_waits_in_the_queue_and_says_its_position(
    client: TestClient, app: FastAPI
) -> None:
    run = start(client)
    client.get(f"{BASE}/runs/{run['id']}")  # the app's slots exist from here on
    slots = app.state.playground_slots
    holder = object()
    assert slots.enter(holder)
    released = threading.Timer(0.8, slots.leave)
    released.start()
    seen = []
    url = f"{BASE}/runs/{run['id']}/live"
    with client.stream("GET", url, params={"max_steps": 2, "steps_per_event": 2}) as response:
        for event, data in events(response.iter_lines()):
            seen.append(event)
            if event == "queued":
                assert data["position"] == 1
            if event == "end":
                break
    released.join()
    assert seen[0] == "open" and "queued" in seen and seen[-2:] == ["update", "end"]


@pytest.fixture(scope="module")
def two_workers(start_server: Callable[..., Any], tiny_models_dir: Path) -> Any:
    env = {"GATESCOPE_PLAYGROUND_CONCURRENT": "1", "GATESCOPE_MODELS_DIR": str(tiny_models_dir)}
    return start_server(env, workers=2)


def test_two_workers_serve_one_run_and_live_training_stops_on_disconnect(
    two_workers: Any,
) -> None:
    with httpx.Client(base_url=two_workers.url, timeout=60) as http:
        run = http.post(f"{BASE}/runs", json=TINY).json()
    steps = []
    for _ in range(6):  # fresh connections, so both workers answer some
        with httpx.Client(base_url=two_workers.url, timeout=60) as http:
            trained = http.post(f"{BASE}/runs/{run['id']}/train", json={"steps": 3}).json()
            steps.append(trained["step"])
    assert steps == [3, 6, 9, 12, 15, 18]
    with httpx.Client(base_url=two_workers.url, timeout=60) as http:
        with http.stream("GET", f"{BASE}/runs/{run['id']}/live") as response:
            updates = 0
            for event, _ in events(response.iter_lines()):
                updates += event == "update"
                if updates == 2:
                    break
        time.sleep(1.5)  # a chunk in flight may finish
        stopped_at = http.get(f"{BASE}/runs/{run['id']}").json()["step"]
        time.sleep(1.5)
        assert http.get(f"{BASE}/runs/{run['id']}").json()["step"] == stopped_at > 18

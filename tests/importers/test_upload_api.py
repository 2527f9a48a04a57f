"""POST /api/v1/models and DELETE /api/v1/models/{id}, in-process and on a real 2-worker server.

An uploaded model is served like a shipped one: listed as "uploaded", described, traced,
exported and predicted (equal to Keras's own predict), then deleted for every worker.
"""

from __future__ import annotations

import http.client
import io
import json
import socket
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import numpy as np
import pytest
import torch
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from tests.conftest import LiveServer
from tests.importers.helpers import WritesMarker, save_both, stored_entries
from tests.importers.kerasmodels import Case, numbers_case, numbers_sequential, text_case

UPLOAD_URL = "/api/v1/models"


@pytest.fixture(scope="module")
def classifier(keras: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> tuple[Case, bytes]:
    """The notes' Embedding -> GRU -> Dense(1, sigmoid), trained briefly, as .keras bytes."""
    keras.backend.clear_session()
    layers = keras.layers
    case = text_case(
        keras, [layers.Embedding(60, 8), layers.GRU(6), layers.Dense(1, activation="sigmoid")]
    )
    path = tmp_path_factory.mktemp("upload") / "notes-gru.keras"
    case.model.save(path)
    return case, path.read_bytes()


def make_client(tmp_path: Path, tiny_models_dir: Path, **settings: Any) -> TestClient:
    options = {"models_dir": tiny_models_dir, "data_dir": tmp_path / "data", **settings}
    return TestClient(create_app(Settings(**options)))


@pytest.fixture
def client(tmp_path: Path, tiny_models_dir: Path) -> Iterator[TestClient]:
    with make_client(tmp_path, tiny_models_dir) as client:
        yield client


def model_files(case: Case, model: bytes, name: str = "notes-gru.keras") -> dict[str, Any]:
    assert case.tokenizer_json is not None
    return {
        "file": (name, model, "application/octet-stream"),
        "tokenizer": ("tokenizer.json", case.tokenizer_json, "application/json"),
    }


def test_uploaded_model_is_listed_traced_exported_and_predicts_as_keras(
    client: TestClient, classifier: tuple[Case, bytes]
) -> None:
    case, model = classifier

    created = client.post(UPLOAD_URL, files=model_files(case, model), data={"title": "내 GRU"})

    assert created.status_code == 201, created.text
    summary = created.json()
    assert summary["id"] == "notes-gru"
    assert (summary["source"], summary["title"], summary["cell"]) == ("uploaded", "내 GRU", "gru")
    listed = {item["id"]: item for item in client.get(UPLOAD_URL).json()["data"]}
    assert listed["notes-gru"] == summary
    assert "Imported from `notes-gru.keras`" in client.get(f"{UPLOAD_URL}/notes-gru").json()["card"]
    traced = client.post(f"{UPLOAD_URL}/notes-gru/trace", json={"input": case.texts[0]})
    assert traced.status_code == 200, traced.text
    exported = client.post(
        f"{UPLOAD_URL}/notes-gru/trace?format=csv", json={"input": case.texts[0]}
    )
    assert exported.status_code == 200 and exported.text.startswith("layer,")
    predicted = client.post(f"{UPLOAD_URL}/notes-gru/predict", json={"inputs": case.texts[:16]})
    probabilities = [item["positive_probability"] for item in predicted.json()["predictions"]]
    expected = case.model.predict(case.ids[:16], verbose=0)[:, 0]
    assert np.abs(np.asarray(probabilities) - expected).max() < 1e-5


def test_delete_removes_an_upload_and_refuses_shipped_and_unknown_ids(
    client: TestClient, classifier: tuple[Case, bytes]
) -> None:
    case, model = classifier
    client.post(UPLOAD_URL, files=model_files(case, model), data={"id": "to-delete"})

    assert client.delete(f"{UPLOAD_URL}/to-delete").status_code == 204
    assert client.get(f"{UPLOAD_URL}/to-delete").status_code == 404
    assert client.delete(f"{UPLOAD_URL}/to-delete").status_code == 404
    shipped = client.delete(f"{UPLOAD_URL}/tiny-text-gru")
    assert shipped.status_code == 403
    assert "shipped" in shipped.json()["message"]
    assert client.get(f"{UPLOAD_URL}/tiny-text-gru").status_code == 200


@pytest.mark.parametrize(
    ("form", "status", "field"),
    [
        pytest.param({"id": "../../etc"}, 422, "id", id="path-trick"),
        pytest.param({"id": "tiny-text-gru"}, 409, "id", id="shadows-shipped"),
        pytest.param({"maxlen": "0"}, 422, "maxlen", id="maxlen-zero"),
        pytest.param({"padding": "middle"}, 422, "padding", id="bad-padding"),
    ],
)
def test_bad_form_fields_are_named_in_the_error(
    form: dict[str, str],
    status: int,
    field: str,
    client: TestClient,
    classifier: tuple[Case, bytes],
    tmp_path: Path,
) -> None:
    case, model = classifier

    response = client.post(UPLOAD_URL, files=model_files(case, model), data=form)

    assert response.status_code == status, response.text
    assert response.json()["detail"][0]["field"] == field
    assert stored_entries(tmp_path / "data") == []


def test_taken_uploaded_id_is_a_conflict(
    client: TestClient, classifier: tuple[Case, bytes]
) -> None:
    case, model = classifier
    first = client.post(UPLOAD_URL, files=model_files(case, model), data={"id": "mine"})
    second = client.post(UPLOAD_URL, files=model_files(case, model), data={"id": "mine"})

    assert (first.status_code, second.status_code) == (201, 409)
    assert "already taken" in second.json()["message"]


def test_hostile_pickle_upload_is_refused_and_never_run(client: TestClient, tmp_path: Path) -> None:
    marker = tmp_path / "marker.txt"
    buffer = io.BytesIO()
    torch.save(WritesMarker(marker), buffer)

    response = client.post(
        UPLOAD_URL,
        files={"file": ("evil.pt", buffer.getvalue()), "config": ("config.json", b"{}")},
    )

    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "file"
    assert "weights_only=True" in response.json()["message"]
    assert not marker.exists()
    assert stored_entries(tmp_path / "data") == []


def test_upload_over_the_size_limit_is_413_and_stores_nothing(
    tmp_path: Path, tiny_models_dir: Path, classifier: tuple[Case, bytes]
) -> None:
    case, model = classifier
    with make_client(tmp_path, tiny_models_dir, max_upload_bytes=4096) as client:
        response = client.post(UPLOAD_URL, files=model_files(case, model))

    assert response.status_code == 413
    assert stored_entries(tmp_path / "data") == []


def test_upload_and_delete_need_the_token_when_one_is_set(
    tmp_path: Path, tiny_models_dir: Path, classifier: tuple[Case, bytes]
) -> None:
    case, model = classifier
    auth = {"Authorization": "Bearer s3cret"}
    with make_client(tmp_path, tiny_models_dir, token="s3cret") as client:
        refused = client.post(UPLOAD_URL, files=model_files(case, model))
        assert refused.status_code == 401
        assert stored_entries(tmp_path / "data") == []
        created = client.post(UPLOAD_URL, files=model_files(case, model), headers=auth)
        assert created.status_code == 201
        assert client.delete(f"{UPLOAD_URL}/notes-gru").status_code == 401
        assert client.delete(f"{UPLOAD_URL}/notes-gru", headers=auth).status_code == 204


def test_numeric_upload_takes_feature_names_from_the_form(
    keras: ModuleType, client: TestClient, tmp_path: Path
) -> None:
    keras.backend.clear_session()
    model = keras.Sequential([keras.Input((5, 3)), keras.layers.LSTM(4), keras.layers.Dense(1)])
    path = tmp_path / "weather.h5"
    model.save(path)

    response = client.post(
        UPLOAD_URL,
        files={"file": ("weather.h5", path.read_bytes())},
        data={"features": "temperature, pressure, humidity"},
    )

    assert response.status_code == 201, response.text
    assert response.json()["features"] == ["temperature", "pressure", "humidity"]
    assert response.json()["seq_length"] == 5


# -- a real server with two workers -------------------------------------------------------------


def worker_pids(server: LiveServer) -> set[int]:
    """The server's child processes (its workers, and multiprocessing's helpers)."""
    children: set[int] = set()
    for task in Path(f"/proc/{server.process.pid}/task").iterdir():
        text = (task / "children").read_text().split()
        children.update(int(pid) for pid in text)
    return children


def answering_pid(server_port: int, client_port: int, pids: set[int]) -> int | None:
    """Which worker holds the server side of the connection from ``client_port``."""
    wanted = f"0100007F:{server_port:04X} 0100007F:{client_port:04X}"
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if f"{fields[1]} {fields[2]}" == wanted:
            inode = fields[9]
    if inode is None:
        return None
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                if fd.readlink().name == f"socket:[{inode}]":
                    return pid
            except OSError:
                continue
    return None


def request_on_new_connection(
    server: LiveServer, method: str, path: str, body: Any = None
) -> tuple[int, int, http.client.HTTPConnection]:
    """(status, local port, connection) of one request on a fresh connection, left open."""
    port = int(server.url.rsplit(":", 1)[1])
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.connect()
    assert connection.sock is not None
    local_port = connection.sock.getsockname()[1]
    payload = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"} if payload else {}
    connection.request(method, path, body=payload, headers=headers)
    response = connection.getresponse()
    response.read()
    return response.status, local_port, connection


def statuses_by_worker(
    server: LiveServer, requests: list[tuple[str, str, Any]], pids: set[int]
) -> dict[int | None, list[int]]:
    """Send the requests, each on its own connection, round after round until every one has
    been answered by two workers (or a minute has passed: which worker accepts a connection is
    the kernel's choice, and on a busy machine one worker can win many times in a row); group
    the statuses by the worker that answered."""
    port = int(server.url.rsplit(":", 1)[1])
    seen: dict[int | None, list[int]] = {}
    answered_by: dict[int, set[int | None]] = {}
    deadline = time.monotonic() + 60.0
    while time.monotonic() < deadline:
        for index, (method, path, body) in enumerate(requests):
            status, local_port, connection = request_on_new_connection(server, method, path, body)
            pid = answering_pid(port, local_port, pids)
            seen.setdefault(pid, []).append(status)
            answered_by.setdefault(index, set()).add(pid)
            connection.close()
        if all(len(workers) >= 2 for workers in answered_by.values()):
            break
    return seen


@pytest.fixture(scope="module")
def two_workers(
    start_server: Callable[..., LiveServer],
    tiny_models_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[LiveServer, Path]:
    """A real server with two workers, and the TMPDIR its multipart parsing would spill into."""
    spill = tmp_path_factory.mktemp("server-tmp")
    env = {"GATESCOPE_MODELS_DIR": str(tiny_models_dir), "TMPDIR": str(spill)}
    return start_server(env, workers=2), spill


@pytest.mark.slow
def test_upload_through_one_worker_is_served_and_deleted_by_all(
    two_workers: tuple[LiveServer, Path], classifier: tuple[Case, bytes]
) -> None:
    case, model = classifier
    server, _ = two_workers
    pids = worker_pids(server)

    created = httpx.post(
        f"{server.url}{UPLOAD_URL}", files=model_files(case, model, "two-workers.keras"), timeout=60
    )
    assert created.status_code == 201, created.text
    uses = [
        ("GET", f"{UPLOAD_URL}/two-workers", None),
        ("POST", f"{UPLOAD_URL}/two-workers/trace", {"input": case.texts[1]}),
    ] * 20
    served = statuses_by_worker(server, uses, pids)
    deleted = httpx.delete(f"{server.url}{UPLOAD_URL}/two-workers", timeout=30)
    after = statuses_by_worker(server, [("GET", f"{UPLOAD_URL}/two-workers", None)] * 20, pids)

    assert None not in served and len(served) == 2, f"two workers should answer: {served}"
    assert all(status == 200 for statuses in served.values() for status in statuses), served
    assert deleted.status_code == 204
    assert None not in after and len(after) == 2, f"two workers should answer: {after}"
    assert all(status == 404 for statuses in after.values() for status in statuses), after


@pytest.mark.slow
def test_interrupted_upload_leaves_nothing_behind(two_workers: tuple[LiveServer, Path]) -> None:
    server, spill = two_workers
    port = int(server.url.rsplit(":", 1)[1])
    boundary = "gatescope-test-boundary"
    head = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="file"; filename="half.keras"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        connection.sendall(
            (
                f"POST {UPLOAD_URL} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
                "Content-Length: 8000000\r\n\r\n"
            ).encode()
            + head
        )
        for _ in range(3):
            connection.sendall(b"PK" + bytes(1_000_000))  # past the in-memory spool size
    # The client is gone mid-body; give the worker a moment to drop what it received.
    deadline = time.monotonic() + 5
    while list(spill.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert stored_entries(server.data_dir) == []
    assert list(spill.iterdir()) == []
    assert httpx.get(f"{server.url}{UPLOAD_URL}", timeout=10).status_code == 200


def test_a_refused_upload_leaves_no_temporary_files(
    client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spill = tmp_path / "spill"
    spill.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spill))

    response = client.post(UPLOAD_URL, files={"file": ("big.keras", b"PK" + bytes(3_000_000))})

    assert response.status_code == 422
    assert list(spill.iterdir()) == []
    assert stored_entries(tmp_path / "data") == []


# -- chains of blocks, reset_after=False and classifiers through the API ------------------------


def bilstm_then_lstm(keras: ModuleType) -> Case:
    layers = keras.layers
    return text_case(
        keras,
        [
            layers.Embedding(60, 8),
            layers.Bidirectional(layers.LSTM(5, return_sequences=True)),
            layers.LSTM(4),
            layers.Dense(1, activation="sigmoid"),
        ],
    )


def bigru_reset_before_then_gru(keras: ModuleType) -> Case:
    layers = keras.layers
    return text_case(
        keras,
        [
            layers.Embedding(60, 8),
            layers.Bidirectional(layers.GRU(5, reset_after=False, return_sequences=True)),
            layers.GRU(4, reset_after=False),
            layers.Dense(1, activation="sigmoid"),
        ],
    )


def softmax5(keras: ModuleType) -> Case:
    layers = keras.layers
    return text_case(
        keras,
        [layers.Embedding(60, 8), layers.GRU(6), layers.Dense(5, activation="softmax")],
        labels=["joy", "anger", "fear", "sadness", "surprise"],
    )


def gru6_then_gru3(keras: ModuleType) -> Case:
    layers = keras.layers
    model = numbers_sequential(
        keras, [layers.GRU(6, return_sequences=True), layers.GRU(3), layers.Dense(1)]
    )
    return numbers_case(keras, model)


def keras_rows(case: Case, count: int) -> np.ndarray:
    """Keras's predictions for the first inputs; a sigmoid or regression as one column."""
    return np.asarray(case.model.predict(case.keras_inputs[:count], verbose=0))


def api_rows(predictions: list[dict[str, Any]]) -> np.ndarray:
    """The API's predictions as Keras lays them out."""
    rows = []
    for item in predictions:
        if "classes" in item:
            rows.append([entry["probability"] for entry in item["classes"]])
        elif "value" in item:
            rows.append([item["value"]])
        else:
            rows.append([item["positive_probability"]])
    return np.asarray(rows)


def raw_of(case: Case, count: int) -> list[Any]:
    if case.kind == "text":
        return case.texts[:count]
    assert case.values is not None
    return [row.tolist() for row in case.values[:count]]


def upload_files(case: Case, path: Path) -> dict[str, Any]:
    files: dict[str, Any] = {"file": (path.name, path.read_bytes(), "application/octet-stream")}
    if case.tokenizer_json is not None:
        files["tokenizer"] = ("tokenizer.json", case.tokenizer_json, "application/json")
    return files


CHAINS = {
    "bilstm-then-lstm": (bilstm_then_lstm, ["lstm", "lstm"]),
    "bigru-reset-before": (bigru_reset_before_then_gru, ["gru", "gru"]),
    "softmax5": (softmax5, ["gru"]),
    "gru6-then-gru3": (gru6_then_gru3, ["gru"]),
}


@pytest.fixture(scope="module")
def chain_models(
    keras: ModuleType, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, tuple[Case, dict[str, Path]]]:
    """Each model trained once and saved as .keras and .h5."""
    built = {}
    for name, (build, _) in CHAINS.items():
        keras.backend.clear_session()
        case = build(keras)
        built[name] = (case, save_both(case.model, tmp_path_factory.mktemp(name), name))
    return built


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
@pytest.mark.parametrize("name", list(CHAINS))
def test_uploaded_chain_is_described_traced_and_predicts_as_keras(
    name: str,
    suffix: str,
    client: TestClient,
    chain_models: dict[str, tuple[Case, dict[str, Path]]],
) -> None:
    case, paths = chain_models[name]
    form = {"labels": "\n".join(case.labels)} if case.labels else {}

    created = client.post(UPLOAD_URL, files=upload_files(case, paths[suffix]), data=form)

    assert created.status_code == 201, created.text
    model_id = created.json()["id"]
    described = client.get(f"{UPLOAD_URL}/{model_id}")
    assert described.status_code == 200, described.text
    traced = client.post(
        f"{UPLOAD_URL}/{model_id}/trace?precision=full", json={"input": raw_of(case, 1)[0]}
    )
    assert traced.status_code == 200, traced.text
    predicted = client.post(f"{UPLOAD_URL}/{model_id}/predict", json={"inputs": raw_of(case, 16)})
    assert predicted.status_code == 200, predicted.text
    actual = api_rows(predicted.json()["predictions"])
    assert np.abs(actual - keras_rows(case, 16)).max() < 1e-5
    assert api_rows([traced.json()["prediction"]])[0] == pytest.approx(actual[0], abs=1e-5)


def test_uploaded_classifier_is_labelled_from_the_form(
    client: TestClient, chain_models: dict[str, tuple[Case, dict[str, Path]]]
) -> None:
    case, paths = chain_models["softmax5"]

    created = client.post(
        UPLOAD_URL,
        files=upload_files(case, paths[".keras"]),
        data={"id": "moods", "labels": '["joy", "anger", "fear", "sadness", "surprise"]'},
    )

    assert created.status_code == 201, created.text
    predicted = client.post(f"{UPLOAD_URL}/moods/predict", json={"inputs": case.texts[:1]})
    classes = predicted.json()["predictions"][0]["classes"]
    assert [entry["label"] for entry in classes] == ["joy", "anger", "fear", "sadness", "surprise"]


def test_uploaded_classifier_without_labels_names_its_classes_by_number(
    client: TestClient, chain_models: dict[str, tuple[Case, dict[str, Path]]]
) -> None:
    case, paths = chain_models["softmax5"]

    created = client.post(UPLOAD_URL, files=upload_files(case, paths[".h5"]), data={"id": "n"})

    assert created.status_code == 201, created.text
    predicted = client.post(f"{UPLOAD_URL}/n/predict", json={"inputs": case.texts[:1]})
    classes = predicted.json()["predictions"][0]["classes"]
    assert [entry["label"] for entry in classes] == [f"class {index}" for index in range(5)]


@pytest.mark.parametrize(
    ("model", "labels", "phrase"),
    [
        pytest.param("softmax5", "joy, anger, fear", "gives 3 labels", id="too-few"),
        pytest.param("softmax5", "a, b, c, d, a", "'a' more than once", id="repeated"),
        pytest.param("softmax5", '["a", 2]', "JSON list of names", id="not-strings"),
        pytest.param("gru6-then-gru3", "low, high", "regression", id="regression-has-none"),
    ],
)
def test_wrong_labels_are_a_422_naming_the_labels_field(
    model: str,
    labels: str,
    phrase: str,
    client: TestClient,
    chain_models: dict[str, tuple[Case, dict[str, Path]]],
    tmp_path: Path,
) -> None:
    case, paths = chain_models[model]

    response = client.post(
        UPLOAD_URL, files=upload_files(case, paths[".keras"]), data={"labels": labels}
    )

    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["field"] == "labels"
    assert phrase in response.json()["message"]
    assert stored_entries(tmp_path / "data") == []

"""Storage that fails says so (507 disk full, 503 read-only), ids nobody chose never conflict,
and half-written uploads of dead processes are swept at start-up.

Full and read-only disks are real where the test may mount a small tmpfs (root with
CAP_SYS_ADMIN, as `make test` runs in CI) and simulated with the errno everywhere.
"""

from __future__ import annotations

import errno
import os
import socket
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import torch
from fastapi.testclient import TestClient
from safetensors.torch import save as safetensors_bytes

import app.zoo.store
from app.config import Settings
from app.importers import import_model_bytes
from app.importers.storage import uploads_dir
from app.main import create_app
from app.zoo import GateNet
from tests.conftest import tiny_numbers_config
from tests.importers.helpers import stored_entries

UPLOAD_URL = "/api/v1/models"
ClientOn = Callable[[Path], TestClient]


def tiny_upload() -> tuple[bytes, bytes]:
    """Weights and a config.json naming no id (the id comes from the file name)."""
    config = tiny_numbers_config("tiny", "gru")
    torch.manual_seed(0)
    weights = safetensors_bytes(GateNet(config).state_dict())
    return weights, config.model_dump_json(exclude={"id"}).encode()


def upload_files(name: str = "samename.safetensors") -> dict[str, tuple[str, bytes]]:
    weights, config = tiny_upload()
    return {"file": (name, weights), "config": ("config.json", config)}


@pytest.fixture
def client_on(tiny_models_dir: Path) -> Iterator[ClientOn]:
    """client_on(data_dir) -> an in-process client (lifespan run) on that data dir."""
    clients: list[TestClient] = []

    def make(data_dir: Path) -> TestClient:
        client = TestClient(create_app(Settings(models_dir=tiny_models_dir, data_dir=data_dir)))
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


def mount_tmpfs(path: Path, options: str) -> None:
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root; the simulated errno tests still run")
    path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 256 KB file system, unmounted afterwards."""
    mount = tmp_path / "disk"
    mount_tmpfs(mount, "size=256k")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(path: Path) -> None:
    """Write until the file system is full."""
    with path.open("wb", buffering=0) as filler:
        try:
            while True:
                filler.write(b"\0" * 4096)
        except OSError as error:
            assert error.errno == errno.ENOSPC


def assert_storage_error(response: object, status: int, code: str, words: str) -> None:
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert body["detail"][0]["code"] == code
    assert words in body["message"]


def test_a_full_disk_answers_507_and_leaves_nothing(small_disk: Path, client_on: ClientOn) -> None:
    (small_disk / "data" / "models").mkdir(parents=True)
    client = client_on(small_disk / "data")
    fill(small_disk / "filler")
    files = upload_files()

    response = client.post(UPLOAD_URL, files=files)

    assert_storage_error(response, 507, "storage_full", "disk is full")
    assert stored_entries(small_disk / "data") == []


def test_a_read_only_data_dir_answers_503(small_disk: Path, client_on: ClientOn) -> None:
    (small_disk / "data" / "models").mkdir(parents=True)
    client = client_on(small_disk / "data")
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)

    response = client.post(UPLOAD_URL, files=upload_files())

    assert_storage_error(response, 503, "storage_unavailable", "read-only")


@pytest.mark.parametrize(
    ("number", "status", "code", "words"),
    [
        pytest.param(errno.ENOSPC, 507, "storage_full", "disk is full", id="ENOSPC"),
        pytest.param(errno.EDQUOT, 507, "storage_full", "disk is full", id="EDQUOT"),
        pytest.param(errno.EROFS, 503, "storage_unavailable", "read-only", id="EROFS"),
        pytest.param(errno.EACCES, 503, "storage_unavailable", "not writable", id="EACCES"),
    ],
)
def test_storage_errors_are_named(
    number: int,
    status: int,
    code: str,
    words: str,
    tmp_path: Path,
    client_on: ClientOn,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise OSError(number, os.strerror(number))

    monkeypatch.setattr(app.zoo.store, "save_file", fail)
    client = client_on(tmp_path / "data")

    response = client.post(UPLOAD_URL, files=upload_files())

    assert_storage_error(response, status, code, words)
    assert stored_entries(tmp_path / "data") == []


def test_deleting_on_a_read_only_dir_answers_503(
    tmp_path: Path, client_on: ClientOn, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = client_on(tmp_path / "data")
    assert client.post(UPLOAD_URL, files=upload_files()).status_code == 201

    def fail(*args: object, **kwargs: object) -> None:
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(os, "rename", fail)
    response = client.delete(f"{UPLOAD_URL}/samename")

    assert_storage_error(response, 503, "storage_unavailable", "read-only")


def test_concurrent_uploads_without_an_id_all_get_a_free_one(tmp_path: Path) -> None:
    weights, config = tiny_upload()
    ids: list[str] = []
    errors: list[Exception] = []
    start = threading.Barrier(10)

    def upload() -> None:
        start.wait()
        try:
            model = import_model_bytes(
                weights, "samename.safetensors", config=config, data_dir=tmp_path
            )
            ids.append(model.id)
        except Exception as error:  # noqa: BLE001 - collected and reported below
            errors.append(error)

    threads = [threading.Thread(target=upload) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(ids) == sorted(["samename", *(f"samename-{n}" for n in range(2, 11))])


def test_leftovers_of_dead_processes_are_swept_at_start_up(
    tmp_path: Path, client_on: ClientOn
) -> None:
    root = uploads_dir(tmp_path / "data")
    dead = subprocess.Popen(["true"])
    dead.wait()
    host = socket.gethostname()
    killed = root / f".incoming-{host}~{dead.pid}~abc" / "half"
    retired = root / f".deleted-{host}~{dead.pid}~def"
    alive = root / f".incoming-{host}~{os.getpid()}~ghi"
    elsewhere = root / ".incoming-otherhost~1~jkl"  # another machine's upload in progress
    for path in (killed, retired, alive, elsewhere):
        path.mkdir(parents=True)

    client_on(tmp_path / "data")

    assert stored_entries(tmp_path / "data") == sorted([alive.name, elsewhere.name])

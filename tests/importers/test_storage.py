"""Where uploads are stored: checked ids, no overwriting, atomic writes, deletes, restarts."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import save as safetensors_bytes

import app.importers
import app.zoo.store
from app.importers import ModelImportError, delete_model, import_model_bytes
from app.importers.storage import id_from_filename, store_model, sweep_stale, uploads_dir
from app.zoo import GateNet, ModelFormatError, ModelRegistry
from tests.conftest import tiny_numbers_config
from tests.importers.helpers import stored_entries


def upload(data_dir: Path, filename: str = "weights.safetensors", **options: object) -> str:
    """Import a tiny GateNet whose config names no usable id; returns the stored id."""
    config = tiny_numbers_config("tiny", "gru")
    torch.manual_seed(0)
    weights = safetensors_bytes(GateNet(config).state_dict())
    model = import_model_bytes(
        weights,
        filename,
        config=config.model_dump_json(exclude={"id"}).encode(),
        data_dir=data_dir,
        **options,  # type: ignore[arg-type]
    )
    return model.id


@pytest.mark.parametrize(
    "bad_id",
    [
        pytest.param("../escape", id="dot-dot"),
        pytest.param("a/b", id="slash"),
        pytest.param("a\\b", id="backslash"),
        pytest.param("a\x00b", id="nul"),
        pytest.param("\uff41bc", id="fullwidth-a"),
        pytest.param("\u0455entiment", id="cyrillic-s"),
        pytest.param("Model", id="upper-case"),
        pytest.param("-leading", id="leading-dash"),
        pytest.param("x" * 65, id="too-long"),
        pytest.param("", id="empty"),
        pytest.param("ok\n", id="newline"),
    ],
)
def test_bad_ids_are_refused(bad_id: str, data_dir: Path) -> None:
    with pytest.raises(ModelImportError) as caught:
        upload(data_dir, model_id=bad_id)

    assert (caught.value.status_code, caught.value.field) == (422, "id")
    assert stored_entries(data_dir) == []


def test_shipped_id_cannot_be_shadowed(data_dir: Path) -> None:
    with pytest.raises(ModelImportError) as caught:
        upload(data_dir, model_id="sentiment-ko-gru", reserved_ids={"sentiment-ko-gru"})

    assert caught.value.status_code == 409
    assert "shipped" in caught.value.message


def test_taken_uploaded_id_is_a_conflict(data_dir: Path) -> None:
    upload(data_dir, model_id="mine")

    with pytest.raises(ModelImportError) as caught:
        upload(data_dir, model_id="mine")

    assert caught.value.status_code == 409
    assert stored_entries(data_dir) == ["mine"]


def test_ids_from_file_names_are_made_unique(data_dir: Path) -> None:
    first = upload(data_dir, filename="My GRU (v2).safetensors")
    second = upload(data_dir, filename="My GRU (v2).safetensors")
    korean = upload(data_dir, filename="감성분석.safetensors")

    assert (first, second, korean) == ("my-gru-v2", "my-gru-v2-2", "model")


def test_id_from_filename_never_keeps_path_parts() -> None:
    assert id_from_filename("../../etc/passwd.keras") == "passwd"
    assert id_from_filename("C:\\Users\\kim\\GRU.h5") == "gru"


def test_a_failed_write_leaves_nothing_behind(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(app.zoo.store, "save_file", fail)

    with pytest.raises(OSError, match="disk full"):
        upload(data_dir, model_id="doomed")

    assert stored_entries(data_dir) == []


def test_store_never_replaces_a_model_written_meanwhile(data_dir: Path) -> None:
    config = tiny_numbers_config("raced", "gru")
    (uploads_dir(data_dir) / "raced").mkdir(parents=True)
    (uploads_dir(data_dir) / "raced" / "config.json").write_text("{}")

    with pytest.raises(ModelImportError) as caught:
        store_model(GateNet(config), config, "", data_dir)

    assert caught.value.status_code == 409
    assert stored_entries(data_dir) == ["raced"]


def test_uploads_survive_a_restart_and_deletes_reach_every_registry(
    data_dir: Path, tmp_path: Path
) -> None:
    model_id = upload(data_dir, model_id="kept")
    before = ModelRegistry(tmp_path / "no-shipped", uploads_dir(data_dir))
    assert before.get(model_id) is not None

    restarted = ModelRegistry(tmp_path / "no-shipped", uploads_dir(data_dir))
    assert [model.id for model in restarted.all()] == ["kept"]
    assert restarted.get("kept").source == "uploaded"  # type: ignore[union-attr]

    assert delete_model("kept", data_dir) is True
    assert before.get("kept") is None and restarted.get("kept") is None
    assert delete_model("kept", data_dir) is False
    assert stored_entries(data_dir) == []


def test_stale_staging_folders_are_swept(data_dir: Path) -> None:
    root = uploads_dir(data_dir)
    stale = root / ".incoming-abc"
    fresh = root / ".incoming-def"
    stale.mkdir(parents=True)
    fresh.mkdir()
    old = time.time() - 7200
    os.utime(stale, (old, old))

    sweep_stale(root)

    assert stored_entries(data_dir) == [".incoming-def"]


def test_a_stored_model_the_zoo_refuses_to_load_is_removed_again(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(directory: Path, source: str = "shipped") -> None:
        raise ModelFormatError(f"{directory} is not loadable")

    monkeypatch.setattr(app.importers, "load_model", refuse)

    with pytest.raises(ModelImportError, match="cannot load"):
        upload(data_dir, model_id="unloadable")

    assert stored_entries(data_dir) == []

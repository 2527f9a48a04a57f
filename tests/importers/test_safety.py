"""Hostile and broken uploads: refused with a clear 4xx reason, nothing run, nothing stored.

A lab server takes files from many students: a pickle that would run code, zip bombs (honest
and lying central directories), HDF5 files whose weights point at other files on the server,
truncated files and configs that are not what they claim.
"""

from __future__ import annotations

import io
import json
import struct
import zipfile
from pathlib import Path
from types import ModuleType
from typing import Any

import h5py
import numpy as np
import pytest
import torch

from app.importers import ImportLimits, ModelImportError, import_model_bytes
from tests.conftest import tiny_numbers_config
from tests.importers.helpers import WritesMarker, save_both, stored_entries
from tests.importers.kerasmodels import numbers_sequential


@pytest.fixture(scope="module")
def keras_files(keras: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """A small regressor, GRU(3) -> Dense(1), saved as .keras and as legacy .h5."""
    keras.backend.clear_session()
    model = numbers_sequential(keras, [keras.layers.GRU(3), keras.layers.Dense(1)])
    paths = save_both(model, tmp_path_factory.mktemp("keras"), "model")
    return {suffix: path.read_bytes() for suffix, path in paths.items()}


@pytest.fixture(scope="module")
def keras_h5(keras_files: dict[str, bytes]) -> bytes:
    return keras_files[".h5"]


@pytest.fixture(scope="module")
def keras_zip(keras_files: dict[str, bytes]) -> bytes:
    return keras_files[".keras"]


def refused(data: bytes, filename: str, data_dir: Path, **options: Any) -> ModelImportError:
    """The error importing ``data`` raises; asserts nothing was stored."""
    with pytest.raises(ModelImportError) as caught:
        import_model_bytes(data, filename, data_dir=data_dir, **options)
    assert stored_entries(data_dir) == []
    return caught.value


def test_pickle_that_runs_code_is_refused_and_never_run(tmp_path: Path, data_dir: Path) -> None:
    marker = tmp_path / "marker.txt"
    buffer = io.BytesIO()
    torch.save({"recurrent.weight_ih_l0": WritesMarker(marker)}, buffer)
    config = tiny_numbers_config("x", "gru").model_dump_json().encode()

    error = refused(buffer.getvalue(), "evil.pt", data_dir, config=config)

    assert error.status_code == 422
    assert "weights_only=True" in error.message
    assert not marker.exists()


def test_pickle_named_keras_is_refused_unread(tmp_path: Path, data_dir: Path) -> None:
    marker = tmp_path / "marker.txt"
    buffer = io.BytesIO()
    torch.save(WritesMarker(marker), buffer)

    error = refused(buffer.getvalue(), "evil.keras", data_dir)

    assert "zip without config.json" in error.message
    assert not marker.exists()


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_zip_bomb_is_refused_from_its_central_directory(data_dir: Path) -> None:
    bomb = zipped({"config.json": b" " * 20_000_000, "model.weights.h5": b"\0" * 1000})
    assert len(bomb) < 100_000

    error = refused(bomb, "bomb.keras", data_dir, limits=ImportLimits(max_unpacked_bytes=5_000_000))

    assert error.status_code == 413
    assert "zip bomb" in error.message


def test_zip_bomb_with_a_lying_directory_is_stopped_while_reading(data_dir: Path) -> None:
    bomb = bytearray(zipped({"config.json": b" " * 20_000_000, "model.weights.h5": b"\0"}))
    _declare_small_sizes(bomb, 1000)

    error = refused(
        bytes(bomb), "liar.keras", data_dir, limits=ImportLimits(max_unpacked_bytes=5_000_000)
    )

    assert error.status_code in (413, 422)
    assert "config.json" in error.message


def _declare_small_sizes(data: bytearray, size: int) -> None:
    """Rewrite every uncompressed size in local headers and the central directory."""
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = data.find(signature)
        while start != -1:
            struct.pack_into("<I", data, start + offset, size)
            start = data.find(signature, start + 4)


def test_truncated_keras_file_is_refused(keras_zip: bytes, data_dir: Path) -> None:
    error = refused(keras_zip[: len(keras_zip) // 2], "cut.keras", data_dir)

    assert error.status_code == 422
    assert "truncated" in error.message


def test_truncated_h5_file_is_refused(keras_h5: bytes, data_dir: Path) -> None:
    error = refused(keras_h5[: len(keras_h5) // 2], "cut.h5", data_dir)

    assert error.status_code == 422
    assert "truncated" in error.message


@pytest.mark.parametrize(
    ("config", "phrase"),
    [
        pytest.param(b"{not json", "not valid JSON", id="not-json"),
        pytest.param(b'{"class_name": "Foo", "config": {}}', "Keras 'Foo'", id="unknown-class"),
        pytest.param(
            json.dumps(
                {
                    "class_name": "Sequential",
                    "config": {
                        "layers": [
                            {
                                "class_name": "InputLayer",
                                "config": {"name": "in", "batch_shape": [None, 7, 4]},
                            },
                            {"class_name": "LSTM", "config": {"name": "other_lstm", "units": 3}},
                            {"class_name": "Dense", "config": {"name": "dense", "units": 1}},
                        ]
                    },
                }
            ).encode(),
            "no weights for LSTM 'other_lstm'",
            id="config-not-matching-weights",
        ),
    ],
)
def test_keras_file_with_a_wrong_config_is_refused(
    keras_zip: bytes, config: bytes, phrase: str, data_dir: Path
) -> None:
    with zipfile.ZipFile(io.BytesIO(keras_zip)) as original:
        weights = original.read("model.weights.h5")

    error = refused(
        zipped({"config.json": config, "model.weights.h5": weights}), "m.keras", data_dir
    )

    assert error.status_code == 422
    assert phrase in error.message


def rewritten_h5(original: bytes, change: Any) -> bytes:
    """A copy of an HDF5 file with ``change(handle)`` applied."""
    buffer = io.BytesIO(original)
    with h5py.File(buffer, "r+") as handle:
        change(handle)
    return buffer.getvalue()


def kernel_path(handle: h5py.File) -> str:
    """Where the legacy file keeps the GRU's kernel (its first listed weight)."""
    names = handle["model_weights/gru"].attrs["weight_names"]
    first = names[0].decode() if isinstance(names[0], bytes) else str(names[0])
    return f"model_weights/gru/{first}"


def test_h5_external_link_to_another_file_is_refused(
    keras_h5: bytes, tmp_path: Path, data_dir: Path
) -> None:
    secret = tmp_path / "secret.h5"
    with h5py.File(secret, "w") as handle:
        handle["kernel"] = np.ones((4, 9), dtype="float32")

    def link(handle: h5py.File) -> None:
        kernel = kernel_path(handle)
        del handle[kernel]
        handle[kernel] = h5py.ExternalLink(str(secret), "/kernel")

    error = refused(rewritten_h5(keras_h5, link), "linked.h5", data_dir)

    assert "outside the file" in error.message


def test_h5_dataset_stored_in_another_file_is_refused(
    keras_h5: bytes, tmp_path: Path, data_dir: Path
) -> None:
    secret = tmp_path / "secret.bin"
    secret.write_bytes(np.ones(36, dtype="float32").tobytes())

    def external(handle: h5py.File) -> None:
        kernel = kernel_path(handle)
        del handle[kernel]
        handle.create_dataset(
            kernel, shape=(4, 9), dtype="float32", external=[(str(secret), 0, 144)]
        )

    error = refused(rewritten_h5(keras_h5, external), "external.h5", data_dir)

    assert "outside the file" in error.message


def test_h5_compressed_dataset_bomb_is_refused_before_reading(
    keras_h5: bytes, data_dir: Path
) -> None:
    def bomb(handle: h5py.File) -> None:
        kernel = kernel_path(handle)
        del handle[kernel]
        handle.create_dataset(
            kernel, data=np.zeros((4, 5_000_000), dtype="float32"), compression="gzip", chunks=True
        )

    data = rewritten_h5(keras_h5, bomb)
    assert len(data) < 1_000_000

    error = refused(data, "bomb.h5", data_dir, limits=ImportLimits(max_unpacked_bytes=10_000_000))

    assert error.status_code == 413


def test_h5_without_a_model_config_is_refused(keras_h5: bytes, data_dir: Path) -> None:
    error = refused(
        rewritten_h5(keras_h5, lambda h: h.attrs.__delitem__("model_config")), "w.h5", data_dir
    )

    assert "save_weights" in error.message


@pytest.mark.parametrize(
    ("data", "filename", "phrase"),
    [
        pytest.param(b"hello", "model.keras", "not a zip archive", id="text-named-keras"),
        pytest.param(b"PK\x03\x04 broken", "model.keras", "zip archive", id="broken-zip"),
        pytest.param(b"hello", "model.h5", "not an HDF5 file", id="text-named-h5"),
        pytest.param(b"\0" * 64, "model.safetensors", "safetensors", id="broken-safetensors"),
        pytest.param(b"#!/bin/sh\nrm -rf /", "model.sh", "suffix '.sh'", id="unknown-suffix"),
    ],
)
def test_files_that_are_not_what_they_claim_are_refused(
    data: bytes, filename: str, phrase: str, data_dir: Path
) -> None:
    config = tiny_numbers_config("x", "gru").model_dump_json().encode()

    error = refused(data, filename, data_dir, config=config)

    assert error.status_code == 422
    assert phrase in error.message


def test_upload_over_the_size_limit_is_refused(keras_zip: bytes, data_dir: Path) -> None:
    error = refused(keras_zip, "m.keras", data_dir, limits=ImportLimits(max_file_bytes=1000))

    assert error.status_code == 413

"""Keras (on the torch backend, imported once per session) and helpers to save its models.

Keras is a test dependency only: the product reads .keras/.h5 files with zipfile, json and h5py.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
import torch


@pytest.fixture(scope="session")
def keras() -> ModuleType:
    """Keras 3 on the torch backend (KERAS_BACKEND must be set before the first import)."""
    os.environ["KERAS_BACKEND"] = "torch"
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "torch":
        pytest.skip(f"keras was imported earlier with the {keras.backend.backend()} backend")
    return keras


@pytest.fixture(autouse=True)
def one_torch_thread() -> Iterator[None]:
    """Tiny models train far faster on one thread than on two cores shared with other work."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """GATESCOPE_DATA_DIR of one test; uploads go to data_dir / "models"."""
    return tmp_path / "data"

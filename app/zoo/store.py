"""Reading and writing model directories, and the registry of every model the server knows.

A model directory is written to a temporary sibling and renamed into place only when complete, so
a reader (another worker, a restart) sees either the whole model or none of it.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from app.metrics import MODEL_LOADS
from app.zoo.errors import ModelFormatError
from app.zoo.loaded import LoadedModel
from app.zoo.network import GateNet
from app.zoo.spec import ModelConfig, upgrade_state

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "weights.safetensors"
CARD_FILE = "card.md"
CELLS_FILE = "cells.json"  # optional: a language model's interpretable cells (gatescope cells)


WEIGHT_DTYPES = (torch.float32, torch.float64)


def read_config(path: Path) -> ModelConfig:
    return read_config_document(path)[0]


def read_config_document(path: Path) -> tuple[ModelConfig, int]:
    """The config, and the format version its file was written in (1 is upgraded on reading)."""
    try:
        document = json.loads(path.read_bytes())
        config = ModelConfig.model_validate(document)
        # Validation passed, so the document is an object with a known version (1 by default).
        return config, int(document.get("format_version", 1))
    except FileNotFoundError as error:
        raise ModelFormatError(f"{path} is missing") from error
    except OSError as error:
        raise ModelFormatError(f"{path} cannot be read: {error}") from error
    except (ValueError, UnicodeDecodeError) as error:  # JSON syntax, or the schema
        raise ModelFormatError(f"{path} is not a valid model config: {error}") from error


def build_network(config: ModelConfig, state: dict[str, torch.Tensor]) -> GateNet:
    """A GateNet for `config` holding exactly the tensors in `state`: none missing, none extra."""
    network = GateNet(config)
    expected = network.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    if missing or unexpected:
        raise ModelFormatError(
            f"weights do not fit the config: missing {missing or 'none'}, "
            f"unexpected {unexpected or 'none'}"
        )
    for name, tensor in state.items():
        _check_tensor(name, tensor, tuple(expected[name].shape))
    dtypes = {tensor.dtype for tensor in state.values()}
    if len(dtypes) > 1:
        raise ModelFormatError(f"weights mix dtypes {sorted(map(str, dtypes))}; use one")
    dtype = dtypes.pop() if dtypes else torch.float32
    network = network.to(dtype)
    network.load_state_dict(state, strict=True)
    return network.eval()


def _check_tensor(name: str, tensor: torch.Tensor, shape: tuple[int, ...]) -> None:
    if tuple(tensor.shape) != shape:
        raise ModelFormatError(
            f"weight {name} has shape {tuple(tensor.shape)}, the config needs {shape}"
        )
    if tensor.dtype not in WEIGHT_DTYPES:
        raise ModelFormatError(
            f"weight {name} is {tensor.dtype}; gatescope reads float32 or float64"
        )
    if not bool(torch.isfinite(tensor).all()):
        raise ModelFormatError(f"weight {name} holds NaN or infinite values")


def check_preprocessing(model: LoadedModel) -> None:
    """The tokenizer must parse and every id it can produce must have an embedding row."""
    if model.config.input_kind != "text":
        return
    try:
        tokenizer = model.tokenizer
    except (ValueError, TypeError, KeyError) as error:
        raise ModelFormatError(
            f"model {model.id}: its tokenizer cannot be read: {error}"
        ) from error
    embedding = model.config.embedding
    assert embedding is not None
    if tokenizer.vocab_size > embedding.num_embeddings:
        raise ModelFormatError(
            f"model {model.id}: the tokenizer produces ids up to {tokenizer.vocab_size - 1} but "
            f"the embedding has only {embedding.num_embeddings} rows"
        )


def load_model(directory: Path, source: str = "shipped") -> LoadedModel:
    """Load `directory` (config.json, weights.safetensors, optional card.md). Never unpickles."""
    config, version = read_config_document(directory / CONFIG_FILE)
    weights = directory / WEIGHTS_FILE
    if not weights.is_file():
        raise ModelFormatError(f"{weights} is missing")
    try:
        state = load_file(str(weights))
    except Exception as error:  # safetensors raises its own error types for corrupt files
        raise ModelFormatError(f"{weights} is not a readable safetensors file: {error}") from error
    if version == 1:
        state = upgrade_state(state)
    model = LoadedModel(config, build_network(config, state), source=source)
    MODEL_LOADS.labels(source).inc()
    check_preprocessing(model)
    card = directory / CARD_FILE
    try:
        model.card = card.read_text(encoding="utf-8") if card.is_file() else ""
    except (OSError, UnicodeDecodeError) as error:
        raise ModelFormatError(f"{card} is not readable UTF-8 text: {error}") from error
    model.cells = _read_cells(directory / CELLS_FILE)
    return model


def _read_cells(path: Path) -> dict[str, Any] | None:
    """cells.json when present and a JSON object, else None (a broken file hides the panel,
    never the model)."""
    try:
        cells = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
    except (OSError, ValueError):
        return None
    return cells if isinstance(cells, dict) else None


def write_cells(directory: Path, cells: dict[str, Any]) -> Path:
    """Write a model's cells.json beside its config (atomically: a temporary file renamed)."""
    path = Path(directory) / CELLS_FILE
    partial = path.with_suffix(".json.partial")
    partial.write_text(json.dumps(cells, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(partial, path)
    return path


def save_model(network: GateNet, config: ModelConfig, card: str, directory: Path) -> Path:
    """Write a model directory atomically: all three files appear together or not at all."""
    directory = Path(directory)
    state = {
        name: tensor.detach().contiguous().cpu() for name, tensor in network.state_dict().items()
    }
    build_network(config, state)  # refuse to write a model that would not load
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=directory.parent))
    try:
        staging.chmod(0o755)  # mkdtemp makes it private; a model is for every reader
        (staging / CONFIG_FILE).write_text(
            json.dumps(config.model_dump(mode="json"), ensure_ascii=False, indent=2) + "\n",
            encoding="utf-8",
        )
        save_file(state, str(staging / WEIGHTS_FILE))
        (staging / CARD_FILE).write_text(card, encoding="utf-8")
        for name in (CONFIG_FILE, WEIGHTS_FILE, CARD_FILE):
            (staging / name).chmod(0o644)
        _replace_directory(staging, directory)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return directory


def _replace_directory(staging: Path, directory: Path) -> None:
    """Move staging into place; an existing directory is swapped out, then removed."""
    if directory.exists():
        retired = directory.with_name(f".{directory.name}.old-{os.getpid()}")
        os.replace(directory, retired)
        os.replace(staging, directory)
        shutil.rmtree(retired, ignore_errors=True)
    else:
        os.replace(staging, directory)


def model_directories(root: Path) -> Iterator[Path]:
    """Complete model directories under root (hidden staging directories are skipped)."""
    if not root.is_dir():
        return
    for path in sorted(root.iterdir()):
        if path.is_dir() and not path.name.startswith(".") and (path / CONFIG_FILE).is_file():
            yield path


def _load_named(directory: Path, source: str) -> LoadedModel:
    """Load a registry entry, whose folder name is its id (what URLs name it by)."""
    model = load_model(directory, source)
    if model.id != directory.name:
        raise ModelFormatError(f"{directory} holds model {model.id!r}; the folder must be named so")
    return model


class ModelRegistry:
    """Shipped models (loaded once) plus uploaded ones (re-scanned, so all workers agree)."""

    def __init__(self, shipped_dir: Path, uploads_dir: Path | None = None) -> None:
        self.shipped_dir = Path(shipped_dir)
        self.uploads_dir = Path(uploads_dir) if uploads_dir else None
        self._lock = threading.Lock()
        self.shipped: dict[str, LoadedModel] = {
            path.name: _load_named(path, "shipped") for path in model_directories(self.shipped_dir)
        }
        self._uploaded: dict[str, tuple[int, LoadedModel]] = {}
        self._scanned_stamp: int | None = None  # uploads_dir's st_mtime_ns at the last scan

    def all(self) -> list[LoadedModel]:
        self.refresh_uploads()
        return [*self.shipped.values(), *(model for _, model in self._uploaded.values())]

    def get(self, model_id: str) -> LoadedModel | None:
        if model_id in self.shipped:
            return self.shipped[model_id]
        self.refresh_uploads()
        entry = self._uploaded.get(model_id)
        return entry[1] if entry else None

    def refresh_uploads(self) -> None:
        """Pick up uploads written by any worker and forget deleted ones.

        Uploads and deletions rename a folder into or out of uploads_dir, which changes its
        mtime; while that is the one seen at the last scan, one stat is all a request costs.
        """
        if self.uploads_dir is None:
            return
        with self._lock:
            stamp = _settled_mtime_ns(self.uploads_dir)
            if stamp is not None and stamp == self._scanned_stamp:
                return
            self._uploaded = self._scan_uploads(self.uploads_dir)
            self._scanned_stamp = stamp

    def _scan_uploads(self, root: Path) -> dict[str, tuple[int, LoadedModel]]:
        """Every model under root, reusing the loaded ones whose config.json is unchanged."""
        seen: dict[str, tuple[int, LoadedModel]] = {}
        for path in model_directories(root):
            try:
                stamp = (path / CONFIG_FILE).stat().st_mtime_ns
                entry = self._uploaded.get(path.name)
                if entry is None or entry[0] != stamp:
                    entry = (stamp, _load_named(path, "uploaded"))
                seen[path.name] = entry
            except (ModelFormatError, OSError):
                continue  # half-deleted or foreign directory: not a model
        return seen


# A directory changed twice within the file system's timestamp granularity keeps one mtime, so
# an mtime this close to now cannot yet stand for "nothing changed since" (git's racy-index rule).
SETTLE_NS = 2_000_000_000


def _settled_mtime_ns(directory: Path) -> int | None:
    """directory's st_mtime_ns once old enough to trust, None while too recent, -1 if missing."""
    try:
        mtime = directory.stat().st_mtime_ns
    except OSError:
        return -1  # no directory: a stamp of its own, so its appearance is noticed
    return mtime if time.time_ns() - mtime >= SETTLE_NS else None

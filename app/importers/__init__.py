"""Import models made elsewhere (Keras .keras/.h5, PyTorch weights) as gatescope models.

Nothing here imports Keras or unpickles anything: Keras files are read with zipfile, json and
h5py; PyTorch files with safetensors or ``torch.load(..., weights_only=True)``. A model is
stored (atomically) only once it has been converted, validated and run on a probe input.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

from app.importers import keras, torch_state
from app.importers.archive import is_zip
from app.importers.assemble import Options, checked_network, model_card, model_config
from app.importers.errors import ModelImportError, too_large
from app.importers.hdf5 import is_hdf5
from app.importers.limits import ImportLimits
from app.importers.names import split_names
from app.importers.parts import Converted
from app.importers.storage import (
    check_free,
    check_model_id,
    delete_model,
    free_id,
    id_from_filename,
    store_model,
    uploads_dir,
)
from app.preprocessing import tokenizer_from_config
from app.zoo import LoadedModel, ModelFormatError, load_model

__all__ = [
    "ImportLimits",
    "ModelImportError",
    "SUPPORTED_SUFFIXES",
    "delete_model",
    "import_model_bytes",
    "import_model_file",
    "split_names",
    "uploads_dir",
]

Reader = Callable[[bytes, str, "dict[str, Any] | None", ImportLimits], Converted]
SUPPORTED_SUFFIXES = (".keras", ".h5", ".hdf5", ".safetensors", ".pt", ".pth", ".bin", ".zip")
MAX_COMPANION_BYTES = 50_000_000
MAX_ID_ATTEMPTS = 20  # derived ids only: each collision takes the next free one
MAX_NAME_CHARS = 100  # one feature or class name


def import_model_file(
    path: Path,
    *,
    tokenizer: Path | None = None,
    config: Path | None = None,
    model_id: str | None = None,
    title: str | None = None,
    maxlen: int | None = None,
    padding: str | None = None,
    features: list[str] | None = None,
    labels: list[str] | None = None,
    data_dir: Path,
    reserved_ids: Collection[str] = (),
    limits: ImportLimits | None = None,
) -> LoadedModel:
    """Import the model file at ``path`` (with optional companion files) into ``data_dir``.

    ``labels`` name a classifier's classes in output order (default "class 0", "class 1", ...).
    Raises ModelImportError naming the field at fault. ``reserved_ids`` are ids that may not
    be taken (the shipped models'); ``limits`` default to ImportLimits() (no model-size caps).
    """
    limits = limits or ImportLimits()
    return import_model_bytes(
        _read_file(Path(path), "file", limits.max_file_bytes),
        Path(path).name,
        tokenizer=_read_file(Path(tokenizer), "tokenizer", limits.max_file_bytes)
        if tokenizer
        else None,
        config=_read_file(Path(config), "config", limits.max_file_bytes) if config else None,
        model_id=model_id,
        title=title,
        maxlen=maxlen,
        padding=padding,
        features=features,
        labels=labels,
        data_dir=data_dir,
        reserved_ids=reserved_ids,
        limits=limits,
    )


def import_model_bytes(
    data: bytes,
    filename: str,
    *,
    tokenizer: bytes | None = None,
    config: bytes | None = None,
    model_id: str | None = None,
    title: str | None = None,
    maxlen: int | None = None,
    padding: str | None = None,
    features: list[str] | None = None,
    labels: list[str] | None = None,
    data_dir: Path,
    reserved_ids: Collection[str] = (),
    limits: ImportLimits | None = None,
) -> LoadedModel:
    """Import a model held in memory (an upload); ``filename`` tells its format by suffix."""
    limits = limits or ImportLimits()
    if len(data) > limits.max_file_bytes:
        raise too_large("file", f"is {len(data):,} bytes; the limit is {limits.max_file_bytes:,}.")
    chosen_id = check_model_id(model_id) if model_id is not None else None
    if chosen_id is not None:
        check_free(chosen_id, data_dir, reserved_ids)
    options = Options(
        model_id=chosen_id,
        title=title,
        maxlen=_check_maxlen(maxlen),
        padding=_check_padding(padding),
        features=_check_names(features, "features"),
        labels=_check_names(labels, "labels"),
        tokenizer=_tokenizer_document(tokenizer) if tokenizer is not None else None,
        companion=_json_object(config, "config") if config is not None else None,
    )
    converted = _reader(data, filename)(data, filename, options.companion, limits)
    for attempt in range(MAX_ID_ATTEMPTS):
        final_id = chosen_id or free_id(_default_id(converted, filename), data_dir, reserved_ids)
        spec = model_config(converted, options, final_id)
        network = checked_network(spec, converted, limits)
        try:
            directory = store_model(network, spec, model_card(spec, converted, filename), data_dir)
        except ModelImportError as error:
            if chosen_id or error.status_code != 409 or attempt == MAX_ID_ATTEMPTS - 1:
                raise
            continue  # another upload took the derived id meanwhile: take the next one
        return _load_stored(directory)
    raise AssertionError("unreachable")


def _load_stored(directory: Path) -> LoadedModel:
    """The stored model as every worker will load it; removed again if the zoo refuses it."""
    try:
        return load_model(directory, source="uploaded")
    except ModelFormatError as error:
        delete_model(directory.name, directory.parent.parent)
        raise ModelImportError("file", f"gives a model gatescope cannot load: {error}") from error


def _default_id(converted: Converted, filename: str) -> str:
    """The id a gatescope config names, else one made from the file name."""
    named = converted.config.get("id") if converted.complete else None
    if isinstance(named, str):
        try:
            return check_model_id(named)
        except ModelImportError:
            pass
    return id_from_filename(filename)


def _reader(data: bytes, filename: str) -> Reader:
    """The reader for a file, by its suffix, after checking its content looks the part."""
    suffix = Path(filename).suffix.lower()
    if suffix == ".keras":
        return _expect(is_zip(data), ".keras", "a zip archive", keras.read_keras_archive)
    if suffix in (".h5", ".hdf5"):
        return _expect(is_hdf5(data), suffix, "an HDF5 file", keras.read_legacy_h5)
    if suffix == ".safetensors":
        return torch_state.read_safetensors
    if suffix in torch_state.TORCH_SUFFIXES:
        return torch_state.read_torch_state
    if suffix == ".zip":
        return torch_state.read_model_zip
    raise ModelImportError(
        "file",
        f"has the suffix {suffix or '(none)'!r}; gatescope imports Keras .keras and .h5 files, "
        "PyTorch .safetensors and .pt/.pth state dicts (with a config.json), and zipped "
        "gatescope models (.zip).",
    )


def _expect(ok: bool, suffix: str, what: str, reader: Any) -> Reader:
    if not ok:
        raise ModelImportError(
            "file", f"is named {suffix} but is not {what} (truncated, or another kind of file?)."
        )
    return reader  # type: ignore[no-any-return]


def _read_file(path: Path, field: str, limit: int) -> bytes:
    try:
        size = path.stat().st_size
        if size > limit:
            raise too_large(field, f"{path} is {size:,} bytes; the limit is {limit:,}.")
        return path.read_bytes()
    except OSError as error:
        raise ModelImportError(field, f"cannot be read: {error}") from error


def _json_object(raw: bytes, field: str) -> dict[str, Any]:
    if len(raw) > MAX_COMPANION_BYTES:
        raise too_large(field, f"is {len(raw):,} bytes; too large for a JSON file.")
    try:
        document = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ModelImportError(field, f"is not valid JSON: {error}") from error
    if not isinstance(document, dict):
        raise ModelImportError(field, "must be a JSON object.")
    return document


def _tokenizer_document(raw: bytes) -> dict[str, Any]:
    """The tokenizer JSON, once app.preprocessing has read it as a Keras tokenizer."""
    document = _json_object(raw, "tokenizer")
    try:
        tokenizer_from_config(document)
    except (ValueError, TypeError, KeyError) as error:
        raise ModelImportError(
            "tokenizer", f"is not the JSON of a Keras tokenizer (tokenizer.to_json()): {error}"
        ) from error
    return document


def _check_maxlen(maxlen: int | None) -> int | None:
    if maxlen is not None and (isinstance(maxlen, bool) or not 1 <= maxlen <= 10_000):
        raise ModelImportError("maxlen", f"must be a whole number from 1 to 10000; got {maxlen!r}.")
    return maxlen


def _check_padding(padding: str | None) -> str | None:
    if padding is not None and padding not in ("pre", "post"):
        raise ModelImportError("padding", f"must be 'pre' or 'post'; got {padding!r}.")
    return padding


def _check_names(names: list[str] | None, field: str) -> list[str] | None:
    """Feature or class names: each non-empty, short, and different from the others."""
    if names is None:
        return None
    cleaned = [name.strip() for name in names]
    if not cleaned or any(not name or len(name) > MAX_NAME_CHARS for name in cleaned):
        raise ModelImportError(
            field, f"must be one or more names of at most {MAX_NAME_CHARS} characters, none empty."
        )
    if len(set(cleaned)) != len(cleaned):
        twice = sorted({name for name in cleaned if cleaned.count(name) > 1})
        raise ModelImportError(field, f"names {', '.join(map(repr, twice))} more than once.")
    return cleaned

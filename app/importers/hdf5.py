"""Reading HDF5 files (Keras weights) from memory without trusting them.

Only hard links are followed (an external or soft link could point at another file on the
server), datasets stored outside the file (external storage, virtual datasets) are refused, and
every dataset's size is checked from its shape before it is read and counted against a budget.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import h5py
import numpy as np

from app.importers.errors import ModelImportError
from app.importers.limits import ByteBudget

HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"


def is_hdf5(data: bytes) -> bool:
    return data[:8] == HDF5_MAGIC


@contextmanager
def open_hdf5(data: bytes, field: str = "file", what: str = "the file") -> Iterator[h5py.File]:
    """``data`` opened read-only as HDF5, entirely in memory."""
    if not is_hdf5(data):
        raise ModelImportError(field, f"{what} is not an HDF5 file (a Keras .h5 starts with one).")
    try:
        handle = h5py.File(io.BytesIO(data), "r")
    except (OSError, ValueError) as error:
        raise ModelImportError(
            field, f"{what} is not a readable HDF5 file (truncated or damaged?): {error}"
        ) from error
    with handle:
        yield handle


def child(group: h5py.Group, name: str, field: str = "file") -> h5py.Group | h5py.Dataset | None:
    """``group[name]`` when it is a hard link inside this file; None when absent."""
    try:
        link = group.get(name, getlink=True)
    except (KeyError, OSError, ValueError, TypeError) as error:
        raise ModelImportError(field, f"has an unreadable HDF5 entry {name!r}: {error}") from error
    if link is None:
        return None
    if not isinstance(link, h5py.HardLink):
        raise ModelImportError(
            field,
            f"links {name!r} to somewhere outside the file; gatescope reads plain HDF5 files.",
        )
    try:
        return group[name]
    except (KeyError, OSError, ValueError) as error:
        raise ModelImportError(field, f"has an unreadable HDF5 entry {name!r}: {error}") from error


def group_at(group: h5py.Group, path: str, field: str = "file") -> h5py.Group | None:
    """The group at a slash-separated ``path`` below ``group``, following hard links only."""
    node = node_at(group, path, field)
    return node if isinstance(node, h5py.Group) else None


def child_names(group: h5py.Group, field: str = "file") -> list[str]:
    try:
        return list(group.keys())
    except (OSError, ValueError) as error:
        raise ModelImportError(field, f"has an unreadable HDF5 group: {error}") from error


def read_array(dataset: Any, budget: ByteBudget, name: str, field: str = "file") -> np.ndarray:
    """A float dataset's values, once its storage, type and size have been checked."""
    if not isinstance(dataset, h5py.Dataset):
        raise ModelImportError(
            field, f"holds {name!r} as something other than an array of weights."
        )
    if dataset.is_virtual or dataset.external:
        raise ModelImportError(
            field, f"stores {name!r} outside the file; gatescope reads self-contained HDF5 files."
        )
    if dataset.dtype.kind != "f":
        raise ModelImportError(
            field, f"holds {name!r} as {dataset.dtype}; weights must be floating-point numbers."
        )
    budget.take(int(dataset.size) * dataset.dtype.itemsize, field)
    try:
        values = np.asarray(dataset[()], dtype=np.float32)
    except (OSError, ValueError, TypeError) as error:
        raise ModelImportError(field, f"has unreadable weights {name!r}: {error}") from error
    if not np.isfinite(values).all():
        raise ModelImportError(field, f"has weights {name!r} that are NaN or infinite.")
    return values


def json_attribute(node: h5py.HLObject, name: str, limit: int, field: str = "file") -> Any:
    """A JSON document stored as a string attribute (Keras's ``model_config``), or None."""
    try:
        if name not in node.attrs:
            return None
        raw = node.attrs[name]
    except (OSError, ValueError, TypeError) as error:
        raise ModelImportError(field, f"has an unreadable {name!r} attribute: {error}") from error
    text = text_of(raw)
    if text is None:
        raise ModelImportError(field, f"holds its {name!r} in a form that is not text.")
    if len(text) > limit:
        raise ModelImportError(field, f"has a {name!r} of {len(text):,} characters; too long.")
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ModelImportError(field, f"has a {name!r} that is not valid JSON: {error}") from error


def string_list_attribute(node: h5py.HLObject, name: str, field: str = "file") -> list[str]:
    """A list-of-strings attribute (Keras's ``weight_names``); empty when absent."""
    try:
        raw = node.attrs[name] if name in node.attrs else []
    except (OSError, ValueError, TypeError) as error:
        raise ModelImportError(field, f"has an unreadable {name!r} attribute: {error}") from error
    result = [text_of(item) for item in np.asarray(raw).reshape(-1)] if len(raw) else []
    if any(item is None for item in result):
        raise ModelImportError(field, f"holds {name!r} in a form that is not text.")
    return [item for item in result if item is not None]


def text_of(raw: Any) -> str | None:
    """A str from an HDF5 string attribute (str, bytes or numpy bytes); None for anything else."""
    if isinstance(raw, bytes | np.bytes_):
        return bytes(raw).decode("utf-8", errors="replace")
    if isinstance(raw, str):
        return raw
    return None


def node_at(group: h5py.Group, path: str, field: str = "file") -> h5py.Group | h5py.Dataset | None:
    """The group or dataset at a slash-separated ``path``, following hard links only."""
    node: Any = group
    for part in [part for part in path.split("/") if part]:
        if not isinstance(node, h5py.Group):
            return None
        node = child(node, part, field)
        if node is None:
            return None
    return node

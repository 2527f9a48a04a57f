"""PyTorch weights: gatescope's own format (weights.safetensors + config.json) and state dicts.

Configs of format version 2 (``blocks``) and version 1 (one module under ``recurrent``, whose
weights are named ``recurrent.<name>``) are both read; ModelConfig upgrades a version-1 document
and ``upgrade_state`` renames its weights as version 2 stores them (``blocks.0.<name>``).

A state dict saved with ``torch.save`` is only ever opened with ``torch.load(...,
weights_only=True)``, which refuses anything but tensors and plain containers, so a pickle that
would run code is rejected instead of run. Legacy (pre-zip) torch files are refused outright:
their storages declare their own sizes, which a hostile file could inflate.
"""

from __future__ import annotations

import io
import json
import posixpath
from collections.abc import Mapping
from typing import Any

import torch
from safetensors.torch import load as load_safetensors
from torch import Tensor

from app.importers import archive
from app.importers.errors import ModelImportError
from app.importers.limits import ByteBudget, ImportLimits
from app.importers.parts import Converted
from app.zoo.spec import upgrade_state
from app.zoo.store import CARD_FILE, CONFIG_FILE, WEIGHTS_FILE

TORCH_SUFFIXES = (".pt", ".pth", ".bin")
MAX_CARD_BYTES = 200_000


def read_safetensors(
    data: bytes, filename: str, config: dict[str, Any] | None, limits: ImportLimits
) -> Converted:
    """weights.safetensors (GateNet's state dict) with gatescope's config.json beside it."""
    state = _safetensors_state(data, "file")
    return _converted(state, _required(config), filename, "gatescope model (weights.safetensors)")


def read_torch_state(
    data: bytes, filename: str, config: dict[str, Any] | None, limits: ImportLimits
) -> Converted:
    """A state dict saved with torch.save, opened weights-only, with gatescope's config.json."""
    if not archive.is_zip(data):
        raise ModelImportError(
            "file",
            "is not a zip-format PyTorch file; gatescope reads files written by torch.save "
            "(PyTorch 1.6 or later, the default format) and never unpickles anything else.",
        )
    with archive.open_zip(data, limits):
        pass  # declared sizes fit the limits before torch reads a byte
    try:
        loaded = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises many types for hostile or damaged files
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ModelImportError(
            "file",
            "is not a weights-only PyTorch state dict (gatescope loads torch files with "
            f"weights_only=True and never runs code from them): {reason[:300]}",
        ) from error
    state = checked_state(loaded, "file")
    return _converted(state, _required(config), filename, "PyTorch state dict (torch.save)")


def read_model_zip(
    data: bytes, filename: str, config: dict[str, Any] | None, limits: ImportLimits
) -> Converted:
    """A zipped gatescope model directory: config.json, weights.safetensors, optional card.md."""
    budget = ByteBudget(limits.max_unpacked_bytes, "the zip archive")
    with archive.open_zip(data, limits) as zipped:
        folder = _model_folder(archive.names(zipped))
        own_config = _json_document(
            archive.read_member(zipped, posixpath.join(folder, CONFIG_FILE), budget), "file"
        )
        weights = archive.read_member(zipped, posixpath.join(folder, WEIGHTS_FILE), budget)
        card_name = posixpath.join(folder, CARD_FILE)
        card = (
            archive.read_member(zipped, card_name, budget).decode("utf-8", errors="replace")
            if card_name in archive.names(zipped)
            else ""
        )
    state = _safetensors_state(weights, "file")
    converted = _converted(state, config or own_config, filename, "gatescope model (zip)")
    if card and len(card) <= MAX_CARD_BYTES:
        converted.notes.insert(0, card.strip())
    return converted


def checked_state(loaded: Any, field: str) -> dict[str, Tensor]:
    """A mapping of names to finite float tensors, all of one float dtype (float32 or float64)."""
    if isinstance(loaded, Mapping) and set(loaded) == {"state_dict"}:
        loaded = loaded["state_dict"]
    if not isinstance(loaded, Mapping):
        raise ModelImportError(
            field, f"holds a {type(loaded).__name__}, not a state dict (names mapped to tensors)."
        )
    state: dict[str, Tensor] = {}
    for name, value in loaded.items():
        if not isinstance(name, str) or not isinstance(value, Tensor):
            raise ModelImportError(
                field,
                f"has an entry {name!r} that is not a named tensor; a state dict holds tensors.",
            )
        if not value.is_floating_point():
            raise ModelImportError(
                field, f"has a tensor {name!r} of {value.dtype}; weights are floats."
            )
        if not bool(torch.isfinite(value).all()):
            raise ModelImportError(field, f"has a tensor {name!r} with NaN or infinite values.")
        state[name] = value.detach().cpu().contiguous()
    if not state:
        raise ModelImportError(field, "holds no tensors.")
    dtypes = {tensor.dtype for tensor in state.values()}
    if dtypes != {torch.float64}:
        state = {name: tensor.to(torch.float32) for name, tensor in state.items()}
    return state


def _safetensors_state(data: bytes, field: str) -> dict[str, Tensor]:
    try:
        loaded = load_safetensors(data)
    except Exception as error:  # safetensors raises its own error types
        raise ModelImportError(
            field, f"is not a readable safetensors file (truncated or damaged?): {error}"
        ) from error
    return checked_state(loaded, field)


def _model_folder(members: set[str]) -> str:
    """Where config.json and weights.safetensors sit: the root or one top-level folder."""
    for candidate in sorted({posixpath.dirname(name) for name in members}):
        if candidate.count("/") > 0:
            continue
        if {
            posixpath.join(candidate, CONFIG_FILE),
            posixpath.join(candidate, WEIGHTS_FILE),
        } <= members:
            return candidate
    raise ModelImportError(
        "file",
        f"is a zip without {CONFIG_FILE} and {WEIGHTS_FILE}; gatescope reads a zipped model "
        "directory or a Keras .keras file.",
    )


def _required(config: dict[str, Any] | None) -> dict[str, Any]:
    if config is None:
        raise ModelImportError(
            "config",
            "is needed with PyTorch weights: upload gatescope's config.json (see "
            "docs/model-format.md) as the config file.",
        )
    return config


def _json_document(raw: bytes, field: str) -> dict[str, Any]:
    try:
        document = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ModelImportError(
            field, f"has a {CONFIG_FILE} that is not valid JSON: {error}"
        ) from error
    if not isinstance(document, dict):
        raise ModelImportError(field, f"has a {CONFIG_FILE} that is not a JSON object.")
    return document


def _converted(
    state: dict[str, Tensor], config: dict[str, Any], filename: str, source: str
) -> Converted:
    title = config.get("title") if isinstance(config.get("title"), str) else None
    stem = filename.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return Converted(
        config=dict(config),
        state=upgrade_state(state),  # no-op for version 2, which has no "recurrent." tensors
        source=source,
        title=title or stem or "Imported model",
        complete=True,
    )

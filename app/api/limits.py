"""Operator limits (GATESCOPE_MAX_*), checked before torch runs; 422s that name the field."""

from __future__ import annotations

from typing import Any

from app.api.errors import ApiError
from app.api.schemas import AdhocTraceRequest
from app.config import Settings
from app.recurrent import GATE_NAMES, CellKind
from app.zoo import LoadedModel


def _too_much(loc: list[str | int], msg: str) -> ApiError:
    return ApiError(422, ["body", *loc], msg, "limit_exceeded")


def check_input(raw: Any, loc: list[str | int], settings: Settings) -> None:
    """A text no longer than max_text_chars, a list of steps no longer than max_steps."""
    if isinstance(raw, str) and len(raw) > settings.max_text_chars:
        raise _too_much(loc, f"has {len(raw)} characters; the limit is {settings.max_text_chars}")
    if isinstance(raw, list) and len(raw) > settings.max_steps:
        raise _too_much(loc, f"has {len(raw)} steps; the limit is {settings.max_steps}")


def check_batch(raws: list[Any], settings: Settings) -> None:
    """At most max_batch inputs, each within the input limits."""
    if len(raws) > settings.max_batch:
        raise _too_much(["inputs"], f"has {len(raws)} inputs; the limit is {settings.max_batch}")
    for index, raw in enumerate(raws):
        check_input(raw, ["inputs", index], settings)


def trace_size(cell: CellKind, steps: int, units: int, layers: int, bidirectional: bool) -> int:
    """How many numbers a trace holds: every series of every step, unit and layer-direction."""
    directions = 2 if bidirectional else 1
    series = len(GATE_NAMES[cell]) + 1 + (cell == "lstm")  # gates, hidden, LSTM's cell state
    return series * steps * units * layers * directions


def check_trace_size(size: int, settings: Settings) -> None:
    if size > settings.max_trace_values:
        raise _too_much(
            [],
            f"this trace would hold {size} numbers; the limit is {settings.max_trace_values}: "
            "use fewer steps, units or layers",
        )


def model_trace_size(model: LoadedModel, raw: Any) -> int:
    """An upper bound of a model's trace size for one input (text reads at most maxlen steps),
    summed over its blocks."""
    preprocessing = model.config.preprocessing
    steps = len(raw) if isinstance(raw, list) else getattr(preprocessing, "maxlen", 1)
    return sum(
        trace_size(block.cell, steps, block.hidden_size, block.num_layers, block.bidirectional)
        for block in model.config.blocks
    )


def check_adhoc(request: AdhocTraceRequest, settings: Settings) -> None:
    """Sizes of an ad-hoc network within the operator's limits."""
    bounds = (
        ("input_size", request.input_size, settings.max_input_size),
        ("hidden_size", request.hidden_size, settings.max_hidden_size),
        ("num_layers", request.num_layers, settings.max_layers),
    )
    for name, value, limit in bounds:
        if value > limit:
            raise _too_much([name], f"is {value}; the limit is {limit}")
    check_input(request.input, ["input"], settings)
    size = trace_size(
        request.cell,
        len(request.input),
        request.hidden_size,
        request.num_layers,
        request.bidirectional,
    )
    check_trace_size(size, settings)

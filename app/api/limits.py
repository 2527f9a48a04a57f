"""Operator limits (GATESCOPE_MAX_*), checked before torch runs; 422s that name the field.

The rules and their wording live in app.zoo.inputs; here they meet the settings, and their
errors become 422s of type `limit_exceeded` (each with its own `code`, e.g. `too_many_steps`).
"""

from __future__ import annotations

from typing import Any

from app.api.errors import ApiError, field_path
from app.api.schemas import AdhocTraceRequest
from app.config import Settings
from app.recurrent import GATE_NAMES, CellKind
from app.zoo import InputError, LoadedModel
from app.zoo import inputs as rules


def _too_much(error: InputError) -> ApiError:
    return ApiError.from_input(error, type_="limit_exceeded")


def check_input(raw: Any, loc: list[str | int], settings: Settings) -> None:
    """A text no longer than max_text_chars, a list of steps no longer than max_steps."""
    try:
        rules.check_lengths(raw, field_path(loc), rules.limits_of(settings))
    except InputError as error:
        raise _too_much(error) from error


def check_batch(raws: list[Any], settings: Settings) -> None:
    """At most max_batch inputs, each within the input limits."""
    try:
        rules.check_batch(raws, "inputs", rules.limits_of(settings))
    except InputError as error:
        raise _too_much(error) from error


def trace_size(cell: CellKind, steps: int, units: int, layers: int, bidirectional: bool) -> int:
    """How many numbers a trace holds: every series of every step, unit and layer-direction."""
    directions = 2 if bidirectional else 1
    series = len(GATE_NAMES[cell]) + 1 + (cell == "lstm")  # gates, hidden, LSTM's cell state
    return series * steps * units * layers * directions


def check_trace_size(size: int, settings: Settings) -> None:
    try:
        rules.check_trace_values(size, settings.max_trace_values)
    except InputError as error:
        raise _too_much(error) from error


def model_trace_size(model: LoadedModel, raw: Any) -> int:
    """An upper bound of a model's trace size for one input (text reads at most maxlen steps),
    summed over its blocks."""
    preprocessing = model.config.preprocessing
    steps = len(raw) if isinstance(raw, list) else getattr(preprocessing, "maxlen", 1)
    if isinstance(raw, str) and model.reads_characters:
        steps = min(steps, len(raw))  # one step per character
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
    try:
        for name, value, limit in bounds:
            rules.check_at_most(value, name, limit)
    except InputError as error:
        raise _too_much(error) from error
    check_input(request.input, ["input"], settings)
    size = trace_size(
        request.cell,
        len(request.input),
        request.hidden_size,
        request.num_layers,
        request.bidirectional,
    )
    check_trace_size(size, settings)

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


# -- estimated cost, before torch runs (app.api.workers picks a lane by it) -------------------

# Cost is counted in trace numbers (rendering one costs about 0.2 us). Analysing one character
# into morphemes costs Kiwi 17-57 us, splitting on spaces well under 1 us; predicting (no trace
# to render) about a quarter of what tracing the same input costs.
MORPHEME_CHAR_COST = 200
WORD_CHAR_COST = 2
PREDICT_SHARE = 4


def text_cost(model: LoadedModel, raw: Any) -> int:
    """What preparing a text input costs: its characters, weighted by the model's analyser."""
    if not isinstance(raw, str):
        return 0
    analyzer = getattr(model.config.preprocessing, "analyzer", None)
    return len(raw) * (MORPHEME_CHAR_COST if analyzer == "morpheme" else WORD_CHAR_COST)


def trace_cost(model: LoadedModel, raw: Any) -> int:
    """A model trace: the numbers it will hold plus the analysis of its text."""
    return model_trace_size(model, raw) + text_cost(model, raw)


def predict_cost(model: LoadedModel, raws: list[Any]) -> int:
    """A predict call: every input run (no trace rendered) and every text analysed."""
    return sum(
        model_trace_size(model, raw) // PREDICT_SHARE + text_cost(model, raw) for raw in raws
    )


def adhoc_cost(request: AdhocTraceRequest) -> int:
    """An ad-hoc trace: the numbers it will hold plus drawing its parameters (when not cached)."""
    size = trace_size(
        request.cell,
        len(request.input),
        request.hidden_size,
        request.num_layers,
        request.bidirectional,
    )
    return size + adhoc_parameters(request) // PREDICT_SHARE


def adhoc_parameters(request: AdhocTraceRequest) -> int:
    """How many parameters the ad-hoc network has (weights and both biases per gate block)."""
    gates = {"lstm": 4, "gru": 3, "rnn": 1}[request.cell]
    directions = 2 if request.bidirectional else 1
    total, width = 0, request.input_size
    for _ in range(request.num_layers):
        total += directions * gates * request.hidden_size * (width + request.hidden_size + 2)
        width = request.hidden_size * directions
    return total


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

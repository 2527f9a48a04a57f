"""A trace written out as JSON, CSV or NumPy .npz: shared by the API and the command line.

Tensors never pass through Python floats on the JSON path: they are rounded in torch (in float64,
so 0.1234 stays 0.1234 and not 0.12340000271797180), handed to orjson as NumPy arrays, and NaN
(a step a sequence does not have) comes out as null. Full precision writes float32 values in
their shortest exact form.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from itertools import chain, repeat
from typing import Any, Literal

import numpy as np
import orjson
import torch
from numpy.typing import NDArray
from torch import Tensor

from app.recurrent import LayerTrace, Trace
from app.zoo import LoadedModel, TracedInput

ExportFormat = Literal["json", "csv", "npz"]
MEDIA_TYPES: dict[ExportFormat, str] = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "npz": "application/x-npz",
}
_JSON_OPTIONS = orjson.OPT_SERIALIZE_NUMPY
# A leading character a spreadsheet would run as a formula (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class TraceView:
    """What one trace response holds: the input as the network saw it, the layers, the outcome."""

    cell: str  # the kind every block shares, or "mixed"
    layers: list[LayerTrace]
    nonlinearity: str = "tanh"  # nn.RNN's activation; the page's equations and ranges follow it
    model: str | None = None
    task: str | None = None
    tokens: list[str] | None = None
    token_ids: list[int] | None = None
    token_kinds: list[str] | None = None
    truncated: dict[str, Any] | None = None
    values: list[list[float]] | None = None
    scaled: list[list[float]] | None = None
    prediction: dict[str, Any] | None = None
    step_predictions: list[dict[str, Any]] | None = None

    @property
    def steps(self) -> int:
        return int(self.layers[0].hidden.shape[1])


def view_of_traced(model: LoadedModel, traced: TracedInput) -> TraceView:
    """The view of a zoo model's trace, with tokens or values and the prediction."""
    prepared = traced.prepared
    steps = traced.step_predictions
    return TraceView(
        cell=traced.trace.cell,
        layers=traced.trace.layers,
        nonlinearity=traced.trace.nonlinearity,
        model=model.id,
        task=model.config.task,
        tokens=prepared.tokens,
        token_ids=prepared.token_ids,
        token_kinds=list(prepared.token_kinds) if prepared.token_kinds is not None else None,
        truncated=prepared.truncated.as_dict() if prepared.truncated is not None else None,
        values=prepared.values,
        scaled=prepared.scaled,
        prediction=traced.prediction.as_dict(),
        step_predictions=[step.as_dict() for step in steps] if steps is not None else None,
    )


def view_of_trace(traced: Trace, values: list[list[float]]) -> TraceView:
    """The view of an ad-hoc network's trace: its inputs are the values, there is no prediction."""
    return TraceView(
        cell=traced.cell, layers=traced.layers, nonlinearity=traced.nonlinearity, values=values
    )


# -- numbers ------------------------------------------------------------------------------------


def rounded(values: Tensor, precision: int | None) -> NDArray[Any]:
    """The first sequence of a (batch, steps, units) tensor as a C-contiguous NumPy array.

    With a precision: float64 rounded to that many decimals. Without: float32 as computed.
    """
    first = values[0].detach()
    if precision is None:
        return np.ascontiguousarray(first.to(torch.float32).numpy())
    return np.ascontiguousarray(torch.round(first.to(torch.float64), decimals=precision).numpy())


def _rounded_rows(rows: list[list[float]] | None, precision: int | None) -> Any:
    if rows is None or precision is None:
        return rows
    return np.round(np.asarray(rows, dtype=np.float64), precision)


def layer_payload(layer: LayerTrace, precision: int | None) -> dict[str, Any]:
    """One layer-direction: gates by name, hidden and cell, each [[value per unit] per step].

    `layer` counts over the whole chain of blocks; `block` and `block_layer` say where it sits,
    `kind` which cell it is (its gates and equations follow it)."""
    return {
        "layer": layer.layer,
        "block": layer.block,
        "block_layer": layer.block_layer,
        "kind": layer.kind,
        "nonlinearity": layer.nonlinearity,
        "reset_after": layer.reset_after,
        "direction": layer.direction,
        "units": layer.units,
        "gates": {name: rounded(value, precision) for name, value in layer.gates.items()},
        "hidden": rounded(layer.hidden, precision),
        "cell": rounded(layer.cell, precision) if layer.cell is not None else None,
    }


def trace_payload(view: TraceView, precision: int | None) -> dict[str, Any]:
    """The JSON document of a trace (NumPy arrays inside; orjson writes them)."""
    return {
        "model": view.model,
        "task": view.task,
        "cell": view.cell,
        "nonlinearity": view.nonlinearity,
        "blocks": blocks_payload(view.layers),
        "steps": view.steps,
        "precision": precision,
        "tokens": view.tokens,
        "token_ids": view.token_ids,
        "token_kinds": view.token_kinds,
        "truncated": view.truncated,
        "values": view.values,
        "scaled": _rounded_rows(view.scaled, precision),
        "layers": [layer_payload(layer, precision) for layer in view.layers],
        "prediction": rounded_prediction(view.prediction, precision),
        "step_predictions": [rounded_prediction(step, precision) for step in view.step_predictions]
        if view.step_predictions is not None
        else None,
    }


def blocks_payload(layers: list[LayerTrace]) -> list[dict[str, Any]]:
    """One entry per recurrent block: its cell, layers, direction and units."""
    blocks: dict[int, dict[str, Any]] = {}
    for layer in layers:
        entry = blocks.setdefault(
            layer.block,
            {
                "block": layer.block,
                "cell": layer.kind,
                "layers": 0,
                "bidirectional": False,
                "units": layer.units,
                "nonlinearity": layer.nonlinearity,
                "reset_after": layer.reset_after,
            },
        )
        entry["layers"] = max(entry["layers"], layer.block_layer + 1)
        entry["bidirectional"] = entry["bidirectional"] or layer.direction == "backward"
    return list(blocks.values())


def rounded_prediction(
    prediction: dict[str, Any] | None, precision: int | None
) -> dict[str, Any] | None:
    """A prediction with its floats rounded like the trace (labels and units untouched)."""
    if prediction is None or precision is None:
        return prediction
    return {
        key: round(value, precision) if isinstance(value, float) else value
        for key, value in prediction.items()
    }


def to_json(view: TraceView, precision: int | None) -> bytes:
    """The trace as compact JSON bytes."""
    return orjson.dumps(trace_payload(view, precision), option=_JSON_OPTIONS)


# -- CSV ----------------------------------------------------------------------------------------


def gate_columns(view: TraceView) -> list[str]:
    """Every gate name of any layer, in the order the layers name them (a chain of an LSTM and
    a GRU block has both sets; a layer leaves the other cell's columns empty)."""
    return list(dict.fromkeys(name for layer in view.layers for name in layer.gates))


def csv_columns(view: TraceView) -> list[str]:
    """layer, block, kind, direction, step, unit, token, one column per gate, cell, hidden."""
    return [
        "layer",
        "block",
        "kind",
        "direction",
        "step",
        "unit",
        "token",
        *gate_columns(view),
        "cell",
        "hidden",
    ]


def _number_strings(values: NDArray[Any]) -> list[bytes]:
    """Every value of an array as CSV text (NaN -> empty), written by orjson in one call."""
    text = orjson.dumps(values.reshape(-1), option=_JSON_OPTIONS)[1:-1]
    if not text:
        return []
    return [b"" if item == b"null" else item for item in text.split(b",")]


def _csv_text(text: str) -> str:
    """A token as a CSV field: formula starts defused, quoted when it holds a delimiter."""
    if text.startswith(_FORMULA_STARTS):
        text = "'" + text
    if any(char in text for char in ',"\r\n'):
        text = '"' + text.replace('"', '""') + '"'
    return text


def _step_labels(view: TraceView) -> list[bytes]:
    if view.tokens is not None:
        return [_csv_text(token).encode() for token in view.tokens]
    return [b""] * view.steps


def _repeat_each(items: list[bytes], times: int) -> list[bytes]:
    """[a, b] -> [a, a, b, b] for times=2 (each step's label once per unit)."""
    return list(chain.from_iterable(repeat(item, times) for item in items))


def _layer_columns(
    layer: LayerTrace, labels: list[bytes], gates: list[str], precision: int | None
) -> list[list[bytes]]:
    """The CSV columns of one layer-direction as byte strings, rows step-major then unit."""
    steps, units = int(layer.hidden.shape[1]), layer.units
    rows = steps * units
    series: list[Tensor | None] = [*map(layer.gates.get, gates), layer.cell, layer.hidden]
    numbers = [
        _number_strings(rounded(values, precision)) if values is not None else [b""] * rows
        for values in series
    ]
    return [
        [str(layer.layer).encode()] * rows,
        [str(layer.block).encode()] * rows,
        [layer.kind.encode()] * rows,
        [layer.direction.encode()] * rows,
        _repeat_each([str(step).encode() for step in range(steps)], units),
        [str(unit).encode() for unit in range(units)] * steps,
        _repeat_each(labels, units),
        *numbers,
    ]


def to_csv(view: TraceView, precision: int | None) -> bytes:
    """One row per layer, direction, step and unit (see csv_columns).

    Built column by column, then zipped into rows by C-level joins: a 1000-step, 512-unit LSTM
    (half a million rows) takes a fraction of a second instead of several.
    """
    labels = _step_labels(view)
    gates = gate_columns(view)
    lines = [",".join(csv_columns(view)).encode()]
    for layer in view.layers:
        columns = _layer_columns(layer, labels, gates, precision)
        lines.extend(map(b",".join, zip(*columns, strict=True)))
    return b"\r\n".join(lines) + b"\r\n"


# -- NumPy ----------------------------------------------------------------------------------------


def npz_arrays(view: TraceView) -> dict[str, NDArray[Any]]:
    """Arrays named `layer0_forward_forget` (steps, units), `..._hidden`, `..._cell`, and inputs."""
    arrays: dict[str, NDArray[Any]] = {}
    for layer in view.layers:
        stem = f"layer{layer.layer}_{layer.direction}"
        for name, value in layer.gates.items():
            arrays[f"{stem}_{name}"] = rounded(value, None)
        arrays[f"{stem}_hidden"] = rounded(layer.hidden, None)
        if layer.cell is not None:
            arrays[f"{stem}_cell"] = rounded(layer.cell, None)
    arrays.update(_input_arrays(view))
    return arrays


def _input_arrays(view: TraceView) -> dict[str, NDArray[Any]]:
    arrays: dict[str, NDArray[Any]] = {}
    if view.tokens is not None:
        arrays["tokens"] = np.array(view.tokens, dtype=np.str_)
    if view.token_ids is not None:
        arrays["token_ids"] = np.array(view.token_ids, dtype=np.int64)
    if view.token_kinds is not None:
        arrays["token_kinds"] = np.array(view.token_kinds, dtype=np.str_)
    if view.values is not None:
        arrays["values"] = np.array(view.values, dtype=np.float64)
    if view.scaled is not None:
        arrays["scaled"] = np.array(view.scaled, dtype=np.float64)
    return arrays


def to_npz(view: TraceView) -> bytes:
    """A compressed .npz at full float32 precision (np.load(..., allow_pickle=False) reads it)."""
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **npz_arrays(view))  # type: ignore[arg-type]
    return buffer.getvalue()


def render(view: TraceView, export: ExportFormat, precision: int | None) -> bytes:
    """The trace in one of the export formats (npz ignores precision: it is binary float32)."""
    if export == "csv":
        return to_csv(view, precision)
    if export == "npz":
        return to_npz(view)
    return to_json(view, precision)


def filename(stem: str, export: ExportFormat) -> str:
    """`trace-<stem>.<ext>` for Content-Disposition."""
    return f"trace-{stem}.{export}"

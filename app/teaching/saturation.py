"""Saturation: per unit and gate, how often the gate is nearly shut or wide open.

Karpathy, Johnson & Fei-Fei (2015) plot every gate unit as a point: x = the fraction of steps it
is left-saturated (< 0.1, shut), y = the fraction it is right-saturated (> 0.9, open). Points
near the top-left corner are gates that stay open (an LSTM forget gate that remembers); near
the diagonal's ends, gates that switch hard between the two.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.recurrent.analysis import saturation
from app.teaching.errors import NotApplicable
from app.zoo import LoadedModel, TracedInput


@dataclass(frozen=True)
class SaturationPoint:
    layer: int  # over all blocks, from 0
    block: int  # from 0
    block_layer: int  # inside its block, from 0
    kind: str  # lstm or gru: the layer's own cell
    direction: str
    gate: str
    unit: int  # from 0
    left: float  # fraction of steps below `low`
    right: float  # fraction of steps above `high`


@dataclass(frozen=True)
class SaturationStudy:
    traced: TracedInput
    low: float
    high: float
    gates: list[str]  # the sigmoid gates, in the cell's order
    points: list[SaturationPoint]


def saturation_study(
    model: LoadedModel, raw: Any, low: float = 0.1, high: float = 0.9, max_steps: int | None = None
) -> SaturationStudy:
    """Trace `raw` and measure every sigmoid gate unit of every layer-direction."""
    if all(cell == "rnn" for cell in model.config.cells):
        raise NotApplicable(
            "saturation_needs_gates",
            f"model {model.id} is a plain RNN: it has no gates to saturate; "
            "pick an LSTM or GRU model",
        )
    traced = model.run_trace(raw, max_steps)
    found = saturation(traced.trace, low=low, high=high)
    points = [
        SaturationPoint(
            item.layer,
            shown.block,
            shown.block_layer,
            shown.kind,
            item.direction,
            item.gate,
            unit,
            float(left),
            float(right),
        )
        for item in found
        for shown in [traced.trace.layer(item.layer, item.direction)]  # type: ignore[arg-type]
        for unit, (left, right) in enumerate(zip(item.left, item.right, strict=True))
    ]
    gates = list(dict.fromkeys(item.gate for item in found))
    return SaturationStudy(traced=traced, low=low, high=high, gates=gates, points=points)

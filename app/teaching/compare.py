"""Compare cells: one input through sibling models (RNN, LSTM, GRU), steps aligned.

Sibling models may prepare an input differently (another maxlen, padding side or vocabulary),
so each run keeps its own steps and says where each one sits on a shared axis of labels. When
every run reads the same tokens the axis is simply those tokens; otherwise it is the real
tokens (padding left out), aligned at the end, because every model reads the last word last.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.teaching.parameters import ParameterRow, parameter_table
from app.zoo import LoadedModel, PreparedInput, TracedInput


@dataclass(frozen=True)
class CellRun:
    """One sibling model's reading of the input."""

    model: LoadedModel
    traced: TracedInput
    positions: list[int | None]  # per step of this run: its index on the shared axis
    parameters: list[ParameterRow]

    @property
    def total_parameters(self) -> int:
        return sum(row.pytorch.count for row in self.parameters)


@dataclass(frozen=True)
class Comparison:
    axis: list[str]  # one label per aligned position: a token, or a step number for numbers
    runs: list[CellRun]


def compare(models: list[LoadedModel], raw: Any, max_steps: int | None = None) -> Comparison:
    """Trace `raw` through every model and align their steps on one axis."""
    traced = [model.run_trace(raw, max_steps) for model in models]
    axis, positions = align([item.prepared for item in traced])
    runs = [
        CellRun(model, item, run_positions, parameter_table(model.config))
        for model, item, run_positions in zip(models, traced, positions, strict=True)
    ]
    return Comparison(axis=axis, runs=runs)


def step_labels(prepared: PreparedInput) -> list[str]:
    """What a step is called: its token for text, its number (from 1) for numbers."""
    if prepared.tokens is not None:
        return list(prepared.tokens)
    return [str(step + 1) for step in range(prepared.steps)]


def align(prepared: list[PreparedInput]) -> tuple[list[str], list[list[int | None]]]:
    """The shared axis and, per run, each step's position on it (None for a left-out pad)."""
    labels = [step_labels(item) for item in prepared]
    if all(run == labels[0] for run in labels):
        return labels[0], [list(range(len(run))) for run in labels]
    real = [_real_steps(item) for item in prepared]
    owner = max(range(len(real)), key=lambda index: len(real[index]))
    axis = [labels[owner][step] for step in real[owner]]
    positions: list[list[int | None]] = []
    for item, steps in zip(prepared, real, strict=True):
        offset = len(axis) - len(steps)
        mapping: list[int | None] = [None] * item.steps
        for rank, step in enumerate(steps):
            mapping[step] = offset + rank
        positions.append(mapping)
    return axis, positions


def _real_steps(prepared: PreparedInput) -> list[int]:
    """The steps that read a real token (or every step of a numbers input)."""
    kinds = prepared.token_kinds
    if kinds is None:
        return list(range(prepared.steps))
    return [step for step, kind in enumerate(kinds) if kind != "pad"]

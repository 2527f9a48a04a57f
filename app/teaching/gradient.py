"""The vanishing gradient: how much the final state still feels each input step.

For each sibling model (RNN, LSTM, GRU) on the same input: the sensitivity of the final hidden
state to every input step, ||d h_T / d x_t|| (the tracer's analysis, exact autograd), and next
to it the retention: the running product of the keep gates from step t+1 to the end (LSTM's
forget gate f, PyTorch GRU's z, which keeps the old state), averaged over units. A plain RNN
has no keep gate; its sensitivity alone shows the fall.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from app.recurrent.analysis import retention, sensitivity_chain
from app.teaching.compare import align
from app.teaching.layers import LayerChoice, choice_of
from app.zoo import LoadedModel, Prediction, PreparedInput

# The gate whose running product is the retention: what the cell keeps of its old state.
KEEP_GATE: dict[str, str | None] = {"rnn": None, "lstm": "forget", "gru": "update"}


@dataclass(frozen=True)
class GradientRun:
    model: LoadedModel
    prepared: PreparedInput
    positions: list[int | None]  # per step: its index on the shared axis
    sensitivity: list[float]  # per step: ||d h_T / d x_t||
    retention: list[float] | None  # per step: mean over units of prod_{s>t} keep_s (None: RNN)
    keep_gate: str | None
    prediction: Prediction
    top: LayerChoice  # the top layer (forward), whose keep gate the retention follows

    @property
    def trace_kind(self) -> str:
        """The cell the sensitivity was measured through: the model's cell (or "mixed")."""
        return self.model.config.cell


@dataclass(frozen=True)
class KeptGradient:
    """How much of its last step's gradient one run still has at its first real step."""

    run: GradientRun
    first_step: int  # the first step that is not padding (0 for numbers)
    ratio: float | None  # sensitivity[first_step] / sensitivity[last]; None when undefined


@dataclass(frozen=True)
class GradientSummary:
    """What the numbers say, computed from them: which cell kept the most gradient back to the
    first real step, by how much, and whether the textbook picture (a plain RNN's falls
    fastest) shows on this input (None when there is no RNN, or a ratio is undefined)."""

    kept: list[KeptGradient]
    most: KeptGradient | None
    factor: float | None  # the most's ratio over the runner-up's
    textbook_holds: bool | None


@dataclass(frozen=True)
class GradientStudy:
    axis: list[str]
    runs: list[GradientRun]

    @property
    def summary(self) -> GradientSummary:
        return summarize(self.runs)


def gradient_study(
    models: list[LoadedModel], raw: Any, max_steps: int | None = None
) -> GradientStudy:
    """Sensitivity and retention of every model on `raw`, steps aligned as in compare."""
    traced = [model.run_trace(raw, max_steps) for model in models]
    axis, positions = align([item.prepared for item in traced])
    runs = []
    for model, item, run_positions in zip(models, traced, positions, strict=True):
        features = item.prepared.features
        per_step = sensitivity_chain(list(model.network.blocks), features)[0]
        keep_gate = KEEP_GATE[item.trace.layer(-1).kind]
        runs.append(
            GradientRun(
                model=model,
                prepared=item.prepared,
                positions=run_positions,
                sensitivity=[float(value) for value in per_step],
                retention=mean_retention(item.trace) if keep_gate else None,
                keep_gate=keep_gate,
                prediction=item.prediction,
                top=choice_of(item.trace.layer(-1)),
            )
        )
    return GradientStudy(axis=axis, runs=runs)


def mean_retention(traced: Any) -> list[float]:
    """The top layer's forward retention, averaged over units: one number per step."""
    kept = retention(traced, layer=-1)["forward"][0]  # (steps, units)
    return [float(value) for value in kept.mean(dim=-1)]


def first_real_step(prepared: PreparedInput) -> int:
    """The first step that holds an input rather than padding."""
    kinds = prepared.token_kinds or []
    return next((step for step, kind in enumerate(kinds) if kind != "pad"), 0)


def kept_gradient(run: GradientRun) -> KeptGradient:
    first = first_real_step(run.prepared)
    start, last = run.sensitivity[first], run.sensitivity[-1]
    defined = math.isfinite(start) and math.isfinite(last) and last > 0
    return KeptGradient(run=run, first_step=first, ratio=start / last if defined else None)


def summarize(runs: list[GradientRun]) -> GradientSummary:
    """Rank the runs by the gradient they kept; compare the plain RNN with the gated cells."""
    kept = [kept_gradient(run) for run in runs]
    if not kept or any(item.ratio is None for item in kept):
        return GradientSummary(kept=kept, most=None, factor=None, textbook_holds=None)
    ranked = sorted(kept, key=lambda item: item.ratio or 0.0, reverse=True)
    most, runner_up = ranked[0], ranked[1] if len(ranked) > 1 else None
    factor = (most.ratio or 0.0) / runner_up.ratio if runner_up and runner_up.ratio else None
    return GradientSummary(
        kept=kept, most=most, factor=factor, textbook_holds=_rnn_falls_fastest(ranked)
    )


def _rnn_falls_fastest(ranked: list[KeptGradient]) -> bool | None:
    """The textbook picture: the plain RNN keeps the least. None without an RNN and a gated run."""
    cells = [item.run.trace_kind for item in ranked]
    if "rnn" not in cells or len(set(cells)) < 2:
        return None
    return cells[-1] == "rnn"

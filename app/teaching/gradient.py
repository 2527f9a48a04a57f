"""The vanishing gradient: how much the final state still feels each input step.

For each sibling model (RNN, LSTM, GRU) on the same input: the sensitivity of the final hidden
state to every input step, ||d h_T / d x_t|| (the tracer's analysis, exact autograd), and next
to it the retention: the running product of the keep gates from step t+1 to the end (LSTM's
forget gate f, PyTorch GRU's z, which keeps the old state), averaged over units. A plain RNN
has no keep gate; its sensitivity alone shows the fall.
"""

from __future__ import annotations

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


@dataclass(frozen=True)
class GradientStudy:
    axis: list[str]
    runs: list[GradientRun]


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

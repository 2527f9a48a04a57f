"""A zoo model's input run clean and with interventions: both traces and both predictions.

The score a change is measured by is one number per run of the head's output: the positive
probability (sentiment), the regression value, or the probability of the clean run's label
(classification, and the next token after the whole input).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import torch
from torch import Tensor

from app.recurrent import Intervention, InterventionError, Trace, trace_chain
from app.recurrent.intervene import Operation, resolve, run_edits
from app.recurrent.trace import chain_modules
from app.whatif.knobs import knob_interventions
from app.whatif.patching import Metric, PatchingSweep, PatchKind, sweep_layer_step, sweep_step_unit
from app.zoo import LoadedModel, Prediction, PreparedInput


@dataclass(frozen=True)
class ModelIntervention:
    """An intervention as a caller writes it: ``source_input`` is the raw input a patch takes
    its values from (text or steps, prepared like the main input)."""

    site: str
    op: Operation
    units: Sequence[int] | None = None
    steps: Sequence[int] | None = None
    value: float | None = None
    source_input: Any = None


@dataclass(frozen=True)
class PredictionChange:
    """How the score moved: ``scored`` names what the score is (e.g. "positive", a label)."""

    scored: str
    before: float
    after: float
    label_changed: bool

    @property
    def delta(self) -> float:
        return self.after - self.before


@dataclass(frozen=True)
class WhatIf:
    prepared: PreparedInput
    clean: Trace
    patched: Trace
    before: Prediction
    after: Prediction
    change: PredictionChange


def head_outputs(model: LoadedModel, found: Trace) -> Tensor:
    """The head's output for every run of a (batched) trace: (batch, outputs)."""
    network = model.network
    with torch.no_grad():
        if network.per_step:
            return network.head(found.layer(-1, "forward").hidden[:, -1])
        return network.head(network.final_hidden(found.final_state))


def score_index(model: LoadedModel, clean_output: Tensor) -> int:
    """Which output the score reads: the only one, or the clean run's likeliest class."""
    if model.config.task in ("sentiment", "regression"):
        return 0
    return int(clean_output.reshape(-1).argmax())


def scored_name(model: LoadedModel, index: int) -> str:
    task = model.config.task
    if task == "sentiment":
        return model.config.class_labels[1]
    if task == "regression":
        return "value"
    return model.config.class_labels[index]


def what_if(
    model: LoadedModel,
    raw: Any,
    interventions: Sequence[ModelIntervention],
    knobs: Sequence[str] = (),
    max_steps: int | None = None,
) -> WhatIf:
    """Run ``raw`` clean, then with the knobs' clamps and the interventions (in that order)."""
    prepared = model.prepare(raw, "input", max_steps)
    blocks = list(model.network.blocks)
    with torch.no_grad():
        clean = trace_chain(blocks, prepared.features)
        chosen = [item for knob in knobs for item in knob_interventions(knob, clean)]
        edits = [resolve(item, clean) for item in chosen]
        for index, item in enumerate(interventions):
            engine = _engine_intervention(model, item, index, max_steps)
            edits.append(resolve(engine, clean, index))
        modules = chain_modules(blocks, chained=True)
        patched = run_edits(modules, prepared.features, clean, edits)
    before, after = model.prediction_of(clean), model.prediction_of(patched)
    return WhatIf(
        prepared=prepared,
        clean=clean,
        patched=patched,
        before=before,
        after=after,
        change=_change(model, (clean, before), (patched, after)),
    )


def _engine_intervention(
    model: LoadedModel, item: ModelIntervention, index: int, max_steps: int | None
) -> Intervention:
    reference = None
    if item.source_input is not None:
        field = f"interventions[{index}].source_input"
        source = model.prepare(item.source_input, field, max_steps)
        reference = trace_chain(list(model.network.blocks), source.features)
    elif item.op == "patch":
        raise InterventionError("source_input", "patch needs a source_input", index)
    return Intervention(
        item.site,
        item.op,
        units=item.units,
        steps=item.steps,
        value=item.value,
        reference=reference,
    )


def _change(
    model: LoadedModel, clean: tuple[Trace, Prediction], patched: tuple[Trace, Prediction]
) -> PredictionChange:
    """The score before and after (a regression in its own unit), and whether the label moved."""
    before, after = head_outputs(model, clean[0])[0], head_outputs(model, patched[0])[0]
    index = score_index(model, before)
    if model.config.task == "regression":
        scores = (clean[1].value, patched[1].value)
    else:
        scores = (float(before[index]), float(after[index]))
    assert scores[0] is not None and scores[1] is not None
    return PredictionChange(
        scored=scored_name(model, index),
        before=scores[0],
        after=scores[1],
        label_changed=clean[1].label != patched[1].label,
    )


def model_metric(model: LoadedModel, clean: Trace) -> Metric:
    """The score every run of a sweep is measured by (see score_index)."""
    index = score_index(model, head_outputs(model, clean)[0])
    return lambda found: head_outputs(model, found)[:, index]


def model_sweep(
    model: LoadedModel,
    clean_raw: Any,
    corrupted_raw: Any,
    kind: PatchKind,
    site: str,
    max_steps: int | None = None,
) -> PatchingSweep:
    """A patching sweep of a zoo model: ``site`` is a whole site (step_unit) or a name such as
    "hidden" patched in every layer-direction (layer_step)."""
    clean = model.prepare(clean_raw, "input", max_steps)
    corrupted = model.prepare(corrupted_raw, "corrupted_input", max_steps)
    if corrupted.steps != clean.steps:
        raise InterventionError(
            "corrupted_input",
            f"the corrupted input has {corrupted.steps} steps and the input {clean.steps}; "
            "patching needs inputs of the same length",
        )
    blocks = list(model.network.blocks)
    with torch.no_grad():
        index = score_index(model, head_outputs(model, trace_chain(blocks, clean.features))[0])
    metric = lambda found: head_outputs(model, found)[:, index]  # noqa: E731
    sweep = sweep_step_unit if kind == "step_unit" else sweep_layer_step
    found = sweep(blocks, clean.features, corrupted.features, site, metric)
    return replace(found, scored=scored_name(model, index))

"""Activation patching sweeps: which (step, unit) or (layer, step) of a clean run restores the
clean prediction when patched into a corrupted one.

Each run patches one place with the clean run's value and runs the corrupted input on from
there (app.recurrent.intervene, exact); all runs go through the engine together as one batch
(in chunks that bound the memory), ordered by where they start so each step only steps the runs
that have begun. The effect is normalised the way activation-patching tools report it:
(m - m_corrupted) / (m_clean - m_corrupted), so the clean run scores 1 and the corrupted 0.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import torch
from torch import Tensor, nn

from app.recurrent import Site, Trace, trace_chain
from app.recurrent.intervene import Edit, check_site, run_edits, site_values
from app.recurrent.trace import chain_modules

PatchKind = Literal["step_unit", "layer_step"]
Metric = Callable[[Trace], Tensor]  # a batched trace -> one score per run, (batch,)
CHUNK_VALUES = 1 << 23  # hidden values (runs x steps x units) of one chunk of runs


@dataclass(frozen=True)
class PatchRun:
    """Patch ``site`` at ``step`` (all units, or one) from the clean run."""

    site: Site
    step: int
    unit: int | None = None


@dataclass(frozen=True)
class PatchingSweep:
    kind: PatchKind
    rows: list[str]  # units ("unit 3") or layer-directions ("layer0.forward.hidden")
    effect: Tensor  # (rows, steps): normalised, clean = 1, corrupted = 0 (NaN if they tie)
    raw: Tensor  # (rows, steps): the metric itself
    clean_score: float
    corrupted_score: float
    runs: int
    scored: str = "score"  # what the metric is (set by the caller who knows)


def sweep_step_unit(
    blocks: Sequence[nn.Module],
    clean_x: Tensor,
    corrupted_x: Tensor,
    site: Site | str,
    metric: Metric,
) -> PatchingSweep:
    """Patch each (step, unit) of one site, one run each."""
    modules = chain_modules(blocks, chained=True)
    with torch.no_grad():
        clean = trace_chain(modules, clean_x)
        checked = check_site(clean, site)
        units = site_values(clean, checked).shape[-1]
        runs = [
            PatchRun(checked, step, unit) for unit in range(units) for step in range(clean.steps)
        ]
        raw = _patch(modules, clean, corrupted_x, runs, metric).reshape(units, clean.steps)
    return _sweep(
        "step_unit",
        [f"unit {unit}" for unit in range(units)],
        raw,
        clean,
        corrupted_x,
        modules,
        metric,
    )


def sweep_layer_step(
    blocks: Sequence[nn.Module], clean_x: Tensor, corrupted_x: Tensor, name: str, metric: Metric
) -> PatchingSweep:
    """Patch ``name`` (e.g. hidden) of each layer-direction at each step, all units at once."""
    modules = chain_modules(blocks, chained=True)
    with torch.no_grad():
        clean = trace_chain(modules, clean_x)
        sites = [
            check_site(clean, Site(layer.layer, layer.direction, name)) for layer in clean.layers
        ]
        runs = [PatchRun(site, step) for site in sites for step in range(clean.steps)]
        raw = _patch(modules, clean, corrupted_x, runs, metric).reshape(len(sites), clean.steps)
    return _sweep(
        "layer_step", [str(site) for site in sites], raw, clean, corrupted_x, modules, metric
    )


def _sweep(
    kind: PatchKind,
    rows: list[str],
    raw: Tensor,
    clean: Trace,
    corrupted_x: Tensor,
    modules: Sequence[nn.Module],
    metric: Metric,
) -> PatchingSweep:
    with torch.no_grad():
        clean_score = float(metric(clean)[0])
        corrupted_score = float(metric(trace_chain(modules, corrupted_x))[0])
    gap = clean_score - corrupted_score
    effect = (
        (raw - corrupted_score) / gap if abs(gap) > 1e-12 else torch.full_like(raw, float("nan"))
    )
    return PatchingSweep(kind, rows, effect, raw, clean_score, corrupted_score, raw.numel())


def _patch(
    modules: Sequence[nn.Module],
    clean: Trace,
    corrupted_x: Tensor,
    runs: list[PatchRun],
    metric: Metric,
) -> Tensor:
    """The metric of every run, in the order given."""
    if corrupted_x.shape[1] != clean.steps:
        raise ValueError(
            f"the corrupted input has {corrupted_x.shape[1]} steps and the clean one "
            f"{clean.steps}; patching needs inputs of the same length"
        )
    corrupted = trace_chain(list(modules), corrupted_x)
    order = sorted(range(len(runs)), key=lambda index: _reading_start(runs[index], clean.steps))
    size = max(1, CHUNK_VALUES // (clean.steps * max(layer.units for layer in clean.layers)))
    scores = torch.empty(len(runs), dtype=clean_x_dtype(clean))
    for start in range(0, len(order), size):
        chunk = order[start : start + size]
        edits = _edits(clean, [runs[index] for index in chunk])
        patched = run_edits(list(modules), corrupted_x, corrupted, edits, record=False)  # type: ignore[arg-type]
        scores[chunk] = metric(patched).to(scores.dtype)
    return scores


def clean_x_dtype(clean: Trace) -> torch.dtype:
    return clean.layers[0].hidden.dtype


def _reading_start(run: PatchRun, steps: int) -> tuple[int, int]:
    """Runs that start earlier in their layer's reading order come first."""
    start = run.step if run.site.direction == "forward" else steps - 1 - run.step
    return (start, run.site.layer)


def _edits(clean: Trace, runs: list[PatchRun]) -> list[Edit]:
    """One batched edit per site: row k patches run k's place with the clean value."""
    edits: list[Edit] = []
    for site in dict.fromkeys(run.site for run in runs):
        values = site_values(clean, site)[:1]
        mask = torch.zeros((len(runs), *values.shape[1:]), dtype=torch.bool)
        for row, run in enumerate(runs):
            if run.site == site:
                mask[row, run.step, slice(None) if run.unit is None else run.unit] = True
        zero = values.new_zeros(()).expand_as(mask)
        edits.append(Edit(site, mask, zero, values.expand_as(mask)))
    return edits

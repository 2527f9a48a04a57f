"""Which input steps drove the prediction: integrated gradients, occlusion and gradient x input,
computed with Captum on what the recurrent blocks read (the embedding for text, the scaled
inputs for series), and how far the methods agree.

Captum's known RNN pitfalls are handled here: cuDNN's RNN backward refuses eval mode, so cuDNN
is switched off for the attribution (eval mode stays: no dropout); and sequence lengths, were a
caller to give them, travel as an additional forward argument, which Captum repeats for every
interpolation step but never interpolates.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal, get_args

import torch
from captum.attr import InputXGradient, IntegratedGradients, Occlusion
from torch import Tensor

from app.whatif.model import score_index, scored_name
from app.zoo import LoadedModel, PreparedInput

Method = Literal["integrated_gradients", "occlusion", "gradient_x_input"]
METHODS: tuple[str, ...] = get_args(Method)
IG_STEPS = 64  # the default number of interpolation steps
IG_MAX_STEPS = 1024
IG_GAP = 0.01  # the completeness gap at which more steps are taken
PREFIX_IG_STEPS = 16  # per-prefix rows start smaller (one IG per step), doubling the same way


@dataclass(frozen=True)
class Attribution:
    """One method's score per input step (summed over the step's features)."""

    method: Method
    scores: Tensor  # (steps,)
    scored: str  # what the score is: the positive probability, a label, the value
    completeness_gap: float | None = None  # IG: |sum - (f(x) - f(baseline))| / |f(x) - f(b)|
    ig_steps: int | None = None


@dataclass(frozen=True)
class Agreement:
    """Every method's scores, and their Spearman rank correlation over the real steps."""

    attributions: dict[str, Attribution]
    rank_correlation: dict[str, float]  # "occlusion~integrated_gradients": rho


@contextlib.contextmanager
def cudnn_off() -> Iterator[None]:
    """cuDNN's RNN backward runs only in training mode; without cuDNN, eval mode is fine."""
    with torch.backends.cudnn.flags(enabled=False):
        yield


def score_function(model: LoadedModel, index: int) -> Callable[..., Tensor]:
    """features (batch, steps, features) [, lengths] -> the score (batch,)."""
    network = model.network

    def forward(features: Tensor, lengths: Tensor | None = None) -> Tensor:
        outputs, state = network.run_blocks(features, lengths)
        head = network.head(network.head_input(outputs, state))
        return head[:, -1, index] if network.per_step else head[:, index]

    return forward


def attribute(
    model: LoadedModel, raw: Any, method: Method, max_steps: int | None = None
) -> Attribution:
    prepared = model.prepare(raw, "input", max_steps)
    return _attribute(model, prepared, method)


def _attribute(model: LoadedModel, prepared: PreparedInput, method: Method) -> Attribution:
    features = prepared.features.detach()
    with torch.no_grad():
        index = score_index(model, score_output(model, features))
    forward = score_function(model, index)
    scored = scored_name(model, index)
    with cudnn_off():
        if method == "integrated_gradients":
            return _integrated_gradients(forward, features, _baseline(model, features), scored)
        if method == "occlusion":
            return _occlusion(forward, features, _replacement(model, features), scored)
        if method == "gradient_x_input":
            found = InputXGradient(forward).attribute(features.clone().requires_grad_())
            return Attribution(method, _per_step(found), scored)
    raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")


def score_output(model: LoadedModel, features: Tensor) -> Tensor:
    output = model.network(features)
    return output[0, -1] if model.network.per_step else output[0]


def _integrated_gradients(
    forward: Callable[..., Tensor],
    features: Tensor,
    baseline: Tensor,
    scored: str,
    steps: int = IG_STEPS,
) -> Attribution:
    """IG from the baseline, doubling the steps until the completeness gap is <= 1 %."""
    with torch.no_grad():
        moved = float(forward(features)[0] - forward(baseline)[0])
    while True:
        found, delta = IntegratedGradients(forward).attribute(
            features, baselines=baseline, n_steps=steps, return_convergence_delta=True
        )
        gap = abs(float(delta[0])) / max(abs(moved), 1e-12)
        if gap <= IG_GAP or steps >= IG_MAX_STEPS:
            return Attribution("integrated_gradients", _per_step(found), scored, gap, steps)
        steps *= 2


def _occlusion(
    forward: Callable[..., Tensor], features: Tensor, replacement: Tensor, scored: str
) -> Attribution:
    """f(x) - f(x with step t replaced), one step (all its features) at a time."""
    window = (1, features.shape[-1])
    found = Occlusion(forward).attribute(
        features, sliding_window_shapes=window, strides=window, baselines=replacement
    )
    # Every feature of a step carries the step's whole difference: take one of them.
    return Attribution("occlusion", found[0, :, 0].detach(), scored)


def _per_step(found: Tensor) -> Tensor:
    return found[0].sum(dim=-1).detach()


def _baseline(model: LoadedModel, features: Tensor) -> Tensor:
    """Text: the padding token's embedding at every step; series: zeros."""
    embedding = model.network.embedding
    if embedding is None:
        return torch.zeros_like(features)
    pad = embedding.weight[0].detach()
    return pad.expand_as(features).clone()


def _replacement(model: LoadedModel, features: Tensor) -> Tensor:
    """What occlusion puts in a step's place: the OOV token's embedding (padding's when the
    tokenizer has no OOV token); for series the training mean is not stored, so zeros."""
    embedding = model.network.embedding
    if embedding is None:
        return torch.zeros_like(features)
    oov = model.tokenizer.oov_index()
    row = embedding.weight[oov if oov is not None else 0].detach()
    return row.expand_as(features).clone()


@dataclass(frozen=True)
class PrefixAttribution:
    """The prediction as it forms, explained: row t is the integrated gradients of the score the
    head gives after step t (on the top layer's h_t), over steps 0..t; later steps are exactly 0
    (not read yet). Rows of padding steps are None (their "prediction" explains nothing)."""

    rows: list[Tensor | None]  # per step: (steps,) or None
    gaps: list[float | None]  # per step: the completeness gap of its row
    ig_steps: list[int | None]
    scored: str


def prefix_score_function(model: LoadedModel, index: int, step: int) -> Callable[..., Tensor]:
    """features (batch, steps, features) -> the score after `step` (batch,): the head on the
    top block's output at that step, as the prediction-as-it-forms series reads it."""
    network = model.network

    def forward(features: Tensor) -> Tensor:
        outputs, _ = network.run_blocks(features[:, : step + 1])
        return network.head(outputs[:, step])[:, index]

    return forward


def prefix_attribution(
    model: LoadedModel, raw: Any, max_steps: int | None = None
) -> PrefixAttribution | None:
    """Per-prefix integrated gradients (None when a block reads backward: step t's output has
    then read the whole input, so there is no prediction "so far")."""
    if not model.reads_left_to_right or not model.config.head:
        return None
    prepared = model.prepare(raw, "input", max_steps)
    features = prepared.features.detach()
    with torch.no_grad():
        index = score_index(model, score_output(model, features))
    baseline = _baseline(model, features)
    kinds = prepared.token_kinds or ["word"] * prepared.steps
    rows: list[Tensor | None] = []
    gaps: list[float | None] = []
    taken: list[int | None] = []
    scored = scored_name(model, index)
    with cudnn_off():
        for step, kind in enumerate(kinds):
            if kind == "pad":
                rows.append(None)
                gaps.append(None)
                taken.append(None)
                continue
            # Step t's output has read steps 0..t only: IG over that prefix, zeros after it.
            found = _integrated_gradients(
                prefix_score_function(model, index, step),
                features[:, : step + 1],
                baseline[:, : step + 1],
                scored,
                PREFIX_IG_STEPS,
            )
            rows.append(torch.cat([found.scores, found.scores.new_zeros(len(kinds) - step - 1)]))
            gaps.append(found.completeness_gap)
            taken.append(found.ig_steps)
    return PrefixAttribution(rows, gaps, taken, scored)


def agreement(model: LoadedModel, raw: Any, max_steps: int | None = None) -> Agreement:
    """All three methods on one input, with their pairwise rank correlations over the steps
    that are not padding."""
    prepared = model.prepare(raw, "input", max_steps)
    found = {method: _attribute(model, prepared, method) for method in METHODS}  # type: ignore[arg-type]
    kinds = prepared.token_kinds or ["word"] * prepared.steps
    real = torch.tensor([kind != "pad" for kind in kinds])
    pairs = [(a, b) for position, a in enumerate(METHODS) for b in METHODS[position + 1 :]]
    return Agreement(
        found,
        {f"{a}~{b}": spearman(found[a].scores[real], found[b].scores[real]) for a, b in pairs},
    )


def spearman(first: Tensor, second: Tensor) -> float:
    """Spearman's rank correlation (the Pearson correlation of the ranks; NaN for < 2 steps)."""
    if first.numel() < 2:
        return float("nan")
    ranks = [values.argsort().argsort().to(torch.float64) for values in (first, second)]
    a, b = (rank - rank.mean() for rank in ranks)
    denominator = float(a.norm() * b.norm())
    return float((a @ b) / denominator) if denominator > 0 else float("nan")

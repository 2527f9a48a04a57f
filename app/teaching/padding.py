"""Padding and masking: one sentence pre-padded, post-padded, and with the padding masked out.

Keras's pad_sequences fills short sentences with index 0 up to maxlen, in front by default
("pre"). The network reads those pad steps like words unless they are masked
(Embedding(mask_zero=True)), which here means reading only the real tokens. This module runs
all three variants on the same real tokens and measures how much the gates move on pad steps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import torch
from torch import Tensor

from app.recurrent import Trace, trace_chain
from app.recurrent.trace import Direction
from app.teaching.errors import NotApplicable
from app.teaching.layers import chosen_layers
from app.zoo import LoadedModel, Prediction
from app.zoo.loaded import PAD_TOKEN
from app.zoo.spec import TextPreprocessing

Variant = Literal["pre", "post", "masked"]
VARIANTS: tuple[Variant, ...] = ("pre", "post", "masked")
PAD_ID = 0


@dataclass(frozen=True)
class Tokens:
    """The real tokens of a sentence, after the model's vocabulary and truncation."""

    words: list[str]
    ids: list[int]
    kinds: list[str]  # "word" or "oov"


@dataclass(frozen=True)
class PaddedRun:
    """One variant: the ids the network read, what it computed, and how the gates moved."""

    variant: Variant
    tokens: list[str]
    token_ids: list[int]
    token_kinds: list[str]
    trace: Trace
    layer: int  # the layer `change` measures (over all blocks, from 0) and its direction
    direction: Direction
    prediction: Prediction
    step_predictions: list[Prediction] | None
    change: dict[str, list[float | None]]  # per gate (and "hidden"): mean |x_t - x_{t-1}|
    pad_change: dict[str, float | None]  # mean of `change` over pad steps (None: no pad step)
    word_change: dict[str, float | None]  # the same over real-token steps, for comparison

    @property
    def pad_steps(self) -> int:
        return sum(kind == "pad" for kind in self.token_kinds)


@dataclass(frozen=True)
class PaddingStudy:
    maxlen: int
    trained_with: Variant  # how the model itself prepares sentences
    runs: list[PaddedRun]  # in VARIANTS order


def padding_study(
    model: LoadedModel, raw: Any, layer: int = -1, direction: Direction = "forward"
) -> PaddingStudy:
    """Run `raw` pre-padded, post-padded and masked through a text model, measuring the gates
    of `layer` (over all blocks; negative from the top) in `direction`.

    Raises NotApplicable for a numbers model, InputError for a layer or direction it lacks."""
    spec = _text_spec(model)
    tokens = real_tokens(model, raw)
    runs = [
        run_variant(model, tokens, variant, spec.maxlen, layer, direction) for variant in VARIANTS
    ]
    trained: Variant = "masked" if spec.mask_padding else spec.padding
    return PaddingStudy(maxlen=spec.maxlen, trained_with=trained, runs=runs)


def _text_spec(model: LoadedModel) -> TextPreprocessing:
    spec = model.config.preprocessing
    if not isinstance(spec, TextPreprocessing):
        raise NotApplicable(
            "padding_needs_text",
            f"model {model.id} reads numbers, not sentences; padding and masking apply to text "
            "models only",
        )
    return spec


def real_tokens(model: LoadedModel, raw: Any) -> Tokens:
    """The sentence's tokens as the model prepares them, without any padding."""
    prepared = model.prepare(raw, "input")
    assert prepared.tokens is not None and prepared.token_ids is not None
    assert prepared.token_kinds is not None
    kept = [
        (word, token_id, kind)
        for word, token_id, kind in zip(
            prepared.tokens, prepared.token_ids, prepared.token_kinds, strict=True
        )
        if kind != "pad"
    ]
    return Tokens([w for w, _, _ in kept], [i for _, i, _ in kept], [k for _, _, k in kept])


def padded(tokens: Tokens, variant: Variant, maxlen: int) -> tuple[list[str], list[int], list[str]]:
    """Tokens, ids and kinds of one variant: pad (id 0) in front, behind, or none at all."""
    if variant == "masked":
        return list(tokens.words), list(tokens.ids), list(tokens.kinds)
    count = maxlen - len(tokens.ids)
    pad_words, pad_ids, pad_kinds = [PAD_TOKEN] * count, [PAD_ID] * count, ["pad"] * count
    if variant == "pre":
        return pad_words + tokens.words, pad_ids + tokens.ids, pad_kinds + tokens.kinds
    return tokens.words + pad_words, tokens.ids + pad_ids, tokens.kinds + pad_kinds


def run_variant(
    model: LoadedModel,
    tokens: Tokens,
    variant: Variant,
    maxlen: int,
    layer: int = -1,
    direction: Direction = "forward",
) -> PaddedRun:
    """Embed and trace one variant, predict from its final state, and measure how the gates of
    one layer-direction change."""
    words, ids, kinds = padded(tokens, variant, maxlen)
    network = model.network
    with torch.no_grad():
        features = network.embed(torch.tensor([ids], dtype=torch.long))
        traced = trace_chain(list(network.blocks), features)
    shown = chosen_layers([traced], layer, direction)[0]
    change = step_changes(traced, shown.layer, shown.direction)
    is_pad = [kind == "pad" for kind in kinds]
    return PaddedRun(
        variant=variant,
        tokens=words,
        token_ids=ids,
        token_kinds=kinds,
        trace=traced,
        layer=shown.layer,
        direction=shown.direction,
        prediction=model.prediction_of(traced),
        step_predictions=model.step_predictions(traced),
        change=change,
        pad_change={name: mean_where(series, is_pad) for name, series in change.items()},
        word_change={
            name: mean_where(series, [not pad for pad in is_pad]) for name, series in change.items()
        },
    )


def step_changes(
    traced: Trace, layer: int = -1, direction: Direction = "forward"
) -> dict[str, list[float | None]]:
    """Per gate and for h: the mean over units of |value_t - value_{t-1}| (None at step 0)."""
    top = traced.layer(layer, direction)
    series = {**top.gates, "hidden": top.hidden}
    return {name: _mean_abs_change(values[0]) for name, values in series.items()}


def _mean_abs_change(values: Tensor) -> list[float | None]:
    """values (steps, units) -> [None, mean|v_1 - v_0|, mean|v_2 - v_1|, ...]."""
    moved = (values[1:] - values[:-1]).abs().mean(dim=-1)
    return [None, *(float(value) for value in moved)]


def mean_where(series: list[float | None], keep: list[bool]) -> float | None:
    """The mean of the series' defined values where `keep` is True; None when there are none."""
    chosen = [
        value for value, wanted in zip(series, keep, strict=True) if wanted and value is not None
    ]
    return sum(chosen) / len(chosen) if chosen else None

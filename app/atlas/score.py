"""Hypothesis scoring: how well each unit of each track separates the steps where a feature of
the input holds (a word list, a regular expression over tokens, padding, OOV, or for a series a
condition such as `precipitation > 0`) from the rest, as AUROC."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from app.atlas.index import AtlasIndex
from app.atlas.layout import TrackRef, to_float
from app.atlas.steps import KIND_CODES

CONDITION = re.compile(
    r"^\s*([A-Za-z_][\w ]*?)\s*(>=|<=|==|!=|>|<)\s*(-?\d+(?:\.\d+)?(?:[eE]-?\d+)?)\s*$"
)
OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
}


class ScoreError(ValueError):
    def __init__(self, code: str, message: str, params: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.params = params or {}


@dataclass(frozen=True)
class Feature:
    """Exactly one of: words, regex, is_pad, is_oov, condition."""

    words: list[str] | None = None
    regex: str | None = None
    is_pad: bool = False
    is_oov: bool = False
    condition: str | None = None


def auroc(
    values: npt.NDArray[Any],
    positive: npt.NDArray[np.bool_],
    weights: npt.NDArray[np.float64] | None = None,
) -> float:
    """P(a positive's value > a negative's) + half P(equal), from counts of the integer values."""
    shifted = np.asarray(values, dtype=np.int64)
    shifted = shifted - shifted.min()
    span = int(shifted.max()) + 1
    if span > 1 << 20:
        _, shifted = np.unique(shifted, return_inverse=True)
        span = int(shifted.max()) + 1
    w = np.ones(shifted.shape[0]) if weights is None else weights
    pos = np.bincount(shifted[positive], weights=w[positive], minlength=span)
    neg = np.bincount(shifted[~positive], weights=w[~positive], minlength=span)
    below = np.cumsum(neg) - neg
    return float((pos * (below + 0.5 * neg)).sum() / (pos.sum() * neg.sum()))


def labels_of(index: AtlasIndex, feature: Feature) -> npt.NDArray[np.bool_]:
    """Whether the feature holds at every real step."""
    if feature.condition is not None:
        return _condition(index, feature.condition)
    if not index.is_text:
        raise ScoreError("needs_text", "words, regular expressions and OOV need a text model")
    if feature.is_oov:
        return index.kinds == KIND_CODES["oov"]
    if feature.words is not None:
        wanted = set(feature.words)
        table = np.array([word in wanted for word in index.words], dtype=bool)
    else:
        try:
            pattern = re.compile(feature.regex or "")
        except re.error as error:
            raise ScoreError(
                "bad_regex", f"the regular expression does not compile: {error}"
            ) from error
        table = np.array([pattern.search(word) is not None for word in index.words], dtype=bool)
    return table[index.word_ids] if table.size else np.zeros(index.steps, dtype=bool)


def _condition(index: AtlasIndex, text: str) -> npt.NDArray[np.bool_]:
    features = index.meta.get("features")
    if not features:
        raise ScoreError("needs_numbers", "a condition needs a series model")
    found = CONDITION.match(text)
    if found is None or found.group(1).strip() not in features:
        raise ScoreError(
            "bad_condition",
            f"a condition is <feature> <op> <number> with a feature of {features}, e.g. "
            f"'{features[0]} > 0'",
            {"features": features},
        )
    name, op, number = found.group(1).strip(), found.group(2), float(found.group(3))
    return np.asarray(OPERATORS[op](index.inputs[:, features.index(name)], number), dtype=bool)


def score(
    index: AtlasIndex, feature: Feature, tracks: list[TrackRef] | None = None, limit: int = 20
) -> dict[str, Any]:
    """Every unit of every (chosen) track ranked by how far its AUROC is from 0.5."""
    refs = tracks or [info.ref for info in index.tracks]
    if feature.is_pad:
        return _score_pads(index, refs, limit)
    positive = labels_of(index, feature)
    count = int(positive.sum())
    if count == 0 or count == index.steps:
        raise ScoreError(
            "one_class",
            f"the feature holds at {count} of {index.steps} steps; it must hold at some, not all",
            {"positive": count, "steps": index.steps},
        )
    rows = []
    for ref in refs:
        values = index.values(ref)
        for unit in range(values.shape[0]):
            column = np.asarray(values[unit])
            rows.append(
                _row(index, ref, unit, auroc(column, positive), column[positive], column[~positive])
            )
    return _ranked(rows, count, index.steps - count, limit)


def _score_pads(index: AtlasIndex, refs: list[TrackRef], limit: int) -> dict[str, Any]:
    """Pads are not indexed step by step: with shared padding, each pad step's values are
    the padding trace's, weighted by how many documents have that pad."""
    pads_seen = None
    rows = []
    for ref in refs:
        pads = index.pads(ref)
        if pads is None:
            raise ScoreError(
                "pads_not_shared",
                "this index has no padding to score (only pre-padded, left-to-right text "
                "models read the same padding in every document)",
            )
        if pads_seen is None:
            maxlen = pads.shape[1]
            pads_seen = np.array(
                [(index.first_step > j).sum() for j in range(maxlen)], dtype=np.float64
            )
        values = index.values(ref)
        for unit in range(values.shape[0]):
            column = np.asarray(values[unit])
            both = np.concatenate([column, pads[unit]])
            positive = np.zeros(both.shape[0], dtype=bool)
            positive[column.shape[0] :] = True
            weights = np.concatenate([np.ones(column.shape[0]), pads_seen])
            mean_pad = float((pads[unit] * pads_seen).sum() / max(pads_seen.sum(), 1))
            rows.append(
                _row(index, ref, unit, auroc(both, positive, weights), np.array([mean_pad]), column)
            )
    assert pads_seen is not None
    return _ranked(rows, int(pads_seen.sum()), index.steps, limit)


def _row(
    index: AtlasIndex, ref: TrackRef, unit: int, area: float, positive: Any, negative: Any
) -> dict[str, Any]:
    return {
        "unit": f"{ref.name}/{unit}",
        "layer": ref.layer,
        "direction": ref.direction,
        "track": ref.track,
        "index": unit,
        "auroc": round(area, 6),
        "mean_positive": round(float(to_float(np.mean(positive), index.decimals)), index.decimals),
        "mean_negative": round(float(to_float(np.mean(negative), index.decimals)), index.decimals),
    }


def _ranked(rows: list[dict[str, Any]], positive: int, negative: int, limit: int) -> dict[str, Any]:
    order = sorted(range(len(rows)), key=lambda r: (-abs(rows[r]["auroc"] - 0.5), r))
    return {"positive": positive, "negative": negative, "units": [rows[r] for r in order[:limit]]}

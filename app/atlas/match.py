"""Pattern match (LSTMVis's select -> match): corpus spans where the same units switch on the
same way as in a chosen step range, within one document, ranked by shared units then fit.

A unit is "on" at a step when its value is above its own percentile threshold over the corpus.
A span matches a unit when the unit's on/off pattern over the span equals the query's; `shared`
counts the matched units and `fit` is the mean absolute difference of their values from the
query's. `score` = shared - fit / (1 + fit) orders exactly as (most shared, tightest fit).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from app.atlas.index import AtlasIndex
from app.atlas.layout import TrackRef, to_float

MAX_SPAN = 64
SHIFT_SPAN = 8  # patterns up to this long are matched step by step, longer ones by prefix sums
MATCH_CHUNK = 65_536  # candidate spans whose fit is computed at once

Unit = tuple[TrackRef, int]
# a track's values over the pattern's steps, (units, steps), in stored integers
Pattern = Callable[[TrackRef], npt.NDArray[Any]]


class MatchError(ValueError):
    def __init__(self, code: str, message: str, params: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.params = params or {}


@dataclass(frozen=True)
class Query:
    document: int  # corpus id
    start: int  # trace steps, inclusive
    end: int
    units: list[Unit] | None = None  # None: the units that are on over the whole range
    tracks: list[TrackRef] | None = None  # where to look for units that are on
    percentile: float = 90.0
    min_shared: int | None = None  # default: half the units, at least one
    limit: int = 20


def threshold(index: AtlasIndex, ref: TrackRef, unit: int, percentile: float) -> int:
    """The unit's own threshold (stored units): numpy's "lower" percentile, cached."""
    cache: dict[tuple[TrackRef, int, float], int] = index.__dict__.setdefault("_thresholds", {})
    key = (ref, unit, percentile)
    if key not in cache:
        column = np.asarray(index.column(ref, unit))
        # numpy's "lower" quantile is the value at floor(q * (n - 1)); one partition finds it
        # (np.quantile flattens a copy first: twice the work on a million steps)
        at = int(np.floor(percentile / 100 * (column.shape[0] - 1)))
        cache[key] = int(np.partition(column, at)[at])
    return cache[key]


def query_positions(index: AtlasIndex, query: Query) -> tuple[int, int]:
    """The index positions of the query's first and last steps (real steps of one document)."""
    document = index.index_document(query.document)
    if document is None:
        raise MatchError(
            "unknown_document",
            f"document {query.document} is not in the index",
            {"document": query.document},
        )
    begin, stop = index.document_range(document)
    first = int(index.first_step[document])
    if not first <= query.start <= query.end < first + stop - begin:
        raise MatchError(
            "bad_step_range",
            f"steps {query.start}..{query.end} are not real steps of document {query.document} "
            f"(its real steps are {first}..{first + stop - begin - 1})",
            {"first": first, "last": first + stop - begin - 1},
        )
    if query.end - query.start + 1 > MAX_SPAN:
        raise MatchError(
            "span_too_long", f"a span has at most {MAX_SPAN} steps", {"limit": MAX_SPAN}
        )
    return begin + query.start - first, begin + query.end - first


def units_on(
    index: AtlasIndex, tracks: list[TrackRef], pattern: Pattern, percentile: float
) -> list[Unit]:
    """Every unit of these tracks that is above its threshold at every step of the pattern."""
    found: list[Unit] = []
    for ref in tracks:
        values = pattern(ref)
        for unit in range(values.shape[0]):
            if bool((values[unit] > threshold(index, ref, unit, percentile)).all()):
                found.append((ref, unit))
    return found


def index_pattern(index: AtlasIndex, p0: int, p1: int) -> Pattern:
    """The stored values of positions p0..p1 as a pattern."""
    return lambda ref: np.asarray(index.values(ref)[:, p0 : p1 + 1])


def _doc_of_positions(index: AtlasIndex) -> npt.NDArray[np.int32]:
    cached = index.__dict__.get("_doc_of_positions")
    if cached is None:
        lengths = np.diff(index.offsets)
        cached = np.repeat(np.arange(index.documents, dtype=np.int32), lengths)
        index.__dict__["_doc_of_positions"] = cached
    return cached


def _runs(pattern: npt.NDArray[np.bool_]) -> list[tuple[int, int, bool]]:
    """(start, end, value) of each run of equal values."""
    edges = [0, *(np.flatnonzero(np.diff(pattern.astype(np.int8))) + 1).tolist(), len(pattern)]
    return [(a, b, bool(pattern[a])) for a, b in zip(edges[:-1], edges[1:], strict=True)]


def _unit_matches(
    on: npt.NDArray[np.bool_], pattern: npt.NDArray[np.bool_], starts: int
) -> npt.NDArray[np.bool_]:
    """For every start s < starts: on[s:s+len(pattern)] equals pattern: step by step for a
    short pattern (a few boolean ANDs), else by prefix sums per run."""
    if len(pattern) <= SHIFT_SPAN:
        found = on[:starts].copy() if pattern[0] else ~on[:starts]
        for offset in range(1, len(pattern)):
            shifted = on[offset : offset + starts]
            found &= shifted if pattern[offset] else ~shifted
        return found
    counts = np.zeros(on.shape[0] + 1, dtype=np.int32)
    np.cumsum(on, out=counts[1:])
    found = np.ones(starts, dtype=bool)
    for a, b, value in _runs(pattern):
        inside = counts[b : b + starts] - counts[a : a + starts]
        found &= inside == (b - a) if value else inside == 0
    return found


def match(index: AtlasIndex, query: Query, pattern: Pattern | None = None) -> dict[str, Any]:
    """The ranked spans (see the module's docstring) and what was matched. The pattern is the
    query's step range of its document, or `pattern` (e.g. an input traced on its own; the
    query's document is then ignored)."""
    own: int | None = None
    if pattern is None:
        p0, p1 = query_positions(index, query)
        own = p0
        pattern = index_pattern(index, p0, p1)
    length = query.end - query.start + 1
    tracks = query.tracks or [info.ref for info in index.tracks if info.ref.track == "hidden"]
    units = (
        query.units
        if query.units is not None
        else units_on(index, tracks, pattern, query.percentile)
    )
    if not units:
        return {"units": [], "thresholds": [], "matches": [], "candidates": 0}
    starts = index.steps - length + 1
    doc = _doc_of_positions(index)
    valid = doc[:starts] == doc[length - 1 :]
    if own is not None:
        valid[own] = False  # the query itself
    matched = np.zeros((len(units), starts), dtype=bool)
    templates: list[npt.NDArray[Any]] = []
    thresholds: list[int] = []
    for row, (ref, unit) in enumerate(units):
        column = index.column(ref, unit)
        limit = threshold(index, ref, unit, query.percentile)
        template = pattern(ref)[unit]
        matched[row] = _unit_matches(np.asarray(column) > limit, template > limit, starts)
        templates.append(template)
        thresholds.append(limit)
    shared = matched.sum(axis=0, dtype=np.int32) * valid
    need = query.min_shared or max(1, math.ceil(len(units) / 2))
    ranked = _rank(index, units, templates, matched, shared, need, length, query.limit)
    return {
        "units": [f"{ref.name}/{unit}" for ref, unit in units],
        "thresholds": to_float(np.asarray(thresholds), index.decimals).tolist(),
        "candidates": int((shared >= need).sum()),
        "matches": [
            _span(index, units, matched, start, length, s, fit) for start, s, fit in ranked
        ],
    }


def _rank(
    index: AtlasIndex,
    units: list[Unit],
    templates: list[npt.NDArray[Any]],
    matched: npt.NDArray[np.bool_],
    shared: npt.NDArray[np.int32],
    need: int,
    length: int,
    limit: int,
) -> list[tuple[int, int, float]]:
    """(start, shared, fit) of the best spans: level by level of shared units, best fit first."""
    found: list[tuple[int, int, float]] = []
    for level in range(len(units), need - 1, -1):
        starts = np.flatnonzero(shared == level)
        if starts.size == 0:
            continue
        fits = np.concatenate(
            [
                _fits(index, units, templates, matched, starts[a : a + MATCH_CHUNK], length)
                for a in range(0, starts.size, MATCH_CHUNK)
            ]
        )
        order = np.lexsort((starts, fits))[: limit - len(found)]
        found.extend((int(starts[o]), level, float(fits[o])) for o in order)
        if len(found) >= limit:
            break
    return found


def _fits(
    index: AtlasIndex,
    units: list[Unit],
    templates: list[npt.NDArray[Any]],
    matched: npt.NDArray[np.bool_],
    starts: npt.NDArray[np.int64],
    length: int,
) -> npt.NDArray[np.float64]:
    """Mean |value - query value| over the matched units and the span's steps."""
    total = np.zeros(starts.size, dtype=np.float64)
    count = np.zeros(starts.size, dtype=np.float64)
    window = starts[:, None] + np.arange(length)
    for row, (ref, unit) in enumerate(units):
        hit = matched[row, starts]
        if not hit.any():
            continue
        values = np.asarray(index.column(ref, unit))[window[hit]].astype(np.int64)
        total[hit] += np.abs(values - templates[row].astype(np.int64)).sum(axis=1)
        count[hit] += length
    return np.round(total / np.maximum(count, 1) / 10**index.decimals, index.decimals)


def _span(
    index: AtlasIndex,
    units: list[Unit],
    matched: npt.NDArray[np.bool_],
    start: int,
    length: int,
    shared: int,
    fit: float,
) -> dict[str, Any]:
    corpus_id, step = index.step_of(start)
    rows = [
        to_float(
            np.asarray(index.column(ref, unit)[start : start + length]), index.decimals
        ).tolist()
        for ref, unit in units
    ]
    return {
        "document": corpus_id,
        "start": step,
        "end": step + length - 1,
        "units": [
            f"{ref.name}/{unit}" for row, (ref, unit) in enumerate(units) if matched[row, start]
        ],
        "shared": shared,
        "fit": fit,
        "score": round(shared - fit / (1 + fit), 6),
        "tokens": [index.token(p) for p in range(start, start + length)],
        "values": rows,
    }

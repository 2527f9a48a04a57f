"""A unit's card: its top and bottom contexts, its distribution, and the words that move it."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from app.atlas.index import AtlasIndex
from app.atlas.layout import TrackRef, to_float
from app.atlas.responses import (
    CACHED_WORDS,
    MIN_WORD_COUNT,
    WordResponse,
    ranked_words,
    word_response,
)

WINDOW = 5  # steps either side of a context's step
CARD_WORDS = 10


def ranked_positions(stored: npt.NDArray[Any], k: int, largest: bool) -> npt.NDArray[np.int64]:
    """The k positions with the largest (smallest) values; ties go to the earlier position."""
    top, bottom = ranked_both(stored, k)
    return top if largest else bottom


def ranked_both(
    stored: npt.NDArray[Any], k: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The k positions with the largest and with the smallest values (ties: the earlier
    position), from partitions of the stored integers themselves (no widened copy)."""
    count = stored.shape[0]
    k = min(k, count)
    if k <= 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    column = np.asarray(stored)
    # two single-kth partitions: numpy's multi-kth one is ~25x slower on a million int16
    low = np.partition(column, k - 1)[k - 1]
    high = np.partition(column, count - k)[count - k]
    return _ordered(column, column > high, column == high, k, -1), _ordered(
        column, column < low, column == low, k, 1
    )


def _ordered(
    column: npt.NDArray[Any],
    beyond: npt.NDArray[np.bool_],
    at: npt.NDArray[np.bool_],
    k: int,
    sign: int,
) -> npt.NDArray[np.int64]:
    """The positions beyond the threshold and the earliest ones at it, k in all, by value
    (times sign) then position: ties at the threshold never need sorting, however many."""
    beyond_positions = np.flatnonzero(beyond)
    found = np.concatenate([beyond_positions, np.flatnonzero(at)[: k - beyond_positions.size]])
    values = sign * np.asarray(column[found], dtype=np.int64)
    return found[np.lexsort((found, values))]


def context(
    index: AtlasIndex, stored: npt.NDArray[Any], position: int, window: int
) -> dict[str, Any]:
    """A step in a window of its document: the tokens and the unit's values along it."""
    document = int(index.document_of(np.asarray([position]))[0])
    start, end = index.document_range(document)
    low, high = max(start, position - window), min(end, position + window + 1)
    corpus_id, step = index.step_of(position)
    return {
        "document": corpus_id,
        "step": step,
        "value": float(to_float(stored[position], index.decimals)),
        "window_start": step - (position - low),
        "focus": position - low,
        "tokens": [index.token(p) for p in range(low, high)],
        "values": to_float(stored[low:high], index.decimals).tolist(),
    }


def unit_card(
    index: AtlasIndex,
    ref: TrackRef,
    unit: int,
    k: int = 20,
    window: int = WINDOW,
    words: int = CARD_WORDS,
    min_count: int = MIN_WORD_COUNT,
) -> dict[str, Any]:
    """The card of one unit of one track (KeyError / IndexError for an unknown one)."""
    info = index.info(ref)
    if not 0 <= unit < info.units:
        raise IndexError(f"unit {unit} is out of range: the track has {info.units} units")
    stored = index.column(ref, unit)
    stats = index.stats[ref.name][unit]
    top, bottom = ranked_both(stored, k)
    return {
        "unit": f"{ref.name}/{unit}",
        "layer": ref.layer,
        "direction": ref.direction,
        "track": ref.track,
        "index": unit,
        "steps": index.steps,
        "top": [context(index, stored, int(p), window) for p in top],
        "bottom": [context(index, stored, int(p), window) for p in bottom],
        **stats,
        "words": word_table(index, ref, unit, words, min_count) if index.is_text else None,
    }


def word_table(
    index: AtlasIndex, ref: TrackRef, unit: int, count: int, min_count: int
) -> dict[str, Any]:
    """The words that move the unit most either way (read at least min_count times): from
    the table ranked at build time when it answers the question, else over every step."""
    cached = index.word_table(ref)
    if cached is not None and min_count == MIN_WORD_COUNT and count <= CACHED_WORDS:
        return _cached_words(index, cached, unit, count, min_count)
    found = word_response(index, ref, [unit])
    means = found.means(index.decimals)[0]
    highest, lowest = ranked_words(means, found.counts, min_count, count)

    def rows(positions: npt.NDArray[np.int64]) -> list[dict[str, Any]]:
        return [
            {"word": index.words[p], "count": int(found.counts[p]), "value": float(means[p])}
            for p in positions
        ]

    return {
        "measure": found.measure,
        "min_count": min_count,
        "highest": rows(highest),
        "lowest": rows(lowest),
    }


def _cached_words(
    index: AtlasIndex, cached: dict[str, npt.NDArray[Any]], unit: int, count: int, min_count: int
) -> dict[str, Any]:
    counts = index.word_counts

    def rows(name: str) -> list[dict[str, Any]]:
        ids, sums = cached[name][unit][:count], cached[f"{name}_sums"][unit][:count]
        kept = ids >= 0
        means = WordResponse("", sums[kept][None, :], counts[ids[kept]]).means(index.decimals)[0]
        return [
            {"word": index.words[w], "count": int(counts[w]), "value": float(m)}
            for w, m in zip(ids[kept], means, strict=True)
        ]

    return {
        "measure": str(cached["measure"]),
        "min_count": min_count,
        "highest": rows("highest"),
        "lowest": rows("lowest"),
    }


def unit_summaries(index: AtlasIndex) -> list[dict[str, Any]]:
    """Every track's units in one line each (the unit grid): mean, spread and the word that
    moves the unit most (from the build's word tables; None without them)."""
    found = []
    for info in index.tracks:
        stats = index.stats[info.ref.name]
        table = index.word_table(info.ref) if index.is_text else None
        units = []
        for unit in range(info.units):
            top = None
            if table is not None and int(table["highest"][unit][0]) >= 0:
                top = index.words[int(table["highest"][unit][0])]
            row = stats[unit]
            units.append({"unit": unit, "mean": row["mean"], "std": row["std"], "top_word": top})
        found.append({**info.as_dict(), "units": units})
    return found

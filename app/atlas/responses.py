"""What a word does to a unit: RNNVis's expected response (the mean change of h or c when the
word is read) for state tracks, the mean value when the word is read for gates."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from app.atlas.index import AtlasIndex
from app.atlas.layout import TrackRef

MIN_WORD_COUNT = 3  # a word read fewer times says little about a unit
CACHED_WORDS = 100  # the most a card asks for either way (the API's bound)


@dataclass(frozen=True)
class WordResponse:
    measure: str  # "change" (states) | "value" (gates)
    sums: npt.NDArray[np.float64]  # (units, words), in stored integers
    counts: npt.NDArray[np.int64]  # (words,)

    def means(self, decimals: int) -> npt.NDArray[np.float64]:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.round(self.sums / self.counts / 10**decimals, decimals)


def responses(
    stored: npt.NDArray[Any], index: AtlasIndex, ref: TrackRef, units: list[int]
) -> npt.NDArray[np.int64]:
    """(len(units), steps): the change each step made (states) or the value (gates)."""
    values = np.asarray(stored[units], dtype=np.int64)
    if not ref.is_state:
        return values
    entry = np.asarray(index.entry(ref)[units], dtype=np.int64)
    previous = np.empty_like(values)
    if ref.direction == "forward":
        previous[:, 1:] = values[:, :-1]
        previous[:, index.offsets[:-1]] = entry
    else:
        previous[:, :-1] = values[:, 1:]
        previous[:, index.offsets[1:] - 1] = entry
    return values - previous


def word_response(index: AtlasIndex, ref: TrackRef, units: list[int]) -> WordResponse:
    """Sums and counts of every unit's response per word of the index's word table."""
    words = len(index.words)
    word_ids = index.word_ids
    changes = responses(index.values(ref), index, ref, units)
    sums = np.stack(
        [np.bincount(word_ids, weights=row, minlength=words) for row in changes]
    ).astype(np.float64, copy=False)
    counts = np.bincount(word_ids, minlength=words)
    return WordResponse("change" if ref.is_state else "value", sums, counts)


def ranked_words(
    means: npt.NDArray[np.float64], counts: npt.NDArray[np.int64], min_count: int, count: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The ids of the `count` words read at least `min_count` times with the highest and the
    lowest mean (ties: the earlier word)."""
    kept = np.flatnonzero(counts >= min_count)
    highest = kept[np.lexsort((kept, -means[kept]))]
    lowest = kept[np.lexsort((kept, means[kept]))]
    return highest[:count], lowest[:count]


def write_word_tables(index: AtlasIndex) -> None:
    """For every unit of every track, the CACHED_WORDS words (read at least MIN_WORD_COUNT
    times) with the highest and the lowest mean response, with their exact sums, so a card
    reads its word table instead of scanning every step (`<track>.words.npz`)."""
    counts = index.word_counts
    for info in index.tracks:
        rows: dict[str, list[npt.NDArray[Any]]] = {
            name: [] for name in ("highest", "lowest", "highest_sums", "lowest_sums")
        }
        for unit in range(info.units):
            found = word_response(index, info.ref, [unit])
            highest, lowest = ranked_words(
                found.means(index.decimals)[0], counts, MIN_WORD_COUNT, CACHED_WORDS
            )
            for name, ids in (("highest", highest), ("lowest", lowest)):
                rows[name].append(_padded(ids, -1, np.int64))
                rows[f"{name}_sums"].append(_padded(found.sums[0][ids], 0, np.float64))
        arrays: dict[str, Any] = {name: np.stack(values) for name, values in rows.items()}
        arrays["measure"] = np.array("change" if info.ref.is_state else "value")
        np.savez(index.directory / f"{info.ref.file}.words.npz", **arrays)


def _padded(values: npt.NDArray[Any], fill: int, dtype: Any) -> npt.NDArray[Any]:
    """`values` filled up to CACHED_WORDS (a track may have fewer frequent words)."""
    out = np.full(CACHED_WORDS, fill, dtype=dtype)
    out[: len(values)] = values
    return out

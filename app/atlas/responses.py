"""What a word does to a unit: RNNVis's expected response (the mean change of h or c when the
word is read) for state tracks, the mean value when the word is read for gates."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from app.atlas.index import AtlasIndex
from app.atlas.layout import TrackRef


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
    sums = np.stack([np.bincount(word_ids, weights=row, minlength=words) for row in changes])
    counts = np.bincount(word_ids, minlength=words)
    return WordResponse("change" if ref.is_state else "value", sums, counts)

"""How well one unit's activations track a feature, for every unit at once (NumPy).

Binary features: AUROC, the probability that a random character where the feature holds has a
higher activation than a random one where it does not (0.5 is chance; 0 is as telling as 1, the
unit just runs the other way). Numeric features: Pearson's r.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy.stats import rankdata

Values = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Feature:
    """A named per-character feature: `values[t]` at character t."""

    name: str
    kind: Literal["binary", "numeric"]
    values: list[float]
    description: str = ""


def auroc(activations: npt.ArrayLike, labels: npt.ArrayLike) -> Values:
    """AUROC of each column of `activations` (steps, units) for the boolean `labels` (steps,),
    ties counted half (Mann-Whitney U over average ranks). NaN when one class is empty."""
    values = np.asarray(activations, dtype=np.float64)
    values = values.reshape(len(values), -1)
    positive = np.asarray(labels, dtype=bool)
    count_positive = int(positive.sum())
    count_negative = len(positive) - count_positive
    if count_positive == 0 or count_negative == 0:
        return np.full(values.shape[1], np.nan)
    ranks = rankdata(values, axis=0)
    rank_sum = ranks[positive].sum(axis=0)
    u = rank_sum - count_positive * (count_positive + 1) / 2
    return np.asarray(u / (count_positive * count_negative), dtype=np.float64)


def pearson(activations: npt.ArrayLike, target: npt.ArrayLike) -> Values:
    """Pearson's r of each column of `activations` (steps, units) with `target` (steps,); NaN
    where either does not vary."""
    values = np.asarray(activations, dtype=np.float64)
    values = values.reshape(len(values), -1)
    y = np.asarray(target, dtype=np.float64)
    x_centred = values - values.mean(axis=0)
    y_centred = y - y.mean()
    denominator = np.sqrt((x_centred**2).sum(axis=0) * (y_centred**2).sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (x_centred * y_centred[:, None]).sum(axis=0) / denominator
    return np.where(denominator > 0, r, np.nan)


def strength(kind: str, scores: Values) -> Values:
    """How telling each score is, whichever way the unit runs: |AUROC - 0.5| or |r|."""
    return np.abs(scores - 0.5) if kind == "binary" else np.abs(scores)

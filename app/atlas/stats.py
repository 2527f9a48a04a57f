"""Per-unit summaries of every track, computed once when an index is built (the unit grid
reads them without scanning the corpus)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from app.atlas.layout import TrackInfo, to_float
from app.recurrent.cells import SIGMOID_GATES

QUANTILES = (0.0, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 1.0)
SATURATION = (0.1, 0.9)  # a sigmoid gate below 0.1 is shut, above 0.9 open (app.recurrent.analysis)


def unit_stats(stored: npt.NDArray[Any], decimals: int, track: str) -> dict[str, Any]:
    """Mean, spread, samples at QUANTILES (real values: numpy's "lower" method) and, for a
    sigmoid gate, the saturated fractions, of one unit's stored values."""
    values = to_float(stored, decimals)
    quantiles = np.quantile(stored, QUANTILES, method="lower")
    found: dict[str, Any] = {
        "mean": round(float(values.mean()), decimals),
        "std": round(float(values.std()), decimals),
        "quantiles": [
            {"q": q, "value": float(v)}
            for q, v in zip(QUANTILES, to_float(quantiles, decimals), strict=True)
        ],
        "saturation": None,
    }
    if track in SIGMOID_GATES:
        low, high = SATURATION
        found["saturation"] = {
            "low": round(float((values < low).mean()), 4),
            "high": round(float((values > high).mean()), 4),
        }
    return found


def track_stats(directory: Path, tracks: list[TrackInfo], decimals: int) -> dict[str, Any]:
    """{track name: [unit_stats of every unit]} of a written index."""
    found: dict[str, Any] = {}
    for info in tracks:
        stored = np.load(directory / f"{info.ref.file}.npy", mmap_mode="r")
        found[info.ref.name] = [
            unit_stats(np.asarray(stored[unit]), decimals, info.ref.track)
            for unit in range(info.units)
        ]
    return found

"""The prediction as it forms: which step moved it most ("this word tipped it")."""

from __future__ import annotations

from collections.abc import Sequence

from app.zoo import Prediction


def prediction_series(predictions: Sequence[Prediction]) -> list[float]:
    """One number per step: P(positive) for sentiment, the value for regression, and for a
    classifier the probability of the class it finally predicts."""
    final = predictions[-1] if predictions else None
    if final is not None and final.top is not None:
        return []  # a next-token model predicts something new at every step: nothing tips
    if final is not None and final.classes is not None:
        return [dict(item.classes or [])[final.label or ""] for item in predictions]
    return [
        item.positive_probability
        if item.positive_probability is not None
        else float(item.value or 0)
        for item in predictions
    ]


def tipping_step(series: Sequence[float | None]) -> int | None:
    """The step (from 0) whose change from the step before is the largest in size.

    Step 0 has no step before it on the chart, so it never tips; ties go to the earliest step.
    None when fewer than two steps are defined.
    """
    best: int | None = None
    best_change = -1.0
    for step in range(1, len(series)):
        now, before = series[step], series[step - 1]
        if now is None or before is None:
            continue
        change = abs(now - before)
        if change > best_change:
            best, best_change = step, change
    return best

"""Saturation points count, per unit, the steps a sigmoid gate spends below low / above high."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from app.teaching.errors import NotApplicable
from app.teaching.forming import prediction_series, tipping_step
from app.teaching.saturation import saturation_study
from app.zoo import LoadedModel


@pytest.mark.parametrize(
    ("cell", "gates"), [("lstm", ["input", "forget", "output"]), ("gru", ["reset", "update"])]
)
def test_points_are_fractions_of_steps_per_unit_and_gate(
    make_numbers_model: Callable[..., LoadedModel],
    weather_rows: list[list[float]],
    cell: str,
    gates: list[str],
) -> None:
    model = make_numbers_model(cell, hidden=4)
    study = saturation_study(model, weather_rows, low=0.4, high=0.6)
    assert study.gates == gates
    assert len(study.points) == 2 * len(gates) * 4  # layers x gates x units
    for point in study.points:
        values = study.traced.trace.layer(point.layer).gates[point.gate][0, :, point.unit]
        assert point.left == pytest.approx(float((values < 0.4).double().mean()))
        assert point.right == pytest.approx(float((values > 0.6).double().mean()))


def test_plain_rnn_has_nothing_to_saturate(make_text_model: Callable[..., LoadedModel]) -> None:
    with pytest.raises(NotApplicable) as caught:
        saturation_study(make_text_model("rnn"), "good film")
    assert caught.value.reason == "saturation_needs_gates"


@pytest.mark.parametrize(
    ("series", "expected"),
    [
        pytest.param([0.5, 0.52, 0.9, 0.85], 2, id="jump-up"),
        pytest.param([0.5, 0.1, 0.2], 1, id="drop-first"),
        pytest.param([0.5, 0.6, 0.5], 1, id="tie-goes-to-earliest"),
        pytest.param([0.7], None, id="one-step"),
        pytest.param([None, 0.2, 0.9], 2, id="undefined-start"),
    ],
)
def test_tipping_step_is_the_largest_change(
    series: list[float | None], expected: int | None
) -> None:
    assert tipping_step(series) == expected


def test_prediction_series_reads_probability_or_value(
    make_text_model: Callable[..., LoadedModel],
) -> None:
    traced = make_text_model("gru").run_trace("good film")
    assert traced.step_predictions is not None
    series = prediction_series(traced.step_predictions)
    assert series[-1] == traced.prediction.positive_probability

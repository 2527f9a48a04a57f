"""Compare cells: sibling models are chosen by family, traced exactly, and aligned by step."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch

from app.teaching.compare import align, compare
from app.teaching.siblings import siblings
from app.zoo import LoadedModel

SENTENCE = "a truly great film"


def test_siblings_are_one_model_per_cell_of_the_same_family_in_the_notes_order(
    make_text_model: Callable[..., LoadedModel], make_numbers_model: Callable[..., LoadedModel]
) -> None:
    gru, lstm, rnn = (make_text_model(cell) for cell in ("gru", "lstm", "rnn"))
    other_gru = make_text_model("gru", model_id="tiny-en-gru-2")
    weather = make_numbers_model("lstm")
    chosen = siblings(gru, [weather, other_gru, lstm, rnn, gru])
    assert [model.id for model in chosen] == ["tiny-en-rnn", "tiny-en-lstm", "tiny-en-gru"]
    assert [model.id for model in siblings(other_gru, [gru, lstm])] == [
        "tiny-en-lstm",
        "tiny-en-gru-2",
    ]
    assert [model.id for model in siblings(weather, [gru, lstm, rnn])] == ["tiny-weather-lstm"]


def test_compare_traces_each_model_as_its_module_computes(
    make_text_model: Callable[..., LoadedModel],
) -> None:
    models = [make_text_model(cell, seed=seed) for seed, cell in enumerate(("rnn", "lstm", "gru"))]
    comparison = compare(models, SENTENCE)
    assert comparison.axis == ["<pad>"] * 4 + ["a", "truly", "great", "film"]
    for model, run in zip(models, comparison.runs, strict=True):
        features = model.prepare(SENTENCE).features
        with torch.no_grad():
            output, _ = model.network.blocks[0](features)
        torch.testing.assert_close(run.traced.trace.layer(-1).hidden, output)
        assert run.traced.prediction == model.predict([SENTENCE])[0]
        assert run.positions == list(range(8))
        assert run.total_parameters == model.total_parameters
    assert set(comparison.runs[1].traced.trace.layer(-1).gates) == {
        "input",
        "forget",
        "candidate",
        "output",
    }
    assert comparison.runs[0].traced.trace.layer(-1).gates == {}


def test_models_that_pad_differently_align_on_their_last_real_tokens(
    make_text_model: Callable[..., LoadedModel],
) -> None:
    pre = make_text_model("gru", maxlen=6)
    post = make_text_model("lstm", maxlen=8, padding="post")
    comparison = compare([pre, post], SENTENCE)
    assert comparison.axis == ["a", "truly", "great", "film"]
    assert comparison.runs[0].positions == [None, None, 0, 1, 2, 3]
    assert comparison.runs[1].positions == [0, 1, 2, 3, None, None, None, None]


def test_truncated_model_aligns_at_the_end(make_text_model: Callable[..., LoadedModel]) -> None:
    short = make_text_model("gru", maxlen=2)
    long = make_text_model("lstm", maxlen=6)
    axis, positions = align([short.prepare(SENTENCE), long.prepare(SENTENCE)])
    assert axis == ["a", "truly", "great", "film"]
    assert positions == [[2, 3], [None, None, 0, 1, 2, 3]]


def test_numbers_inputs_align_by_step_number(
    make_numbers_model: Callable[..., LoadedModel], weather_rows: list[list[float]]
) -> None:
    models = [make_numbers_model("lstm"), make_numbers_model("gru")]
    comparison = compare(models, weather_rows)
    assert comparison.axis == ["1", "2", "3", "4", "5", "6"]
    assert [row.name for row in comparison.runs[1].parameters] == [
        "GRU layer 1",
        "GRU layer 2",
        "Dense 1",
        "Dense 2",
    ]
    assert comparison.runs[0].parameters[0].pytorch.count == 4 * (4 * (4 + 4) + 2 * 4)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_step_predictions_end_in_the_prediction(
    make_text_model: Callable[..., LoadedModel], cell: str
) -> None:
    (run,) = compare([make_text_model(cell)], SENTENCE).runs
    assert run.traced.step_predictions is not None
    last = run.traced.step_predictions[-1].positive_probability
    assert last == pytest.approx(run.traced.prediction.positive_probability, abs=1e-12)

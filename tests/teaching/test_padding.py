"""Padding variants equal running the network on ids padded by hand (Keras's pad_sequences)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch

from app.preprocessing import pad_sequences
from app.teaching.errors import NotApplicable
from app.teaching.padding import padding_study, real_tokens
from app.zoo import LoadedModel

SENTENCE = "the movie was truly good"


def _network_output(model: LoadedModel, ids: list[int], lengths: list[int] | None = None) -> float:
    features = model.network.embed(torch.tensor([ids], dtype=torch.long))
    with torch.no_grad():
        lengths_tensor = torch.tensor(lengths) if lengths is not None else None
        return float(model.network(features, lengths_tensor)[0, 0])


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("side", ["pre", "post"])
def test_padded_variant_equals_network_on_keras_padded_ids(
    make_text_model: Callable[..., LoadedModel], cell: str, side: str
) -> None:
    model = make_text_model(cell)
    study = padding_study(model, SENTENCE)
    run = next(run for run in study.runs if run.variant == side)
    ids = real_tokens(model, SENTENCE).ids
    expected_ids = pad_sequences([ids], maxlen=8, padding=side).tolist()[0]
    assert run.token_ids == expected_ids
    assert run.prediction.positive_probability == pytest.approx(
        _network_output(model, expected_ids), abs=1e-12
    )


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_masked_variant_equals_packed_post_padding(
    make_text_model: Callable[..., LoadedModel], cell: str
) -> None:
    model = make_text_model(cell)
    study = padding_study(model, SENTENCE)
    masked = study.runs[2]
    ids = real_tokens(model, SENTENCE).ids
    post = pad_sequences([ids], maxlen=8, padding="post").tolist()[0]
    assert masked.variant == "masked" and masked.token_ids == ids
    assert masked.prediction.positive_probability == pytest.approx(
        _network_output(model, post, lengths=[len(ids)]), abs=1e-12
    )


def test_pre_padding_steps_change_the_prediction_of_a_random_gru(
    make_text_model: Callable[..., LoadedModel],
) -> None:
    study = padding_study(make_text_model("gru"), SENTENCE)
    pre, post, masked = (run.prediction.positive_probability for run in study.runs)
    assert pre is not None and post is not None and masked is not None
    assert len({round(pre, 9), round(post, 9), round(masked, 9)}) == 3


def test_gate_change_is_mean_absolute_step_difference_over_units(
    make_text_model: Callable[..., LoadedModel],
) -> None:
    study = padding_study(make_text_model("lstm"), SENTENCE)
    pre = study.runs[0]
    forget = pre.trace.layer(-1).gates["forget"][0]
    assert pre.change["forget"][0] is None
    for step in range(1, 8):
        expected = float((forget[step] - forget[step - 1]).abs().mean())
        assert pre.change["forget"][step] == pytest.approx(expected)
    assert set(pre.change) == {"input", "forget", "candidate", "output", "hidden"}
    pad_steps = [step for step in range(1, 8) if pre.token_kinds[step] == "pad"]
    assert pre.pad_steps == 3 and pad_steps == [1, 2]
    assert pre.pad_change["forget"] == pytest.approx(
        sum(pre.change["forget"][step] for step in pad_steps) / 2  # type: ignore[misc]
    )


def test_full_sentence_has_no_pad_steps_and_all_variants_agree(
    make_text_model: Callable[..., LoadedModel],
) -> None:
    study = padding_study(make_text_model("gru", maxlen=4), SENTENCE)
    assert [run.token_ids for run in study.runs][0] == study.runs[1].token_ids
    assert all(run.pad_steps == 0 and run.pad_change["update"] is None for run in study.runs)
    probabilities = {round(run.prediction.positive_probability or 0, 12) for run in study.runs}
    assert len(probabilities) == 1


def test_study_reports_how_the_model_was_trained(
    make_text_model: Callable[..., LoadedModel],
) -> None:
    assert padding_study(make_text_model("gru"), SENTENCE).trained_with == "pre"
    assert padding_study(make_text_model("gru", padding="post"), SENTENCE).trained_with == "post"
    masked = make_text_model("gru", mask_padding=True)
    assert padding_study(masked, SENTENCE).trained_with == "masked"
    assert real_tokens(masked, SENTENCE).words == ["the", "movie", "was", "truly", "good"]


def test_numbers_model_is_refused_with_a_reason(
    make_numbers_model: Callable[..., LoadedModel], weather_rows: list[list[float]]
) -> None:
    with pytest.raises(NotApplicable) as caught:
        padding_study(make_numbers_model("gru"), weather_rows)
    assert caught.value.reason == "padding_needs_text"

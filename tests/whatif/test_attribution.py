"""Attribution: IG is complete within 1 % and passes lengths untouched, gradient x input is
autograd's, occlusion is predict on the edited input, and the methods' agreement is Spearman's."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from captum.attr import IntegratedGradients

from app.whatif.attribution import (
    IG_GAP,
    agreement,
    attribute,
    cudnn_off,
    prefix_attribution,
    score_function,
    spearman,
)
from app.zoo import load_model

MODELS = Path(__file__).resolve().parents[2] / "models"
WEATHER = [[0, 12.8, 5.0, 4.7], [0.5, 11.1, 6.1, 3.2], [0, 13.9, 4.4, 2.1], [2.0, 9.0, 3.0, 5.5]]


@pytest.fixture(scope="module")
def weather():  # noqa: ANN201
    return load_model(MODELS / "weather-gru")


@pytest.fixture(scope="module")
def sentiment():  # noqa: ANN201
    return load_model(MODELS / "sentiment-en-gru")


def test_integrated_gradients_is_complete(weather) -> None:  # noqa: ANN001
    found = attribute(weather, WEATHER, "integrated_gradients")
    features = weather.prepare(WEATHER).features
    forward = score_function(weather, 0)
    with torch.no_grad():
        moved = float(forward(features)[0] - forward(torch.zeros_like(features))[0])
    assert found.completeness_gap is not None and found.completeness_gap <= IG_GAP
    assert float(found.scores.sum()) == pytest.approx(moved, rel=IG_GAP)
    assert found.scored == "value"


def test_gradient_x_input_is_autograds(weather) -> None:  # noqa: ANN001
    found = attribute(weather, WEATHER, "gradient_x_input")
    features = weather.prepare(WEATHER).features.clone().requires_grad_()
    score_function(weather, 0)(features)[0].backward()
    assert features.grad is not None
    expected = (features.grad * features).detach()[0].sum(-1)
    torch.testing.assert_close(found.scores, expected)


def test_occlusion_is_predict_on_the_edited_input(sentiment) -> None:  # noqa: ANN001
    text = "a wonderful and moving film"
    found = attribute(sentiment, text, "occlusion")
    prepared = sentiment.prepare(text)
    ids = torch.tensor([prepared.token_ids])
    oov = sentiment.tokenizer.oov_index()
    network = sentiment.network
    with torch.no_grad():
        base = float(network(network.embed(ids))[0, 0])
        for step in (prepared.steps - 1, prepared.steps - 3):
            edited = ids.clone()
            edited[0, step] = oov if oov is not None else 0
            expected = base - float(network(network.embed(edited))[0, 0])
            assert float(found.scores[step]) == pytest.approx(expected, abs=1e-6)


def test_lengths_are_repeated_not_interpolated(weather) -> None:  # noqa: ANN001
    features = weather.prepare(WEATHER).features
    forward = score_function(weather, 0)
    ig = IntegratedGradients(forward)
    lengths = torch.tensor([features.shape[1]])
    with cudnn_off():
        assert not torch.backends.cudnn.enabled
        plain = ig.attribute(features, baselines=torch.zeros_like(features), n_steps=16)
        packed = ig.attribute(
            features,
            baselines=torch.zeros_like(features),
            n_steps=16,
            additional_forward_args=(lengths,),
        )
    torch.testing.assert_close(plain, packed)


def test_agreement_ranks_the_methods(sentiment) -> None:  # noqa: ANN001
    found = agreement(sentiment, "a wonderful and moving film")
    assert set(found.attributions) == {"integrated_gradients", "occlusion", "gradient_x_input"}
    assert set(found.rank_correlation) == {
        "integrated_gradients~occlusion",
        "integrated_gradients~gradient_x_input",
        "occlusion~gradient_x_input",
    }
    assert all(-1.0 <= rho <= 1.0 for rho in found.rank_correlation.values())


def test_spearman_is_the_correlation_of_ranks() -> None:
    a = torch.tensor([0.1, 0.5, 0.3, 0.9])
    assert spearman(a, a * 10) == pytest.approx(1.0)
    assert spearman(a, -a) == pytest.approx(-1.0)
    assert spearman(a, torch.tensor([1.0, 3.0, 2.0, 0.0])) == pytest.approx(-0.2)


def test_prefix_rows_explain_the_prediction_as_it_forms(weather) -> None:  # noqa: ANN001
    """Row t is complete against the prediction after step t (the head on the full run's h_t,
    as the forming series reads it), is 0 after t, and the last row is the final IG."""
    found = prefix_attribution(weather, WEATHER)
    assert found is not None and len(found.rows) == len(WEATHER)
    network = weather.network
    features = weather.prepare(WEATHER).features
    with torch.no_grad():
        forming = network.head(network.run_blocks(features)[0])[0, :, 0]
        start = network.head(network.run_blocks(torch.zeros_like(features))[0])[0, :, 0]
    for step, row in enumerate(found.rows):
        assert row is not None and row.shape == (len(WEATHER),)
        assert torch.equal(row[step + 1 :], torch.zeros(len(WEATHER) - step - 1))
        moved = float(forming[step] - start[step])
        assert float(row.sum()) == pytest.approx(moved, rel=IG_GAP, abs=1e-6)
        assert found.gaps[step] is not None and found.gaps[step] <= IG_GAP
    final = attribute(weather, WEATHER, "integrated_gradients").scores
    torch.testing.assert_close(found.rows[-1], final, rtol=0.02, atol=2e-3)


def test_prefix_rows_skip_padding(sentiment) -> None:  # noqa: ANN001
    found = prefix_attribution(sentiment, "a wonderful and moving film")
    assert found is not None
    kinds = sentiment.prepare("a wonderful and moving film").token_kinds
    assert [row is None for row in found.rows] == [kind == "pad" for kind in kinds]

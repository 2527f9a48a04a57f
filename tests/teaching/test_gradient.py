"""Sensitivity equals autograd on the module; retention is the running product of keep gates."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch

from app.teaching.gradient import gradient_study
from app.zoo import LoadedModel

SENTENCE = "the movie was truly good"


def _autograd_sensitivity(model: LoadedModel, raw: object) -> list[float]:
    """||d h_T / d x_t|| row by row of the Jacobian, with plain torch.autograd."""
    features = model.prepare(raw).features.detach().clone().requires_grad_(True)
    _, state = model.network.blocks[0](features)
    h_n = state[0] if isinstance(state, tuple) else state
    final = h_n[-1, 0]  # the top layer's final h
    rows = [
        torch.autograd.grad(final[j], features, retain_graph=True)[0][0] for j in range(len(final))
    ]
    jacobian = torch.stack(rows)  # (units, steps, features)
    return jacobian.pow(2).sum(dim=(0, 2)).sqrt().tolist()


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_sensitivity_equals_autograd_of_the_final_hidden_state(
    make_text_model: Callable[..., LoadedModel], cell: str
) -> None:
    model = make_text_model(cell)
    (run,) = gradient_study([model], SENTENCE).runs
    assert run.sensitivity == pytest.approx(_autograd_sensitivity(model, SENTENCE), rel=1e-9)


def test_sensitivity_of_a_stacked_numbers_model_equals_autograd(
    make_numbers_model: Callable[..., LoadedModel], weather_rows: list[list[float]]
) -> None:
    model = make_numbers_model("lstm")
    (run,) = gradient_study([model], weather_rows).runs
    assert run.sensitivity == pytest.approx(_autograd_sensitivity(model, weather_rows), rel=1e-9)


@pytest.mark.parametrize(("cell", "gate"), [("lstm", "forget"), ("gru", "update")])
def test_retention_is_the_mean_running_product_of_the_keep_gate(
    make_text_model: Callable[..., LoadedModel], cell: str, gate: str
) -> None:
    model = make_text_model(cell)
    (run,) = gradient_study([model], SENTENCE).runs
    keep = model.run_trace(SENTENCE).trace.layer(-1).gates[gate][0]  # (steps, units)
    steps = keep.shape[0]
    expected = [float(keep[t + 1 :].prod(dim=0).mean()) for t in range(steps)]
    assert run.keep_gate == gate
    assert run.retention == pytest.approx(expected, rel=1e-9)
    assert run.retention is not None and run.retention[-1] == 1.0


def test_plain_rnn_has_no_retention_and_runs_align(
    make_text_model: Callable[..., LoadedModel],
) -> None:
    models = [make_text_model("rnn"), make_text_model("gru", maxlen=6)]
    study = gradient_study(models, SENTENCE)
    assert study.runs[0].retention is None and study.runs[0].keep_gate is None
    assert study.axis == ["the", "movie", "was", "truly", "good"]
    assert study.runs[1].positions == [None, 0, 1, 2, 3, 4]
    assert study.runs[0].prediction == models[0].predict([SENTENCE])[0]


def test_summary_ranks_cells_by_the_gradient_kept_at_the_first_real_step(
    make_text_model: Callable[..., LoadedModel],
) -> None:
    models = [make_text_model("rnn"), make_text_model("lstm"), make_text_model("gru", maxlen=6)]
    study = gradient_study(models, SENTENCE)
    summary = study.summary
    ratios = {}
    for item, run in zip(summary.kept, study.runs, strict=True):
        kinds = run.prepared.token_kinds or []
        first = next(step for step, kind in enumerate(kinds) if kind != "pad")
        assert item.first_step == first
        assert item.ratio == pytest.approx(run.sensitivity[first] / run.sensitivity[-1])
        ratios[run.model.config.cell] = item.ratio
    ranked = sorted(ratios, key=ratios.__getitem__, reverse=True)
    assert summary.most is not None and summary.most.run.model.config.cell == ranked[0]
    assert summary.factor == pytest.approx(ratios[ranked[0]] / ratios[ranked[1]])
    assert summary.textbook_holds is (ranked[-1] == "rnn")


def test_summary_without_a_plain_rnn_does_not_judge_the_textbook(
    make_text_model: Callable[..., LoadedModel],
) -> None:
    summary = gradient_study([make_text_model("lstm"), make_text_model("gru")], SENTENCE).summary
    assert summary.textbook_holds is None
    assert summary.most is not None and summary.factor is not None and summary.factor >= 1.0

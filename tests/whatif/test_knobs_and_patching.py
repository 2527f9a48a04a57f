"""Teaching knobs do what the notes say, a model's what-if reports both predictions, and the
patching sweep is the batched form of one intervention per place."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn

from app.recurrent import Intervention, InterventionError, intervene, trace
from app.whatif.knobs import KNOBS, knob_interventions
from app.whatif.model import ModelIntervention, model_metric, model_sweep, what_if
from app.whatif.patching import sweep_layer_step, sweep_step_unit
from app.zoo import load_model

MODELS = Path(__file__).resolve().parents[2] / "models"


def run_knob(module: nn.Module, knob: str):  # noqa: ANN201
    inputs = torch.randn(2, 7, 3, generator=torch.Generator().manual_seed(0))
    clean = trace(module, inputs)
    return intervene(module, inputs, knob_interventions(knob, clean)).patched


def lstm() -> nn.LSTM:
    torch.manual_seed(0)
    return nn.LSTM(3, 4, num_layers=2, batch_first=True).eval()


def gru() -> nn.GRU:
    torch.manual_seed(0)
    return nn.GRU(3, 4, bidirectional=True, batch_first=True).eval()


def test_input_gate_always_0_keeps_the_cell_state_at_zero() -> None:
    patched = run_knob(lstm(), "input-always-0")
    for layer in patched.layers:
        assert bool((layer.cell == 0).all()) and bool((layer.hidden == 0).all())


def test_forget_gate_always_0_writes_only_the_new_candidate() -> None:
    layer = run_knob(lstm(), "forget-always-0").layer(0)
    assert torch.equal(layer.cell, layer.gates["input"] * layer.gates["candidate"])


def test_forget_gate_always_1_only_accumulates() -> None:
    layer = run_knob(lstm(), "forget-always-1").layer(0)
    written = layer.gates["input"] * layer.gates["candidate"]
    torch.testing.assert_close(layer.cell, written.cumsum(dim=1))


def test_output_gate_always_1_shows_tanh_of_the_cell() -> None:
    layer = run_knob(lstm(), "output-always-1").layer(1)
    assert torch.equal(layer.hidden, torch.tanh(layer.cell))  # type: ignore[arg-type]


def test_update_gate_z_always_0_in_the_notes_never_takes_the_input() -> None:
    # The notes' z = 0 is PyTorch's update gate 1: h_t = h_{t-1} = h_0 = 0, in both directions.
    patched = run_knob(gru(), "update-always-0")
    for layer in patched.layers:
        assert bool((layer.gates["update"] == 1).all()) and bool((layer.hidden == 0).all())


def test_update_gate_z_always_1_in_the_notes_takes_the_candidate() -> None:
    for layer in run_knob(gru(), "update-always-1").layers:
        assert torch.equal(layer.hidden, layer.gates["candidate"])


@pytest.mark.parametrize("knob", ["reset-always-0", "reset-always-1"])
def test_reset_knobs_set_the_reset_gate(knob: str) -> None:
    value = 0.0 if knob.endswith("0") else 1.0
    for layer in run_knob(gru(), knob).layers:
        assert bool((layer.gates["reset"] == value).all())


def test_knobs_name_their_words_and_refuse_other_cells() -> None:
    assert {knob.en for knob in KNOBS} >= {
        "forget gate always 1 (never forget)",
        "update gate z always 0",
        "update gate z always 1",
    }
    assert all("1 - z" in knob.meaning_en for knob in KNOBS if knob.gate == "update")
    inputs = torch.randn(5, 3)
    with pytest.raises(InterventionError) as caught:
        knob_interventions("forget-always-1", trace(gru(), inputs))
    assert caught.value.field == "knobs"


@pytest.fixture(scope="module")
def sentiment():  # noqa: ANN201
    return load_model(MODELS / "sentiment-en-lstm")


CLEAN, CORRUPTED = "a wonderful and moving film", "a terrible and boring film"


def test_what_if_reports_both_predictions(sentiment) -> None:  # noqa: ANN001
    result = what_if(
        sentiment,
        CLEAN,
        [ModelIntervention("layer0.forward.hidden", "patch", steps=[39], source_input=CORRUPTED)],
    )
    assert result.before == sentiment.predict([CLEAN])[0]
    assert result.after.positive_probability == pytest.approx(
        sentiment.predict([CORRUPTED])[0].positive_probability, abs=1e-6
    )
    assert result.change.scored == "positive"
    assert result.change.label_changed
    assert result.change.delta == pytest.approx(
        result.after.positive_probability - result.before.positive_probability  # type: ignore[operator]
    )


def test_sweep_equals_one_intervention_per_place(sentiment) -> None:  # noqa: ANN001
    sweep = model_sweep(sentiment, CLEAN, CORRUPTED, "step_unit", "layer0.forward.cell")
    assert sweep.effect.shape == (32, 40)
    clean = sentiment.prepare(CLEAN).features
    corrupted = sentiment.prepare(CORRUPTED).features
    blocks = list(sentiment.network.blocks)
    source = trace(blocks[0], clean)
    metric = model_metric(sentiment, source)
    for unit, step in [(3, 39), (17, 36), (0, 0)]:
        one = intervene(
            blocks,
            corrupted,
            [Intervention("layer0.forward.cell", "patch", [unit], [step], reference=source)],
        ).patched
        assert float(sweep.raw[unit, step]) == pytest.approx(float(metric(one)[0]), abs=1e-6)
    # Patching the whole state at the last step restores the clean run exactly (effect 1).
    layers = model_sweep(sentiment, CLEAN, CORRUPTED, "layer_step", "hidden")
    assert layers.rows == ["layer0.forward.hidden"]
    assert float(layers.effect[0, -1]) == pytest.approx(1.0, abs=1e-5)
    assert float(layers.effect[0, 0]) == pytest.approx(0.0, abs=1e-5)  # a padding step


def test_layer_step_sweep_covers_every_layer_direction() -> None:
    torch.manual_seed(1)
    blocks = [
        nn.LSTM(3, 4, bidirectional=True, batch_first=True).eval(),
        nn.GRU(8, 5, batch_first=True).eval(),
    ]
    clean, corrupted = torch.randn(1, 6, 3), torch.randn(1, 6, 3)

    def metric(found):  # noqa: ANN001, ANN202
        return found.final_state[-1].sum(-1)

    sweep = sweep_layer_step(blocks, clean, corrupted, "hidden", metric)
    assert sweep.rows == [
        "layer0.forward.hidden",
        "layer0.backward.hidden",
        "layer1.forward.hidden",
    ]
    assert float(sweep.effect[2, -1]) == pytest.approx(1.0, abs=1e-5)
    step_units = sweep_step_unit(blocks, clean, corrupted, "layer1.forward.update", metric)
    assert step_units.effect.shape == (5, 6)
    assert step_units.rows[0] == "unit 0"

"""Carrying the state equals reading the concatenated sequence; stacking is layer by layer."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import torch

from app.teaching.errors import NotApplicable
from app.teaching.state import layer_hiddens, state_study
from app.zoo import LoadedModel, load_model


def _h_n(state: torch.Tensor | tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    return state[0] if isinstance(state, tuple) else state


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_carried_state_equals_module_on_the_concatenated_sequence(
    make_numbers_model: Callable[..., LoadedModel], weather_rows: list[list[float]], cell: str
) -> None:
    model = make_numbers_model(cell)
    study = state_study(model, weather_rows[:4], next_raw=weather_rows[4:])
    whole = model.prepare(weather_rows).features
    with torch.no_grad():
        output, state = model.network.blocks[0](whole)
    assert study.split == 4
    torch.testing.assert_close(_h_n(study.carried.trace.final_state), _h_n(state))
    torch.testing.assert_close(study.carried.trace.layer(-1).hidden[0], output[0, 4:])
    assert study.carried.prediction.value == pytest.approx(study.whole.prediction.value, abs=1e-9)
    assert study.whole.prediction == model.predict([weather_rows])[0]


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_fresh_state_equals_module_on_the_second_part_alone(
    make_numbers_model: Callable[..., LoadedModel], weather_rows: list[list[float]], cell: str
) -> None:
    model = make_numbers_model(cell)
    study = state_study(model, weather_rows, split=2)
    assert study.fresh.prediction == model.predict([weather_rows[2:]])[0]
    assert study.first.prediction == model.predict([weather_rows[:2]])[0]
    assert study.fresh.prediction.value != pytest.approx(study.carried.prediction.value)
    (fresh_start,) = study.fresh.initial_state  # one block
    (carried_start,) = study.carried.initial_state
    assert torch.count_nonzero(_h_n(fresh_start)) == 0
    torch.testing.assert_close(_h_n(carried_start), _h_n(study.first.trace.final_state))


def test_split_defaults_to_the_middle_and_values_follow_it(
    make_numbers_model: Callable[..., LoadedModel], weather_rows: list[list[float]]
) -> None:
    study = state_study(make_numbers_model("gru"), weather_rows)
    assert study.split == 3
    assert study.first.prepared.values == weather_rows[:3]
    assert study.carried.prepared.values == weather_rows[3:]
    assert study.carried.prepared.steps == 3


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_layer_two_reads_layer_one_output_sequence(
    make_numbers_model: Callable[..., LoadedModel], weather_rows: list[list[float]], cell: str
) -> None:
    model = make_numbers_model(cell)
    stack = state_study(model, weather_rows).stack
    module = model.network.blocks[0]
    # A stand-alone one-layer module holding layer 2's weights, fed layer 1's whole sequence
    # (return_sequences=True), computes layer 2's outputs.
    second = type(module)(module.hidden_size, module.hidden_size, batch_first=True).double()
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(second, f"{name}_l0").copy_(getattr(module, f"{name}_l1"))
        output, _ = second(stack.layer_outputs[0].unsqueeze(0))
    torch.testing.assert_close(output[0], stack.layer_outputs[1])
    torch.testing.assert_close(stack.final_hidden, stack.layer_outputs[1][-1])
    torch.testing.assert_close(stack.inputs, model.prepare(weather_rows).features[0])


def test_head_steps_end_in_the_network_output(
    make_numbers_model: Callable[..., LoadedModel], weather_rows: list[list[float]]
) -> None:
    model = make_numbers_model("gru")
    stack = state_study(model, weather_rows).stack
    with torch.no_grad():
        expected = model.network(model.prepare(weather_rows).features)[0]
    assert [(step.name, step.activation, step.inputs) for step in stack.head] == [
        ("Dense 1", "relu", 4),
        ("Dense 2", "linear", 6),
    ]
    assert bool((stack.head[0].outputs >= 0).all())
    torch.testing.assert_close(stack.head[-1].outputs, expected)


def test_text_models_and_bad_splits_are_refused(
    make_text_model: Callable[..., LoadedModel],
    make_numbers_model: Callable[..., LoadedModel],
    weather_rows: list[list[float]],
) -> None:
    with pytest.raises(NotApplicable, match="sentences") as caught:
        state_study(make_text_model("gru"), "good movie")
    assert caught.value.reason == "state_needs_numbers"
    model = make_numbers_model("gru")
    for split in (0, 6, -1):
        with pytest.raises(NotApplicable, match="split must be between 1 and 5"):
            state_study(model, weather_rows, split=split)
    with pytest.raises(NotApplicable, match="at least 2"):
        state_study(model, weather_rows[:1])


def test_one_layer_model_has_a_one_layer_stack(
    make_numbers_model: Callable[..., LoadedModel], weather_rows: list[list[float]]
) -> None:
    stack = state_study(make_numbers_model("lstm", layers=1), weather_rows).stack
    assert len(stack.layer_outputs) == 1
    torch.testing.assert_close(stack.final_hidden, stack.layer_outputs[0][-1])


def test_carried_state_through_a_chain_of_blocks_equals_the_whole_sequence(
    tiny_models_dir: Path,
) -> None:
    """GRU(reset_after=False) -> 2-layer LSTM: each block carries its own state to the next
    part, and reading in two parts equals reading the whole in one go."""
    model = load_model(tiny_models_dir / "tiny-chain-series")
    rows = [[10.0 + step, 1000.0 - 3 * step] for step in range(8)]
    study = state_study(model, rows[:4], next_raw=rows[4:])
    assert len(study.carried.initial_state) == 2
    assert study.carried.prediction.value == pytest.approx(study.whole.prediction.value, abs=1e-6)
    torch.testing.assert_close(
        study.carried.trace.layer(-1).hidden[0], study.whole.trace.layer(-1).hidden[0, 4:]
    )
    assert [len(layer) for layer in layer_hiddens(study.carried.initial_state)] == [4, 3, 3]

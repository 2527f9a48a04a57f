"""RecurrentOptions / build_recurrent / options_of: the one way to build a recurrent module."""

from __future__ import annotations

import dataclasses

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from app.recurrent import GRUResetBefore, RecurrentOptions, build_recurrent, options_of
from app.recurrent.trace import _make_twin

from .helpers import PROJECTION_WARNING

pytestmark = pytest.mark.filterwarnings(PROJECTION_WARNING)


def direct(options: RecurrentOptions, batch_first: bool) -> nn.Module:
    """The module built by hand, to compare the factory with."""
    common = dict(
        input_size=options.input_size,
        hidden_size=options.hidden_size,
        num_layers=options.num_layers,
        bias=options.bias,
        batch_first=batch_first,
        bidirectional=options.bidirectional,
    )
    if options.cell == "lstm":
        return nn.LSTM(**common, proj_size=options.proj_size)  # type: ignore[arg-type]
    if options.cell == "gru":
        cls = nn.GRU if options.reset_after else GRUResetBefore
        return cls(**common)  # type: ignore[arg-type]
    return nn.RNN(**common, nonlinearity=options.nonlinearity)  # type: ignore[arg-type]


@st.composite
def any_options(draw: st.DrawFn) -> RecurrentOptions:
    cell = draw(st.sampled_from(["rnn", "lstm", "gru"]))
    hidden = draw(st.integers(1, 6))
    return RecurrentOptions(
        cell=cell,
        input_size=draw(st.integers(1, 5)),
        hidden_size=hidden,
        num_layers=draw(st.integers(1, 3)),
        bidirectional=draw(st.booleans()),
        bias=draw(st.booleans()),
        nonlinearity=draw(st.sampled_from(["tanh", "relu"])) if cell == "rnn" else "tanh",
        proj_size=draw(st.integers(0, hidden - 1)) if cell == "lstm" else 0,
        reset_after=draw(st.booleans()) if cell == "gru" else True,
    )


@settings(max_examples=60, deadline=None, database=None)
@given(options=any_options(), batch_first=st.booleans())
def test_build_recurrent_equals_the_module_built_by_hand(
    options: RecurrentOptions, batch_first: bool
) -> None:
    built = build_recurrent(options, batch_first=batch_first)
    expected = direct(options, batch_first)
    assert type(built) is type(expected)
    assert built.batch_first is batch_first
    assert [(n, p.shape) for n, p in built.named_parameters()] == [
        (n, p.shape) for n, p in expected.named_parameters()
    ]
    assert getattr(built, "nonlinearity", "tanh") == options.nonlinearity
    assert options_of(built) == options


@settings(max_examples=40, deadline=None, database=None)
@given(options=any_options())
def test_output_width_is_the_width_of_the_modules_output(options: RecurrentOptions) -> None:
    module = build_recurrent(options)
    with torch.no_grad():
        output, _ = module(torch.zeros(2, 3, options.input_size))
    assert output.shape == (2, 3, options.output_width)


def test_gru_reset_after_false_builds_the_reset_before_module() -> None:
    module = build_recurrent(RecurrentOptions("gru", 3, 4, reset_after=False))
    assert isinstance(module, GRUResetBefore) and module.batch_first
    assert isinstance(build_recurrent(RecurrentOptions("gru", 3, 4)), nn.GRU)


def test_dtype_and_device_reach_the_parameters() -> None:
    for cell in ("rnn", "lstm", "gru"):
        for reset_after in (True, False) if cell == "gru" else (True,):
            options = RecurrentOptions(cell, 3, 4, num_layers=2, reset_after=reset_after)
            module = build_recurrent(options, dtype=torch.float64, device="meta")
            assert {(p.dtype, p.device.type) for p in module.parameters()} == {
                (torch.float64, "meta")
            }


def test_output_width_counts_projection_and_directions() -> None:
    assert RecurrentOptions("lstm", 3, 8, proj_size=3, bidirectional=True).output_width == 6
    assert RecurrentOptions("gru", 3, 8).output_width == 8


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        pytest.param({"cell": "lstm", "proj_size": 5}, "between 0 and hidden_size", id="proj-big"),
        pytest.param({"cell": "lstm", "proj_size": -1}, "proj_size must be between", id="proj-neg"),
        pytest.param({"cell": "gru", "proj_size": 2}, "LSTM option", id="proj-on-gru"),
        pytest.param({"cell": "rnn", "proj_size": 2}, "LSTM option", id="proj-on-rnn"),
        pytest.param({"cell": "lstm", "nonlinearity": "relu"}, "RNN option", id="relu-lstm"),
        pytest.param({"cell": "gru", "nonlinearity": "relu"}, "RNN option", id="relu-gru"),
        pytest.param({"nonlinearity": "sigmoid"}, "'tanh' or 'relu'", id="bad-nonlinearity"),
        pytest.param({"cell": "lstm", "reset_after": False}, "GRU option", id="reset-lstm"),
        pytest.param({"cell": "rnn", "reset_after": False}, "GRU option", id="reset-rnn"),
        pytest.param({"cell": "transformer"}, "cell must be", id="bad-cell"),
        pytest.param({"hidden_size": 0}, "hidden_size must be a positive", id="no-units"),
        pytest.param({"num_layers": 0}, "num_layers must be a positive", id="no-layers"),
        pytest.param({"input_size": True}, "input_size must be a positive", id="bool-size"),
    ],
)
def test_options_that_do_not_fit_the_cell_are_refused(
    changes: dict[str, object], message: str
) -> None:
    base = {"cell": "rnn", "input_size": 3, "hidden_size": 5}
    with pytest.raises(ValueError, match=message):
        RecurrentOptions(**{**base, **changes})  # type: ignore[arg-type]


def test_options_are_frozen_and_hashable() -> None:
    options = RecurrentOptions("lstm", 3, 4)
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.hidden_size = 5  # type: ignore[misc]
    assert {options: 1}[RecurrentOptions("lstm", 3, 4)] == 1


@pytest.mark.parametrize(
    "module",
    [
        pytest.param(nn.RNN(3, 4, nonlinearity="relu", num_layers=2), id="rnn-relu"),
        pytest.param(nn.LSTM(3, 4, proj_size=2, bidirectional=True, bias=False), id="lstm"),
        pytest.param(GRUResetBefore(3, 4, bidirectional=True), id="gru-reset-before"),
    ],
)
def test_options_of_reads_a_module_back(module: nn.Module) -> None:
    rebuilt = build_recurrent(options_of(module), batch_first=False)
    rebuilt.load_state_dict(module.state_dict())
    inputs = torch.randn(5, 2, 3)
    with torch.no_grad():
        torch.testing.assert_close(rebuilt(inputs)[0], module(inputs)[0], rtol=0, atol=0)


def test_options_of_a_non_recurrent_module_raises() -> None:
    with pytest.raises(TypeError, match=r"nn\.RNN, nn\.LSTM or nn\.GRU"):
        options_of(nn.Linear(3, 4))


def test_the_tracers_twins_come_from_the_factory() -> None:
    options = RecurrentOptions("gru", 3, 4, bidirectional=True, reset_after=False)
    twin = _make_twin(options)
    assert isinstance(twin, GRUResetBefore) and twin.batch_first
    assert options_of(twin) == options
    assert {p.device.type for p in twin.parameters()} == {"meta"}

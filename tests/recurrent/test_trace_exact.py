"""The trace equals the module itself and an independent step-by-step recomputation.

Every option of nn.RNN / nn.LSTM / nn.GRU (and GRUResetBefore, Keras's reset_after=False GRU),
alone and combined: outputs and final states against the module, every gate, hidden and cell
state against tests/recurrent/reference.py.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import Tensor, nn

from app.recurrent import trace

from .helpers import (
    GATE_PATHS,
    PROJECTION_WARNING,
    TOLERANCE,
    Case,
    assert_close,
    assert_same_output,
    assert_same_state,
    gate_path,
    make_inputs,
    make_module,
    make_state,
    run_module,
)
from .reference import kind_of, reference_run

# The module itself is called here too, outside the tracer's own filter for this warning.
pytestmark = pytest.mark.filterwarnings(PROJECTION_WARNING)

UNSORTED = (4, 6, 1, 5)


def check_trace(
    module: nn.RNNBase,
    inputs: Tensor,
    initial_state: Tensor | tuple[Tensor, Tensor] | None,
    lengths: list[int] | None,
) -> None:
    """The whole trace against the module and against the reference, within the dtype's bound."""
    tolerance = TOLERANCE[inputs.dtype]
    result = trace(module, inputs, initial_state, lengths)
    output, state = run_module(module, inputs, initial_state, lengths)
    assert_same_output(result.output, output, tolerance)
    assert_same_state(result.final_state, state, tolerance)

    reference = reference_run(module, inputs, initial_state, lengths)
    directions = ("forward", "backward") if module.bidirectional else ("forward",)
    order = [(layer, d) for layer in range(module.num_layers) for d in directions]
    assert [(lt.layer, lt.direction) for lt in result.layers] == order
    for layer_trace in result.layers:
        expected = reference.directions[(layer_trace.layer, layer_trace.direction)]
        where = f"layer {layer_trace.layer} {layer_trace.direction}"
        assert layer_trace.kind == result.cell == kind_of(module)
        assert (layer_trace.block, layer_trace.block_layer) == (0, layer_trace.layer)
        assert layer_trace.nonlinearity == getattr(module, "nonlinearity", "tanh")
        assert layer_trace.reset_after == getattr(module, "reset_after", True)
        assert layer_trace.gates.keys() == expected.gates.keys()
        assert tuple(layer_trace.gates) == result.gate_names
        for gate, value in layer_trace.gates.items():
            assert_close(value, expected.gates[gate], tolerance, f"{where} {gate}")
        assert_close(layer_trace.hidden, expected.hidden, tolerance, f"{where} hidden")
        if expected.cell is None:
            assert layer_trace.cell is None
        else:
            assert layer_trace.cell is not None
            assert_close(layer_trace.cell, expected.cell, tolerance, f"{where} cell")
        assert torch.equal(layer_trace.present, ~torch.isnan(expected.hidden[..., 0]))
    # The reference agrees with the module too, so the two checks cannot share a mistake.
    h_n = state[0] if isinstance(state, tuple) else state
    h_n = h_n if inputs.dim() == 3 else h_n.unsqueeze(1)
    assert_close(reference.h_n, h_n, tolerance, "reference final h")


def check_case(case: Case, seed: int = 0) -> None:
    module = make_module(case, seed)
    inputs = make_inputs(case, module, seed + 1)
    state = make_state(case, module, seed + 2) if case.initial_state else None
    lengths = list(case.lengths) if case.lengths is not None else None
    check_trace(module, inputs, state, lengths)


def case_id(case: Case) -> str:
    parts = [case.cell]
    if case.layers > 1:
        parts.append(f"{case.layers}layers")
    flags = {
        "bidirectional": case.bidirectional,
        "proj": case.proj > 0,
        "batchfirst": case.batch_first,
        "nobias": not case.bias,
        "lengths": case.lengths is not None,
        "unbatched": case.unbatched,
        "initialstate": case.initial_state,
        "float64": case.dtype == torch.float64,
    }
    parts += [name for name, on in flags.items() if on]
    return "-".join(parts)


VARIANTS: list[dict[str, object]] = [
    {},
    {"bidirectional": True},
    {"layers": 2},
    {"batch_first": True},
    {"bias": False},
    {"dtype": torch.float64},
    {"unbatched": True},
    {"initial_state": True},
    {"unbatched": True, "initial_state": True},
    {"lengths": UNSORTED, "batch": 4},
    {"bidirectional": True, "lengths": UNSORTED, "batch": 4, "batch_first": True},
    {"layers": 2, "bidirectional": True, "batch_first": True, "initial_state": True},
    {
        "layers": 3,
        "bidirectional": True,
        "batch_first": True,
        "bias": False,
        "lengths": UNSORTED,
        "batch": 4,
        "dtype": torch.float64,
        "initial_state": True,
    },
]
LSTM_PROJECTION_VARIANTS: list[dict[str, object]] = [
    {"proj": 2},
    {"proj": 2, "bidirectional": True, "batch_first": True},
    {"proj": 3, "layers": 2, "bidirectional": True, "lengths": UNSORTED, "batch": 4},
    {"proj": 2, "unbatched": True, "initial_state": True, "dtype": torch.float64},
    {"proj": 4, "layers": 2, "batch_first": True, "initial_state": True, "bias": False},
]
CELLS = ("rnn-tanh", "rnn-relu", "lstm", "gru", "gru-before")
CASES = [Case(cell=cell, **variant) for cell in CELLS for variant in VARIANTS] + [  # type: ignore[arg-type]
    Case(cell="lstm", **variant)  # type: ignore[arg-type]
    for variant in LSTM_PROJECTION_VARIANTS
]


@pytest.fixture(params=GATE_PATHS)
def path(request: pytest.FixtureRequest) -> Iterator[str]:
    """Both ways of computing the gates: oneDNN products with fused activations, and portable."""
    with gate_path(request.param):
        yield request.param


@pytest.mark.parametrize("case", [pytest.param(case, id=case_id(case)) for case in CASES])
def test_trace_matches_module_and_reference(case: Case, path: str) -> None:
    check_case(case)


@st.composite
def cases(draw: st.DrawFn) -> Case:
    cell = draw(st.sampled_from(CELLS))
    hidden = draw(st.integers(1, 6))
    steps = draw(st.integers(1, 7))
    batch = draw(st.integers(1, 4))
    unbatched = draw(st.booleans())
    lengths = None
    if not unbatched and draw(st.booleans()):
        lengths = tuple(draw(st.lists(st.integers(1, steps), min_size=batch, max_size=batch)))
    proj = draw(st.integers(0, hidden - 1)) if cell == "lstm" else 0
    return Case(
        cell=cell,
        layers=draw(st.integers(1, 3)),
        bidirectional=draw(st.booleans()),
        batch_first=draw(st.booleans()),
        bias=draw(st.booleans()),
        proj=proj,
        dtype=draw(st.sampled_from([torch.float32, torch.float64])),
        lengths=lengths,
        unbatched=unbatched,
        initial_state=draw(st.booleans()),
        input_size=draw(st.integers(1, 5)),
        hidden_size=hidden,
        steps=steps,
        batch=batch,
    )


@settings(max_examples=60, deadline=None, database=None)
@given(case=cases(), seed=st.integers(0, 2**16), path=st.sampled_from(GATE_PATHS))
def test_trace_matches_module_and_reference_for_random_options(
    case: Case, seed: int, path: str
) -> None:
    with gate_path(path):
        check_case(case, seed)


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(Case(cell="lstm", steps=200, batch=2, hidden_size=8), id="lstm-200steps"),
        pytest.param(
            Case(cell="lstm", steps=150, batch=3, bidirectional=True, lengths=(150, 37, 101)),
            id="lstm-150steps-bidirectional-lengths",
        ),
        pytest.param(
            Case(cell="gru", steps=120, batch=2, layers=2, dtype=torch.float64),
            id="gru-120steps-2layers-float64",
        ),
        pytest.param(
            Case(cell="gru-before", steps=120, batch=3, bidirectional=True, lengths=(120, 41, 99)),
            id="gru-before-120steps-bidirectional-lengths",
        ),
    ],
)
def test_trace_stays_exact_over_long_sequences(case: Case, path: str) -> None:
    """Long enough that the chunked cell-state scan has many chunks and a ragged last one."""
    check_case(case)


def test_lengths_trace_equals_tracing_each_sequence_alone() -> None:
    """A packed backward direction starts at each sequence's own end, not at the padding."""
    case = Case(cell="lstm", layers=2, bidirectional=True, batch_first=True, batch=4, steps=6)
    module = make_module(case)
    inputs = make_inputs(case, module)
    batched = trace(module, inputs, lengths=list(UNSORTED))
    for b, length in enumerate(UNSORTED):
        alone = trace(module, inputs[b, :length])
        for together, single in zip(batched.layers, alone.layers, strict=True):
            assert_close(together.hidden[b, :length], single.hidden[0], 1e-6, "hidden")
            assert together.cell is not None and single.cell is not None
            assert_close(together.cell[b, :length], single.cell[0], 1e-6, "cell")
            assert bool(torch.isnan(together.hidden[b, length:]).all())
            assert not bool(together.present[b, length:].any())


def test_unbatched_trace_equals_batch_of_one() -> None:
    case = Case(cell="gru", layers=2, bidirectional=True, unbatched=True, initial_state=True)
    module = make_module(case)
    inputs, state = make_inputs(case, module), make_state(case, module)
    assert isinstance(state, Tensor)
    single = trace(module, inputs, state)
    batch = trace(module, inputs.unsqueeze(1), state.unsqueeze(1))
    assert not single.batched and batch.batched
    assert isinstance(single.output, Tensor) and isinstance(batch.output, Tensor)
    assert single.output.shape == (case.steps, 2 * case.hidden_size)
    assert torch.equal(single.output, batch.output[:, 0])
    for one, many in zip(single.layers, batch.layers, strict=True):
        assert one.hidden.shape == (1, case.steps, case.hidden_size)
        assert torch.equal(one.hidden, many.hidden)


def test_projection_widths() -> None:
    """With proj_size, hidden is the projected h and the cell keeps hidden_size units."""
    case = Case(cell="lstm", proj=2, hidden_size=5, bidirectional=True)
    result = trace(make_module(case), make_inputs(case, make_module(case)))
    for layer_trace in result.layers:
        assert layer_trace.hidden.shape[-1] == 2
        assert layer_trace.cell is not None and layer_trace.cell.shape[-1] == 5
        assert all(value.shape[-1] == 5 for value in layer_trace.gates.values())


def test_shapes_are_batch_steps_units_whatever_the_layout() -> None:
    case = Case(cell="gru", batch=2, steps=7, hidden_size=4)
    for layout in (case, dataclasses.replace(case, batch_first=True)):
        result = trace(make_module(layout), make_inputs(layout, make_module(layout)))
        assert (result.batch_size, result.steps) == (2, 7)
        assert all(v.shape == (2, 7, 4) for v in result.layers[0].gates.values())


@pytest.mark.skipif(
    not torch.backends.mkldnn.is_available(), reason="PyTorch was built without oneDNN"
)
def test_fused_path_is_taken_for_large_float32_products_and_not_for_small_ones() -> None:
    from app.recurrent.cells import onednn_applies
    from app.recurrent.trace import direction_weights

    module = nn.LSTM(128, 512, batch_first=True).eval()
    weights = direction_weights(module, 0, "forward")
    with torch.no_grad():
        assert onednn_applies(torch.zeros(1, 1000, 128), torch.zeros(1, 1000, 512), weights)
        assert not onednn_applies(torch.zeros(1, 2, 128), torch.zeros(1, 2, 512), weights)
    # Gradients need the portable path: the oneDNN operator has no backward.
    assert not onednn_applies(torch.zeros(1, 1000, 128), torch.zeros(1, 1000, 512), weights)

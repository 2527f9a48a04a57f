"""trace_chain: every layer of every block equals the blocks' own modules, run one after another
on each other's outputs (packed when there are lengths), and the hand-stepped reference."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import Tensor, nn
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

from app.recurrent import GRUResetBefore, RecurrentOptions, build_recurrent, trace, trace_chain
from app.recurrent.trace import State

from .helpers import (
    PROJECTION_WARNING,
    TOLERANCE,
    assert_close,
    assert_same_output,
    assert_same_state,
)
from .reference import kind_of, reference_run

pytestmark = pytest.mark.filterwarnings(PROJECTION_WARNING)

INPUT_SIZE, STEPS, BATCH = 3, 6, 4
UNSORTED = [4, 6, 1, 5]
Blocks = Callable[[torch.dtype], list[nn.Module]]


def block(
    cell: str, input_size: int, hidden: int, dtype: torch.dtype, **options: object
) -> nn.Module:
    """One batch-first block built by hand (not by the factory under test)."""
    common = dict(batch_first=True, dtype=dtype, **options)
    if cell == "lstm":
        return nn.LSTM(input_size, hidden, **common).eval()  # type: ignore[arg-type]
    if cell == "gru":
        return nn.GRU(input_size, hidden, **common).eval()  # type: ignore[arg-type]
    if cell == "gru-before":
        return GRUResetBefore(input_size, hidden, **common).eval()  # type: ignore[arg-type]
    return nn.RNN(input_size, hidden, **common).eval()  # type: ignore[arg-type]


CHAINS: dict[str, Blocks] = {
    "bidirectional-lstm5-then-lstm4": lambda dtype: [
        block("lstm", INPUT_SIZE, 5, dtype, bidirectional=True),
        block("lstm", 10, 4, dtype),
    ],
    "gru6-then-gru3": lambda dtype: [
        block("gru", INPUT_SIZE, 6, dtype),
        block("gru", 6, 3, dtype),
    ],
    "lstm-2layers-then-rnn-relu": lambda dtype: [
        block("lstm", INPUT_SIZE, 5, dtype, num_layers=2),
        block("rnn", 5, 4, dtype, nonlinearity="relu"),
    ],
    "gru-reset-before-then-bidirectional-lstm": lambda dtype: [
        block("gru-before", INPUT_SIZE, 4, dtype),
        block("lstm", 4, 3, dtype, bidirectional=True),
    ],
    "bidirectional-lstm-then-gru": lambda dtype: [
        block("lstm", INPUT_SIZE, 4, dtype, bidirectional=True, num_layers=2),
        block("gru", 8, 3, dtype, bias=False),
    ],
    "rnn-then-bidirectional-gru-before-nobias-then-lstm-proj": lambda dtype: [
        block("rnn", INPUT_SIZE, 4, dtype),
        block("gru-before", 4, 3, dtype, bidirectional=True, bias=False, num_layers=2),
        block("lstm", 6, 5, dtype, proj_size=2, num_layers=2),
    ],
}


def make_inputs(dtype: torch.dtype, seed: int = 1) -> Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(BATCH, STEPS, INPUT_SIZE, generator=generator, dtype=dtype)


def random_state(module: nn.Module, dtype: torch.dtype, seed: int) -> State:
    generator = torch.Generator().manual_seed(seed)
    rows = module.num_layers * (2 if module.bidirectional else 1)
    units = getattr(module, "proj_size", 0) or module.hidden_size
    h0 = torch.randn(rows, BATCH, units, generator=generator, dtype=dtype) * 0.5
    if isinstance(module, nn.LSTM):
        return h0, torch.randn(rows, BATCH, module.hidden_size, generator=generator, dtype=dtype)
    return h0


def run_chain(
    blocks: list[nn.Module], inputs: Tensor, lengths: list[int] | None, states: list[State | None]
) -> list[tuple[Tensor, Tensor | PackedSequence, State]]:
    """Each block's padded input, and what the module returns, run on the previous one's output
    exactly as a user would (packed from pack_padded_sequence when there are lengths)."""
    feed: Tensor | PackedSequence = inputs
    if lengths is not None:
        feed = pack_padded_sequence(inputs, lengths, batch_first=True, enforce_sorted=False)
    found = []
    with torch.no_grad():
        for module, state in zip(blocks, states, strict=True):
            padded = feed
            if isinstance(feed, PackedSequence):
                padded, _ = pad_packed_sequence(feed, batch_first=True, total_length=STEPS)
            assert isinstance(padded, Tensor)
            output, final = module(feed, state)
            found.append((padded, output, final))
            feed = output
    return found


def check_chain(
    blocks: list[nn.Module], inputs: Tensor, lengths: list[int] | None, states: list[State | None]
) -> None:
    tolerance = TOLERANCE[inputs.dtype]
    result = trace_chain(blocks, inputs, lengths, states)
    runs = run_chain(blocks, inputs, lengths, states)
    assert_same_output(result.output, runs[-1][1], tolerance)
    assert_same_state(result.final_state, runs[-1][2], tolerance)  # type: ignore[arg-type]
    assert len(result.block_traces) == len(blocks)
    assert result.num_layers == sum(module.num_layers for module in blocks)
    expected_order = []
    first = 0
    for index, (module, state, (block_input, output, final)) in enumerate(
        zip(blocks, states, runs, strict=True)
    ):
        own = result.block_traces[index]
        assert_same_output(own.output, output, tolerance)
        assert_same_state(own.final_state, final, tolerance)  # type: ignore[arg-type]
        reference = reference_run(module, block_input, state, lengths)  # type: ignore[arg-type]
        directions = ("forward", "backward") if module.bidirectional else ("forward",)
        for layer in range(module.num_layers):
            assert result.directions_of(first + layer) == directions
            for direction in directions:
                expected_order.append((first + layer, direction, index, layer))
                check_layer(result.layer(first + layer, direction), module, reference, tolerance)
                assert own.layer(layer, direction).layer == layer
        top = own.layers[-len(directions) :]
        padded_output = output
        if isinstance(output, PackedSequence):
            padded_output, _ = pad_packed_sequence(output, batch_first=True, total_length=STEPS)
        assert isinstance(padded_output, Tensor)
        as_module = torch.cat([found.hidden for found in top], dim=-1)
        assert_close(as_module.nan_to_num(0.0), padded_output, tolerance, f"block {index} output")
        first += module.num_layers
    assert [(lt.layer, lt.direction, lt.block, lt.block_layer) for lt in result.layers] == (
        expected_order
    )


def check_layer(found, module: nn.Module, reference, tolerance: float) -> None:  # noqa: ANN001
    """One layer-direction of the chain against its block's reference run."""
    expected = reference.directions[(found.block_layer, found.direction)]
    where = f"layer {found.layer} (block {found.block} layer {found.block_layer}) {found.direction}"
    assert found.kind == kind_of(module)  # type: ignore[arg-type]
    assert found.nonlinearity == getattr(module, "nonlinearity", "tanh")
    assert found.reset_after == getattr(module, "reset_after", True)
    assert tuple(found.gates) == found.gate_names
    for gate, value in found.gates.items():
        assert_close(value, expected.gates[gate], tolerance, f"{where} {gate}")
    assert_close(found.hidden, expected.hidden, tolerance, f"{where} hidden")
    if expected.cell is None:
        assert found.cell is None
    else:
        assert_close(found.cell, expected.cell, tolerance, f"{where} cell")
    assert torch.equal(found.present, ~torch.isnan(expected.hidden[..., 0]))


DTYPES = [pytest.param(torch.float32, id="float32"), pytest.param(torch.float64, id="float64")]
LENGTHS = [pytest.param(None, id="full"), pytest.param(UNSORTED, id="lengths")]


@pytest.mark.parametrize("name", list(CHAINS))
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("lengths", LENGTHS)
@pytest.mark.parametrize("with_states", [False, True], ids=["zero-state", "initial-states"])
def test_chain_matches_its_modules_and_the_reference(
    name: str, dtype: torch.dtype, lengths: list[int] | None, with_states: bool
) -> None:
    torch.manual_seed(0)
    blocks = CHAINS[name](dtype)
    states: list[State | None] = [
        random_state(module, dtype, 10 + index) if with_states else None
        for index, module in enumerate(blocks)
    ]
    check_chain(blocks, make_inputs(dtype), lengths, states)


@st.composite
def chains(draw: st.DrawFn) -> tuple[list[nn.Module], torch.dtype]:
    dtype = draw(st.sampled_from([torch.float32, torch.float64]))
    width, blocks = INPUT_SIZE, []
    for _ in range(draw(st.integers(1, 3))):
        cell = draw(st.sampled_from(["rnn", "lstm", "gru"]))
        hidden = draw(st.integers(1, 5))
        options = RecurrentOptions(
            cell=cell,
            input_size=width,
            hidden_size=hidden,
            num_layers=draw(st.integers(1, 2)),
            bidirectional=draw(st.booleans()),
            bias=draw(st.booleans()),
            nonlinearity=draw(st.sampled_from(["tanh", "relu"])) if cell == "rnn" else "tanh",
            proj_size=draw(st.integers(0, hidden - 1)) if cell == "lstm" else 0,
            reset_after=draw(st.booleans()) if cell == "gru" else True,
        )
        blocks.append(build_recurrent(options, dtype=dtype).eval())
        width = options.output_width
    return blocks, dtype


@settings(max_examples=30, deadline=None, database=None)
@given(
    chain=chains(),
    seed=st.integers(0, 2**16),
    lengths=st.one_of(st.none(), st.lists(st.integers(1, STEPS), min_size=BATCH, max_size=BATCH)),
)
def test_random_chains_match_their_modules_and_the_reference(
    chain: tuple[list[nn.Module], torch.dtype], seed: int, lengths: list[int] | None
) -> None:
    blocks, dtype = chain
    check_chain(blocks, make_inputs(dtype, seed), lengths, [None] * len(blocks))


def test_chain_wide_fields_of_a_mixed_chain() -> None:
    blocks = CHAINS["bidirectional-lstm-then-gru"](torch.float32)
    result = trace_chain(blocks, make_inputs(torch.float32), UNSORTED)
    assert result.cell == "mixed"
    assert result.num_layers == 3
    assert not result.bidirectional  # the last block's: it shapes output and final_state
    assert [result.directions_of(layer) for layer in (0, 1, 2, -1)] == [
        ("forward", "backward"),
        ("forward", "backward"),
        ("forward",),
        ("forward",),
    ]
    assert result.gate_names == ("input", "forget", "candidate", "output", "reset", "update")
    assert [lt.kind for lt in result.layers] == ["lstm"] * 4 + ["gru"]
    assert result.layer(-1) is result.layers[-1]
    assert [part.cell for part in result.block_traces] == ["lstm", "gru"]
    assert [part.num_layers for part in result.block_traces] == [2, 1]
    with pytest.raises(IndexError, match="out of range"):
        result.layer(3)
    with pytest.raises(KeyError, match="backward"):
        result.layer(2, "backward")


def test_chain_of_one_kind_keeps_the_kind_and_the_rnn_nonlinearity() -> None:
    blocks = [block("rnn", INPUT_SIZE, 4, torch.float32, nonlinearity="relu")] * 1
    blocks.append(block("rnn", 4, 2, torch.float32, nonlinearity="relu"))
    result = trace_chain(blocks, make_inputs(torch.float32))
    assert (result.cell, result.nonlinearity, result.gate_names) == ("rnn", "relu", ())
    mixed = trace_chain(
        CHAINS["lstm-2layers-then-rnn-relu"](torch.float32), make_inputs(torch.float32)
    )
    assert (mixed.cell, mixed.nonlinearity) == ("mixed", "relu")


def test_one_block_chain_equals_trace() -> None:
    module = block("gru", INPUT_SIZE, 4, torch.float32, bidirectional=True, num_layers=2)
    inputs = make_inputs(torch.float32)
    chained = trace_chain([module], inputs, UNSORTED)
    alone = trace(module, inputs, lengths=UNSORTED)
    assert len(chained.block_traces) == 1 and chained.block_traces[0] is chained
    assert_same_output(chained.output, alone.output, 0.0)
    assert_same_state(chained.final_state, alone.final_state, 0.0)  # type: ignore[arg-type]
    for mine, theirs in zip(chained.layers, alone.layers, strict=True):
        fields = ("layer", "direction", "kind", "block", "block_layer", "reset_after")
        assert [getattr(mine, f) for f in fields] == [getattr(theirs, f) for f in fields]
        assert_close(mine.hidden, theirs.hidden, 0.0, "hidden")
        for gate, value in mine.gates.items():
            assert_close(value, theirs.gates[gate], 0.0, gate)


def test_unbatched_chain_equals_a_batch_of_one() -> None:
    blocks = CHAINS["gru-reset-before-then-bidirectional-lstm"](torch.float64)
    inputs = make_inputs(torch.float64)[0]
    single = trace_chain(blocks, inputs)
    batch = trace_chain(blocks, inputs.unsqueeze(0))
    assert not single.batched
    assert isinstance(single.output, Tensor) and isinstance(batch.output, Tensor)
    assert torch.equal(single.output, batch.output[0])
    for one, many in zip(single.layers, batch.layers, strict=True):
        assert torch.equal(one.hidden, many.hidden)


def test_chain_builds_a_graph_only_when_asked() -> None:
    blocks = CHAINS["gru6-then-gru3"](torch.float32)
    inputs = make_inputs(torch.float32).requires_grad_(True)
    assert trace_chain(blocks, inputs).layers[-1].hidden.grad_fn is None
    result = trace_chain(blocks, inputs, requires_grad=True)
    (gradient,) = torch.autograd.grad(result.layers[-1].gates["update"].sum(), inputs)
    assert bool(gradient.abs().sum() > 0)


# --- errors -----------------------------------------------------------------------------------


def test_chain_rejects_a_block_whose_input_width_does_not_fit() -> None:
    blocks = [block("lstm", INPUT_SIZE, 5, torch.float32, bidirectional=True)]
    blocks.append(block("gru", 5, 3, torch.float32))
    with pytest.raises(
        ValueError, match="block 1 expects 5 features per step, but block 0 outputs 10"
    ):
        trace_chain(blocks, make_inputs(torch.float32))


def test_chain_rejects_blocks_of_different_dtypes() -> None:
    blocks = [block("gru", INPUT_SIZE, 4, torch.float32), block("gru", 4, 3, torch.float64)]
    with pytest.raises(TypeError, match="block 1's inputs"):
        trace_chain(blocks, make_inputs(torch.float32))


def test_chain_rejects_a_block_that_is_not_batch_first() -> None:
    blocks = [block("gru", INPUT_SIZE, 4, torch.float32), nn.GRU(4, 3)]
    with pytest.raises(ValueError, match="block 1 is not batch_first"):
        trace_chain(blocks, make_inputs(torch.float32))


def test_chain_rejects_a_non_recurrent_block() -> None:
    with pytest.raises(TypeError, match=r"nn\.RNN, nn\.LSTM or nn\.GRU"):
        trace_chain(
            [block("gru", INPUT_SIZE, 4, torch.float32), nn.Linear(4, 3)],
            make_inputs(torch.float32),
        )


@pytest.mark.parametrize(
    "blocks",
    [pytest.param([], id="empty"), pytest.param(nn.GRU(3, 4, batch_first=True), id="bare-module")],
)
def test_chain_needs_a_sequence_of_blocks(blocks: object) -> None:
    with pytest.raises(ValueError, match="sequence of one or more"):
        trace_chain(blocks, make_inputs(torch.float32))  # type: ignore[arg-type]


def test_chain_needs_one_initial_state_per_block() -> None:
    blocks = CHAINS["gru6-then-gru3"](torch.float32)
    with pytest.raises(ValueError, match="one entry .* per block: 2 block"):
        trace_chain(blocks, make_inputs(torch.float32), initial_states=[None])


def test_chain_checks_each_blocks_initial_state() -> None:
    blocks = CHAINS["gru6-then-gru3"](torch.float32)
    with pytest.raises(ValueError, match=r"h0 must have shape \(1, 4, 3\)"):
        trace_chain(blocks, make_inputs(torch.float32), initial_states=[None, torch.zeros(1, 4, 6)])

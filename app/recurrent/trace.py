"""Exact, step-by-step traces of nn.RNN, nn.LSTM and nn.GRU (and GRUResetBefore), alone or as a
chain of blocks each fed the previous block's whole output sequence.

PyTorch runs a recurrent module as one fused kernel that returns only the top layer's outputs and
the final states. To recover everything else exactly and fast, each layer is run with the native
kernel on its own (sharing the module's parameters, so its hidden states are the module's own), and
since every step's input and previous hidden state are then known, the gates of all steps come from
matrix products over all steps at once (cells.py). Only the LSTM cell state needs a recurrence, an
element-wise chunked scan (scan.py). A GRUResetBefore layer is run the same way, through its own
(Python) forward instead of a native kernel.

Cost, measured by app/bench.py: the native pass, plus products as large as the native kernel's own
(but done as one big product rather than one small one per step), plus a few passes over memory.
"""

from __future__ import annotations

import contextlib
import threading
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import torch
from torch import Tensor, nn
from torch.func import functional_call
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

from app.recurrent.cells import (
    GATE_NAMES,
    CellKind,
    DirectionWeights,
    gru_gates,
    gru_reset_before_gates,
    lstm_cell_states,
    lstm_gates,
)
from app.recurrent.factory import (
    RecurrentModule,
    RecurrentOptions,
    build_recurrent,
    cell_kind,
    options_of,
)
from app.recurrent.names import Matrix, ParameterKind, parameter_name, parse_parameter_name
from app.recurrent.reset_before import GRUResetBefore

Direction = Literal["forward", "backward"]
State = Tensor | tuple[Tensor, Tensor]
TraceCell = CellKind | Literal["mixed"]

__all__ = ["LayerTrace", "Trace", "cell_kind", "trace", "trace_chain"]


@dataclass(frozen=True)
class LayerTrace:
    """One layer-direction of a trace. Every tensor is (batch, steps, units), batch first.

    Step t is input position t for both directions. Steps past a sequence's end (with
    ``lengths``) are absent: ``present`` is False there and the values are NaN.

    ``layer`` counts layers through the whole trace; in a chain, ``block`` is the index of the
    layer's block and ``block_layer`` its index inside the block (for one module the two indices
    agree). ``kind`` is the layer's cell ("cell" is the LSTM cell state).
    """

    layer: int
    direction: Direction
    gates: dict[str, Tensor]
    hidden: Tensor
    cell: Tensor | None
    present: Tensor  # (batch, steps), bool
    kind: CellKind = field(kw_only=True)
    block: int = field(default=0, kw_only=True)
    block_layer: int = field(kw_only=True)
    nonlinearity: str = field(default="tanh", kw_only=True)
    reset_after: bool = field(default=True, kw_only=True)

    @property
    def units(self) -> int:
        return self.hidden.shape[-1]

    @property
    def gate_names(self) -> tuple[str, ...]:
        """This layer's gates, in PyTorch's weight-block order."""
        return GATE_NAMES[self.kind]


@dataclass(frozen=True)
class Trace:
    """Everything a recurrent module (or a chain of blocks) computed for one input.

    For a chain, ``layers`` holds every layer of every block in order, ``output`` and
    ``final_state`` are the last block's, ``cell`` is the blocks' common kind or "mixed",
    ``bidirectional`` is the last block's (it shapes ``output``; see ``directions_of`` for any
    layer), and ``gate_names`` lists every gate any layer has (each layer's own: its
    ``gate_names``). ``block_traces`` holds each block's own trace, as ``trace`` would return it.
    """

    cell: TraceCell
    output: Tensor | PackedSequence
    final_state: State
    layers: list[LayerTrace]
    lengths: Tensor  # (batch,), on the CPU
    nonlinearity: str = "tanh"
    batched: bool = True
    bidirectional: bool = False
    gate_names: tuple[str, ...] = field(default=())
    # The blocks' own traces, only for a chain of two or more (see block_traces).
    chained: tuple[Trace, ...] = field(default=(), repr=False)

    @property
    def steps(self) -> int:
        return self.layers[0].hidden.shape[1]

    @property
    def batch_size(self) -> int:
        return self.layers[0].hidden.shape[0]

    @property
    def num_layers(self) -> int:
        """Layers in the whole trace (every block's, for a chain)."""
        return self.layers[-1].layer + 1

    @property
    def block_traces(self) -> tuple[Trace, ...]:
        """Each block's own trace, in order; a one-module trace is its only block."""
        return self.chained or (self,)

    def directions_of(self, layer: int) -> tuple[Direction, ...]:
        """The directions one layer has (negative indices count from the top)."""
        index = self._layer_index(layer)
        return tuple(found.direction for found in self.layers if found.layer == index)

    def layer(self, layer: int, direction: Direction = "forward") -> LayerTrace:
        """The trace of one layer (negative indices count from the top) and direction."""
        index = self._layer_index(layer)
        for candidate in self.layers:
            if candidate.layer == index and candidate.direction == direction:
                return candidate
        raise KeyError(f"no layer {layer} with direction {direction!r} in this trace")

    def _layer_index(self, layer: int) -> int:
        if not -self.num_layers <= layer < self.num_layers:
            raise IndexError(f"layer {layer} is out of range for {self.num_layers} layer(s)")
        return layer % self.num_layers


@dataclass(frozen=True)
class _NativeRun:
    """One layer through the native kernel: its output as the kernel gave it, and padded."""

    output: Tensor | PackedSequence
    padded: Tensor  # (batch, steps, directions * units)
    h_n: Tensor
    c_n: Tensor | None


@dataclass(frozen=True)
class _Place:
    """Where a layer sits: its block's options and index, its index inside the block and in the
    whole trace."""

    options: RecurrentOptions
    block: int
    block_layer: int
    layer: int


def trace(
    module: nn.Module,
    inputs: Tensor,
    initial_state: State | None = None,
    lengths: Tensor | list[int] | None = None,
    *,
    requires_grad: bool = False,
) -> Trace:
    """Run ``module`` on ``inputs`` and return every gate, hidden and cell state at every step.

    ``inputs`` and ``initial_state`` are exactly what ``module(inputs, initial_state)`` accepts.
    ``lengths`` (one per sequence of a right-padded batch) makes the trace equal to running the
    module on ``pack_padded_sequence(inputs, lengths, enforce_sorted=False)``; ``output`` is then a
    PackedSequence, as the module returns. The module and its parameters are never changed; no
    autograd graph is built unless ``requires_grad`` is True.
    """
    (recurrent,) = chain_modules([module], chained=False)
    with torch.set_grad_enabled(requires_grad and torch.is_grad_enabled()):
        x, batched = batch_first_inputs(recurrent, inputs)
        return _trace_blocks([recurrent], x, batched, lengths, [initial_state])


def trace_chain(
    blocks: Sequence[nn.Module],
    inputs: Tensor,
    lengths: Tensor | list[int] | None = None,
    initial_states: Sequence[State | None] | None = None,
    *,
    requires_grad: bool = False,
) -> Trace:
    """Trace a chain of batch-first recurrent blocks, each fed the previous block's whole output
    sequence (every direction side by side, as the module returns it).

    ``inputs`` is what the first block accepts. With ``lengths`` every block gets its input packed,
    exactly as ``blocks[k](blocks[k - 1](pack_padded_sequence(...))[0])`` would; ``output`` is then
    the last block's PackedSequence. ``initial_states`` has one entry (or None) per block. Layers
    are numbered through the whole chain; see Trace for what the chain-wide fields mean.
    """
    modules = chain_modules(blocks, chained=True)
    states = _chain_states(initial_states, len(modules))
    with torch.set_grad_enabled(requires_grad and torch.is_grad_enabled()):
        x, batched = batch_first_inputs(modules[0], inputs)
        return _trace_blocks(modules, x, batched, lengths, states)


def chain_modules(blocks: Sequence[nn.Module], *, chained: bool) -> list[RecurrentModule]:
    """The blocks checked for tracing: recurrent (TypeError), deterministic, and batch first
    when they are chained (ValueError)."""
    if isinstance(blocks, nn.Module) or len(blocks) == 0:
        raise ValueError("a chain needs a sequence of one or more recurrent modules")
    modules: list[RecurrentModule] = []
    for index, block in enumerate(blocks):
        cell_kind(block)
        assert isinstance(block, nn.RNNBase | GRUResetBefore)
        check_deterministic(block)
        if chained and not block.batch_first:
            raise ValueError(
                f"block {index} is not batch_first; every block of a chain must be, so that each "
                "reads the previous block's output as it is returned"
            )
        modules.append(block)
    return modules


def _chain_states(initial_states: Sequence[State | None] | None, blocks: int) -> list[State | None]:
    if initial_states is None:
        return [None] * blocks
    if isinstance(initial_states, Tensor) or len(initial_states) != blocks:
        raise ValueError(
            f"initial_states needs one entry (a state or None) per block: {blocks} block(s)"
        )
    return list(initial_states)


def _trace_blocks(
    modules: list[RecurrentModule],
    x: Tensor,
    batched: bool,
    lengths: Tensor | list[int] | None,
    initial_states: list[State | None],
) -> Trace:
    step_lengths = _step_lengths(lengths, x.shape[0], x.shape[1], batched)
    extent = _extent(step_lengths, x, packed=lengths is not None)
    layer_input = x
    native_input: Tensor | PackedSequence = x
    if lengths is not None:
        native_input = pack_padded_sequence(x, step_lengths, batch_first=True, enforce_sorted=False)
    parts: list[Trace] = []
    layers: list[LayerTrace] = []
    first_layer = 0
    for block, (module, state) in enumerate(zip(modules, initial_states, strict=True)):
        if block > 0:
            _check_block_input(module, block, layer_input)
        found, runs = _trace_block(
            module, block, first_layer, layer_input, native_input, state, batched, extent
        )
        parts.append(_block_trace(module, found, runs, step_lengths, batched))
        layers += found
        first_layer += module.num_layers
        # The next block reads this one's outputs, packed as the module returned them.
        layer_input, native_input = runs[-1].padded, runs[-1].output
    if len(parts) == 1:
        return parts[0]
    return chain_trace(parts, layers)


def _check_block_input(module: RecurrentModule, block: int, layer_input: Tensor) -> None:
    if layer_input.shape[-1] != module.input_size:
        raise ValueError(
            f"block {block} expects {module.input_size} features per step, but block {block - 1} "
            f"outputs {layer_input.shape[-1]}"
        )
    weight = module.weight_ih_l0
    assert isinstance(weight, Tensor)
    what = f"block {block}'s inputs (block {block - 1}'s outputs)"
    _check_like_parameters(what, layer_input, weight)


def _trace_block(
    module: RecurrentModule,
    block: int,
    first_layer: int,
    x: Tensor,
    native_input: Tensor | PackedSequence,
    initial_state: State | None,
    batched: bool,
    extent: _Extent,
) -> tuple[list[LayerTrace], list[_NativeRun]]:
    """Every layer of one block, numbered from ``first_layer`` in the whole trace."""
    options = options_of(module)
    h0, c0 = stacked_initial_states(module, options.cell, initial_state, batched, x)
    layers: list[LayerTrace] = []
    runs: list[_NativeRun] = []
    layer_input = x
    for layer in range(module.num_layers):
        place = _Place(options, block, layer, first_layer + layer)
        run, found = _trace_layer(module, place, layer_input, native_input, h0, c0, extent)
        runs.append(run)
        layers += found
        # The next layer reads this one's outputs, packed as the module itself would pass them.
        layer_input, native_input = run.padded, run.output
    return layers, runs


def _block_trace(
    module: RecurrentModule,
    layers: list[LayerTrace],
    runs: list[_NativeRun],
    lengths: Tensor,
    batched: bool,
) -> Trace:
    """One block's own trace, as ``trace(module, ...)`` returns it: layers numbered from 0."""
    kind = cell_kind(module)
    return Trace(
        cell=kind,
        output=module_output(module, runs[-1].output, batched),
        final_state=unbatch_state(_final_state(runs), batched),
        layers=[replace(found, layer=found.block_layer, block=0) for found in layers],
        lengths=lengths,
        nonlinearity=getattr(module, "nonlinearity", "tanh"),
        batched=batched,
        bidirectional=module.bidirectional,
        gate_names=GATE_NAMES[kind],
    )


def chain_trace(parts: list[Trace], layers: list[LayerTrace]) -> Trace:
    """The whole chain: every block's layers, the last block's output and final state."""
    last = parts[-1]
    kinds = {part.cell for part in parts}
    return Trace(
        cell=kinds.pop() if len(kinds) == 1 else "mixed",
        output=last.output,
        final_state=last.final_state,
        layers=layers,
        lengths=last.lengths,
        nonlinearity=_chain_nonlinearity(parts),
        batched=last.batched,
        bidirectional=last.bidirectional,
        gate_names=tuple(dict.fromkeys(gate for part in parts for gate in part.gate_names)),
        chained=tuple(parts),
    )


def _chain_nonlinearity(parts: list[Trace]) -> str:
    """The plain RNN blocks' nonlinearity ("tanh" without any, "mixed" if they differ)."""
    found = {part.nonlinearity for part in parts if part.cell == "rnn"}
    if len(found) > 1:
        return "mixed"
    return found.pop() if found else "tanh"


@dataclass(frozen=True)
class _Extent:
    """Which steps of each sequence exist, on the inputs' device."""

    lengths: Tensor  # (batch,)
    present: Tensor  # (batch, steps), bool
    ragged: bool  # some sequence ends before the last step


def _extent(lengths: Tensor, x: Tensor, packed: bool) -> _Extent:
    steps = x.shape[1]
    on_device = lengths.to(x.device)
    # Only a batch with a sequence shorter than the rest has absent steps to blank out.
    ragged = packed and bool((lengths < steps).any())
    if not ragged:
        return _Extent(on_device, x.new_ones(x.shape[:2], dtype=torch.bool), False)
    present = torch.arange(steps, device=x.device).unsqueeze(0) < on_device.unsqueeze(1)
    return _Extent(on_device, present, True)


def _trace_layer(
    module: RecurrentModule,
    place: _Place,
    layer_input: Tensor,
    native_input: Tensor | PackedSequence,
    h0: Tensor,
    c0: Tensor | None,
    extent: _Extent,
) -> tuple[_NativeRun, list[LayerTrace]]:
    """One layer through the native kernel, then the gates of each of its directions."""
    directions = _directions(module)
    layer = place.block_layer
    rows = slice(layer * len(directions), (layer + 1) * len(directions))
    layer_h0, layer_c0 = h0[rows], (c0[rows] if c0 is not None else None)
    run = _run_native_layer(
        module, place.options, layer, native_input, layer_h0, layer_c0, layer_input.shape[1]
    )
    hiddens = run.padded.chunk(len(directions), dim=-1)
    found = [
        _trace_direction(
            place,
            direction,
            layer_input,
            hiddens[index],
            layer_h0[index],
            layer_c0[index] if layer_c0 is not None else None,
            direction_weights(module, layer, direction),
            extent,
        )
        for index, direction in enumerate(directions)
    ]
    return run, found


def check_deterministic(module: RecurrentModule) -> None:
    """ValueError if the module's output is random (dropout between layers while training)."""
    if module.training and module.dropout > 0 and module.num_layers > 1:
        raise ValueError(
            "the module is in training mode with dropout between layers, so its output is random "
            "and cannot be traced exactly; call module.eval() first"
        )


def batch_first_inputs(module: RecurrentModule, inputs: Tensor) -> tuple[Tensor, bool]:
    """The inputs as (batch, steps, features), and whether they came batched."""
    if not isinstance(inputs, Tensor):
        raise TypeError(f"inputs must be a tensor, got {type(inputs).__name__}")
    if inputs.dim() == 2:
        x, batched = inputs.unsqueeze(0), False
    elif inputs.dim() == 3:
        x, batched = (inputs if module.batch_first else inputs.transpose(0, 1)), True
    else:
        raise ValueError(f"inputs must be 2-D (unbatched) or 3-D, got shape {tuple(inputs.shape)}")
    if x.shape[-1] != module.input_size:
        raise ValueError(
            f"inputs have {x.shape[-1]} features per step, the module expects {module.input_size}"
        )
    if x.shape[1] == 0:
        raise ValueError("inputs have no steps")
    weight = module.weight_ih_l0
    assert isinstance(weight, Tensor)
    _check_like_parameters("inputs", x, weight)
    return x, batched


def _check_like_parameters(name: str, value: Tensor, weight: Tensor) -> None:
    if value.dtype != weight.dtype:
        raise TypeError(f"{name} are {value.dtype}, the module's parameters are {weight.dtype}")
    if value.device != weight.device:
        raise ValueError(
            f"{name} are on {value.device}, the module's parameters on {weight.device}"
        )


def _step_lengths(
    lengths: Tensor | list[int] | None, batch: int, steps: int, batched: bool
) -> Tensor:
    """Each sequence's length as a CPU tensor (batch,); every sequence is full without lengths."""
    if lengths is None:
        return torch.full((batch,), steps, dtype=torch.long)
    if not batched:
        raise ValueError("lengths need batched (3-D) inputs: an unbatched sequence has no padding")
    result = torch.as_tensor(lengths).cpu().reshape(-1)
    if result.is_floating_point() or result.dtype == torch.bool:
        raise TypeError(f"lengths must be integers, got {result.dtype}")
    result = result.long()
    if result.numel() != batch:
        raise ValueError(f"lengths has {result.numel()} entries for a batch of {batch}")
    if bool((result < 1).any()) or bool((result > steps).any()):
        raise ValueError(f"every length must be between 1 and {steps}, got {result.tolist()}")
    return result


def _directions(module: RecurrentModule) -> tuple[Direction, ...]:
    return ("forward", "backward") if module.bidirectional else ("forward",)


def stacked_initial_states(
    module: RecurrentModule,
    kind: CellKind,
    initial_state: State | None,
    batched: bool,
    x: Tensor,
) -> tuple[Tensor, Tensor | None]:
    """h0 (and c0 for LSTM) as (layers * directions, batch, units)."""
    rows = module.num_layers * len(_directions(module))
    batch = x.shape[0]
    h_width = module.proj_size if getattr(module, "proj_size", 0) > 0 else module.hidden_size
    if initial_state is None:
        h0 = x.new_zeros(rows, batch, h_width)
        c0 = x.new_zeros(rows, batch, module.hidden_size) if kind == "lstm" else None
        return h0, c0
    h0, c0 = _split_state(kind, initial_state)
    _check_state("h0", h0, (rows, batch, h_width), batched, x)
    if c0 is not None:
        _check_state("c0", c0, (rows, batch, module.hidden_size), batched, x)
    if not batched:
        return h0.unsqueeze(1), (c0.unsqueeze(1) if c0 is not None else None)
    return h0, c0


def _split_state(kind: CellKind, initial_state: State) -> tuple[Tensor, Tensor | None]:
    if kind == "lstm":
        if not isinstance(initial_state, tuple) or len(initial_state) != 2:
            raise TypeError("an LSTM's initial_state must be a tuple (h0, c0)")
        return initial_state
    if not isinstance(initial_state, Tensor):
        raise TypeError(f"initial_state must be a tensor for {kind.upper()}")
    return initial_state, None


def _check_state(
    name: str, state: Tensor, batched_shape: tuple[int, int, int], batched: bool, x: Tensor
) -> None:
    """The shape the module expects, stated for the input as the caller gave it."""
    expected = batched_shape if batched else (batched_shape[0], batched_shape[2])
    if not isinstance(state, Tensor):
        raise TypeError(f"{name} must be a tensor, got {type(state).__name__}")
    if tuple(state.shape) != expected:
        layout = "batched" if batched else "unbatched"
        raise ValueError(
            f"{name} must have shape {expected} for these {layout} inputs, got {tuple(state.shape)}"
        )
    _check_like_parameters(name, state, x)


class _TwinCache(threading.local):
    """Twins per thread: functional_call swaps the borrowed weights into a twin for the length
    of a call, so two threads tracing at once must never share one."""

    def __init__(self) -> None:
        self.twins: dict[RecurrentOptions, RecurrentModule] = {}


_TWINS = _TwinCache()
_MAX_TWINS = 64


def _single_layer_twin(options: RecurrentOptions) -> RecurrentModule:
    """A parameter-less (meta) one-layer module of the same kind, run with borrowed weights."""
    twin = _TWINS.twins.get(options)
    if twin is None:
        if len(_TWINS.twins) >= _MAX_TWINS:
            _TWINS.twins.clear()
        twin = _TWINS.twins[options] = _make_twin(options)
    return twin


def _make_twin(options: RecurrentOptions) -> RecurrentModule:
    return build_recurrent(options, batch_first=True, device="meta")


def _layer_parameters(module: RecurrentModule, layer: int) -> dict[str, Tensor]:
    """The module's parameters of one layer, renamed as a one-layer module names them."""
    renamed: dict[str, Tensor] = {}
    for name, parameter in module.named_parameters():
        parsed = parse_parameter_name(name)
        if parsed.layer == layer:
            renamed[str(replace(parsed, layer=0))] = parameter
    return renamed


@contextlib.contextmanager
def quiet_projection_warning(module: RecurrentModule) -> Iterator[None]:
    """Silence the one-off 'LSTM with projections is not supported with oneDNN' UserWarning.

    PyTorch falls back to its default kernel, which is exactly right; the warning would only
    puzzle a user, and would fail a test suite that turns warnings into errors. Only LSTMs with
    projections enter the (process-global) warnings filter.
    """
    if getattr(module, "proj_size", 0) == 0:
        yield
        return
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore",
            message="LSTM with projections is not supported with oneDNN",
            category=UserWarning,
        )
        yield


def _run_native_layer(
    module: RecurrentModule,
    options: RecurrentOptions,
    layer: int,
    layer_input: Tensor | PackedSequence,
    h0: Tensor,
    c0: Tensor | None,
    steps: int,
) -> _NativeRun:
    """One layer through PyTorch's own kernel (GRUResetBefore's own forward), on the previous
    layer's output as the module would feed it (a PackedSequence stays packed)."""
    width = (layer_input.data if isinstance(layer_input, PackedSequence) else layer_input).shape[-1]
    twin = _single_layer_twin(replace(options, input_size=width, num_layers=1))
    hx: State = (h0, c0) if c0 is not None else h0
    with quiet_projection_warning(module):
        output, state = functional_call(twin, _layer_parameters(module, layer), (layer_input, hx))
    padded = output
    if isinstance(output, PackedSequence):
        padded, _ = pad_packed_sequence(output, batch_first=True, total_length=steps)
    if isinstance(state, tuple):
        return _NativeRun(output, padded, state[0], state[1])
    return _NativeRun(output, padded, state, None)


def direction_weights(
    module: RecurrentModule, layer: int, direction: Direction
) -> DirectionWeights:
    """One layer-direction's parameters, by PyTorch's names (weight_ih_l{k}{_reverse}, ...)."""
    reverse = direction == "backward"

    def lookup(kind: ParameterKind, matrix: Matrix) -> Tensor | None:
        return getattr(module, parameter_name(kind, matrix, layer, reverse), None)

    weight_ih, weight_hh = lookup("weight", "ih"), lookup("weight", "hh")
    assert weight_ih is not None and weight_hh is not None
    return DirectionWeights(
        weight_ih=weight_ih,
        weight_hh=weight_hh,
        bias_ih=lookup("bias", "ih"),
        bias_hh=lookup("bias", "hh"),
        weight_hr=lookup("weight", "hr"),
    )


def _previous_hidden(hidden: Tensor, h0: Tensor, extent: _Extent, reverse: bool) -> Tensor:
    """h_{t-1} as each step saw it: the neighbouring step in reading order, or h0 at the start."""
    start = h0.unsqueeze(1)
    if not reverse:
        return torch.cat([start, hidden[:, :-1]], dim=1)
    following = torch.cat([hidden[:, 1:], start], dim=1)
    if not extent.ragged:
        return following
    # A shorter sequence's backward pass starts at its own last step, from h0.
    steps = hidden.shape[1]
    has_next = torch.arange(1, steps + 1, device=hidden.device) < extent.lengths.unsqueeze(1)
    return torch.where(has_next.unsqueeze(-1), following, start)


def _trace_direction(
    place: _Place,
    direction: Direction,
    layer_input: Tensor,
    hidden: Tensor,
    h0: Tensor,
    c0: Tensor | None,
    weights: DirectionWeights,
    extent: _Extent,
) -> LayerTrace:
    """The gates (and LSTM cell states) of one layer-direction, given its native hidden states."""
    reverse = direction == "backward"
    options = place.options
    gates: dict[str, Tensor] = {}
    cell: Tensor | None = None
    if options.cell != "rnn":
        h_prev = _previous_hidden(hidden, h0, extent, reverse)
        gates = _gates(options, layer_input, h_prev, weights)
        if options.cell == "lstm":
            assert c0 is not None
            cell = lstm_cell_states(gates, c0, extent.lengths, reverse)
    if extent.ragged:
        gates = {name: _blank_absent(value, extent.present) for name, value in gates.items()}
        hidden = _blank_absent(hidden, extent.present)
        cell = _blank_absent(cell, extent.present) if cell is not None else None
    return LayerTrace(
        place.layer,
        direction,
        gates,
        hidden,
        cell,
        extent.present,
        kind=options.cell,
        block=place.block,
        block_layer=place.block_layer,
        nonlinearity=options.nonlinearity,
        reset_after=options.reset_after,
    )


def _gates(
    options: RecurrentOptions, x: Tensor, h_prev: Tensor, weights: DirectionWeights
) -> dict[str, Tensor]:
    """The gate function of a gated cell: LSTM, GRU, or GRU resetting before the product."""
    if options.cell == "lstm":
        return lstm_gates(x, h_prev, weights)
    if options.reset_after:
        return gru_gates(x, h_prev, weights)
    return gru_reset_before_gates(x, h_prev, weights)


def _blank_absent(values: Tensor, present: Tensor) -> Tensor:
    """NaN at the steps past each sequence's end, so no one mistakes padding for a value."""
    return values.masked_fill(~present.unsqueeze(-1), float("nan"))


def _final_state(runs: list[_NativeRun]) -> State:
    """The layers' final states stacked as the module returns them: (layers * directions, ...)."""
    h_n = torch.cat([run.h_n for run in runs])
    c_ns = [run.c_n for run in runs if run.c_n is not None]
    return (h_n, torch.cat(c_ns)) if c_ns else h_n


def module_output(
    module: RecurrentModule, top: Tensor | PackedSequence, batched: bool
) -> Tensor | PackedSequence:
    """The top layer's outputs in the layout the module itself returns."""
    if isinstance(top, PackedSequence):
        return top
    if not batched:
        return top.squeeze(0)
    return top if module.batch_first else top.transpose(0, 1)


def unbatch_state(state: State, batched: bool) -> State:
    if batched:
        return state
    if isinstance(state, tuple):
        return (state[0].squeeze(1), state[1].squeeze(1))
    return state.squeeze(1)

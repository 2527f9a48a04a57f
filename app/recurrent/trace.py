"""Exact, step-by-step traces of nn.RNN, nn.LSTM and nn.GRU.

PyTorch runs a recurrent module as one fused kernel that returns only the top layer's outputs and
the final states. To recover everything else exactly and fast, each layer is run with the native
kernel on its own (sharing the module's parameters, so its hidden states are the module's own), and
the gates of all steps are then recovered with two batched matrix products: one on the layer's
inputs, one on its previous hidden states. Only the LSTM cell state needs a (cheap, element-wise)
loop over the steps.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

import torch
from torch import Tensor, nn
from torch.func import functional_call
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

from app.recurrent.cells import (
    GATE_NAMES,
    CellKind,
    DirectionWeights,
    affine,
    gru_gates,
    lstm_cell_states,
    lstm_gates,
)

Direction = Literal["forward", "backward"]
State = Tensor | tuple[Tensor, Tensor]

_CELL_OF_MODE: dict[str, CellKind] = {
    "RNN_TANH": "rnn",
    "RNN_RELU": "rnn",
    "LSTM": "lstm",
    "GRU": "gru",
}


@dataclass(frozen=True)
class LayerTrace:
    """One layer-direction of a trace. Every tensor is (batch, steps, units), batch first.

    Step t is input position t for both directions. Steps past a sequence's end (with
    ``lengths``) are absent: ``present`` is False there and the values are NaN.
    """

    layer: int
    direction: Direction
    gates: dict[str, Tensor]
    hidden: Tensor
    cell: Tensor | None
    present: Tensor  # (batch, steps), bool

    @property
    def units(self) -> int:
        return self.hidden.shape[-1]


@dataclass(frozen=True)
class Trace:
    """Everything a recurrent module computed for one input."""

    cell: CellKind
    output: Tensor | PackedSequence
    final_state: State
    layers: list[LayerTrace]
    lengths: Tensor  # (batch,), on the CPU
    nonlinearity: str = "tanh"
    batched: bool = True
    bidirectional: bool = False
    gate_names: tuple[str, ...] = field(default=())

    @property
    def steps(self) -> int:
        return self.layers[0].hidden.shape[1]

    @property
    def batch_size(self) -> int:
        return self.layers[0].hidden.shape[0]

    def layer(self, layer: int, direction: Direction = "forward") -> LayerTrace:
        """The trace of one layer (negative indices count from the top) and direction."""
        num_layers = len(self.layers) // (2 if self.bidirectional else 1)
        index = layer % num_layers
        for candidate in self.layers:
            if candidate.layer == index and candidate.direction == direction:
                return candidate
        raise KeyError(f"no layer {layer} with direction {direction!r} in this trace")


def cell_kind(module: nn.Module) -> CellKind:
    """'rnn', 'lstm' or 'gru' for a PyTorch recurrent module; TypeError for anything else."""
    mode = getattr(module, "mode", None)
    if not isinstance(module, nn.RNNBase) or mode not in _CELL_OF_MODE:
        raise TypeError(
            f"trace() needs an nn.RNN, nn.LSTM or nn.GRU module, got {type(module).__name__}"
        )
    return _CELL_OF_MODE[mode]


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
    module on ``pack_padded_sequence(inputs, lengths)``; ``output`` is then a PackedSequence, as
    the module returns. The module and its parameters are never changed; no autograd graph is
    built unless ``requires_grad`` is True.
    """
    kind = cell_kind(module)
    assert isinstance(module, nn.RNNBase)
    _check_deterministic(module)
    with torch.set_grad_enabled(requires_grad and torch.is_grad_enabled()):
        return _trace(module, kind, inputs, initial_state, lengths)


def _trace(
    module: nn.RNNBase,
    kind: CellKind,
    inputs: Tensor,
    initial_state: State | None,
    lengths: Tensor | list[int] | None,
) -> Trace:
    x, batched = _batch_first_inputs(module, inputs)
    batch, steps, _ = x.shape
    step_lengths = _step_lengths(lengths, batch, steps)
    h0, c0 = _initial_states(module, kind, initial_state, batched, batch, x)
    present = torch.arange(steps).unsqueeze(0) < step_lengths.unsqueeze(1)
    present = present.to(x.device)

    directions: tuple[Direction, ...] = (
        ("forward", "backward") if module.bidirectional else ("forward",)
    )
    layers: list[LayerTrace] = []
    final_h: list[Tensor] = []
    final_c: list[Tensor] = []
    layer_input = x
    for layer in range(module.num_layers):
        rows = slice(layer * len(directions), (layer + 1) * len(directions))
        layer_c0 = c0[rows] if c0 is not None else None
        output, h_n, c_n = _run_native_layer(
            module, layer, layer_input, h0[rows], layer_c0, step_lengths if lengths is not None else None
        )
        final_h.append(h_n)
        if c_n is not None:
            final_c.append(c_n)
        width = output.shape[-1] // len(directions)
        for index, direction in enumerate(directions):
            hidden = output[..., index * width : (index + 1) * width]
            weights = _direction_weights(module, layer, direction)
            layers.append(
                _trace_direction(
                    kind,
                    layer,
                    direction,
                    layer_input,
                    hidden,
                    h0[rows][index],
                    layer_c0[index] if layer_c0 is not None else None,
                    weights,
                    step_lengths.to(x.device),
                    present,
                )
            )
        layer_input = output

    final_state: State = torch.cat(final_h)
    if kind == "lstm":
        final_state = (final_state, torch.cat(final_c))
    return Trace(
        cell=kind,
        output=_module_output(module, layer_input, batched, step_lengths, lengths is not None),
        final_state=_unbatch_state(final_state, batched),
        layers=layers,
        lengths=step_lengths,
        nonlinearity=getattr(module, "nonlinearity", "tanh"),
        batched=batched,
        bidirectional=module.bidirectional,
        gate_names=GATE_NAMES[kind],
    )


def _check_deterministic(module: nn.RNNBase) -> None:
    if module.training and module.dropout > 0 and module.num_layers > 1:
        raise ValueError(
            "the module is in training mode with dropout between layers, so its output is random "
            "and cannot be traced exactly; call module.eval() first"
        )


def _batch_first_inputs(module: nn.RNNBase, inputs: Tensor) -> tuple[Tensor, bool]:
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
    if x.dtype != weight.dtype:
        raise TypeError(f"inputs are {x.dtype}, the module's parameters are {weight.dtype}")
    return x, batched


def _step_lengths(lengths: Tensor | list[int] | None, batch: int, steps: int) -> Tensor:
    if lengths is None:
        return torch.full((batch,), steps, dtype=torch.long)
    result = torch.as_tensor(lengths, dtype=torch.long).cpu().reshape(-1)
    if result.numel() != batch:
        raise ValueError(f"lengths has {result.numel()} entries for a batch of {batch}")
    if bool((result < 1).any()) or bool((result > steps).any()):
        raise ValueError(f"every length must be between 1 and {steps}, got {result.tolist()}")
    return result


def _initial_states(
    module: nn.RNNBase,
    kind: CellKind,
    initial_state: State | None,
    batched: bool,
    batch: int,
    x: Tensor,
) -> tuple[Tensor, Tensor | None]:
    """h0 (and c0 for LSTM) as (layers * directions, batch, units)."""
    rows = module.num_layers * (2 if module.bidirectional else 1)
    h_width = module.proj_size if getattr(module, "proj_size", 0) > 0 else module.hidden_size
    if initial_state is None:
        h0 = x.new_zeros(rows, batch, h_width)
        c0 = x.new_zeros(rows, batch, module.hidden_size) if kind == "lstm" else None
        return h0, c0
    if kind == "lstm":
        if not isinstance(initial_state, tuple) or len(initial_state) != 2:
            raise TypeError("an LSTM's initial_state must be a tuple (h0, c0)")
        h0, c0 = initial_state
    else:
        if not isinstance(initial_state, Tensor):
            raise TypeError(f"initial_state must be a tensor for {kind.upper()}")
        h0, c0 = initial_state, None
    if not batched:
        h0 = h0.unsqueeze(1)
        c0 = c0.unsqueeze(1) if c0 is not None else None
    _check_state_shape("h0", h0, (rows, batch, h_width))
    if c0 is not None:
        _check_state_shape("c0", c0, (rows, batch, module.hidden_size))
    return h0, c0


def _check_state_shape(name: str, state: Tensor, expected: tuple[int, int, int]) -> None:
    if tuple(state.shape) != expected:
        raise ValueError(f"{name} must have shape {expected}, got {tuple(state.shape)}")


@lru_cache(maxsize=64)
def _single_layer_twin(
    mode: str, input_size: int, hidden_size: int, bias: bool, bidirectional: bool, proj_size: int
) -> nn.RNNBase:
    """A parameter-less (meta) one-layer module of the same kind, run with borrowed weights."""
    options = dict(
        input_size=input_size,
        hidden_size=hidden_size,
        num_layers=1,
        bias=bias,
        batch_first=True,
        bidirectional=bidirectional,
        device="meta",
    )
    if mode == "LSTM":
        return nn.LSTM(**options, proj_size=proj_size)
    if mode == "GRU":
        return nn.GRU(**options)
    return nn.RNN(**options, nonlinearity="tanh" if mode == "RNN_TANH" else "relu")


def _layer_parameters(module: nn.RNNBase, layer: int) -> dict[str, Tensor]:
    """The module's parameters of one layer, renamed as a one-layer module names them."""
    pattern = re.compile(rf"^((?:weight|bias)_(?:ih|hh|hr))_l{layer}(_reverse)?$")
    renamed: dict[str, Tensor] = {}
    for name, parameter in module.named_parameters():
        match = pattern.match(name)
        if match:
            renamed[f"{match.group(1)}_l0{match.group(2) or ''}"] = parameter
    return renamed


def _run_native_layer(
    module: nn.RNNBase,
    layer: int,
    x: Tensor,
    h0: Tensor,
    c0: Tensor | None,
    lengths: Tensor | None,
) -> tuple[Tensor, Tensor, Tensor | None]:
    """One layer through PyTorch's own kernel: (outputs (batch, steps, D*units), h_n, c_n)."""
    twin = _single_layer_twin(
        module.mode,
        x.shape[-1],
        module.hidden_size,
        module.bias,
        module.bidirectional,
        getattr(module, "proj_size", 0),
    )
    hx: State = (h0, c0) if c0 is not None else h0
    steps = x.shape[1]
    layer_input: Tensor | PackedSequence = x
    if lengths is not None:
        layer_input = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    output, state = functional_call(twin, _layer_parameters(module, layer), (layer_input, hx))
    if isinstance(output, PackedSequence):
        output, _ = pad_packed_sequence(output, batch_first=True, total_length=steps)
    if isinstance(state, tuple):
        return output, state[0], state[1]
    return output, state, None


def _direction_weights(module: nn.RNNBase, layer: int, direction: Direction) -> DirectionWeights:
    suffix = f"_l{layer}" + ("_reverse" if direction == "backward" else "")
    return DirectionWeights(
        weight_ih=getattr(module, "weight_ih" + suffix),
        weight_hh=getattr(module, "weight_hh" + suffix),
        bias_ih=getattr(module, "bias_ih" + suffix) if module.bias else None,
        bias_hh=getattr(module, "bias_hh" + suffix) if module.bias else None,
        weight_hr=getattr(module, "weight_hr" + suffix, None),
    )


def _previous_hidden(
    hidden: Tensor, h0: Tensor, lengths: Tensor, reverse: bool
) -> Tensor:
    """h_{t-1} as each step saw it: the neighbouring step in reading order, or h0 at the start."""
    start = h0.unsqueeze(1)
    if not reverse:
        return torch.cat([start, hidden[:, :-1]], dim=1)
    steps = hidden.shape[1]
    following = torch.cat([hidden[:, 1:], torch.zeros_like(start)], dim=1)
    has_next = (torch.arange(1, steps + 1, device=hidden.device).unsqueeze(0) < lengths.unsqueeze(1))
    return torch.where(has_next.unsqueeze(-1), following, start)


def _trace_direction(
    kind: CellKind,
    layer: int,
    direction: Direction,
    layer_input: Tensor,
    hidden: Tensor,
    h0: Tensor,
    c0: Tensor | None,
    weights: DirectionWeights,
    lengths: Tensor,
    present: Tensor,
) -> LayerTrace:
    reverse = direction == "backward"
    gates: dict[str, Tensor] = {}
    cell: Tensor | None = None
    if kind != "rnn":
        h_prev = _previous_hidden(hidden, h0, lengths, reverse)
        x_part = affine(layer_input, weights.weight_ih, weights.bias_ih)
        h_part = affine(h_prev, weights.weight_hh, weights.bias_hh)
        if kind == "lstm":
            assert c0 is not None
            gates = lstm_gates(x_part, h_part)
            cell = lstm_cell_states(gates, c0, lengths, reverse)
        else:
            gates = gru_gates(x_part, h_part)
    absent = ~present.unsqueeze(-1)
    return LayerTrace(
        layer=layer,
        direction=direction,
        gates={name: value.masked_fill(absent, float("nan")) for name, value in gates.items()},
        hidden=hidden.masked_fill(absent, float("nan")),
        cell=cell.masked_fill(absent, float("nan")) if cell is not None else None,
        present=present,
    )


def _module_output(
    module: nn.RNNBase, top: Tensor, batched: bool, lengths: Tensor, packed: bool
) -> Tensor | PackedSequence:
    """The top layer's outputs in the layout the module itself returns."""
    if packed:
        return pack_padded_sequence(top, lengths, batch_first=True, enforce_sorted=False)
    if not batched:
        return top.squeeze(0)
    return top if module.batch_first else top.transpose(0, 1)


def _unbatch_state(state: State, batched: bool) -> State:
    if batched:
        return state
    if isinstance(state, tuple):
        return (state[0].squeeze(1), state[1].squeeze(1))
    return state.squeeze(1)

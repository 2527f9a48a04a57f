"""Analyses on a trace (or a module): gate saturation, input sensitivity, state retention.

* saturation: how often each sigmoid gate is nearly shut or wide open (Karpathy, Johnson &
  Fei-Fei 2015, "Visualizing and Understanding Recurrent Networks").
* sensitivity: how strongly the final hidden state depends on the input at each step.
* retention: how much of each step's state survives, through the gate that keeps it, to the end.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from app.recurrent.cells import SIGMOID_GATES
from app.recurrent.factory import RecurrentModule
from app.recurrent.trace import (
    Direction,
    LayerTrace,
    State,
    Trace,
    batch_first_inputs,
    chain_modules,
    trace,
    trace_chain,
)

# Output units whose input gradients are computed in one batched backward pass: enough to
# amortise the per-pass cost, few enough that (units, batch, steps, features) stays small.
_UNITS_PER_PASS = 32
_GRADIENT_VALUES_PER_PASS = 1 << 24  # 64 MB of float32 gradients


@dataclass(frozen=True)
class GateSaturation:
    """One gate of one layer-direction: per unit, the fraction of present steps it is saturated.

    ``left`` is the fraction below ``low`` (nearly shut), ``right`` above ``high`` (wide open);
    both are (units,), over every present step of every sequence in the batch.
    """

    layer: int
    direction: Direction
    gate: str
    left: Tensor
    right: Tensor


def saturation(trace: Trace, low: float = 0.1, high: float = 0.9) -> list[GateSaturation]:
    """Left/right saturation of every sigmoid gate, in the trace's layer-direction order.

    Only sigmoid gates count (LSTM input, forget, output; GRU reset, update), as in Karpathy et
    al.: their 0..1 range is what makes "below 0.1" mean *shut* and "above 0.9" mean *open*. The
    tanh candidates are left out: a candidate near -1 or +1 is a strong value written into the
    state, not a gate that blocks or passes one. A plain RNN has no gates, so the list is empty.
    Each layer counts its own gates, so a chain of LSTM and GRU blocks works.
    """
    _check_thresholds(low, high)
    found: list[GateSaturation] = []
    for layer_trace in trace.layers:
        for gate in layer_trace.gate_names:
            if gate in SIGMOID_GATES:
                values = layer_trace.gates[gate].detach()[layer_trace.present]  # (present, units)
                found.append(
                    GateSaturation(
                        layer=layer_trace.layer,
                        direction=layer_trace.direction,
                        gate=gate,
                        left=(values < low).to(values.dtype).mean(dim=0),
                        right=(values > high).to(values.dtype).mean(dim=0),
                    )
                )
    return found


def _check_thresholds(low: float, high: float) -> None:
    if not 0.0 <= low < high <= 1.0:
        raise ValueError(
            f"saturation thresholds must satisfy 0 <= low < high <= 1, got low={low}, high={high}"
        )


def retention(trace: Trace, layer: int = -1) -> dict[Direction, Tensor]:
    """Per direction, (batch, steps, units): how much of step t's state survives to the end.

    That is the product of the keeping gate over the steps after t in reading order (t+1 .. end
    forwards, t-1 .. 0 backwards): the LSTM forget gate (c_t = f_t * c_{t-1} + ...) or the GRU
    update gate z (PyTorch's h_t = (1 - z_t) * n_t + z_t * h_{t-1}, so z keeps the old state). It
    is 1 at each sequence's last step and NaN at absent steps. It follows only the gated path
    through the state, not everything the state feeds through the other gates. In a chain,
    ``layer`` counts through every block and the gate is that layer's own.
    """
    gate = _keeping_gate(trace.layer(layer))
    found: dict[Direction, Tensor] = {}
    for direction in trace.directions_of(layer):
        layer_trace = trace.layer(layer, direction)
        present = layer_trace.present.unsqueeze(-1)
        # Absent steps keep everything, so they never change a product over present ones.
        kept = layer_trace.gates[gate].detach().masked_fill(~present, 1.0)
        survival = _survival_backward(kept) if direction == "backward" else _survival_forward(kept)
        found[direction] = survival.masked_fill(~present, float("nan"))
    return found


def _keeping_gate(layer_trace: LayerTrace) -> str:
    if layer_trace.kind == "lstm":
        return "forget"
    if layer_trace.kind == "gru":
        return "update"
    raise ValueError(
        "retention needs a gate that keeps the old state (LSTM forget, GRU update); "
        f"layer {layer_trace.layer} is a plain RNN layer, which has none"
    )


def _survival_forward(kept: Tensor) -> Tensor:
    """prod of kept[s] over s = t+1 .. steps-1: an exclusive product from the end."""
    from_end = kept.flip(1).cumprod(dim=1).flip(1)  # inclusive: s = t .. steps-1
    return torch.cat([from_end[:, 1:], torch.ones_like(from_end[:, :1])], dim=1)


def _survival_backward(kept: Tensor) -> Tensor:
    """prod of kept[s] over s = 0 .. t-1: an exclusive product from the start."""
    from_start = kept.cumprod(dim=1)  # inclusive: s = 0 .. t
    return torch.cat([torch.ones_like(from_start[:, :1]), from_start[:, :-1]], dim=1)


def sensitivity(
    module: nn.Module,
    inputs: Tensor,
    initial_state: State | None = None,
    lengths: Tensor | list[int] | None = None,
) -> Tensor:
    """(batch, steps): the Frobenius norm of d(final hidden state)/d(input at step t).

    The final hidden state is the top layer's h_n (forward and backward concatenated when
    bidirectional; the projected h with proj_size) for each sequence; with ``lengths`` it is taken
    at each sequence's own end, and steps past the end are NaN. Inputs are as for ``trace``; an
    unbatched input gives a batch of one. Computed exactly with autograd on the module's own
    kernels, for a batch of output units per backward pass (``is_grads_batched``); only the
    input's gradient is asked for, so the module's ``.grad`` fields are never touched.
    """
    (recurrent,) = chain_modules([module], chained=False)
    x, _ = batch_first_inputs(recurrent, inputs)
    leaf = x.detach().clone().requires_grad_(True)
    as_given = leaf.squeeze(0) if inputs.dim() == 2 else _module_layout(recurrent, leaf)
    return _sensitivity(
        leaf, lambda: trace(recurrent, as_given, initial_state, lengths, requires_grad=True)
    )


def sensitivity_chain(
    blocks: Sequence[nn.Module],
    inputs: Tensor,
    lengths: Tensor | list[int] | None = None,
    initial_states: Sequence[State | None] | None = None,
) -> Tensor:
    """(batch, steps): as ``sensitivity``, for a chain of blocks (see ``trace_chain``): the norm
    of d(the LAST block's final top hidden state)/d(the FIRST block's input at step t)."""
    modules = chain_modules(blocks, chained=True)
    x, _ = batch_first_inputs(modules[0], inputs)
    leaf = x.detach().clone().requires_grad_(True)
    as_given = leaf.squeeze(0) if inputs.dim() == 2 else leaf
    return _sensitivity(
        leaf, lambda: trace_chain(modules, as_given, lengths, initial_states, requires_grad=True)
    )


def _sensitivity(leaf: Tensor, run: Callable[[], Trace]) -> Tensor:
    """The Jacobian norms of a traced run's final top hidden state w.r.t. ``leaf`` (batch first)."""
    with torch.enable_grad(), _differentiable_kernels(leaf):
        result = run()
        final = _top_final_hidden(result)
        squared = _squared_jacobian_norms(final, leaf)
    present = result.layers[0].present
    return squared.sqrt().masked_fill(~present, float("nan"))


@contextlib.contextmanager
def _differentiable_kernels(inputs: Tensor) -> Iterator[None]:
    """cuDNN can differentiate an RNN only in training mode, so on a GPU it is switched off for
    the call (the module's mode is never touched); the native CPU kernels always can."""
    if not inputs.is_cuda:
        yield
        return
    enabled = torch.backends.cudnn.enabled
    torch.backends.cudnn.enabled = False
    try:
        yield
    finally:
        torch.backends.cudnn.enabled = enabled


def _module_layout(module: RecurrentModule, batch_first: Tensor) -> Tensor:
    return batch_first if module.batch_first else batch_first.transpose(0, 1)


def _top_final_hidden(result: Trace) -> Tensor:
    """(batch, directions * units): the top layer's final h of every direction, side by side
    (in a chain, the last block's top layer)."""
    h_n = result.final_state[0] if isinstance(result.final_state, tuple) else result.final_state
    if not result.batched:
        h_n = h_n.unsqueeze(1)
    directions = len(result.directions_of(-1))
    top = h_n[-directions:]  # (directions, batch, units)
    return top.transpose(0, 1).flatten(1)


def _squared_jacobian_norms(final: Tensor, inputs: Tensor) -> Tensor:
    """sum over output units j and features d of (d final[b, j] / d inputs[b, t, d])^2.

    Sequences of a batch are independent, so the gradient of final[:, j].sum() with respect to
    inputs[b] is row j of sequence b's own Jacobian: one pass per output unit serves the batch.
    """
    units = final.shape[1]
    per_pass = max(1, min(_UNITS_PER_PASS, _GRADIENT_VALUES_PER_PASS // inputs.numel()))
    total = inputs.new_zeros(inputs.shape[:2])
    identity = torch.eye(units, dtype=final.dtype, device=final.device)
    for start in range(0, units, per_pass):
        rows = identity[start : start + per_pass]  # (chunk, units)
        seeds = rows.unsqueeze(1).expand(-1, final.shape[0], -1)  # (chunk, batch, units)
        (grads,) = torch.autograd.grad(
            final, inputs, grad_outputs=seeds, is_grads_batched=True, retain_graph=True
        )
        total += grads.pow(2).sum(dim=(0, 3))
    return total

"""Gate maths for each PyTorch recurrent cell, written as the equations read.

Everything here works on whole sequences at once: given every step's input x_t and previous hidden
state h_{t-1} (both known once the native kernel has run), the gates of all steps come from matrix
products over all steps together, so only the LSTM cell state needs a recurrence (a chunked
element-wise scan, see scan.py). The equations follow the PyTorch documentation of nn.RNN,
nn.LSTM and nn.GRU.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
from torch import Tensor

from app.recurrent.scan import linear_scan, reverse_steps

CellKind = Literal["rnn", "lstm", "gru"]

# Gate names as PyTorch's documentation names them, in PyTorch's weight-block order.
GATE_NAMES: dict[CellKind, tuple[str, ...]] = {
    "rnn": (),
    "lstm": ("input", "forget", "candidate", "output"),
    "gru": ("reset", "update", "candidate"),
}

# Gates that go through a sigmoid (range 0..1); the rest ("candidate") go through tanh.
SIGMOID_GATES: frozenset[str] = frozenset({"input", "forget", "output", "reset", "update"})


@dataclass(frozen=True)
class DirectionWeights:
    """One layer-direction's parameters, looked up by PyTorch's own names."""

    weight_ih: Tensor
    weight_hh: Tensor
    bias_ih: Tensor | None
    bias_hh: Tensor | None
    weight_hr: Tensor | None  # LSTM projection, only with proj_size > 0


# oneDNN's matrix product, the engine of PyTorch's own CPU LSTM kernel, runs 2-2.5x faster than
# the BLAS behind torch.matmul on some CPUs (measured on AMD EPYC, where MKL takes a slow path),
# and it applies the gate's sigmoid or tanh as the product is written, saving a pass over memory
# (and PyTorch's tanh is slow). The gate products are most of a trace's cost. PyTorch exposes this
# only as an internal operator, so it is looked up defensively and used only where it is known to
# apply and to pay (see onednn_applies); everything else takes the portable path. Tests run both.
_ONEDNN_LINEAR = getattr(getattr(torch.ops, "mkldnn", None), "_linear_pointwise", None)
use_onednn = True


# Below about this many multiply-adds for a layer-direction's gates, oneDNN's fixed cost per call
# (~20 us) outweighs its speed and the portable path is faster (measured: 50 steps of 64 units).
_FUSED_MIN_MACS = 1 << 22


def onednn_applies(x: Tensor, h_prev: Tensor, weights: DirectionWeights) -> bool:
    """Float32 on the CPU, no gradient wanted (the operator has no backward), full precision, and
    products large enough to pay for the calls."""
    rows = x.numel() // x.shape[-1]
    work = rows * (x.shape[-1] + h_prev.shape[-1]) * weights.weight_ih.shape[0]
    return bool(
        use_onednn
        and _ONEDNN_LINEAR is not None
        and work >= _FUSED_MIN_MACS
        and torch.backends.mkldnn.is_available()
        and torch.backends.mkldnn.enabled
        and x.device.type == "cpu"
        and x.dtype == weights.weight_ih.dtype == torch.float32
        and not torch.is_grad_enabled()
        and torch.get_float32_matmul_precision() == "highest"
    )


def _fused_linear(x: Tensor, weight: Tensor, bias: Tensor | None, activation: str) -> Tensor:
    """activation(x @ W^T + b) in one oneDNN call; activation is "none", "sigmoid" or "tanh"."""
    assert _ONEDNN_LINEAR is not None
    return _ONEDNN_LINEAR(x, weight, bias, activation, [], "")


def affine(x: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
    """x @ W^T + b over the last dimension, for every step at once."""
    return torch.nn.functional.linear(x, weight, bias)


def _add(first: Tensor | None, second: Tensor | None) -> Tensor | None:
    """The sum of two optional biases (a module has both or neither)."""
    return None if first is None or second is None else first + second


def _blocks(bias: Tensor | None, count: int) -> tuple[Tensor | None, ...]:
    """A bias cut into its gates' blocks, in PyTorch's order; all None without bias."""
    return tuple(bias.chunk(count)) if bias is not None else (None,) * count


def _pair_then_rest(rows: Tensor | None, gates: int) -> tuple[Tensor | None, ...]:
    """Weight rows or a bias in PyTorch's gate order, as (first two gates together, then each of
    the rest): LSTM (i and f, g, o), GRU (r and z, n). The first two gates go through the same
    sigmoid, and their blocks are adjacent, so they stay one view and become one product."""
    if rows is None:
        return (None,) * (gates - 1)
    by_gate = rows.unflatten(0, (gates, -1))  # (gate, hidden, ...)
    return (by_gate[:2].flatten(0, 1), *by_gate[2:].unbind(0))


def lstm_gates(x: Tensor, h_prev: Tensor, weights: DirectionWeights) -> dict[str, Tensor]:
    """The four LSTM gates at every step from the inputs and the previous hidden states.

    ``x`` is (batch, steps, input), ``h_prev`` (batch, steps, hidden or proj); every gate comes out
    (batch, steps, hidden).
    """
    if onednn_applies(x, h_prev, weights):
        return _lstm_gates_fused(x, h_prev, weights)
    return _lstm_gates_portable(x, h_prev, weights)


def _lstm_gates_portable(x: Tensor, h_prev: Tensor, weights: DirectionWeights) -> dict[str, Tensor]:
    # Both products into one buffer: the recurrent one accumulates in place into the input one
    # (neither product's backward needs its result, so autograd is unaffected).
    pre = affine(x, weights.weight_ih, _add(weights.bias_ih, weights.bias_hh)).contiguous()
    pre.view(-1, pre.shape[-1]).addmm_(h_prev.reshape(-1, h_prev.shape[-1]), weights.weight_hh.t())
    i, f, g, o = pre.chunk(4, dim=-1)
    return {
        # i_t = sigma(W_ii x_t + b_ii + W_hi h_{t-1} + b_hi)
        "input": torch.sigmoid(i),
        # f_t = sigma(W_if x_t + b_if + W_hf h_{t-1} + b_hf)
        "forget": torch.sigmoid(f),
        # g_t = tanh(W_ig x_t + b_ig + W_hg h_{t-1} + b_hg)
        "candidate": torch.tanh(g),
        # o_t = sigma(W_io x_t + b_io + W_ho h_{t-1} + b_ho)
        "output": torch.sigmoid(o),
    }


def _lstm_gates_fused(x: Tensor, h_prev: Tensor, weights: DirectionWeights) -> dict[str, Tensor]:
    # [x_t, h_{t-1}] side by side against [W_i*, W_h*]: one product per activation, applied as the
    # product is written.
    joined = torch.cat([x, h_prev], dim=-1)
    joined_weight = torch.cat([weights.weight_ih, weights.weight_hh], dim=1)
    w_if, w_g, w_o = _pair_then_rest(joined_weight, 4)
    b_if, b_g, b_o = _pair_then_rest(_add(weights.bias_ih, weights.bias_hh), 4)
    assert w_if is not None and w_g is not None and w_o is not None
    # i_t = sigma([W_ii, W_hi] [x_t, h_{t-1}] + b_ii + b_hi)
    # f_t = sigma([W_if, W_hf] [x_t, h_{t-1}] + b_if + b_hf)
    i, f = _fused_linear(joined, w_if, b_if, "sigmoid").chunk(2, dim=-1)
    return {
        "input": i,
        "forget": f,
        # g_t = tanh([W_ig, W_hg] [x_t, h_{t-1}] + b_ig + b_hg)
        "candidate": _fused_linear(joined, w_g, b_g, "tanh"),
        # o_t = sigma([W_io, W_ho] [x_t, h_{t-1}] + b_io + b_ho)
        "output": _fused_linear(joined, w_o, b_o, "sigmoid"),
    }


def gru_gates(x: Tensor, h_prev: Tensor, weights: DirectionWeights) -> dict[str, Tensor]:
    """The three GRU gates at every step from the inputs and the previous hidden states.

    PyTorch applies the reset gate *after* the recurrent matrix product: r_t * (W_hn h + b_hn).
    """
    if onednn_applies(x, h_prev, weights):
        return _gru_gates_fused(x, h_prev, weights)
    return _gru_gates_portable(x, h_prev, weights)


def _gru_gates_portable(x: Tensor, h_prev: Tensor, weights: DirectionWeights) -> dict[str, Tensor]:
    x_r, x_z, x_n = affine(x, weights.weight_ih, weights.bias_ih).chunk(3, dim=-1)
    h_r, h_z, h_n = affine(h_prev, weights.weight_hh, weights.bias_hh).chunk(3, dim=-1)
    # r_t = sigma(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)
    reset = torch.sigmoid(x_r + h_r)
    # z_t = sigma(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)
    update = torch.sigmoid(x_z + h_z)
    # n_t = tanh(W_in x_t + b_in + r_t * (W_hn h_{t-1} + b_hn))
    candidate = torch.tanh(torch.addcmul(x_n, reset, h_n))
    return {"reset": reset, "update": update, "candidate": candidate}


def _gru_gates_fused(x: Tensor, h_prev: Tensor, weights: DirectionWeights) -> dict[str, Tensor]:
    joined = torch.cat([x, h_prev], dim=-1)
    joined_weight = torch.cat([weights.weight_ih, weights.weight_hh], dim=1)
    w_rz, _ = _pair_then_rest(joined_weight, 3)
    b_rz, _ = _pair_then_rest(_add(weights.bias_ih, weights.bias_hh), 3)
    _, _, w_in = weights.weight_ih.chunk(3)  # r, z, n
    _, _, w_hn = weights.weight_hh.chunk(3)
    _, _, b_in = _blocks(weights.bias_ih, 3)
    _, _, b_hn = _blocks(weights.bias_hh, 3)
    assert w_rz is not None
    # r_t = sigma([W_ir, W_hr] [x_t, h_{t-1}] + b_ir + b_hr)
    # z_t = sigma([W_iz, W_hz] [x_t, h_{t-1}] + b_iz + b_hz)
    reset, update = _fused_linear(joined, w_rz, b_rz, "sigmoid").chunk(2, dim=-1)
    # n_t = tanh(W_in x_t + b_in + r_t * (W_hn h_{t-1} + b_hn))
    x_n = _fused_linear(x, w_in, b_in, "none")
    h_n = _fused_linear(h_prev, w_hn, b_hn, "none")
    candidate = torch.addcmul(x_n, reset, h_n).tanh_()
    return {"reset": reset, "update": update, "candidate": candidate}


def gru_reset_before_gates(
    x: Tensor, h_prev: Tensor, weights: DirectionWeights
) -> dict[str, Tensor]:
    """The three gates of a GRU that resets h *before* the recurrent product (Keras's
    ``reset_after=False``, see reset_before.py), at every step at once.

    The candidate's recurrent product needs r_t first, so it is a second product over all steps.
    """
    x_r, x_z, x_n = affine(x, weights.weight_ih, weights.bias_ih).chunk(3, dim=-1)
    w_rz, w_hn = _pair_then_rest(weights.weight_hh, 3)
    b_rz, b_hn = _pair_then_rest(weights.bias_hh, 3)
    assert w_rz is not None and w_hn is not None
    h_r, h_z = affine(h_prev, w_rz, b_rz).chunk(2, dim=-1)
    # r_t = sigma(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)
    reset = torch.sigmoid(x_r + h_r)
    # z_t = sigma(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)
    update = torch.sigmoid(x_z + h_z)
    # n_t = tanh(W_in x_t + b_in + W_hn (r_t * h_{t-1}) + b_hn)
    candidate = torch.tanh(x_n + affine(reset * h_prev, w_hn, b_hn))
    return {"reset": reset, "update": update, "candidate": candidate}


def lstm_cell_states(
    gates: dict[str, Tensor], c0: Tensor, lengths: Tensor, reverse: bool
) -> Tensor:
    """c_t = f_t * c_{t-1} + i_t * g_t for every step.

    Gates are (batch, steps, hidden), c0 is (batch, hidden).

    A backward direction reads each sequence from its own last step (``lengths``) back to step 0,
    starting from c0 there, as a packed sequence does: its gates are put in reading order, scanned,
    and the states put back in input order. Steps past a sequence's end hold meaningless values;
    the caller masks them.
    """
    forget = gates["forget"]
    written = gates["input"] * gates["candidate"]
    if not reverse:
        return linear_scan(forget, written, c0)
    reading = linear_scan(reverse_steps(forget, lengths), reverse_steps(written, lengths), c0)
    return reverse_steps(reading, lengths)

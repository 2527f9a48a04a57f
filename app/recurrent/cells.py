"""Gate maths for each PyTorch recurrent cell, written as the equations read.

Everything here works on whole sequences at once: the pre-activations of all steps come from one
matrix product on the inputs and one on the previous hidden states, so only the LSTM cell state
needs a recurrence (a chunked element-wise scan, see scan.py). The equations follow the PyTorch
documentation of nn.RNN, nn.LSTM and nn.GRU.
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


def affine(x: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
    """x @ W^T + b over the last dimension, for every step at once."""
    return torch.nn.functional.linear(x, weight, bias)


def lstm_preactivations(x: Tensor, h_prev: Tensor, weights: DirectionWeights) -> Tensor:
    """W_i* x_t + b_i* + W_h* h_{t-1} + b_h* for every step, shaped (batch, steps, 4 * hidden).

    The recurrent product is accumulated in place into the input product (one buffer instead of
    three); neither product's backward needs its result, so autograd is unaffected.
    """
    bias = _sum_biases(weights.bias_ih, weights.bias_hh)
    flat_x = x.reshape(-1, x.shape[-1])
    if bias is None:
        pre = flat_x @ weights.weight_ih.t()
    else:
        pre = torch.addmm(bias, flat_x, weights.weight_ih.t())
    pre.addmm_(h_prev.reshape(-1, h_prev.shape[-1]), weights.weight_hh.t())
    return pre.view(*x.shape[:-1], -1)


def _sum_biases(bias_ih: Tensor | None, bias_hh: Tensor | None) -> Tensor | None:
    if bias_ih is None or bias_hh is None:
        return None
    return bias_ih + bias_hh


def lstm_gates(pre: Tensor) -> dict[str, Tensor]:
    """LSTM gates from the summed pre-activations, shaped (..., 4 * hidden)."""
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


def gru_gates(x_part: Tensor, h_part: Tensor) -> dict[str, Tensor]:
    """GRU gates from W_i* x_t + b_i* and W_h* h_{t-1} + b_h*, shaped (..., 3 * hidden).

    PyTorch applies the reset gate *after* the recurrent matrix product: r_t * (W_hn h + b_hn).
    """
    x_r, x_z, x_n = x_part.chunk(3, dim=-1)
    h_r, h_z, h_n = h_part.chunk(3, dim=-1)
    # r_t = sigma(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)
    reset = torch.sigmoid(x_r + h_r)
    # z_t = sigma(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)
    update = torch.sigmoid(x_z + h_z)
    # n_t = tanh(W_in x_t + b_in + r_t * (W_hn h_{t-1} + b_hn))
    candidate = torch.tanh(torch.addcmul(x_n, reset, h_n))
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

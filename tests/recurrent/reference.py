"""An independent, deliberately plain reference for the tracer: one sequence, one step at a time.

It shares no code with app.recurrent. Parameters are looked up by PyTorch's names in
``named_parameters()``; each step is the equation from the PyTorch documentation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor, nn

NAN = float("nan")
Step = Callable[
    [dict[str, Tensor], Tensor, Tensor, Tensor], tuple[dict[str, Tensor], Tensor, Tensor]
]


@dataclass
class ReferenceDirection:
    """One layer-direction, (batch, steps, units), NaN past each sequence's end."""

    gates: dict[str, Tensor]
    hidden: Tensor
    cell: Tensor | None


@dataclass
class ReferenceRun:
    directions: dict[tuple[int, str], ReferenceDirection]
    top: Tensor  # (batch, steps, directions * units), NaN past each end
    h_n: Tensor  # (layers * directions, batch, units)
    c_n: Tensor | None


def kind_of(module: nn.RNNBase) -> str:
    return {"RNN_TANH": "rnn", "RNN_RELU": "rnn", "LSTM": "lstm", "GRU": "gru"}[module.mode]


def lstm_step(
    p: dict[str, Tensor], x: Tensor, h: Tensor, c: Tensor
) -> tuple[dict[str, Tensor], Tensor, Tensor]:
    pre = p["weight_ih"] @ x + p["weight_hh"] @ h
    if "bias_ih" in p:
        pre = pre + p["bias_ih"] + p["bias_hh"]
    i, f, g, o = pre.chunk(4)
    gates = {
        "input": torch.sigmoid(i),
        "forget": torch.sigmoid(f),
        "candidate": torch.tanh(g),
        "output": torch.sigmoid(o),
    }
    # c_t = f_t * c_{t-1} + i_t * g_t ;  h_t = o_t * tanh(c_t), then h_t = W_hr h_t
    c = gates["forget"] * c + gates["input"] * gates["candidate"]
    h = gates["output"] * torch.tanh(c)
    if "weight_hr" in p:
        h = p["weight_hr"] @ h
    return gates, h, c


def gru_step(
    p: dict[str, Tensor], x: Tensor, h: Tensor, c: Tensor
) -> tuple[dict[str, Tensor], Tensor, Tensor]:
    gi = p["weight_ih"] @ x
    gh = p["weight_hh"] @ h
    if "bias_ih" in p:
        gi, gh = gi + p["bias_ih"], gh + p["bias_hh"]
    i_r, i_z, i_n = gi.chunk(3)
    h_r, h_z, h_n = gh.chunk(3)
    r = torch.sigmoid(i_r + h_r)
    z = torch.sigmoid(i_z + h_z)
    # n_t = tanh(W_in x + b_in + r * (W_hn h + b_hn)) ;  h_t = (1 - z) * n + z * h_{t-1}
    n = torch.tanh(i_n + r * h_n)
    h = (1 - z) * n + z * h
    return {"reset": r, "update": z, "candidate": n}, h, c


def gru_reset_before_step(
    p: dict[str, Tensor], x: Tensor, h: Tensor, c: Tensor
) -> tuple[dict[str, Tensor], Tensor, Tensor]:
    """Keras's reset_after=False: the reset gate scales h before the recurrent product."""
    w_hr, w_hz, w_hn = p["weight_hh"].chunk(3)
    i_r, i_z, i_n = (p["weight_ih"] @ x).chunk(3)
    h_r, h_z = w_hr @ h, w_hz @ h
    if "bias_ih" in p:
        b_ir, b_iz, b_in = p["bias_ih"].chunk(3)
        b_hr, b_hz, b_hn = p["bias_hh"].chunk(3)
        i_r, i_z, i_n = i_r + b_ir, i_z + b_iz, i_n + b_in
        h_r, h_z = h_r + b_hr, h_z + b_hz
    r = torch.sigmoid(i_r + h_r)
    z = torch.sigmoid(i_z + h_z)
    # n_t = tanh(W_in x + b_in + W_hn (r * h_{t-1}) + b_hn) ;  h_t = (1 - z) * n + z * h_{t-1}
    pre_n = i_n + w_hn @ (r * h)
    if "bias_hh" in p:
        pre_n = pre_n + b_hn
    n = torch.tanh(pre_n)
    h = (1 - z) * n + z * h
    return {"reset": r, "update": z, "candidate": n}, h, c


def rnn_step(
    activation: Callable[[Tensor], Tensor],
) -> Step:
    def step(
        p: dict[str, Tensor], x: Tensor, h: Tensor, c: Tensor
    ) -> tuple[dict[str, Tensor], Tensor, Tensor]:
        # h_t = act(W_ih x + b_ih + W_hh h + b_hh)
        pre = p["weight_ih"] @ x + p["weight_hh"] @ h
        if "bias_ih" in p:
            pre = pre + p["bias_ih"] + p["bias_hh"]
        return {}, activation(pre), c

    return step


def step_function(module: nn.RNNBase) -> Step:
    if module.mode == "LSTM":
        return lstm_step
    if module.mode == "GRU":
        return gru_step if getattr(module, "reset_after", True) else gru_reset_before_step
    return rnn_step(torch.tanh if module.mode == "RNN_TANH" else torch.relu)


def direction_parameters(module: nn.RNNBase, layer: int, reverse: bool) -> dict[str, Tensor]:
    """{'weight_ih': ..., ...} for one layer-direction, from named_parameters()."""
    suffix = f"_l{layer}" + ("_reverse" if reverse else "")
    named = dict(module.named_parameters())
    base = ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr")
    return {name: named[name + suffix].detach() for name in base if name + suffix in named}


def as_batch_first(module: nn.RNNBase, inputs: Tensor) -> Tensor:
    if inputs.dim() == 2:
        return inputs.unsqueeze(0)
    return inputs if module.batch_first else inputs.transpose(0, 1)


def reference_run(
    module: nn.RNNBase,
    inputs: Tensor,
    initial_state: Tensor | tuple[Tensor, Tensor] | None = None,
    lengths: list[int] | None = None,
) -> ReferenceRun:
    kind = kind_of(module)
    x = as_batch_first(module, inputs.detach())
    batch, steps, _ = x.shape
    lengths = lengths if lengths is not None else [steps] * batch
    directions = 2 if module.bidirectional else 1
    rows = module.num_layers * directions
    units = module.proj_size if getattr(module, "proj_size", 0) else module.hidden_size
    h0, c0 = _initial(module, kind, initial_state, rows, batch, units, x)
    h_n, c_n = torch.empty_like(h0), torch.empty_like(c0)
    step = step_function(module)
    found: dict[tuple[int, str], ReferenceDirection] = {}
    layer_input = x
    for layer in range(module.num_layers):
        outputs = []
        for d, name in enumerate(("forward", "backward")[:directions]):
            params = direction_parameters(module, layer, reverse=d == 1)
            row = layer * directions + d
            result = ReferenceDirection(
                gates={},
                hidden=x.new_full((batch, steps, units), NAN),
                cell=x.new_full((batch, steps, module.hidden_size), NAN)
                if kind == "lstm"
                else None,
            )
            for b in range(batch):
                h, c = h0[row, b], c0[row, b]
                order = range(lengths[b]) if d == 0 else range(lengths[b] - 1, -1, -1)
                for t in order:
                    gates, h, c = step(params, layer_input[b, t], h, c)
                    for gate, value in gates.items():
                        if gate not in result.gates:
                            result.gates[gate] = x.new_full((batch, steps, module.hidden_size), NAN)
                        result.gates[gate][b, t] = value
                    result.hidden[b, t] = h
                    if result.cell is not None:
                        result.cell[b, t] = c
                h_n[row, b], c_n[row, b] = h, c
            found[(layer, name)] = result
            outputs.append(result.hidden)
        layer_input = torch.cat(outputs, dim=-1)
    return ReferenceRun(found, layer_input, h_n, c_n if kind == "lstm" else None)


def _initial(
    module: nn.RNNBase,
    kind: str,
    initial_state: Tensor | tuple[Tensor, Tensor] | None,
    rows: int,
    batch: int,
    units: int,
    x: Tensor,
) -> tuple[Tensor, Tensor]:
    """h0, c0 as (rows, batch, units); c0 is a dummy for RNN and GRU."""
    if initial_state is None:
        return x.new_zeros(rows, batch, units), x.new_zeros(rows, batch, module.hidden_size)
    h0, c0 = initial_state if kind == "lstm" else (initial_state, None)
    if h0.dim() == 2:
        h0 = h0.unsqueeze(1)
        c0 = c0.unsqueeze(1) if c0 is not None else None
    if c0 is None:
        c0 = x.new_zeros(rows, batch, module.hidden_size)
    return h0.detach(), c0.detach()

"""A plain reference for interventions: one sequence, one step at a time, the edit applied to a
value right after the equation that makes it. Shares no code with app.recurrent.

An edit is (layer, direction, name, units, steps, op, value) with op in set/scale/add/zero; the
layer index runs through the whole chain of blocks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from .reference import as_batch_first, direction_parameters, kind_of

NAN = float("nan")


@dataclass(frozen=True)
class RefEdit:
    layer: int
    direction: str
    name: str
    units: tuple[int, ...] | None
    steps: tuple[int, ...] | None
    op: str
    value: float = 0.0

    def apply(self, value: Tensor, t: int) -> Tensor:
        if self.steps is not None and t not in self.steps:
            return value
        value = value.clone()
        for unit in self.units if self.units is not None else range(value.shape[0]):
            old = value[unit]
            if self.op == "set":
                value[unit] = self.value
            elif self.op == "scale":
                value[unit] = old * self.value
            elif self.op == "add":
                value[unit] = old + self.value
            else:
                value[unit] = 0.0
        return value


Hook = Callable[[str, Tensor], Tensor]


def _cell_step(
    kind: str,
    reset_after: bool,
    relu: bool,
    p: dict[str, Tensor],
    x: Tensor,
    h: Tensor,
    c: Tensor,
    hook: Hook,
) -> tuple[dict[str, Tensor], Tensor, Tensor]:
    gi = p["weight_ih"] @ x + p.get("bias_ih", 0)
    if kind == "rnn":
        pre = gi + p["weight_hh"] @ h + p.get("bias_hh", 0)
        return {}, hook("hidden", torch.relu(pre) if relu else torch.tanh(pre)), c
    if kind == "lstm":
        i, f, g, o = (gi + p["weight_hh"] @ h + p.get("bias_hh", 0)).chunk(4)
        i, f = hook("input", torch.sigmoid(i)), hook("forget", torch.sigmoid(f))
        g, o = hook("candidate", torch.tanh(g)), hook("output", torch.sigmoid(o))
        c = hook("cell", f * c + i * g)
        h = o * torch.tanh(c)
        if "weight_hr" in p:
            h = p["weight_hr"] @ h
        return {"input": i, "forget": f, "candidate": g, "output": o}, hook("hidden", h), c
    i_r, i_z, i_n = gi.chunk(3)
    w_hr, w_hz, w_hn = p["weight_hh"].chunk(3)
    b_hr, b_hz, b_hn = p["bias_hh"].chunk(3) if "bias_hh" in p else (0, 0, 0)
    r = hook("reset", torch.sigmoid(i_r + w_hr @ h + b_hr))
    z = hook("update", torch.sigmoid(i_z + w_hz @ h + b_hz))
    if reset_after:
        n = hook("candidate", torch.tanh(i_n + r * (w_hn @ h + b_hn)))
    else:
        n = hook("candidate", torch.tanh(i_n + w_hn @ (r * h) + b_hn))
    h = hook("hidden", (1 - z) * n + z * h)
    return {"reset": r, "update": z, "candidate": n}, h, c


@dataclass
class RefLayer:
    gates: dict[str, Tensor]
    hidden: Tensor
    cell: Tensor | None


def reference_block(
    module: nn.Module,
    x: Tensor,
    edits: Sequence[RefEdit],
    first_layer: int,
    lengths: list[int] | None = None,
) -> tuple[dict[tuple[int, str], RefLayer], Tensor, Tensor]:
    """Every layer-direction of one block (batch first x), its top output (NaN past ends) and
    h_n (layers * directions, batch, units); initial states are zeros."""
    kind = kind_of(module)  # type: ignore[arg-type]
    reset_after = getattr(module, "reset_after", True)
    relu = getattr(module, "mode", "") == "RNN_RELU"
    batch, steps, _ = x.shape
    lengths = lengths or [steps] * batch
    directions = ("forward", "backward")[: 2 if module.bidirectional else 1]
    units = getattr(module, "proj_size", 0) or module.hidden_size
    found: dict[tuple[int, str], RefLayer] = {}
    finals = []
    for layer in range(module.num_layers):
        outputs = []
        for name in directions:
            p = direction_parameters(module, layer, reverse=name == "backward")  # type: ignore[arg-type]
            mine = [e for e in edits if e.layer == first_layer + layer and e.direction == name]
            result = RefLayer({}, x.new_full((batch, steps, units), NAN), None)
            if kind == "lstm":
                result.cell = x.new_full((batch, steps, module.hidden_size), NAN)
            h_n = x.new_zeros(batch, units)
            for b in range(batch):
                h, c = x.new_zeros(units), x.new_zeros(module.hidden_size)
                order = range(lengths[b]) if name == "forward" else range(lengths[b] - 1, -1, -1)
                for t in order:

                    def hook(
                        site: str, value: Tensor, t: int = t, mine: list[RefEdit] = mine
                    ) -> Tensor:
                        for edit in mine:
                            if edit.name == site:
                                value = edit.apply(value, t)
                        return value

                    gates, h, c = _cell_step(kind, reset_after, relu, p, x[b, t], h, c, hook)
                    for gate, value in gates.items():
                        result.gates.setdefault(
                            gate, x.new_full((batch, steps, module.hidden_size), NAN)
                        )[b, t] = value
                    result.hidden[b, t] = h
                    if result.cell is not None:
                        result.cell[b, t] = c
                h_n[b] = h
            found[(first_layer + layer, name)] = result
            finals.append(h_n)
            outputs.append(result.hidden)
        x = torch.cat(outputs, dim=-1)
    return found, x, torch.stack(finals)


def reference_chain(
    blocks: Sequence[nn.Module],
    inputs: Tensor,
    edits: Sequence[RefEdit],
    lengths: list[int] | None = None,
) -> tuple[dict[tuple[int, str], RefLayer], Tensor, Tensor]:
    found: dict[tuple[int, str], RefLayer] = {}
    x = as_batch_first(blocks[0], inputs)  # type: ignore[arg-type]
    first = 0
    h_n = x
    for module in blocks:
        layers, x, h_n = reference_block(module, x, edits, first, lengths)
        found.update(layers)
        first += module.num_layers
        x = torch.nan_to_num(x, nan=0.0)  # the next block reads zeros past each end
    return found, x, h_n

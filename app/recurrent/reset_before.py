"""A GRU whose reset gate acts on h *before* the recurrent product (Keras ``reset_after=False``).

PyTorch's nn.GRU (like cuDNN and Keras's default ``reset_after=True``) computes the candidate as
tanh(W_in x + b_in + r * (W_hn h + b_hn)). The original GRU of Cho et al. (2014), Keras's
``GRU(reset_after=False)`` and many course notes reset h first:

    r_t = sigma(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)
    z_t = sigma(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)
    n_t = tanh(W_in x_t + b_in + W_hn (r_t * h_{t-1}) + b_hn)
    h_t = (1 - z_t) * n_t + z_t * h_{t-1}

GRUResetBefore has nn.GRU's constructor, parameter names, shapes, initialisation and forward
signature, so anything that handles an nn.GRU handles it. Keras's single 3h bias maps to
``bias_ih`` with ``bias_hh`` zero. The forward is a plain loop over steps (the input products for
all steps at once): it is the reference the tracer is proved against, so it stays obvious.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

from app.recurrent.names import Matrix, ParameterKind, parameter_name

_MATRICES: tuple[Matrix, Matrix] = ("ih", "hh")


class GRUResetBefore(nn.Module):
    """nn.GRU's interface with the reset gate applied before the recurrent matrix product."""

    mode = "GRU"
    reset_after = False
    proj_size = 0
    dropout = 0.0

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        bidirectional: bool = False,
        dtype: torch.dtype | None = None,
        device: torch.device | str | None = None,
    ) -> None:
        super().__init__()
        if input_size < 1 or hidden_size < 1 or num_layers < 1:
            raise ValueError(
                "input_size, hidden_size and num_layers must be positive, got "
                f"{input_size}, {hidden_size} and {num_layers}"
            )
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.bidirectional = bidirectional
        # Registered in nn.GRU's order, so named_parameters() and the initialisation match it.
        for layer in range(num_layers):
            width = input_size if layer == 0 else hidden_size * self.directions
            for reverse in (False, True)[: self.directions]:
                shapes: dict[str, tuple[int, ...]] = {
                    parameter_name("weight", "ih", layer, reverse): (3 * hidden_size, width),
                    parameter_name("weight", "hh", layer, reverse): (3 * hidden_size, hidden_size),
                }
                if bias:
                    for matrix in _MATRICES:
                        shapes[parameter_name("bias", matrix, layer, reverse)] = (3 * hidden_size,)
                for name, shape in shapes.items():
                    empty = torch.empty(shape, dtype=dtype, device=device)
                    self.register_parameter(name, nn.Parameter(empty))
        self.reset_parameters()

    @property
    def directions(self) -> int:
        return 2 if self.bidirectional else 1

    def reset_parameters(self) -> None:
        """Uniform in +-1/sqrt(hidden_size), as nn.GRU initialises."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for weight in self.parameters():
            nn.init.uniform_(weight, -bound, bound)

    def extra_repr(self) -> str:
        return (
            f"{self.input_size}, {self.hidden_size}, num_layers={self.num_layers}, "
            f"bias={self.bias}, batch_first={self.batch_first}, "
            f"bidirectional={self.bidirectional}, reset_after=False"
        )

    def forward(
        self, input: Tensor | PackedSequence, hx: Tensor | None = None
    ) -> tuple[Tensor | PackedSequence, Tensor]:
        """As nn.GRU: (output, h_n), output packed when ``input`` is a PackedSequence."""
        if isinstance(input, PackedSequence):
            return self._forward_packed(input, hx)
        if input.dim() == 2:
            output, h_n = self._forward_padded(input.unsqueeze(0), None, _batched(hx, False))
            return output.squeeze(0), h_n.squeeze(1)
        if input.dim() != 3:
            raise ValueError(f"GRUResetBefore: expected 2-D or 3-D input, got {input.dim()}-D")
        x = input if self.batch_first else input.transpose(0, 1)
        output, h_n = self._forward_padded(x, None, hx)
        return (output if self.batch_first else output.transpose(0, 1)), h_n

    def _forward_packed(
        self, packed: PackedSequence, hx: Tensor | None
    ) -> tuple[PackedSequence, Tensor]:
        # pad_packed_sequence restores the caller's batch order, which is also hx's order.
        x, lengths = pad_packed_sequence(packed, batch_first=True)
        output, h_n = self._forward_padded(x, lengths.to(x.device), hx)
        order = packed.sorted_indices
        if order is None:
            order = torch.arange(x.shape[0], device=x.device)
        repacked = pack_padded_sequence(
            output.index_select(0, order), lengths[order.cpu()], batch_first=True
        )
        return (
            PackedSequence(
                repacked.data, repacked.batch_sizes, packed.sorted_indices, packed.unsorted_indices
            ),
            h_n,
        )

    def _forward_padded(
        self, x: Tensor, lengths: Tensor | None, hx: Tensor | None
    ) -> tuple[Tensor, Tensor]:
        """x (batch, steps, features), batch first; hx (layers * directions, batch, hidden)."""
        rows = self.num_layers * self.directions
        if hx is None:
            hx = x.new_zeros(rows, x.shape[0], self.hidden_size)
        if hx.shape != (rows, x.shape[0], self.hidden_size):
            raise ValueError(
                f"hx must have shape {(rows, x.shape[0], self.hidden_size)}, got {tuple(hx.shape)}"
            )
        finals = []
        for layer in range(self.num_layers):
            outputs = []
            for index, reverse in enumerate((False, True)[: self.directions]):
                row = layer * self.directions + index
                output, h_n = self._direction(x, lengths, hx[row], layer, reverse)
                outputs.append(output)
                finals.append(h_n)
            x = torch.cat(outputs, dim=-1)
        return x, torch.stack(finals)

    def _direction(
        self, x: Tensor, lengths: Tensor | None, h: Tensor, layer: int, reverse: bool
    ) -> tuple[Tensor, Tensor]:
        """One layer-direction, one step at a time; a step past a sequence's end keeps h and
        outputs zeros, so a backward pass starts at each sequence's own last step."""
        weight_ih, weight_hh, bias_ih, bias_hh = self._weights(layer, reverse)
        x_r, x_z, x_n = torch.nn.functional.linear(x, weight_ih, bias_ih).chunk(3, dim=-1)
        w_hr, w_hz, w_hn = weight_hh.chunk(3)
        b_hr, b_hz, b_hn = bias_hh.chunk(3) if bias_hh is not None else (None, None, None)
        steps = x.shape[1]
        outputs: list[Tensor] = [x.new_zeros(0)] * steps
        for t in reversed(range(steps)) if reverse else range(steps):
            # r_t = sigma(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)
            r = torch.sigmoid(x_r[:, t] + torch.nn.functional.linear(h, w_hr, b_hr))
            # z_t = sigma(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)
            z = torch.sigmoid(x_z[:, t] + torch.nn.functional.linear(h, w_hz, b_hz))
            # n_t = tanh(W_in x_t + b_in + W_hn (r_t * h_{t-1}) + b_hn)
            n = torch.tanh(x_n[:, t] + torch.nn.functional.linear(r * h, w_hn, b_hn))
            # h_t = (1 - z_t) * n_t + z_t * h_{t-1}
            stepped = (1 - z) * n + z * h
            if lengths is None:
                h = outputs[t] = stepped
            else:
                present = (lengths > t).unsqueeze(-1)
                h = torch.where(present, stepped, h)
                outputs[t] = torch.where(present, stepped, torch.zeros_like(stepped))
        return torch.stack(outputs, dim=1), h

    def _weights(
        self, layer: int, reverse: bool
    ) -> tuple[Tensor, Tensor, Tensor | None, Tensor | None]:
        """weight_ih, weight_hh, bias_ih, bias_hh of one layer-direction, by PyTorch's names."""

        def lookup(kind: ParameterKind, matrix: Matrix) -> Tensor | None:
            name = parameter_name(kind, matrix, layer, reverse)
            return getattr(self, name) if self.bias or kind == "weight" else None

        weight_ih, weight_hh = lookup("weight", "ih"), lookup("weight", "hh")
        assert weight_ih is not None and weight_hh is not None
        return weight_ih, weight_hh, lookup("bias", "ih"), lookup("bias", "hh")


def _batched(hx: Tensor | None, batched: bool) -> Tensor | None:
    """An unbatched hx (layers * directions, hidden) as a batch of one."""
    if hx is None or batched:
        return hx
    if hx.dim() != 2:
        raise ValueError(f"for unbatched input hx must be 2-D, got {hx.dim()}-D")
    return hx.unsqueeze(1)

"""The one place that builds a recurrent module from its options, and reads them back.

RecurrentOptions says what a recurrent block is (cell, sizes, layers, directions, bias, the
RNN's nonlinearity, the LSTM's projection, the GRU's reset placement) and refuses options that do
not fit the cell. build_recurrent turns it into nn.RNN / nn.LSTM / nn.GRU (or GRUResetBefore for
a GRU with ``reset_after=False``); options_of reads a module back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeAlias

import torch
from torch import nn

from app.recurrent.cells import CellKind
from app.recurrent.reset_before import GRUResetBefore

RecurrentModule: TypeAlias = nn.RNNBase | GRUResetBefore
Nonlinearity = Literal["tanh", "relu"]

_CELL_OF_MODE: dict[str, CellKind] = {
    "RNN_TANH": "rnn",
    "RNN_RELU": "rnn",
    "LSTM": "lstm",
    "GRU": "gru",
}


@dataclass(frozen=True)
class RecurrentOptions:
    """Everything that fixes a recurrent block's shape and equations (not its weights)."""

    cell: CellKind
    input_size: int
    hidden_size: int
    num_layers: int = 1
    bidirectional: bool = False
    bias: bool = True
    nonlinearity: Nonlinearity = "tanh"
    proj_size: int = 0
    reset_after: bool = True

    def __post_init__(self) -> None:
        if self.cell not in _CELL_OF_MODE.values():
            raise ValueError(f"cell must be 'rnn', 'lstm' or 'gru', got {self.cell!r}")
        for name in ("input_size", "hidden_size", "num_layers"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if self.nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {self.nonlinearity!r}")
        if self.nonlinearity != "tanh" and self.cell != "rnn":
            raise ValueError(
                f"nonlinearity={self.nonlinearity!r} is an RNN option; "
                f"an {self.cell.upper()} always uses tanh"
            )
        self._check_projection()
        if not self.reset_after and self.cell != "gru":
            raise ValueError(f"reset_after=False is a GRU option, not an {self.cell.upper()} one")

    def _check_projection(self) -> None:
        if isinstance(self.proj_size, bool) or not isinstance(self.proj_size, int):
            raise ValueError(f"proj_size must be an integer, got {self.proj_size!r}")
        if self.proj_size != 0 and self.cell != "lstm":
            raise ValueError(
                f"proj_size={self.proj_size} is an LSTM option, not an {self.cell.upper()} one"
            )
        if not 0 <= self.proj_size < self.hidden_size:
            raise ValueError(
                f"proj_size must be between 0 and hidden_size - 1 ({self.hidden_size - 1}), "
                f"got {self.proj_size}"
            )

    @property
    def directions(self) -> int:
        return 2 if self.bidirectional else 1

    @property
    def units(self) -> int:
        """The width of one direction's h: the projection when there is one."""
        return self.proj_size or self.hidden_size

    @property
    def output_width(self) -> int:
        """Features per step of the module's output: every direction's h side by side."""
        return self.units * self.directions


def build_recurrent(
    options: RecurrentOptions,
    *,
    batch_first: bool = True,
    dtype: torch.dtype | None = None,
    device: torch.device | str | None = None,
) -> RecurrentModule:
    """The module ``options`` describe, initialised as PyTorch initialises it."""
    common = dict(
        input_size=options.input_size,
        hidden_size=options.hidden_size,
        num_layers=options.num_layers,
        bias=options.bias,
        batch_first=batch_first,
        bidirectional=options.bidirectional,
        dtype=dtype,
        device=device,
    )
    if options.cell == "lstm":
        return nn.LSTM(**common, proj_size=options.proj_size)  # type: ignore[arg-type]
    if options.cell == "gru" and not options.reset_after:
        return GRUResetBefore(**common)  # type: ignore[arg-type]
    if options.cell == "gru":
        return nn.GRU(**common)  # type: ignore[arg-type]
    return nn.RNN(**common, nonlinearity=options.nonlinearity)  # type: ignore[arg-type]


def cell_kind(module: nn.Module) -> CellKind:
    """'rnn', 'lstm' or 'gru' for a recurrent module; TypeError for anything else."""
    if isinstance(module, GRUResetBefore):
        return "gru"
    mode = getattr(module, "mode", None)
    if not isinstance(module, nn.RNNBase) or mode not in _CELL_OF_MODE:
        raise TypeError(
            f"trace() needs an nn.RNN, nn.LSTM or nn.GRU module (or a GRUResetBefore), "
            f"got {type(module).__name__}"
        )
    return _CELL_OF_MODE[mode]


def options_of(module: nn.Module) -> RecurrentOptions:
    """The options that build a module like ``module`` (TypeError for a non-recurrent one)."""
    kind = cell_kind(module)
    assert isinstance(module, nn.RNNBase | GRUResetBefore)
    return RecurrentOptions(
        cell=kind,
        input_size=module.input_size,
        hidden_size=module.hidden_size,
        num_layers=module.num_layers,
        bidirectional=module.bidirectional,
        bias=module.bias,
        nonlinearity="relu" if module.mode == "RNN_RELU" else "tanh",
        proj_size=module.proj_size,
        reset_after=getattr(module, "reset_after", True),
    )

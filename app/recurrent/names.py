"""PyTorch's names for a recurrent module's parameters, parsed and written in one place.

nn.RNN, nn.LSTM and nn.GRU name every parameter ``{kind}_{matrix}_l{layer}{_reverse}``:
``weight_ih_l0``, ``bias_hh_l1_reverse``, ``weight_hr_l2`` (the LSTM projection, which has no
bias). Everything that looks a parameter up by name goes through here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

ParameterKind = Literal["weight", "bias"]
Matrix = Literal["ih", "hh", "hr"]

_PATTERN = re.compile(r"(weight|bias)_(ih|hh|hr)_l(0|[1-9][0-9]*)(_reverse)?")
_KINDS = ("weight", "bias")
_MATRICES = ("ih", "hh", "hr")


@dataclass(frozen=True)
class ParameterName:
    """One parameter name taken apart: ``weight_hh_l1_reverse`` is (weight, hh, 1, reverse)."""

    kind: ParameterKind
    matrix: Matrix
    layer: int
    reverse: bool = False

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ValueError(f"kind must be 'weight' or 'bias', got {self.kind!r}")
        if self.matrix not in _MATRICES:
            raise ValueError(f"matrix must be 'ih', 'hh' or 'hr', got {self.matrix!r}")
        if self.kind == "bias" and self.matrix == "hr":
            raise ValueError("the LSTM projection has no bias: there is no bias_hr parameter")
        if isinstance(self.layer, bool) or not isinstance(self.layer, int) or self.layer < 0:
            raise ValueError(f"layer must be a non-negative integer, got {self.layer!r}")

    def __str__(self) -> str:
        suffix = "_reverse" if self.reverse else ""
        return f"{self.kind}_{self.matrix}_l{self.layer}{suffix}"


def parse_parameter_name(name: str) -> ParameterName:
    """``"weight_hh_l1_reverse"`` -> ParameterName("weight", "hh", 1, True); ValueError for a
    name PyTorch's recurrent modules do not use."""
    match = _PATTERN.fullmatch(name) if isinstance(name, str) else None
    if match is None:
        raise ValueError(
            f"{name!r} is not a recurrent parameter name such as 'weight_ih_l0' or "
            "'bias_hh_l1_reverse'"
        )
    kind, matrix, layer, reverse = match.groups()
    return ParameterName(kind, matrix, int(layer), reverse is not None)  # type: ignore[arg-type]


def parameter_name(kind: ParameterKind, matrix: Matrix, layer: int, reverse: bool = False) -> str:
    """The inverse of parse_parameter_name: ("bias", "ih", 0, True) -> ``"bias_ih_l0_reverse"``."""
    return str(ParameterName(kind, matrix, layer, reverse))

"""What every reader hands on: a model's spec, as far as its file fixes it, and its weights."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from torch import Tensor


@dataclass(frozen=True)
class Converted:
    """A model read from a file, before companions (tokenizer, names, padding) complete it.

    ``config`` holds ModelConfig fields: for Keras files the parts the file fixes (task,
    embedding, recurrent, head); for gatescope's own format the whole config. ``state`` is
    GateNet's state dict, named as ``GateNet.state_dict()`` names it.
    """

    config: dict[str, Any]
    state: dict[str, Tensor]
    source: str  # for the model card: "Keras 3.15.1 model (.keras)"
    title: str  # a default title
    complete: bool = False  # config is a whole ModelConfig (gatescope's own format)
    input_kind: Literal["text", "numbers"] | None = None
    steps: int | None = None  # input length the file fixes
    mask_zero: bool = False
    notes: list[str] = field(default_factory=list)
    layers: list[str] = field(default_factory=list)  # the original layers, for the card

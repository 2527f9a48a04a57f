"""Stacking and state: what return_sequences=True and stateful=True actually do.

return_sequences=True: a lower layer hands its whole output sequence (h at every step) to the
layer above, whose input matrix it is; only the top layer's final h feeds the Dense head.

stateful=True: the next input starts from the previous input's final state instead of zeros.
Reading a sequence in two parts with the state carried over is exactly reading it in one go.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import torch
from torch import Tensor

from app.recurrent import Trace, trace_chain
from app.recurrent.trace import State
from app.teaching.errors import NotApplicable
from app.teaching.layers import LayerChoice, choice_of
from app.zoo import LoadedModel, Prediction, PreparedInput
from app.zoo.network import apply_activation


@dataclass(frozen=True)
class HeadStep:
    """One Dense layer of the head: what it read and what it produced."""

    name: str  # "Dense 1"
    activation: str
    inputs: int
    outputs: Tensor  # (out_features,)


@dataclass(frozen=True)
class Stack:
    """The layers as return_sequences wires them."""

    inputs: Tensor  # (steps, features): what layer 1 reads
    # per layer (steps, directions * units): layer k's is layer k+1's input (the next block's
    # first layer's, across blocks); a bidirectional layer's forward units come first
    layer_outputs: list[Tensor]
    layers: list[LayerChoice]  # per layer: its block, kind and (forward) units
    final_hidden: Tensor  # (units,): the top layer's last h, the head's input
    head: list[HeadStep]


@dataclass(frozen=True)
class PartRun:
    """One part of the input traced from a given initial state."""

    prepared: PreparedInput
    trace: Trace
    initial_state: list[State]  # per block: what the part started from (zeros or carried)
    prediction: Prediction

    @property
    def final_state(self) -> list[State]:
        """Each block's state after the part: what a stateful model carries to the next."""
        return [block.final_state for block in self.trace.block_traces]


@dataclass(frozen=True)
class StateStudy:
    stack: Stack
    split: int  # the second part starts at this step of the whole input
    first: PartRun  # from zeros
    carried: PartRun  # second part starting from the first part's final state (stateful=True)
    fresh: PartRun  # second part starting from zeros (stateful=False)
    whole: PartRun  # the whole input read in one go: its prediction equals `carried`'s


def state_study(
    model: LoadedModel,
    raw: Any,
    split: int | None = None,
    next_raw: Any = None,
    max_steps: int | None = None,
) -> StateStudy:
    """Read `raw` then `next_raw` (or `raw` cut at `split`, default its middle) both ways."""
    _require_numbers(model)
    prepared = model.prepare(raw, "input", max_steps)
    if next_raw is not None:
        following = model.prepare(next_raw, "next_input", max_steps)
        whole_input, split = _joined(prepared, following), prepared.steps
    else:
        whole_input, split = prepared, _checked_split(prepared.steps, split)
    first_part, second_part = cut(whole_input, split)
    first = run_part(model, first_part, None)
    whole = run_part(model, whole_input, None)
    return StateStudy(
        stack=stack(model, whole.trace, whole_input),
        split=split,
        first=first,
        carried=run_part(model, second_part, first.final_state),
        fresh=run_part(model, second_part, None),
        whole=whole,
    )


def _require_numbers(model: LoadedModel) -> None:
    if model.config.input_kind != "numbers":
        raise NotApplicable(
            "state_needs_numbers",
            f"model {model.id} reads sentences; the stacking and carried-state view is for "
            "time-series models such as weather-gru and weather-lstm",
        )


def _checked_split(steps: int, split: int | None) -> int:
    if steps < 2:
        raise NotApplicable(
            "state_needs_two_steps",
            f"the input has {steps} step; cutting it in two needs at least 2",
        )
    if split is None:
        return steps // 2
    if not 1 <= split < steps:
        raise NotApplicable(
            "state_bad_split",
            f"split must be between 1 and {steps - 1} for {steps} steps, got {split}",
        )
    return split


def cut(prepared: PreparedInput, split: int) -> tuple[PreparedInput, PreparedInput]:
    """The steps before `split` and from `split` on, as two prepared inputs."""
    return _steps(prepared, slice(0, split)), _steps(prepared, slice(split, None))


def _steps(prepared: PreparedInput, steps: slice) -> PreparedInput:
    return replace(
        prepared,
        features=prepared.features[:, steps],
        values=prepared.values[steps] if prepared.values is not None else None,
        scaled=prepared.scaled[steps] if prepared.scaled is not None else None,
    )


def _joined(first: PreparedInput, second: PreparedInput) -> PreparedInput:
    return replace(
        first,
        features=torch.cat([first.features, second.features], dim=1),
        values=(first.values or []) + (second.values or []),
        scaled=(first.scaled or []) + (second.scaled or []),
    )


def run_part(
    model: LoadedModel, prepared: PreparedInput, initial_state: list[State] | None
) -> PartRun:
    """Trace one part from `initial_state` (zeros when None) and predict from its final state."""
    network = model.network
    start = initial_state if initial_state is not None else zero_state(model)
    with torch.no_grad():
        traced = trace_chain(list(network.blocks), prepared.features, initial_states=start)
    return PartRun(prepared, traced, start, model.prediction_of(traced))


def zero_state(model: LoadedModel) -> list[State]:
    """The all-zero initial state, per block, a non-stateful model starts every input from."""
    states: list[State] = []
    for spec in model.config.blocks:
        rows = spec.num_layers * (2 if spec.bidirectional else 1)
        h0 = torch.zeros(rows, 1, spec.proj_size or spec.hidden_size, dtype=model.network.dtype)
        if spec.cell == "lstm":
            states.append((h0, torch.zeros(rows, 1, spec.hidden_size, dtype=h0.dtype)))
        else:
            states.append(h0)
    return states


def layer_hiddens(states: list[State]) -> list[Tensor]:
    """h of every layer-direction of every block, bottom first: one (units,) vector each."""
    hiddens: list[Tensor] = []
    for state in states:
        h = state[0] if isinstance(state, tuple) else state
        hiddens.extend(h[:, 0, :])
    return hiddens


def stack(model: LoadedModel, traced: Trace, prepared: PreparedInput) -> Stack:
    """Each layer's output sequence, the top layer's final h, and the head's Dense layers."""
    indices = range(traced.num_layers)
    outputs = [layer_output(traced, layer) for layer in indices]
    final = model.network.final_hidden(traced.final_state)[0]
    return Stack(
        inputs=prepared.features[0],
        layer_outputs=outputs,
        layers=[choice_of(traced.layer(layer)) for layer in indices],
        final_hidden=final,
        head=head_steps(model, final),
    )


def layer_output(traced: Trace, layer: int) -> Tensor:
    """(steps, directions * units): the layer's h at every step, every direction side by side,
    as nn.RNN/LSTM/GRU hand it to the layer above."""
    hiddens = [
        traced.layer(layer, direction).hidden[0] for direction in traced.directions_of(layer)
    ]
    return torch.cat(hiddens, dim=-1)


def head_steps(model: LoadedModel, final_hidden: Tensor) -> list[HeadStep]:
    """Run the head one Dense layer at a time, keeping every layer's output."""
    steps: list[HeadStep] = []
    values = final_hidden
    head = model.network.head
    with torch.no_grad():
        for index, (linear, activation) in enumerate(
            zip(head.layers, head.activations, strict=True)
        ):
            inputs = values.shape[-1]
            values = apply_activation(linear(values), activation)
            steps.append(HeadStep(f"Dense {index + 1}", activation, inputs, values))
    return steps

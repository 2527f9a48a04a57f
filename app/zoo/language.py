"""A next-token GateNet as a language model: run it with carried state, score text, sample text.

Pure torch. The state of every block is carried from one call to the next, so a long text can
be read (or written) a window at a time and still give exactly what one pass over it gives.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from app.zoo.network import GateNet, State, apply_activation

BlockStates = list[State | None]


def run_with_state(
    network: GateNet, features: Tensor, states: BlockStates | None = None
) -> tuple[Tensor, BlockStates]:
    """Every block over (batch, steps, features), each starting from its carried state;
    returns the top block's outputs and every block's final state."""
    states = states or [None] * len(network.blocks)
    sequence, finals = features, []
    for block, state in zip(network.blocks, states, strict=True):
        sequence, final = block(sequence, state)
        finals.append(final)
    return sequence, finals


def detached(states: BlockStates) -> BlockStates:
    """The states with no graph behind them (the cut of truncated BPTT)."""
    return [
        None
        if state is None
        else tuple(part.detach() for part in state)  # type: ignore[misc]
        if isinstance(state, tuple)
        else state.detach()
        for state in states
    ]


def logits(network: GateNet, outputs: Tensor) -> Tensor:
    """The head on every step's output, without the last softmax (for the cross-entropy)."""
    layers = list(network.head.layers)
    for linear, activation in zip(layers[:-1], network.head.activations[:-1], strict=True):
        outputs = apply_activation(linear(outputs), activation)
    return layers[-1](outputs)  # type: ignore[no-any-return]


def stream_bits(network: GateNet, ids: list[int] | Tensor, window: int = 2048) -> float:
    """Bits per token of one text read left to right in one pass: the mean -log2 p(token |
    every token before it), over every token but the first."""
    ids = torch.as_tensor(ids, dtype=torch.long)
    if len(ids) < 2:
        return float("nan")
    total, states = 0.0, None
    with torch.no_grad():
        for start in range(0, len(ids) - 1, window):
            end = min(start + window, len(ids) - 1)
            features = network.embed(ids[start:end].unsqueeze(0))
            outputs, states = run_with_state(network, features, states)
            loss = nn.functional.cross_entropy(
                logits(network, outputs[0]), ids[start + 1 : end + 1], reduction="sum"
            )
            total += float(loss)
    return total / (len(ids) - 1) / math.log(2)


@dataclass(frozen=True)
class Sampling:
    """How the next token is drawn: temperature 0 is greedy (argmax); top_k keeps the k
    likeliest; `banned` ids are never drawn (padding, the unknown symbol)."""

    temperature: float = 1.0
    top_k: int | None = None
    seed: int = 0
    banned: tuple[int, ...] = ()


@dataclass(frozen=True)
class Written:
    """What `write` produced: the ids drawn and, for each, the distribution it was drawn from."""

    ids: list[int]
    distributions: list[Tensor]  # (vocabulary,) the model's probabilities at that step


def write(network: GateNet, prompt: list[int], length: int, sampling: Sampling) -> Written:
    """Read `prompt`, then draw `length` tokens one at a time, each fed back in.

    Seeded: the same prompt, length and sampling draw the same tokens."""
    generator = torch.Generator().manual_seed(sampling.seed)
    ids: list[int] = []
    distributions: list[Tensor] = []
    with torch.no_grad():
        features = network.embed(torch.tensor([prompt], dtype=torch.long))
        outputs, states = run_with_state(network, features)
        for _ in range(length):
            scores = logits(network, outputs[0, -1])
            distributions.append(torch.softmax(scores, dim=-1))
            chosen = _draw(scores, sampling, generator)
            ids.append(chosen)
            features = network.embed(torch.tensor([[chosen]], dtype=torch.long))
            outputs, states = run_with_state(network, features, states)
    return Written(ids, distributions)


def _draw(scores: Tensor, sampling: Sampling, generator: torch.Generator) -> int:
    scores = scores.clone().to(torch.float64)
    if sampling.banned:
        scores[list(sampling.banned)] = -math.inf
    if sampling.temperature == 0:
        return int(torch.argmax(scores))
    scores = scores / sampling.temperature
    if sampling.top_k is not None and sampling.top_k < len(scores):
        kth = torch.topk(scores, sampling.top_k).values[-1]
        scores[scores < kth] = -math.inf
    probabilities = torch.softmax(scores, dim=-1)
    return int(torch.multinomial(probabilities, 1, generator=generator))

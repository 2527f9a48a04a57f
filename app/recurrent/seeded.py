"""Recurrent modules with seeded random weights: the ad-hoc networks researchers explore.

The weights are drawn as PyTorch initialises them (U(-k, k), k = 1/sqrt(hidden_size)), from a
private generator, so the same options and seed give the same module in every process, and the
global RNG (which other work may use) is never touched.
"""

from __future__ import annotations

import math
from functools import lru_cache

import torch

from app.recurrent.factory import RecurrentModule, RecurrentOptions, build_recurrent
from app.recurrent.trace import Trace, trace

SEEDED_CACHE_SIZE = 16  # modules kept for repeated requests; they are only ever read


@lru_cache(maxsize=SEEDED_CACHE_SIZE)
def seeded_recurrent(options: RecurrentOptions, seed: int) -> RecurrentModule:
    """The module `options` describe, batch first, with weights drawn from `seed`."""
    # Built on the meta device and then given memory: no throw-away default initialisation.
    module = build_recurrent(options, batch_first=True, device="meta").to_empty(device="cpu")
    generator = torch.Generator().manual_seed(seed)
    bound = 1.0 / math.sqrt(options.hidden_size)
    with torch.no_grad():
        for _, parameter in module.named_parameters():
            parameter.uniform_(-bound, bound, generator=generator)
    return module.eval()


def warm_up() -> None:
    """Build and trace a tiny network once: torch's first meta-device build costs ~0.3 s."""
    module = seeded_recurrent(RecurrentOptions(cell="lstm", input_size=1, hidden_size=1), 0)
    trace(module, torch.zeros(1, 1, 1))


def trace_seeded(options: RecurrentOptions, seed: int, rows: list[list[float]]) -> Trace:
    """The trace of the seeded module on one sequence of steps (each a list of features)."""
    inputs = torch.tensor([rows], dtype=torch.float32)
    return trace(seeded_recurrent(options, seed), inputs)

"""Recurrent modules with seeded random weights: the ad-hoc networks researchers explore.

The weights are drawn as PyTorch initialises them (U(-k, k), k = 1/sqrt(hidden_size)), from a
private generator, so the same options and seed give the same module in every process, and the
global RNG (which other work may use) is never touched.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict

import torch

from app.recurrent.factory import RecurrentModule, RecurrentOptions, build_recurrent
from app.recurrent.trace import Trace, trace

# Modules kept for repeated requests (they are only ever read), bounded by their parameters'
# bytes: sixteen 88 MB networks once pinned 1.4 GB. A larger module is built for its request only.
SEEDED_CACHE_BYTES = 64_000_000


class ModuleCache:
    """An LRU of modules by the bytes of their parameters; safe to use from several threads."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.size = 0
        self._entries: OrderedDict[tuple[RecurrentOptions, int], RecurrentModule] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[RecurrentOptions, int]) -> RecurrentModule | None:
        with self._lock:
            module = self._entries.get(key)
            if module is not None:
                self._entries.move_to_end(key)
            return module

    def put(self, key: tuple[RecurrentOptions, int], module: RecurrentModule) -> None:
        size = parameter_bytes(module)
        if size > self.capacity:
            return
        with self._lock:
            if key in self._entries:
                return
            self._entries[key] = module
            self.size += size
            while self.size > self.capacity:
                _, oldest = self._entries.popitem(last=False)
                self.size -= parameter_bytes(oldest)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.size = 0


def parameter_bytes(module: torch.nn.Module) -> int:
    """The bytes a module's parameters hold."""
    return sum(p.numel() * p.element_size() for p in module.parameters())


_CACHE = ModuleCache(SEEDED_CACHE_BYTES)


def seeded_recurrent(options: RecurrentOptions, seed: int) -> RecurrentModule:
    """The module `options` describe, batch first, with weights drawn from `seed` (kept for the
    next request while the cache's byte budget allows)."""
    key = (options, seed)
    module = _CACHE.get(key)
    if module is None:
        module = build_seeded(options, seed)
        _CACHE.put(key, module)
    return module


def build_seeded(options: RecurrentOptions, seed: int) -> RecurrentModule:
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

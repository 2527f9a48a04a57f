"""The seeded-module cache is bounded by the bytes of its modules' parameters, not by entries."""

from __future__ import annotations

import torch

from app.recurrent import RecurrentOptions
from app.recurrent.seeded import ModuleCache, build_seeded, parameter_bytes


def options(hidden_size: int) -> RecurrentOptions:
    return RecurrentOptions(cell="gru", input_size=2, hidden_size=hidden_size)


def test_cache_evicts_the_least_recently_used_beyond_its_bytes() -> None:
    small = [build_seeded(options(8), seed) for seed in range(3)]
    size = parameter_bytes(small[0])
    cache = ModuleCache(2 * size)
    cache.put((options(8), 0), small[0])
    cache.put((options(8), 1), small[1])
    assert cache.get((options(8), 0)) is small[0]  # now the most recently used
    cache.put((options(8), 2), small[2])
    assert cache.get((options(8), 1)) is None
    assert cache.get((options(8), 0)) is small[0] and cache.get((options(8), 2)) is small[2]
    assert cache.size == 2 * size


def test_a_module_larger_than_the_cache_is_not_kept() -> None:
    cache = ModuleCache(10_000)
    big = build_seeded(options(64), 0)
    assert parameter_bytes(big) > 10_000
    cache.put((options(64), 0), big)
    assert cache.get((options(64), 0)) is None and cache.size == 0


def test_same_options_and_seed_give_the_same_weights_cached_or_not() -> None:
    first, second = build_seeded(options(8), 5), build_seeded(options(8), 5)
    for (name, a), (_, b) in zip(first.named_parameters(), second.named_parameters(), strict=True):
        assert torch.equal(a, b), name

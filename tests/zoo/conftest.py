"""The zoo's tests run torch on one thread: tiny models, and a machine shared with others."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch


@pytest.fixture(autouse=True)
def one_torch_thread() -> Iterator[None]:
    # With its default thread pool, torch runs the small batches here 30x slower on a busy
    # two-core machine (threads spin waiting for each other); restore the setting after.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)

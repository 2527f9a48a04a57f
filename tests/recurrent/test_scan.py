"""The chunked scan and the per-sequence reversal behind the LSTM cell state."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import Tensor

from app.recurrent.scan import linear_scan, reverse_steps


def loop_scan(decay: Tensor, drive: Tensor, start: Tensor) -> Tensor:
    states, running = [], start
    for t in range(decay.shape[1]):
        running = decay[:, t] * running + drive[:, t]
        states.append(running)
    return torch.stack(states, dim=1)


@pytest.mark.parametrize("steps", [1, 2, 3, 4, 5, 15, 16, 17, 99, 100, 1000])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["float32", "float64"])
def test_linear_scan_equals_a_loop(steps: int, dtype: torch.dtype) -> None:
    generator = torch.Generator().manual_seed(steps)
    decay = torch.rand(3, steps, 4, generator=generator, dtype=dtype)
    drive = torch.randn(3, steps, 4, generator=generator, dtype=dtype)
    start = torch.randn(3, 4, generator=generator, dtype=dtype)
    tolerance = 1e-5 if dtype == torch.float32 else 1e-12
    torch.testing.assert_close(
        linear_scan(decay, drive, start), loop_scan(decay, drive, start), rtol=0, atol=tolerance
    )


def test_linear_scan_keeps_a_state_that_never_decays() -> None:
    """decay 1 and no drive: the start survives every step bit for bit."""
    start = torch.randn(2, 3)
    states = linear_scan(torch.ones(2, 50, 3), torch.zeros(2, 50, 3), start)
    assert torch.equal(states, start.unsqueeze(1).expand(2, 50, 3))


@settings(max_examples=40, deadline=None, database=None)
@given(
    lengths=st.lists(st.integers(1, 9), min_size=1, max_size=5),
    extra=st.integers(0, 3),
)
def test_reverse_steps_reverses_each_sequence_within_its_length(
    lengths: list[int], extra: int
) -> None:
    steps = max(lengths) + extra
    values = torch.randn(len(lengths), steps, 2)
    reversed_values = reverse_steps(values, torch.tensor(lengths))
    for b, length in enumerate(lengths):
        assert torch.equal(reversed_values[b, :length], values[b, :length].flip(0))
        assert torch.equal(reversed_values[b, length:], values[b, length:])
    assert torch.equal(reverse_steps(reversed_values, torch.tensor(lengths)), values)

"""Step-order helpers: a fast linear recurrence and reading sequences back to front.

The LSTM cell state is the one quantity a trace cannot read off the native kernel, and its
recurrence c_t = f_t * c_{t-1} + i_t * g_t is linear in c. A plain loop costs one Python-level
tensor operation per step, which dominates the trace of a small or long sequence; the chunked
scan below needs about 3.5 * sqrt(steps) operations and uses only multiplications and additions
(no logarithms or divisions): inside a chunk it is exactly the loop, and only the state entering
each chunk is reached by a different (equally short) sum.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor


def linear_scan(decay: Tensor, drive: Tensor, start: Tensor) -> Tensor:
    """s_t = decay_t * s_{t-1} + drive_t for every step, with s_{-1} = start.

    ``decay`` and ``drive`` are (batch, steps, units), ``start`` is (batch, units); returns
    (batch, steps, units). The steps are cut into chunks of about sqrt(steps / 3), and every loop
    below runs over all chunks side by side: first each chunk is summarised (its end state from
    zero, and the product of its decays), then the states entering the chunks are chained, and
    finally each chunk is run again from its entering state, in plain step order.
    """
    steps = decay.shape[1]
    size = _chunk_size(steps)
    chunks = -(-steps // size)
    decays = _pad_steps(decay, chunks * size, fill=1.0).unflatten(1, (chunks, size)).unbind(2)
    drives = _pad_steps(drive, chunks * size, fill=0.0).unflatten(1, (chunks, size)).unbind(2)
    ends, kept = _chunk_summaries(decays, drives)
    entering = _entering_states(ends, kept, start)
    return _scan_from(entering, decays, drives).flatten(1, 2)[:, :steps]


def _chunk_size(steps: int) -> int:
    """About sqrt(steps / 3), which minimises the 3 * size + chunks operations; a divisor of
    ``steps`` near it when there is one, so that nothing needs padding."""
    ideal = max(1, math.isqrt(steps // 3))
    near = [size for size in range(max(1, ideal // 2), 2 * ideal + 1) if steps % size == 0]
    return min(near, key=lambda size: 3 * size + steps // size) if near else ideal


def _pad_steps(values: Tensor, steps: int, fill: float) -> Tensor:
    """``values`` extended along dim 1 to ``steps`` with a neutral ``fill``."""
    missing = steps - values.shape[1]
    if missing == 0:
        return values
    shape = (values.shape[0], missing, *values.shape[2:])
    return torch.cat([values, values.new_full(shape, fill)], dim=1)


def _chunk_summaries(
    decays: tuple[Tensor, ...], drives: tuple[Tensor, ...]
) -> tuple[Tensor, Tensor]:
    """Per chunk, (batch, chunks, units): the end state from a zero start, and how much of an
    entering state survives the chunk (the product of its decays)."""
    end, kept = drives[0], decays[0]
    for decay_k, drive_k in zip(decays[1:], drives[1:], strict=True):
        end = torch.addcmul(drive_k, decay_k, end)
        kept = kept * decay_k
    return end, kept


def _entering_states(ends: Tensor, kept: Tensor, start: Tensor) -> Tensor:
    """The state entering each chunk, (batch, chunks, units), chained from ``start``: a chunk's
    true end state is its zero-start end plus what survives of its entering state."""
    running = start
    states = [running]
    for end_j, kept_j in zip(ends.unbind(1)[:-1], kept.unbind(1)[:-1], strict=True):
        running = torch.addcmul(end_j, kept_j, running)
        states.append(running)
    return torch.stack(states, dim=1)


def _scan_from(entering: Tensor, decays: tuple[Tensor, ...], drives: tuple[Tensor, ...]) -> Tensor:
    """Every chunk run from its entering state: (batch, chunks, size, units).

    A list and one stack (rather than writes into a preallocated tensor) keep autograd working.
    """
    running = entering
    states = []
    for decay_k, drive_k in zip(decays, drives, strict=True):
        running = torch.addcmul(drive_k, decay_k, running)
        states.append(running)
    return torch.stack(states, dim=2)


def reverse_steps(values: Tensor, lengths: Tensor) -> Tensor:
    """Each sequence's present steps in reverse order, padding left in place (dim 1 = steps).

    ``values`` is (batch, steps, ...), ``lengths`` (batch,) on the same device. Applying it twice
    gives the input back, so it both enters and leaves a backward direction's reading order.
    """
    steps = values.shape[1]
    if bool((lengths == steps).all()):
        return values.flip(1)
    positions = torch.arange(steps, device=values.device).unsqueeze(0)
    ends = lengths.unsqueeze(1)
    source = torch.where(positions < ends, ends - 1 - positions, positions)
    source = source.view(*source.shape, *([1] * (values.dim() - 2))).expand_as(values)
    return values.gather(1, source)

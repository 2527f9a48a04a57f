"""Step-order helpers: a fast linear recurrence and reading sequences back to front.

The LSTM cell state is the one quantity a trace cannot read off the native kernel, and its
recurrence c_t = f_t * c_{t-1} + i_t * g_t is linear in c. A plain loop costs one Python-level
tensor operation per step, which dominates the trace of a small or long sequence; the chunked
scan below needs about 2 * sqrt(steps) operations and uses only multiplications and additions
(no logarithms or divisions), so its rounding stays that of an ordinary loop.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor


def linear_scan(decay: Tensor, drive: Tensor, start: Tensor) -> Tensor:
    """s_t = decay_t * s_{t-1} + drive_t for every step, with s_{-1} = start.

    ``decay`` and ``drive`` are (batch, steps, units), ``start`` is (batch, units); returns
    (batch, steps, units). The steps are cut into chunks of about sqrt(steps): each chunk is
    first scanned from zero (all chunks side by side), then the states entering the chunks are
    chained, and each step adds what survives of its chunk's entering state.
    """
    steps = decay.shape[1]
    size = max(1, math.isqrt(steps))
    chunks = -(-steps // size)
    decay = _pad_steps(decay, chunks * size, fill=1.0).unflatten(1, (chunks, size))
    drive = _pad_steps(drive, chunks * size, fill=0.0).unflatten(1, (chunks, size))
    local = _scan_from_zero(decay, drive)
    # kept[:, j, k] = decay of steps 0..k of chunk j: how much of the entering state survives.
    kept = decay.cumprod(dim=2)
    entering = _entering_states(local[:, :, -1], kept[:, :, -1], start)
    states = torch.addcmul(local, kept, entering.unsqueeze(2))
    return states.flatten(1, 2)[:, :steps]


def _pad_steps(values: Tensor, steps: int, fill: float) -> Tensor:
    """``values`` extended along dim 1 to ``steps`` with a neutral ``fill``."""
    missing = steps - values.shape[1]
    if missing == 0:
        return values
    shape = (values.shape[0], missing, *values.shape[2:])
    return torch.cat([values, values.new_full(shape, fill)], dim=1)


def _scan_from_zero(decay: Tensor, drive: Tensor) -> Tensor:
    """The recurrence inside every chunk at once, each chunk starting from a zero state.

    Tensors are (batch, chunks, size, units); the loop runs over the ``size`` positions.
    A list and one stack (rather than writes into a preallocated tensor) keep autograd working.
    """
    decays, drives = decay.unbind(2), drive.unbind(2)
    running = drives[0]
    states = [running]
    for decay_k, drive_k in zip(decays[1:], drives[1:], strict=True):
        running = torch.addcmul(drive_k, decay_k, running)
        states.append(running)
    return torch.stack(states, dim=2)


def _entering_states(chunk_ends: Tensor, chunk_kept: Tensor, start: Tensor) -> Tensor:
    """The state entering each chunk, (batch, chunks, units), chained from ``start``.

    A chunk's end state is its zero-start end value plus what survives of its entering state.
    """
    running = start
    states = [running]
    for end_j, kept_j in zip(chunk_ends.unbind(1)[:-1], chunk_kept.unbind(1)[:-1], strict=True):
        running = torch.addcmul(end_j, kept_j, running)
        states.append(running)
    return torch.stack(states, dim=1)


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

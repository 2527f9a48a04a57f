"""Building modules and inputs for the recurrent tests, and comparing tensors with NaN gaps."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence

from app.recurrent import GRUResetBefore, cells

TOLERANCE = {torch.float32: 1e-5, torch.float64: 1e-10}
PROJECTION_WARNING = "ignore:LSTM with projections is not supported with oneDNN:UserWarning"


@dataclass(frozen=True)
class Case:
    """One module configuration and the input it gets."""

    cell: str = "lstm"  # rnn-tanh, rnn-relu, lstm, gru, gru-before (GRUResetBefore)
    layers: int = 1
    bidirectional: bool = False
    batch_first: bool = False
    bias: bool = True
    proj: int = 0
    dtype: torch.dtype = torch.float32
    lengths: tuple[int, ...] | None = None
    unbatched: bool = False
    initial_state: bool = False
    input_size: int = 3
    hidden_size: int = 5
    steps: int = 6
    batch: int = 3


def make_module(case: Case, seed: int = 0) -> nn.RNNBase:  # or a GRUResetBefore
    torch.manual_seed(seed)
    options = dict(
        input_size=case.input_size,
        hidden_size=case.hidden_size,
        num_layers=case.layers,
        bias=case.bias,
        batch_first=case.batch_first,
        bidirectional=case.bidirectional,
        dtype=case.dtype,
    )
    if case.cell == "lstm":
        return nn.LSTM(**options, proj_size=case.proj).eval()
    if case.cell == "gru":
        return nn.GRU(**options).eval()
    if case.cell == "gru-before":
        return GRUResetBefore(**options).eval()  # type: ignore[return-value,arg-type]
    return nn.RNN(**options, nonlinearity=case.cell.removeprefix("rnn-")).eval()


def make_inputs(case: Case, module: nn.RNNBase, seed: int = 1) -> Tensor:
    generator = torch.Generator().manual_seed(seed)
    if case.unbatched:
        shape: tuple[int, ...] = (case.steps, case.input_size)
    elif case.batch_first:
        shape = (case.batch, case.steps, case.input_size)
    else:
        shape = (case.steps, case.batch, case.input_size)
    return torch.randn(shape, generator=generator, dtype=case.dtype)


def make_state(case: Case, module: nn.RNNBase, seed: int = 2) -> Tensor | tuple[Tensor, Tensor]:
    generator = torch.Generator().manual_seed(seed)
    rows = case.layers * (2 if case.bidirectional else 1)
    middle = () if case.unbatched else (case.batch,)
    h_units = case.proj or case.hidden_size
    h0 = torch.randn((rows, *middle, h_units), generator=generator, dtype=case.dtype) * 0.5
    if case.cell != "lstm":
        return h0
    c0 = torch.randn((rows, *middle, case.hidden_size), generator=generator, dtype=case.dtype)
    return h0, c0


def run_module(
    module: nn.RNNBase,
    inputs: Tensor,
    initial_state: Tensor | tuple[Tensor, Tensor] | None,
    lengths: list[int] | None,
) -> tuple[Tensor | PackedSequence, Tensor | tuple[Tensor, Tensor]]:
    """What the module itself returns, on a packed sequence when there are lengths."""
    with torch.no_grad():
        if lengths is None:
            return module(inputs, initial_state)
        packed = pack_padded_sequence(
            inputs, lengths, batch_first=module.batch_first, enforce_sorted=False
        )
        return module(packed, initial_state)


def assert_close(actual: Tensor, expected: Tensor, tolerance: float, what: str) -> None:
    """Same shape, NaN exactly where expected has NaN, and max abs error <= tolerance."""
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    gaps = torch.isnan(expected)
    assert torch.equal(torch.isnan(actual), gaps), f"{what}: NaN at different places"
    if bool((~gaps).any()):
        error = (actual[~gaps] - expected[~gaps]).abs().max().item()
        assert error <= tolerance, f"{what}: max abs error {error:.3g} > {tolerance:g}"


def assert_same_output(
    actual: Tensor | PackedSequence, expected: Tensor | PackedSequence, tolerance: float
) -> None:
    assert type(actual) is type(expected)
    if isinstance(expected, PackedSequence):
        assert isinstance(actual, PackedSequence)
        assert torch.equal(actual.batch_sizes, expected.batch_sizes)
        assert torch.equal(actual.sorted_indices, expected.sorted_indices)
        assert torch.equal(actual.unsorted_indices, expected.unsorted_indices)
        assert_close(actual.data, expected.data, tolerance, "packed output")
    else:
        assert isinstance(actual, Tensor)
        assert_close(actual, expected, tolerance, "output")


def assert_same_state(
    actual: Tensor | tuple[Tensor, Tensor],
    expected: Tensor | tuple[Tensor, Tensor],
    tolerance: float,
) -> None:
    if isinstance(expected, tuple):
        assert isinstance(actual, tuple)
        assert_close(actual[0], expected[0], tolerance, "final h")
        assert_close(actual[1], expected[1], tolerance, "final c")
    else:
        assert isinstance(actual, Tensor)
        assert_close(actual, expected, tolerance, "final h")


GATE_PATHS = ("fused", "portable")


@contextlib.contextmanager
def gate_path(path: str) -> Iterator[None]:
    """Force the tracer's gate products through oneDNN ("fused", whatever the size: tests use
    tiny modules) or through the portable torch path, restoring the defaults after."""
    saved = (cells.use_onednn, cells._FUSED_MIN_MACS)
    cells.use_onednn, cells._FUSED_MIN_MACS = (path == "fused"), 0
    try:
        yield
    finally:
        cells.use_onednn, cells._FUSED_MIN_MACS = saved

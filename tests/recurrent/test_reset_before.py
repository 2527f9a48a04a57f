"""GRUResetBefore: nn.GRU's interface and parameters, Keras's reset_after=False equations.

Its forward is proved against the hand-stepped reference (tests/recurrent/reference.py) and
against Keras's own GRU(reset_after=False); test_trace_exact.py proves the tracer against it.
"""

from __future__ import annotations

import os
from types import ModuleType

import numpy as np
import pytest
import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence

from app.recurrent import GRUResetBefore, trace

from .helpers import (
    TOLERANCE,
    Case,
    assert_close,
    assert_same_output,
    assert_same_state,
    make_inputs,
    make_module,
    make_state,
    run_module,
)
from .reference import reference_run

CONFIGS = [
    pytest.param({}, id="one-layer"),
    pytest.param({"num_layers": 3, "bidirectional": True}, id="3layers-bidirectional"),
    pytest.param({"num_layers": 2, "bias": False}, id="2layers-nobias"),
]


@pytest.mark.parametrize("options", CONFIGS)
def test_parameters_have_nn_grus_names_shapes_and_order(options: dict[str, object]) -> None:
    ours = GRUResetBefore(3, 5, **options)  # type: ignore[arg-type]
    theirs = nn.GRU(3, 5, **options)  # type: ignore[arg-type]
    assert [(name, p.shape) for name, p in ours.named_parameters()] == [
        (name, p.shape) for name, p in theirs.named_parameters()
    ]


@pytest.mark.parametrize("options", CONFIGS)
def test_initialisation_equals_nn_grus_for_the_same_seed(options: dict[str, object]) -> None:
    torch.manual_seed(7)
    ours = GRUResetBefore(3, 5, **options)  # type: ignore[arg-type]
    torch.manual_seed(7)
    theirs = nn.GRU(3, 5, **options)  # type: ignore[arg-type]
    for (name, mine), (_, native) in zip(
        ours.named_parameters(), theirs.named_parameters(), strict=True
    ):
        assert torch.equal(mine, native), name
        assert bool(mine.abs().max() <= 1 / 5**0.5)


def test_state_dicts_load_both_ways_between_nn_gru_and_reset_before() -> None:
    ours = GRUResetBefore(3, 4, num_layers=2, bidirectional=True)
    theirs = nn.GRU(3, 4, num_layers=2, bidirectional=True)
    ours.load_state_dict(theirs.state_dict())
    theirs.load_state_dict(GRUResetBefore(3, 4, num_layers=2, bidirectional=True).state_dict())


def test_attributes_say_what_the_module_is() -> None:
    module = GRUResetBefore(3, 4, num_layers=2, bias=False, batch_first=True, bidirectional=True)
    assert (module.mode, module.reset_after, module.proj_size) == ("GRU", False, 0)
    assert (module.input_size, module.hidden_size, module.num_layers) == (3, 4, 2)
    assert (module.bias, module.batch_first, module.bidirectional) == (False, True, True)
    assert "reset_after=False" in repr(module)


def test_dtype_and_device_reach_every_parameter() -> None:
    module = GRUResetBefore(3, 4, num_layers=2, dtype=torch.float64, device="meta")
    assert {(p.dtype, p.device.type) for p in module.parameters()} == {(torch.float64, "meta")}


FORWARD_CASES = [
    Case(cell="gru-before"),
    Case(cell="gru-before", batch_first=True, bidirectional=True, layers=2),
    Case(cell="gru-before", unbatched=True, initial_state=True),
    Case(cell="gru-before", bias=False, layers=2, initial_state=True, dtype=torch.float64),
    Case(cell="gru-before", bidirectional=True, lengths=(4, 6, 1, 5), batch=4),
    Case(
        cell="gru-before",
        layers=3,
        bidirectional=True,
        batch_first=True,
        lengths=(4, 6, 1, 5),
        batch=4,
        initial_state=True,
        dtype=torch.float64,
    ),
]


def forward_id(case: Case) -> str:
    flags = {
        "batchfirst": case.batch_first,
        "bidirectional": case.bidirectional,
        f"{case.layers}layers": case.layers > 1,
        "unbatched": case.unbatched,
        "nobias": not case.bias,
        "lengths": case.lengths is not None,
        "initialstate": case.initial_state,
        "float64": case.dtype == torch.float64,
    }
    return "-".join(name for name, on in flags.items() if on) or "plain"


@pytest.mark.parametrize("case", [pytest.param(c, id=forward_id(c)) for c in FORWARD_CASES])
def test_forward_equals_the_hand_stepped_reference(case: Case) -> None:
    module = make_module(case)
    inputs = make_inputs(case, module)
    state = make_state(case, module) if case.initial_state else None
    lengths = list(case.lengths) if case.lengths is not None else None
    output, h_n = run_module(module, inputs, state, lengths)
    reference = reference_run(module, inputs, state, lengths)
    tolerance = TOLERANCE[case.dtype]
    h_n = h_n if not case.unbatched else h_n.unsqueeze(1)  # type: ignore[union-attr]
    assert isinstance(h_n, Tensor)
    assert_close(h_n, reference.h_n, tolerance, "final h")
    if isinstance(output, PackedSequence):
        padded, _ = torch.nn.utils.rnn.pad_packed_sequence(output, batch_first=True)
        expected = reference.top.nan_to_num(0.0)[:, : padded.shape[1]]
        assert_close(padded, expected, tolerance, "output")
        return
    as_reference = output.unsqueeze(0) if case.unbatched else output
    if not case.batch_first and not case.unbatched:
        as_reference = as_reference.transpose(0, 1)
    assert_close(as_reference, reference.top, tolerance, "output")


@pytest.mark.parametrize("case", [pytest.param(c, id=forward_id(c)) for c in FORWARD_CASES])
def test_outputs_have_nn_grus_shapes_and_packing(case: Case) -> None:
    ours = make_module(case)
    theirs = make_module(case.__class__(**{**case.__dict__, "cell": "gru"}))
    inputs = make_inputs(case, ours)
    state = make_state(case, ours) if case.initial_state else None
    lengths = list(case.lengths) if case.lengths is not None else None
    our_output, our_state = run_module(ours, inputs, state, lengths)
    their_output, their_state = run_module(theirs, inputs, state, lengths)
    assert isinstance(our_state, Tensor) and isinstance(their_state, Tensor)
    assert our_state.shape == their_state.shape
    assert type(our_output) is type(their_output)
    if isinstance(our_output, PackedSequence):
        assert isinstance(their_output, PackedSequence)
        assert our_output.data.shape == their_output.data.shape
        assert torch.equal(our_output.batch_sizes, their_output.batch_sizes)
        assert torch.equal(our_output.sorted_indices, their_output.sorted_indices)
        assert torch.equal(our_output.unsorted_indices, their_output.unsorted_indices)
    else:
        assert isinstance(our_output, Tensor) and isinstance(their_output, Tensor)
        assert our_output.shape == their_output.shape


def test_packed_batch_equals_each_sequence_run_alone() -> None:
    case = Case(cell="gru-before", bidirectional=True, layers=2, batch_first=True, batch=4)
    module = make_module(case)
    inputs = make_inputs(case, module)
    lengths = [4, 6, 1, 5]
    with torch.no_grad():
        packed, h_n = module(pack_padded_sequence(inputs, lengths, True, enforce_sorted=False))
        padded, _ = torch.nn.utils.rnn.pad_packed_sequence(packed, batch_first=True)
        for b, length in enumerate(lengths):
            alone, h_alone = module(inputs[b : b + 1, :length])
            assert_close(padded[b, :length], alone[0], 1e-6, f"sequence {b}")
            assert_close(h_n[:, b], h_alone[:, 0], 1e-6, f"final h {b}")
            assert bool((padded[b, length:] == 0).all())


def test_packed_input_sorted_by_the_caller_keeps_no_indices() -> None:
    module = GRUResetBefore(3, 4, batch_first=True)
    packed = pack_padded_sequence(torch.randn(3, 5, 3), [5, 3, 2], batch_first=True)
    output, _ = module(packed)
    assert isinstance(output, PackedSequence)
    assert output.sorted_indices is None and torch.equal(output.batch_sizes, packed.batch_sizes)


def test_reset_before_differs_from_nn_gru_with_the_same_weights() -> None:
    """Guard against the two placements silently being the same computation."""
    ours = GRUResetBefore(3, 4, batch_first=True)
    theirs = nn.GRU(3, 4, batch_first=True)
    theirs.load_state_dict(ours.state_dict())
    inputs = torch.randn(2, 6, 3)
    with torch.no_grad():
        difference = (ours(inputs)[0] - theirs(inputs)[0]).abs().max().item()
    assert difference > 1e-3


def test_training_backward_reaches_every_parameter() -> None:
    module = GRUResetBefore(3, 4, num_layers=2, bidirectional=True, batch_first=True)
    output, _ = module(torch.randn(2, 5, 3))
    output.pow(2).sum().backward()
    for name, parameter in module.named_parameters():
        assert parameter.grad is not None and bool(parameter.grad.abs().sum() > 0), name


def test_bad_input_shapes_raise() -> None:
    module = GRUResetBefore(3, 4)
    with pytest.raises(ValueError, match="2-D or 3-D"):
        module(torch.randn(2, 5, 3, 1))
    with pytest.raises(ValueError, match=r"hx must have shape \(1, 5, 4\)"):
        module(torch.randn(2, 5, 3), torch.zeros(2, 5, 4))
    with pytest.raises(ValueError, match="positive"):
        GRUResetBefore(3, 0)


# --- Keras -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def keras() -> ModuleType:
    """Keras 3 on the torch backend (KERAS_BACKEND must be set before the first import)."""
    os.environ["KERAS_BACKEND"] = "torch"
    return pytest.importorskip("keras")


def keras_to_pytorch(kernel: np.ndarray, recurrent: np.ndarray, bias: np.ndarray) -> dict:
    """Keras's (in, 3h) kernels in gate order z, r, h and ONE bias of 3h, as PyTorch's names:
    blocks reordered to r, z, n, bias_ih = Keras's bias, bias_hh = 0."""

    def reorder(matrix: np.ndarray) -> np.ndarray:
        z, r, h = np.split(matrix, 3, axis=-1)
        return np.concatenate([r, z, h], axis=-1)

    return {
        "weight_ih_l0": torch.from_numpy(reorder(kernel).T.copy()),
        "weight_hh_l0": torch.from_numpy(reorder(recurrent).T.copy()),
        "bias_ih_l0": torch.from_numpy(reorder(bias).copy()),
        "bias_hh_l0": torch.zeros(bias.shape[0]),
    }


def test_forward_and_trace_equal_keras_gru_with_reset_after_false(keras: ModuleType) -> None:
    keras.utils.set_random_seed(3)
    layer = keras.layers.GRU(5, reset_after=False, return_sequences=True, return_state=True)
    inputs = np.random.default_rng(4).normal(size=(3, 7, 4)).astype("float32")
    layer.build(inputs.shape)
    kernel, recurrent, bias = (np.asarray(w) for w in layer.get_weights())
    # Keras starts the bias at zero; a random one shows it lands in bias_ih.
    bias = bias + np.random.default_rng(5).normal(size=bias.shape).astype("float32") * 0.3
    layer.set_weights([kernel, recurrent, bias])
    keras_outputs, keras_h = (np.asarray(v.detach().cpu()) for v in layer(inputs))

    module = GRUResetBefore(4, 5, batch_first=True)
    module.load_state_dict(keras_to_pytorch(kernel, recurrent, bias))
    x = torch.from_numpy(inputs)
    with torch.no_grad():
        output, h_n = module(x)
    assert_close(output, torch.from_numpy(keras_outputs), 1e-5, "output")
    assert_close(h_n[0], torch.from_numpy(keras_h), 1e-5, "final h")
    traced = trace(module, x)
    assert_same_output(traced.output, torch.from_numpy(keras_outputs), 1e-5)
    assert_same_state(traced.final_state, torch.from_numpy(keras_h).unsqueeze(0), 1e-5)

"""saturation, retention and sensitivity, each against a direct computation."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence

from app.recurrent import (
    GRUResetBefore,
    retention,
    saturation,
    sensitivity,
    sensitivity_chain,
    trace,
    trace_chain,
)

from .helpers import PROJECTION_WARNING, Case, make_inputs, make_module, make_state

LENGTHS = [5, 2, 6]


def traced(case: Case, lengths: list[int] | None = None):  # noqa: ANN201 - a Trace
    module = make_module(case)
    return trace(module, make_inputs(case, module), lengths=lengths)


# --- saturation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "gates"),
    [
        pytest.param(
            Case(cell="lstm", bidirectional=True), ("input", "forget", "output"), id="lstm"
        ),
        pytest.param(Case(cell="gru", layers=2), ("reset", "update"), id="gru"),
    ],
)
def test_saturation_covers_each_sigmoid_gate_in_layer_order(
    case: Case, gates: tuple[str, ...]
) -> None:
    result = traced(case)
    found = [(s.layer, s.direction, s.gate) for s in saturation(result)]
    expected = [(lt.layer, lt.direction, gate) for lt in result.layers for gate in gates]
    assert found == expected


def test_saturation_of_plain_rnn_is_empty() -> None:
    assert saturation(traced(Case(cell="rnn-tanh"))) == []


def test_saturation_counts_fractions_of_present_steps_directly() -> None:
    case = Case(cell="lstm", bidirectional=True, batch=3, steps=6, hidden_size=4)
    result = traced(case, LENGTHS)
    low, high = 0.3, 0.6
    for found in saturation(result, low=low, high=high):
        values = result.layer(found.layer, found.direction).gates[found.gate]
        for unit in range(case.hidden_size):
            below = above = total = 0
            for b, length in enumerate(LENGTHS):
                for t in range(length):
                    value = values[b, t, unit].item()
                    below += value < low
                    above += value > high
                    total += 1
            assert found.left[unit].item() == pytest.approx(below / total)
            assert found.right[unit].item() == pytest.approx(above / total)


@pytest.mark.parametrize(
    ("low", "high"),
    [
        pytest.param(0.5, 0.5, id="equal"),
        pytest.param(0.9, 0.1, id="reversed"),
        pytest.param(-0.1, 0.9, id="low-below-0"),
        pytest.param(0.1, 1.5, id="high-above-1"),
    ],
)
def test_saturation_rejects_bad_thresholds(low: float, high: float) -> None:
    with pytest.raises(ValueError, match="0 <= low < high <= 1"):
        saturation(traced(Case(cell="gru")), low=low, high=high)


# --- retention ----------------------------------------------------------------------------


def direct_retention(gate: Tensor, lengths: list[int], backward: bool) -> Tensor:
    """The product of the gate over the steps after t in reading order, one step at a time."""
    result = torch.full_like(gate, float("nan"))
    for b, length in enumerate(lengths):
        for t in range(length):
            later = range(t - 1, -1, -1) if backward else range(t + 1, length)
            product = torch.ones_like(gate[b, t])
            for s in later:
                product = product * gate[b, s]
            result[b, t] = product
    return result


@pytest.mark.parametrize(
    ("case", "gate"),
    [
        pytest.param(Case(cell="lstm", bidirectional=True, layers=2), "forget", id="lstm"),
        pytest.param(Case(cell="gru", bidirectional=True), "update", id="gru"),
    ],
)
@pytest.mark.parametrize("layer", [0, -1])
def test_retention_is_the_product_of_the_keeping_gate_to_the_end(
    case: Case, gate: str, layer: int
) -> None:
    result = traced(case, LENGTHS)
    found = retention(result, layer=layer)
    assert set(found) == {"forward", "backward"}
    for direction, survival in found.items():
        values = result.layer(layer, direction).gates[gate]
        expected = direct_retention(values, LENGTHS, backward=direction == "backward")
        torch.testing.assert_close(survival, expected, equal_nan=True, rtol=1e-5, atol=1e-7)


def test_retention_is_one_at_each_sequences_last_step() -> None:
    result = traced(Case(cell="lstm"), LENGTHS)
    forward = retention(result)["forward"]
    for b, length in enumerate(LENGTHS):
        assert torch.equal(forward[b, length - 1], torch.ones_like(forward[b, length - 1]))


def test_retention_of_plain_rnn_raises() -> None:
    with pytest.raises(ValueError, match="plain RNN"):
        retention(traced(Case(cell="rnn-relu")))


# --- sensitivity --------------------------------------------------------------------------


def jacobian_norms(
    module: nn.RNNBase,
    inputs: Tensor,
    initial_state: Tensor | tuple[Tensor, Tensor] | None,
    lengths: list[int] | None,
) -> Tensor:
    """||d final top h / d x_t||_F per sequence and step, from the full autograd Jacobian."""
    unbatched = inputs.dim() == 2
    x = inputs.unsqueeze(1 - int(module.batch_first)) if unbatched else inputs
    if unbatched and initial_state is not None:
        initial_state = (
            tuple(s.unsqueeze(1) for s in initial_state)  # type: ignore[assignment]
            if isinstance(initial_state, tuple)
            else initial_state.unsqueeze(1)
        )
    directions = 2 if module.bidirectional else 1

    def final_hidden(x: Tensor) -> Tensor:
        feed = x
        if lengths is not None:
            feed = pack_padded_sequence(x, lengths, module.batch_first, enforce_sorted=False)
        _, state = module(feed, initial_state)
        h_n = state[0] if isinstance(state, tuple) else state
        return h_n[-directions:].transpose(0, 1).flatten(1)

    jacobian = torch.autograd.functional.jacobian(final_hidden, x)  # (B, out, *x.shape)
    if not module.batch_first:
        jacobian = jacobian.transpose(2, 3)  # (B, out, B, T, D)
    batch, steps = jacobian.shape[0], jacobian.shape[3]
    norms = torch.stack([jacobian[b, :, b].pow(2).sum(dim=(0, 2)).sqrt() for b in range(batch)])
    if lengths is not None:
        absent = torch.arange(steps).unsqueeze(0) >= torch.tensor(lengths).unsqueeze(1)
        norms = norms.masked_fill(absent, float("nan"))
    return norms


SENSITIVITY_CASES = [
    pytest.param(Case(cell="rnn-tanh"), id="rnn"),
    pytest.param(
        Case(cell="gru", batch_first=True, lengths=(5, 2, 6)), id="gru-batchfirst-lengths"
    ),
    pytest.param(
        Case(cell="lstm", layers=2, bidirectional=True, initial_state=True),
        id="lstm-2layers-bidirectional-initialstate",
    ),
    pytest.param(
        Case(cell="lstm", bidirectional=True, proj=2, lengths=(5, 2, 6), dtype=torch.float64),
        id="lstm-bidirectional-proj-lengths-float64",
    ),
    pytest.param(Case(cell="gru", unbatched=True, initial_state=True), id="gru-unbatched"),
    pytest.param(Case(cell="rnn-relu", hidden_size=40), id="rnn-relu-40units-two-passes"),
]


@pytest.mark.filterwarnings(PROJECTION_WARNING)
@pytest.mark.parametrize("case", SENSITIVITY_CASES)
def test_sensitivity_equals_the_full_jacobian_norm(case: Case) -> None:
    module = make_module(case)
    inputs = make_inputs(case, module)
    state = make_state(case, module) if case.initial_state else None
    lengths = list(case.lengths) if case.lengths is not None else None
    found = sensitivity(module, inputs, state, lengths)
    expected = jacobian_norms(module, inputs, state, lengths)
    assert found.shape == (1 if case.unbatched else case.batch, case.steps)
    tolerance = 1e-10 if case.dtype == torch.float64 else 1e-5
    torch.testing.assert_close(found, expected, equal_nan=True, rtol=tolerance, atol=tolerance)


def test_sensitivity_leaves_module_untouched_and_builds_no_graph() -> None:
    module = make_module(Case(cell="lstm", layers=2))
    module.train()  # no dropout, so training mode is deterministic and allowed
    before = {name: p.detach().clone() for name, p in module.named_parameters()}
    inputs = make_inputs(Case(cell="lstm", layers=2), module)
    found = sensitivity(module, inputs)
    assert module.training
    assert found.grad_fn is None and not found.requires_grad
    for name, parameter in module.named_parameters():
        assert torch.equal(parameter, before[name]), name
        assert parameter.grad is None, name


def with_remembering_forget_gates(module: nn.LSTM) -> nn.LSTM:
    """Forget bias 1 (Jozefowicz et al. 2015), the regime trained LSTMs settle into.

    With PyTorch's default initialisation the forget gate sits near 0.5, so a fresh LSTM forgets
    about as fast as a plain RNN and the comparison would show nothing about the architecture.
    """
    with torch.no_grad():
        for name, bias in module.named_parameters():
            if name.startswith("bias_ih"):
                bias.chunk(4)[1].fill_(1.0)
    return module


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_rnn_sensitivity_falls_off_far_faster_than_lstm(seed: int) -> None:
    """Vanishing gradients: over 60 steps a tanh RNN's first/last ratio is ~1e-16, an LSTM's
    with forget bias 1 about 1e-5 (seeds 0-3 measured); demand a gap of a million."""
    torch.manual_seed(seed)
    rnn = nn.RNN(8, 32, batch_first=True).eval()
    lstm = with_remembering_forget_gates(nn.LSTM(8, 32, batch_first=True).eval())
    inputs = torch.randn(1, 60, 8, generator=torch.Generator().manual_seed(seed))
    rnn_curve = sensitivity(rnn, inputs)[0]
    lstm_curve = sensitivity(lstm, inputs)[0]
    rnn_ratio = (rnn_curve[0] / rnn_curve[-1]).item()
    lstm_ratio = (lstm_curve[0] / lstm_curve[-1]).item()
    assert rnn_ratio < 1e-10
    assert lstm_ratio > 1e6 * rnn_ratio


# --- chains -------------------------------------------------------------------------------


def mixed_chain(dtype: torch.dtype = torch.float32) -> list[nn.Module]:
    """Bidirectional LSTM block, then a unidirectional reset-before GRU, then a plain RNN."""
    torch.manual_seed(0)
    return [
        nn.LSTM(3, 4, bidirectional=True, batch_first=True, dtype=dtype).eval(),
        GRUResetBefore(8, 3, batch_first=True, dtype=dtype).eval(),
        nn.RNN(3, 2, batch_first=True, nonlinearity="relu", dtype=dtype).eval(),
    ]


def chain_inputs(dtype: torch.dtype = torch.float32) -> Tensor:
    return torch.randn(3, 6, 3, generator=torch.Generator().manual_seed(1), dtype=dtype)


def test_saturation_of_a_mixed_chain_uses_each_layers_own_gates() -> None:
    result = trace_chain(mixed_chain(), chain_inputs(), LENGTHS)
    found = [(s.layer, s.direction, s.gate) for s in saturation(result)]
    lstm = ("input", "forget", "output")
    assert found == [
        *[(0, "forward", gate) for gate in lstm],
        *[(0, "backward", gate) for gate in lstm],
        (1, "forward", "reset"),
        (1, "forward", "update"),
    ]
    for item in saturation(result):
        values = result.layer(item.layer, item.direction).gates[item.gate][result.layers[0].present]
        torch.testing.assert_close(item.left, (values < 0.1).float().mean(dim=0))


@pytest.mark.parametrize(
    ("layer", "gate", "directions"),
    [
        pytest.param(0, "forget", {"forward", "backward"}, id="lstm-layer"),
        pytest.param(1, "update", {"forward"}, id="gru-reset-before-layer"),
        pytest.param(-2, "update", {"forward"}, id="negative-index"),
    ],
)
def test_retention_in_a_chain_uses_the_layers_own_keeping_gate(
    layer: int, gate: str, directions: set[str]
) -> None:
    result = trace_chain(mixed_chain(), chain_inputs(), LENGTHS)
    found = retention(result, layer=layer)
    assert set(found) == directions
    for direction, survival in found.items():
        values = result.layer(layer, direction).gates[gate]
        expected = direct_retention(values, LENGTHS, backward=direction == "backward")
        torch.testing.assert_close(survival, expected, equal_nan=True, rtol=1e-5, atol=1e-7)


def test_retention_of_a_plain_rnn_layer_in_a_chain_raises() -> None:
    result = trace_chain(mixed_chain(), chain_inputs())
    with pytest.raises(ValueError, match="layer 2 is a plain RNN layer"):
        retention(result)


def chain_jacobian_norms(
    blocks: list[nn.Module], inputs: Tensor, lengths: list[int] | None
) -> Tensor:
    """||d (last block's final top h) / d x_t||_F from the full autograd Jacobian of the chain
    of modules run on each other's outputs."""

    def final_hidden(x: Tensor) -> Tensor:
        feed = x if lengths is None else pack_padded_sequence(x, lengths, True, False)
        for module in blocks:
            feed, state = module(feed)
        h_n = state[0] if isinstance(state, tuple) else state
        directions = 2 if blocks[-1].bidirectional else 1
        return h_n[-directions:].transpose(0, 1).flatten(1)

    jacobian = torch.autograd.functional.jacobian(final_hidden, inputs)  # (B, out, B, T, D)
    batch, steps = inputs.shape[:2]
    norms = torch.stack([jacobian[b, :, b].pow(2).sum(dim=(0, 2)).sqrt() for b in range(batch)])
    if lengths is not None:
        absent = torch.arange(steps).unsqueeze(0) >= torch.tensor(lengths).unsqueeze(1)
        norms = norms.masked_fill(absent, float("nan"))
    return norms


CHAIN_SENSITIVITY_CASES = [
    pytest.param(lambda dtype: mixed_chain(dtype), id="lstm-bidirectional-gru-before-rnn"),
    pytest.param(
        lambda dtype: [
            nn.GRU(3, 4, num_layers=2, batch_first=True, dtype=dtype).eval(),
            nn.LSTM(4, 3, bidirectional=True, batch_first=True, dtype=dtype).eval(),
        ],
        id="gru-2layers-then-bidirectional-lstm",
    ),
]


@pytest.mark.parametrize("make", CHAIN_SENSITIVITY_CASES)
@pytest.mark.parametrize("lengths", [None, LENGTHS], ids=["full", "lengths"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["float32", "float64"])
def test_chain_sensitivity_equals_the_full_jacobian_norm(
    make: Callable[[torch.dtype], list[nn.Module]], lengths: list[int] | None, dtype: torch.dtype
) -> None:
    blocks = make(dtype)
    inputs = chain_inputs(dtype)
    found = sensitivity_chain(blocks, inputs, lengths)
    expected = chain_jacobian_norms(blocks, inputs, lengths)
    assert found.shape == (3, 6)
    tolerance = 1e-10 if dtype == torch.float64 else 1e-5
    torch.testing.assert_close(found, expected, equal_nan=True, rtol=tolerance, atol=tolerance)


def test_sensitivity_of_a_reset_before_gru_equals_the_full_jacobian_norm() -> None:
    module = GRUResetBefore(3, 4, bidirectional=True, num_layers=2, dtype=torch.float64).eval()
    inputs = chain_inputs(torch.float64).transpose(0, 1)  # (steps, batch, features)
    found = sensitivity(module, inputs, lengths=LENGTHS)
    expected = jacobian_norms(module, inputs, None, LENGTHS)  # type: ignore[arg-type]
    torch.testing.assert_close(found, expected, equal_nan=True, rtol=1e-10, atol=1e-10)


def test_chain_sensitivity_of_one_block_equals_sensitivity() -> None:
    module = nn.LSTM(3, 4, batch_first=True, bidirectional=True).eval()
    inputs = chain_inputs()
    torch.testing.assert_close(
        sensitivity_chain([module], inputs, LENGTHS),
        sensitivity(module, inputs, lengths=LENGTHS),
        equal_nan=True,
        rtol=0,
        atol=0,
    )

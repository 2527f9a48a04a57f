"""What trace() promises besides exact values: it leaves the module alone, builds no graph
unless asked, names parameters as PyTorch does, and rejects bad input with clear errors."""

from __future__ import annotations

import threading
import warnings

import pytest
import torch
from torch import Tensor, nn

from app.recurrent import Trace, trace
from app.recurrent.trace import _layer_parameters, direction_weights, quiet_projection_warning

from .helpers import PROJECTION_WARNING, Case, assert_close, make_inputs, make_module, make_state

pytestmark = pytest.mark.filterwarnings(PROJECTION_WARNING)


def all_tensors(result: Trace) -> list[Tensor]:
    tensors = [result.output.data if hasattr(result.output, "batch_sizes") else result.output]
    tensors += (
        list(result.final_state) if isinstance(result.final_state, tuple) else [result.final_state]
    )
    for layer_trace in result.layers:
        tensors += [layer_trace.hidden, *layer_trace.gates.values()]
        tensors += [layer_trace.cell] if layer_trace.cell is not None else []
    return tensors  # type: ignore[return-value]


@pytest.mark.parametrize("training", [False, True], ids=["eval", "train-no-dropout"])
@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn-tanh"])
def test_trace_leaves_module_bitwise_unchanged_and_builds_no_graph(
    cell: str, training: bool
) -> None:
    case = Case(cell=cell, layers=2, bidirectional=True, proj=2 if cell == "lstm" else 0)
    module = make_module(case).train(training)
    before = {name: p.detach().clone() for name, p in module.named_parameters()}
    result = trace(module, make_inputs(case, module), lengths=[6, 3, 5])
    assert module.training is training
    for name, parameter in module.named_parameters():
        assert torch.equal(parameter, before[name]), name
        assert parameter.grad is None, name
    for tensor in all_tensors(result):
        assert not tensor.requires_grad and tensor.grad_fn is None


def test_trace_builds_a_graph_only_when_asked() -> None:
    case = Case(cell="lstm", layers=2)
    module = make_module(case)
    inputs = make_inputs(case, module).requires_grad_(True)
    result = trace(module, inputs, requires_grad=True)
    cell = result.layers[0].cell
    assert cell is not None and cell.grad_fn is not None
    (gradient,) = torch.autograd.grad(cell[:, -1].sum(), inputs)
    assert gradient.shape == inputs.shape and bool(gradient.abs().sum() > 0)
    with torch.no_grad():
        assert trace(module, inputs, requires_grad=True).layers[0].hidden.grad_fn is None


def test_layer_parameters_are_pytorchs_named_parameters() -> None:
    module = make_module(Case(cell="lstm", layers=3, bidirectional=True, proj=2))
    named = dict(module.named_parameters())
    seen: set[str] = set()
    for layer in range(3):
        for local_name, parameter in _layer_parameters(module, layer).items():
            original = local_name.replace("_l0", f"_l{layer}")
            assert parameter is named[original]
            seen.add(original)
        for direction, suffix in (("forward", ""), ("backward", "_reverse")):
            weights = direction_weights(module, layer, direction)
            assert weights.weight_ih is named[f"weight_ih_l{layer}{suffix}"]
            assert weights.weight_hh is named[f"weight_hh_l{layer}{suffix}"]
            assert weights.bias_ih is named[f"bias_ih_l{layer}{suffix}"]
            assert weights.bias_hh is named[f"bias_hh_l{layer}{suffix}"]
            assert weights.weight_hr is named[f"weight_hr_l{layer}{suffix}"]
    assert seen == set(named)


def test_layer_parameters_without_bias() -> None:
    module = make_module(Case(cell="gru", layers=2, bias=False))
    assert set(_layer_parameters(module, 1)) == {"weight_ih_l0", "weight_hh_l0"}
    weights = direction_weights(module, 1, "forward")
    assert weights.bias_ih is None and weights.bias_hh is None and weights.weight_hr is None


def test_layer_lookup_by_index_and_direction() -> None:
    result = trace(*inputs_for(Case(cell="gru", layers=3, bidirectional=True)))
    assert result.layer(-1, "backward") is result.layers[5]
    assert result.layer(1) is result.layers[2]
    with pytest.raises(IndexError, match="out of range"):
        result.layer(3)


def inputs_for(case: Case) -> tuple[nn.RNNBase, Tensor]:
    module = make_module(case)
    return module, make_inputs(case, module)


# --- errors -------------------------------------------------------------------------------


def test_dropout_in_training_mode_raises() -> None:
    module = nn.LSTM(3, 4, num_layers=2, dropout=0.5).train()
    with pytest.raises(ValueError, match=r"dropout.*module\.eval\(\)"):
        trace(module, torch.randn(5, 2, 3))
    trace(module.eval(), torch.randn(5, 2, 3))  # the same module is fine once in eval mode


@pytest.mark.parametrize(
    "module",
    [
        pytest.param(nn.Linear(3, 4), id="linear"),
        pytest.param(nn.LSTMCell(3, 4), id="lstm-cell"),
        pytest.param(nn.Sequential(nn.GRU(3, 4)), id="wrapped-gru"),
    ],
)
def test_non_recurrent_module_raises_type_error(module: nn.Module) -> None:
    with pytest.raises(TypeError, match=r"nn\.RNN, nn\.LSTM or nn\.GRU"):
        trace(module, torch.randn(5, 2, 3))


def test_wrong_input_width_raises() -> None:
    with pytest.raises(ValueError, match="inputs have 4 features per step, the module expects 3"):
        trace(nn.GRU(3, 4), torch.randn(5, 2, 4))


def test_wrong_input_rank_raises() -> None:
    with pytest.raises(ValueError, match="2-D .* or 3-D"):
        trace(nn.GRU(3, 4), torch.randn(5, 2, 3, 1))


def test_wrong_input_dtype_raises() -> None:
    with pytest.raises(TypeError, match="inputs are torch.float64.*torch.float32"):
        trace(nn.GRU(3, 4), torch.randn(5, 2, 3, dtype=torch.float64))


@pytest.mark.parametrize(
    ("case", "state", "message"),
    [
        pytest.param(
            Case(cell="gru", layers=2),
            torch.zeros(1, 3, 5),
            r"h0 must have shape \(2, 3, 5\)",
            id="gru-too-few-rows",
        ),
        pytest.param(
            Case(cell="rnn-tanh", unbatched=True),
            torch.zeros(1, 1, 5),
            r"h0 must have shape \(1, 5\) for these unbatched inputs",
            id="rnn-unbatched-given-batched-state",
        ),
        pytest.param(
            Case(cell="lstm", proj=2),
            (torch.zeros(1, 3, 5), torch.zeros(1, 3, 5)),
            r"h0 must have shape \(1, 3, 2\)",
            id="lstm-proj-h0-hidden-wide",
        ),
        pytest.param(
            Case(cell="lstm"),
            (torch.zeros(1, 3, 5), torch.zeros(1, 2, 5)),
            r"c0 must have shape \(1, 3, 5\)",
            id="lstm-c0-wrong-batch",
        ),
    ],
)
def test_wrong_state_shape_raises(case: Case, state: object, message: str) -> None:
    module, inputs = inputs_for(case)
    with pytest.raises(ValueError, match=message):
        trace(module, inputs, state)  # type: ignore[arg-type]


def test_lstm_state_must_be_a_pair() -> None:
    module, inputs = inputs_for(Case(cell="lstm"))
    with pytest.raises(TypeError, match=r"tuple \(h0, c0\)"):
        trace(module, inputs, torch.zeros(1, 3, 5))


def test_wrong_state_dtype_raises() -> None:
    module, inputs = inputs_for(Case(cell="gru"))
    with pytest.raises(TypeError, match="h0 are torch.float64"):
        trace(module, inputs, torch.zeros(1, 3, 5, dtype=torch.float64))


@pytest.mark.parametrize(
    ("lengths", "message"),
    [
        pytest.param([6, 0, 2], "between 1 and 6", id="zero"),
        pytest.param([7, 1, 2], "between 1 and 6", id="too-long"),
        pytest.param([6, 2], "2 entries for a batch of 3", id="too-few"),
    ],
)
def test_bad_lengths_raise(lengths: list[int], message: str) -> None:
    module, inputs = inputs_for(Case(cell="gru"))
    with pytest.raises(ValueError, match=message):
        trace(module, inputs, lengths=lengths)


def test_lengths_with_unbatched_inputs_raise() -> None:
    module, inputs = inputs_for(Case(cell="gru", unbatched=True))
    with pytest.raises(ValueError, match="lengths need batched"):
        trace(module, inputs, lengths=[3])


# --- environment --------------------------------------------------------------------------


def test_projection_warning_is_silenced_inside_the_tracer_only() -> None:
    module = make_module(Case(cell="lstm", proj=2))
    message = "LSTM with projections is not supported with oneDNN. Using default implementation."
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with quiet_projection_warning(module):
            warnings.warn(message, UserWarning, stacklevel=1)
        with pytest.raises(UserWarning):
            warnings.warn(message, UserWarning, stacklevel=1)
        with pytest.raises(UserWarning), quiet_projection_warning(module):
            warnings.warn("some other warning", UserWarning, stacklevel=1)


def test_threads_tracing_at_once_each_get_their_own_weights() -> None:
    """Same-shaped modules share a twin configuration; each thread must still see its own."""
    case = Case(cell="lstm", steps=40, batch=2)
    modules = [make_module(case, seed) for seed in range(4)]
    inputs = make_inputs(case, modules[0])
    expected = [trace(module, inputs).layers[0].cell for module in modules]
    failures: list[str] = []

    def work(index: int) -> None:
        for _ in range(20):
            cell = trace(modules[index], inputs).layers[0].cell
            assert cell is not None and expected[index] is not None
            if not torch.equal(cell, expected[index]):
                failures.append(f"thread {index}")

    threads = [threading.Thread(target=work, args=(index,)) for index in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


@pytest.mark.skipif(
    not torch.cuda.is_available(),
    reason="needs a CUDA device (none here): checks that the device-agnostic tracer runs on a GPU",
)
@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_trace_on_cuda_matches_cpu(cell: str) -> None:
    case = Case(cell=cell, layers=2, bidirectional=True, batch_first=True, batch=4)
    module = make_module(case)
    inputs = make_inputs(case, module)
    state = make_state(case, module)
    lengths = [6, 2, 5, 4]
    on_cpu = trace(module, inputs, state, lengths)
    device = torch.device("cuda")
    moved_state = (
        tuple(s.to(device) for s in state) if isinstance(state, tuple) else state.to(device)
    )
    on_gpu = trace(module.to(device), inputs.to(device), moved_state, lengths)  # type: ignore[arg-type]
    for cpu_layer, gpu_layer in zip(on_cpu.layers, on_gpu.layers, strict=True):
        assert gpu_layer.hidden.device.type == "cuda"
        assert_close(gpu_layer.hidden.cpu(), cpu_layer.hidden, 1e-4, "hidden")
        for gate, value in cpu_layer.gates.items():
            assert_close(gpu_layer.gates[gate].cpu(), value, 1e-4, gate)

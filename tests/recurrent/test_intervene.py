"""The intervention engine: a no-op reproduces the module, forced values are exact, the clean
prefix is the tracer's own, and every patched value equals a hand-stepped reference."""

from __future__ import annotations

import pytest
import torch
from torch import Tensor, nn

from app.recurrent import trace
from app.recurrent.intervene import (
    Intervention,
    InterventionError,
    Site,
    intervene,
    site_names,
    site_values,
)

from .helpers import PROJECTION_WARNING, Case, assert_close, make_inputs, make_module, run_module
from .intervene_reference import RefEdit, reference_chain
from .test_chain import CHAINS

pytestmark = pytest.mark.filterwarnings(PROJECTION_WARNING)

CASES = [
    pytest.param(Case(cell="rnn-tanh", layers=2), id="rnn-tanh-2layers"),
    pytest.param(Case(cell="rnn-relu", bidirectional=True), id="rnn-relu-bidirectional"),
    pytest.param(Case(cell="lstm", layers=2, bidirectional=True), id="lstm-2layers-bidirectional"),
    pytest.param(Case(cell="lstm", proj=3, layers=2), id="lstm-proj"),
    pytest.param(Case(cell="lstm", bias=False, batch_first=True), id="lstm-nobias-batch-first"),
    pytest.param(Case(cell="gru", layers=2, bidirectional=True), id="gru-2layers-bidirectional"),
    pytest.param(Case(cell="gru-before", bidirectional=True), id="gru-reset-before-bidirectional"),
    pytest.param(Case(cell="gru", lengths=(6, 2, 4), bidirectional=True), id="gru-packed"),
    pytest.param(
        Case(cell="lstm", lengths=(3, 6, 1), layers=2, bidirectional=True), id="lstm-packed"
    ),
    pytest.param(
        Case(cell="lstm", initial_state=True, bidirectional=True), id="lstm-initial-state"
    ),
    pytest.param(Case(cell="gru", unbatched=True), id="gru-unbatched"),
    pytest.param(Case(cell="gru-before", bias=False, steps=40), id="gru-reset-before-40-steps"),
]


def noop_everywhere(module: nn.Module) -> list[Intervention]:
    """Scale h by 1 at every layer-direction: every step is then stepped by hand."""
    directions = ("forward", "backward") if module.bidirectional else ("forward",)
    return [
        Intervention(f"layer{layer}.{direction}.hidden", "scale", value=1.0)
        for layer in range(module.num_layers)
        for direction in directions
    ]


def initial_state(case: Case, module: nn.Module) -> object:
    from .helpers import make_state

    return make_state(case, module) if case.initial_state else None


@pytest.mark.parametrize("case", CASES)
def test_noop_intervention_reproduces_the_module(case: Case) -> None:
    module = make_module(case)
    inputs = make_inputs(case, module)
    state = initial_state(case, module)
    lengths = list(case.lengths) if case.lengths else None
    result = intervene(
        module,
        inputs,
        noop_everywhere(module),
        lengths=lengths,
        initial_states=[state],  # type: ignore[list-item]
    )
    output, final = run_module(module, inputs, state, lengths)  # type: ignore[arg-type]
    patched = result.patched
    if isinstance(output, Tensor):
        assert isinstance(patched.output, Tensor)
        assert_close(patched.output, output, 1e-6, "output")
    else:
        assert_close(patched.output.data, output.data, 1e-6, "packed output")  # type: ignore[union-attr]
    for actual, expected in zip(
        patched.final_state if isinstance(final, tuple) else (patched.final_state,),
        final if isinstance(final, tuple) else (final,),
        strict=True,
    ):
        assert_close(actual, expected, 1e-6, "final state")  # type: ignore[arg-type]
    for clean, after in zip(result.clean.layers, patched.layers, strict=True):
        assert (clean.layer, clean.direction) == (after.layer, after.direction)
        assert_close(after.hidden, clean.hidden, 1e-6, f"layer {clean.layer} hidden")
        for name, value in clean.gates.items():
            assert_close(after.gates[name], value, 1e-6, f"layer {clean.layer} {name}")


@pytest.mark.parametrize("name", CHAINS)
def test_noop_intervention_reproduces_a_chain(name: str) -> None:
    blocks = CHAINS[name](torch.float32)
    inputs = torch.randn(3, 6, 3, generator=torch.Generator().manual_seed(3))
    edits = [
        Intervention(f"layer{layer.layer}.{layer.direction}.hidden", "add", value=0.0)
        for layer in trace_chain_layers(blocks, inputs)
    ]
    patched = intervene(blocks, inputs, edits).patched
    with torch.no_grad():
        feed, final = inputs, None
        for block in blocks:
            feed, final = block(feed)
    assert_close(patched.output, feed, 1e-6, "chain output")  # type: ignore[arg-type]
    h_n = patched.final_state[0] if isinstance(patched.final_state, tuple) else patched.final_state
    expected = final[0] if isinstance(final, tuple) else final
    assert_close(h_n, expected, 1e-6, "chain final h")  # type: ignore[arg-type]


def trace_chain_layers(blocks: list[nn.Module], inputs: Tensor) -> list:
    from app.recurrent import trace_chain

    return trace_chain(blocks, inputs).layers


REFERENCE_CASES = [
    pytest.param(
        Case(cell="lstm", layers=2, bidirectional=True, dtype=torch.float64),
        [
            RefEdit(0, "forward", "forget", (0, 2), (1, 3), "set", 1.0),
            RefEdit(1, "backward", "cell", (1,), (4,), "scale", -2.0),
        ],
        id="lstm-forget-set-and-cell-scaled",
    ),
    pytest.param(
        Case(cell="lstm", proj=2, dtype=torch.float64),
        [
            RefEdit(0, "forward", "hidden", (1,), (2,), "add", 0.5),
            RefEdit(0, "forward", "output", None, None, "set", 1.0),
        ],
        id="lstm-proj-hidden-add-output-always-1",
    ),
    pytest.param(
        Case(cell="gru", bidirectional=True, layers=2, dtype=torch.float64),
        [
            RefEdit(0, "backward", "update", None, (2,), "set", 0.0),
            RefEdit(1, "forward", "reset", (0, 4), None, "zero"),
        ],
        id="gru-backward-update-and-reset-zero",
    ),
    pytest.param(
        Case(cell="gru-before", bidirectional=True, dtype=torch.float64, lengths=(6, 3, 5)),
        [
            RefEdit(0, "forward", "candidate", (3,), (0, 1), "scale", 0.25),
            RefEdit(0, "backward", "reset", None, (2,), "set", 1.0),
        ],
        id="gru-reset-before-packed",
    ),
    pytest.param(
        Case(cell="rnn-relu", layers=2, dtype=torch.float64),
        [RefEdit(0, "forward", "hidden", (0,), (3,), "set", 2.0)],
        id="rnn-relu-hidden-set",
    ),
]


def as_intervention(edit: RefEdit) -> Intervention:
    value = None if edit.op == "zero" else edit.value
    return Intervention(
        f"layer{edit.layer}.{edit.direction}.{edit.name}",
        edit.op,  # type: ignore[arg-type]
        units=edit.units,
        steps=edit.steps,
        value=value,
    )


@pytest.mark.parametrize(("case", "edits"), REFERENCE_CASES)
def test_patched_trace_equals_the_hand_stepped_reference(case: Case, edits: list[RefEdit]) -> None:
    module = make_module(case)
    inputs = make_inputs(case, module)
    lengths = list(case.lengths) if case.lengths else None
    result = intervene(module, inputs, [as_intervention(e) for e in edits], lengths=lengths)
    found, _, h_n = reference_chain([module], inputs, edits, lengths)
    check_against_reference(result.patched, found, h_n)


@pytest.mark.parametrize(
    "name",
    [
        "gru-reset-before-then-bidirectional-lstm",
        "rnn-then-bidirectional-gru-before-nobias-then-lstm-proj",
    ],
)
def test_patched_chain_equals_the_hand_stepped_reference(name: str) -> None:
    blocks = CHAINS[name](torch.float64)
    inputs = torch.randn(2, 6, 3, generator=torch.Generator().manual_seed(5), dtype=torch.float64)
    edits = [RefEdit(0, "forward", "hidden", (1,), (2,), "set", 0.9)]
    result = intervene(blocks, inputs, [as_intervention(e) for e in edits])
    found, _, h_n = reference_chain(blocks, inputs, edits)
    check_against_reference(result.patched, found, h_n)


def check_against_reference(patched, found, h_n: Tensor) -> None:  # noqa: ANN001
    for (layer, direction), expected in found.items():
        actual = patched.layer(layer, direction)
        assert_close(actual.hidden, expected.hidden, 1e-10, f"{layer} {direction} hidden")
        for gate, value in expected.gates.items():
            assert_close(actual.gates[gate], value, 1e-10, f"{layer} {direction} {gate}")
        if expected.cell is not None:
            assert_close(actual.cell, expected.cell, 1e-10, f"{layer} {direction} cell")
    final = (
        patched.final_state[0] if isinstance(patched.final_state, tuple) else patched.final_state
    )
    assert_close(final[-h_n.shape[0] :], h_n, 1e-10, "final h")


def lstm_case() -> tuple[nn.Module, Tensor]:
    case = Case(cell="lstm", layers=2, bidirectional=True, batch_first=True, steps=8)
    module = make_module(case)
    return module, make_inputs(case, module)


def test_forced_value_shows_as_exactly_that_value() -> None:
    module, inputs = lstm_case()
    result = intervene(
        module,
        inputs,
        [
            Intervention("layer0.forward.forget", "set", units=[0, 3], steps=[2, 5], value=0.3),
            Intervention("layer1.backward.hidden", "zero", units=[1], steps=[4]),
        ],
    )
    forget = result.patched.layer(0, "forward").gates["forget"]
    assert bool((forget[:, [2, 5]][..., [0, 3]] == torch.tensor(0.3)).all())
    assert bool((result.patched.layer(1, "backward").hidden[:, 4, 1] == 0).all())


def test_clean_prefix_is_the_tracers_own_in_reading_order() -> None:
    module, inputs = lstm_case()
    result = intervene(
        module, inputs, [Intervention("layer0.backward.forget", "set", steps=[5], value=1.0)]
    )
    clean, patched = result.clean.layer(0, "backward"), result.patched.layer(0, "backward")
    # The backward direction reads 7, 6, 5, ...: steps after 5 are untouched, 5 and before change.
    assert torch.equal(patched.hidden[:, 6:], clean.hidden[:, 6:])
    assert torch.equal(patched.cell[:, 6:], clean.cell[:, 6:])  # type: ignore[index]
    assert bool((patched.hidden[:, :6] != clean.hidden[:, :6]).any())
    # The forward direction of layer 0 never sees it; layer 1 (reading both) does.
    assert torch.equal(result.patched.layer(0).hidden, result.clean.layer(0).hidden)
    assert not torch.equal(result.patched.layer(1).hidden, result.clean.layer(1).hidden)


def test_mean_and_patch_write_the_reference_values() -> None:
    module, inputs = lstm_case()
    source = trace(module, inputs.flip(1))
    result = intervene(
        module,
        inputs,
        [
            Intervention("layer0.forward.candidate", "mean", units=[2]),
            Intervention("layer1.forward.hidden", "patch", steps=[3], reference=source),
        ],
    )
    clean_candidate = result.clean.layer(0).gates["candidate"][..., 2]
    patched_candidate = result.patched.layer(0).gates["candidate"][..., 2]
    assert torch.equal(patched_candidate, clean_candidate.mean().expand_as(patched_candidate))
    site = Site(1, "forward", "hidden")
    assert torch.equal(
        site_values(result.patched, site)[:, 3],
        site_values(source, site)[:1, 3].expand(inputs.shape[0], -1),
    )


def test_site_names_per_cell() -> None:
    module, inputs = lstm_case()
    layer = trace(module, inputs).layer(0)
    assert site_names(layer) == ("input", "forget", "candidate", "output", "cell", "hidden")


@pytest.mark.parametrize(
    ("intervention", "field"),
    [
        pytest.param(Intervention("layer9.forward.forget", "zero"), "site", id="no-such-layer"),
        pytest.param(Intervention("layer0.sideways.forget", "zero"), "site", id="bad-direction"),
        pytest.param(Intervention("layer0.forward.reset", "zero"), "site", id="gru-gate-on-lstm"),
        pytest.param(
            Intervention("layer0.forward.forget", "zero", units=[5]), "units", id="unit-5-of-5"
        ),
        pytest.param(
            Intervention("layer0.forward.forget", "zero", steps=[-1]), "steps", id="negative-step"
        ),
        pytest.param(
            Intervention("layer0.forward.forget", "zero", steps=[]), "steps", id="no-steps"
        ),
        pytest.param(Intervention("layer0.forward.forget", "set"), "value", id="set-without-value"),
        pytest.param(
            Intervention("layer0.forward.forget", "set", value=float("nan")), "value", id="nan"
        ),
        pytest.param(
            Intervention("layer0.forward.forget", "patch"), "source_input", id="patch-no-source"
        ),
        pytest.param(Intervention("layer0.forward.forget", "clamp"), "op", id="unknown-op"),  # type: ignore[arg-type]
    ],
)
def test_bad_interventions_name_the_field(intervention: Intervention, field: str) -> None:
    module, inputs = lstm_case()
    with pytest.raises(InterventionError) as caught:
        intervene(module, inputs, [Intervention("layer0.forward.hidden", "zero"), intervention])
    assert (caught.value.field, caught.value.index) == (field, 1)


def test_patch_needs_a_source_of_the_same_length() -> None:
    module, inputs = lstm_case()
    source = trace(module, inputs[:, :5])
    with pytest.raises(InterventionError) as caught:
        intervene(
            module, inputs, [Intervention("layer0.forward.hidden", "patch", reference=source)]
        )
    assert caught.value.field == "source_input"

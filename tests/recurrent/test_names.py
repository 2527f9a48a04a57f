"""parse_parameter_name / parameter_name: PyTorch's recurrent parameter names, both ways."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from app.recurrent import GRUResetBefore, ParameterName, parameter_name, parse_parameter_name

MODULES = [
    pytest.param(nn.LSTM(3, 5, num_layers=3, bidirectional=True, proj_size=2), id="lstm-proj"),
    pytest.param(nn.GRU(3, 5, num_layers=12, bias=False), id="gru-12layers-nobias"),
    pytest.param(nn.RNN(3, 5, num_layers=2, bidirectional=True), id="rnn-bidirectional"),
    pytest.param(GRUResetBefore(3, 5, num_layers=2, bidirectional=True), id="gru-reset-before"),
]


@pytest.mark.parametrize("module", MODULES)
def test_every_named_parameter_parses_and_writes_back(module: nn.Module) -> None:
    for name, parameter in module.named_parameters():
        parsed = parse_parameter_name(name)
        assert str(parsed) == name
        assert parameter_name(parsed.kind, parsed.matrix, parsed.layer, parsed.reverse) == name
        assert getattr(module, name) is parameter


def test_parse_takes_a_name_apart() -> None:
    assert parse_parameter_name("weight_hh_l1_reverse") == ParameterName("weight", "hh", 1, True)
    assert parse_parameter_name("bias_ih_l0") == ParameterName("bias", "ih", 0, False)
    assert parse_parameter_name("weight_hr_l10") == ParameterName("weight", "hr", 10, False)


@pytest.mark.parametrize(
    "name",
    [
        "weight_ih_l",
        "weight_ih_l01",
        "weight_ih_l-1",
        "weight_ih_l0_backward",
        "weight_xx_l0",
        "bias_hr_l0",
        " weight_ih_l0",
        "weight_ih_l0 ",
        "weight_ih_l0_reverse_reverse",
        "lstm.weight_ih_l0",
        "weight",
        "",
    ],
)
def test_parse_rejects_anything_else(name: str) -> None:
    with pytest.raises(ValueError):
        parse_parameter_name(name)


@pytest.mark.parametrize(
    ("kind", "matrix", "layer", "message"),
    [
        pytest.param("bias", "hr", 0, "no bias", id="bias-hr"),
        pytest.param("gain", "ih", 0, "kind", id="bad-kind"),
        pytest.param("weight", "ho", 0, "matrix", id="bad-matrix"),
        pytest.param("weight", "ih", -1, "non-negative", id="negative-layer"),
        pytest.param("weight", "ih", True, "non-negative", id="bool-layer"),
    ],
)
def test_parameter_name_rejects_what_pytorch_never_names(
    kind: str, matrix: str, layer: int, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        parameter_name(kind, matrix, layer)  # type: ignore[arg-type]


@settings(deadline=None, database=None)
@given(
    kind=st.sampled_from(["weight", "bias"]),
    matrix=st.sampled_from(["ih", "hh", "hr"]),
    layer=st.integers(0, 10_000),
    reverse=st.booleans(),
)
def test_parse_inverts_parameter_name(kind: str, matrix: str, layer: int, reverse: bool) -> None:
    if kind == "bias" and matrix == "hr":
        return
    name = parameter_name(kind, matrix, layer, reverse)  # type: ignore[arg-type]
    assert parse_parameter_name(name) == ParameterName(kind, matrix, layer, reverse)  # type: ignore[arg-type]

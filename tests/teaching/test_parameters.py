"""Parameter formulas: every count equals the tensors PyTorch (and Keras) really hold."""

from __future__ import annotations

import os

import pytest

from app.teaching.parameters import counted_parameters, parameter_table, recurrent_rows
from app.zoo import GateNet, ModelConfig
from app.zoo.spec import RecurrentSpec


def _config(recurrent: RecurrentSpec) -> ModelConfig:
    from app.zoo.spec import DenseSpec, NumbersPreprocessing

    return ModelConfig(
        id="formula",
        title="formula",
        task="regression",
        recurrent=recurrent,
        head=[DenseSpec(out_features=7, activation="relu"), DenseSpec(out_features=1)],
        preprocessing=NumbersPreprocessing(
            features=[f"x{k}" for k in range(recurrent.input_size)], seq_length=3
        ),
    )


SPECS = [
    pytest.param(dict(cell="lstm"), id="lstm"),
    pytest.param(dict(cell="gru"), id="gru"),
    pytest.param(dict(cell="rnn"), id="rnn"),
    pytest.param(dict(cell="rnn", nonlinearity="relu"), id="rnn-relu"),
    pytest.param(dict(cell="lstm", num_layers=3), id="lstm-3-layers"),
    pytest.param(dict(cell="gru", num_layers=2, bidirectional=True), id="gru-bidirectional-stack"),
    pytest.param(dict(cell="lstm", bias=False), id="lstm-no-bias"),
    pytest.param(dict(cell="lstm", proj_size=3, num_layers=2), id="lstm-projection"),
    pytest.param(dict(cell="lstm", proj_size=2, bidirectional=True), id="lstm-proj-bidirectional"),
]


@pytest.mark.parametrize("options", SPECS)
def test_every_pytorch_count_equals_the_named_parameters(options: dict[str, object]) -> None:
    config = _config(RecurrentSpec(input_size=4, hidden_size=6, **options))  # type: ignore[arg-type]
    table = parameter_table(config)
    real = counted_parameters(GateNet(config))
    assert {row.key: row.pytorch.count for row in table} == real


@pytest.mark.parametrize("options", SPECS)
def test_substituted_formulas_evaluate_to_their_counts(options: dict[str, object]) -> None:
    config = _config(RecurrentSpec(input_size=4, hidden_size=6, **options))  # type: ignore[arg-type]
    for row in parameter_table(config):
        for formula in (row.pytorch, row.keras):
            if formula is None:
                continue
            arithmetic = formula.substituted.replace("×", "*").replace("[", "(").replace("]", ")")
            assert eval(arithmetic, {"__builtins__": {}}) == formula.count, formula  # noqa: S307


def test_lstm_formula_reads_as_the_notes_and_says_two_biases() -> None:
    (row,) = recurrent_rows(RecurrentSpec(cell="lstm", input_size=32, hidden_size=64))
    assert row.pytorch.symbolic == "4 × (h × (i + h) + 2h)"
    assert row.pytorch.substituted == "4 × (64 × (32 + 64) + 2 × 64)"
    assert row.pytorch.count == 25_088
    assert row.keras is not None and row.keras.symbolic == "4 × (h × (i + h) + h)"
    assert row.keras.count == 4 * (64 * 96 + 64)
    assert row.note == "lstm-two-biases"


def test_gru_has_three_quarters_of_the_lstm_weights() -> None:
    (gru,) = recurrent_rows(RecurrentSpec(cell="gru", input_size=32, hidden_size=64))
    (lstm,) = recurrent_rows(RecurrentSpec(cell="lstm", input_size=32, hidden_size=64))
    (rnn,) = recurrent_rows(RecurrentSpec(cell="rnn", input_size=32, hidden_size=64))
    assert gru.pytorch.count * 4 == lstm.pytorch.count * 3
    assert rnn.pytorch.count * 4 == lstm.pytorch.count


def test_second_layer_reads_the_first_layers_output_width() -> None:
    rows = recurrent_rows(RecurrentSpec(cell="gru", input_size=4, hidden_size=50, num_layers=2))
    assert [row.shape for row in rows] == [{"i": 4, "h": 50}, {"i": 50, "h": 50}]
    assert [row.name for row in rows] == ["GRU layer 1", "GRU layer 2"]


KERAS_CELLS = [
    pytest.param("lstm", "LSTM", {}, id="lstm"),
    pytest.param("gru", "GRU", {}, id="gru-reset-after"),
    pytest.param("rnn", "SimpleRNN", {}, id="simple-rnn"),
]


@pytest.mark.parametrize(("cell", "layer_name", "options"), KERAS_CELLS)
def test_keras_formula_equals_real_keras_layer(cell: str, layer_name: str, options: dict) -> None:
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    layer = getattr(keras.layers, layer_name)(6, **options)
    layer.build((None, 5, 4))
    (row,) = recurrent_rows(RecurrentSpec(cell=cell, input_size=4, hidden_size=6))  # type: ignore[arg-type]
    assert row.keras is not None
    assert row.keras.count == layer.count_params()

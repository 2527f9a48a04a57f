"""Keras models gatescope cannot rebuild exactly are refused with a message naming the layer
and the option, and nothing is stored."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from app.importers import ModelImportError, import_model_file
from tests.importers.helpers import stored_entries
from tests.importers.kerasmodels import FEATURES, MAXLEN, STEPS


def fresh(keras: ModuleType) -> ModuleType:
    """Keras with its layer-name counters reset, so the first GRU is named 'gru'."""
    keras.backend.clear_session()
    return keras


def numbers(*body: Callable[[Any], Any]) -> Callable[[ModuleType], Any]:
    return lambda keras: fresh(keras).Sequential(
        [keras.Input((STEPS, FEATURES)), *[make(keras.layers) for make in body]]
    )


def text(*body: Callable[[Any], Any]) -> Callable[[ModuleType], Any]:
    return lambda keras: fresh(keras).Sequential(
        [
            keras.Input((MAXLEN,), dtype="int32"),
            keras.layers.Embedding(30, 4),
            *[make(keras.layers) for make in body],
        ]
    )


def branching(keras: ModuleType) -> Any:
    layers = keras.layers
    inputs = keras.Input((STEPS, FEATURES))
    joined = layers.Concatenate()([layers.GRU(3)(inputs), layers.LSTM(3)(inputs)])
    return keras.Model(inputs, layers.Dense(1)(joined))


REFUSED = [
    pytest.param(
        numbers(lambda L: L.GRU(4, reset_after=False), lambda L: L.Dense(1)),
        ["GRU 'gru'", "reset_after=False", "reset_after=True"],
        id="gru-reset-after-false",
    ),
    pytest.param(
        numbers(
            lambda L: L.GRU(50, return_sequences=True), lambda L: L.GRU(32), lambda L: L.Dense(1)
        ),
        ["recurrent layers that differ", "GRU 'gru' (50 units)", "GRU 'gru_1' (32 units)"],
        id="stacked-units-differ",
    ),
    pytest.param(
        numbers(
            lambda L: L.GRU(4, return_sequences=True), lambda L: L.LSTM(4), lambda L: L.Dense(1)
        ),
        ["recurrent layers that differ", "GRU 'gru'", "LSTM 'lstm'"],
        id="stacked-cells-differ",
    ),
    pytest.param(
        numbers(lambda L: L.LSTM(4, activation="relu"), lambda L: L.Dense(1)),
        ["LSTM 'lstm'", "activation='relu'", "nn.LSTM"],
        id="lstm-relu-activation",
    ),
    pytest.param(
        numbers(lambda L: L.GRU(4, recurrent_activation="hard_sigmoid"), lambda L: L.Dense(1)),
        ["GRU 'gru'", "recurrent_activation='hard_sigmoid'"],
        id="gru-hard-sigmoid",
    ),
    pytest.param(
        numbers(lambda L: L.SimpleRNN(4, activation="sigmoid"), lambda L: L.Dense(1)),
        ["SimpleRNN 'simple_rnn'", "activation='sigmoid'", "tanh or relu"],
        id="simple-rnn-sigmoid",
    ),
    pytest.param(
        numbers(lambda L: L.GRU(4, return_sequences=True), lambda L: L.Dense(1)),
        [
            "return_sequences=True on its last recurrent layer GRU 'gru'",
            "Dense 'dense' runs on every step",
        ],
        id="last-return-sequences",
    ),
    pytest.param(
        numbers(lambda L: L.Bidirectional(L.GRU(4), merge_mode="sum"), lambda L: L.Dense(1)),
        ["Bidirectional 'bidirectional'", "merge_mode='sum'", "merge_mode='concat'"],
        id="bidirectional-sum",
    ),
    pytest.param(
        numbers(lambda L: L.GRU(4, go_backwards=True), lambda L: L.Dense(1)),
        ["GRU 'gru'", "go_backwards=True"],
        id="go-backwards",
    ),
    pytest.param(
        numbers(
            lambda L: L.Conv1D(4, 2),
            lambda L: L.GRU(4),
            lambda L: L.BatchNormalization(),
            lambda L: L.Dense(1),
        ),
        ["Conv1D 'conv1d'", "BatchNormalization 'batch_normalization'", "cannot import"],
        id="unsupported-layers-listed",
    ),
    pytest.param(
        numbers(lambda L: L.Dense(3), lambda L: L.GRU(4), lambda L: L.Dense(1)),
        ["Dense 'dense' comes before a recurrent layer"],
        id="dense-before-recurrent",
    ),
    pytest.param(
        numbers(lambda L: L.GRU(4), lambda L: L.Dense(1, activation="gelu")),
        ["Dense 'dense'", "activation='gelu'"],
        id="dense-gelu",
    ),
    pytest.param(
        text(lambda L: L.GRU(4), lambda L: L.Dense(3, activation="softmax")),
        ["text model", "Dense 'dense' (3 outputs", "Dense(1, activation='sigmoid')"],
        id="text-three-classes",
    ),
    pytest.param(
        numbers(lambda L: L.GRU(4), lambda L: L.Dense(2)),
        ["numeric model", "Dense 'dense' (2 outputs"],
        id="numbers-two-outputs",
    ),
    pytest.param(branching, ["not a single chain"], id="functional-branches"),
]


@pytest.mark.parametrize(("build", "phrases"), REFUSED)
def test_unsupported_keras_model_is_refused_naming_layer_and_option(
    build: Callable[[ModuleType], Any],
    phrases: list[str],
    keras: ModuleType,
    tmp_path: Path,
    data_dir: Path,
) -> None:
    path = tmp_path / "model.keras"
    build(keras).save(path)

    with pytest.raises(ModelImportError) as caught:
        import_model_file(path, data_dir=data_dir)

    assert caught.value.status_code == 422
    assert caught.value.field == "file"
    for phrase in phrases:
        assert phrase in caught.value.message
    assert stored_entries(data_dir) == []


def test_legacy_h5_refusal_names_the_layer_too(
    keras: ModuleType, tmp_path: Path, data_dir: Path
) -> None:
    path = tmp_path / "model.h5"
    numbers(lambda L: L.GRU(4, reset_after=False), lambda L: L.Dense(1))(keras).save(path)

    with pytest.raises(ModelImportError, match="GRU 'gru' uses reset_after=False"):
        import_model_file(path, data_dir=data_dir)


def test_unsupported_layers_are_all_listed(
    keras: ModuleType, tmp_path: Path, data_dir: Path
) -> None:
    path = tmp_path / "model.keras"
    numbers(
        lambda L: L.Conv1D(4, 2), lambda L: L.GRU(4), lambda L: L.Flatten(), lambda L: L.Dense(1)
    )(keras).save(path)

    with pytest.raises(ModelImportError) as caught:
        import_model_file(path, data_dir=data_dir)

    assert caught.value.problems == ["Conv1D 'conv1d'", "Flatten 'flatten'"]


def test_text_model_needs_its_tokenizer(keras: ModuleType, tmp_path: Path, data_dir: Path) -> None:
    path = tmp_path / "model.keras"
    text(lambda L: L.GRU(4), lambda L: L.Dense(1, activation="sigmoid"))(keras).save(path)

    with pytest.raises(ModelImportError) as caught:
        import_model_file(path, data_dir=data_dir)

    assert caught.value.field == "tokenizer"
    assert "tokenizer.to_json()" in caught.value.message

"""Keras models gatescope cannot rebuild exactly are refused with a message naming the layer
and the option, and nothing is stored. (Differing stacked layers, GRU(reset_after=False) and
softmax heads of up to MAX_CLASSES classes import now: see test_keras_equivalence.py.)"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import h5py
import pytest

from app.importers import ModelImportError, import_model_file
from app.limits import MAX_BLOCKS, MAX_CLASSES
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
        numbers(
            *[
                (lambda units: lambda L: L.GRU(units, return_sequences=True))(3 + index % 2)
                for index in range(MAX_BLOCKS)
            ],
            lambda L: L.GRU(5),
            lambda L: L.Dense(1),
        ),
        [f"{MAX_BLOCKS + 1} runs of differing recurrent layers", f"at most {MAX_BLOCKS} blocks"],
        id="more-blocks-than-max",
    ),
    pytest.param(
        numbers(
            lambda L: L.Bidirectional(
                L.GRU(4, return_sequences=True),
                backward_layer=L.GRU(
                    4, reset_after=False, return_sequences=True, go_backwards=True
                ),
            ),
            lambda L: L.GRU(3),
            lambda L: L.Dense(1),
        ),
        ["Bidirectional 'bidirectional' has a backward layer unlike its forward", "reset_after"],
        id="bidirectional-reset-after-mixed",
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
        text(lambda L: L.GRU(4), lambda L: L.Dense(3)),
        ["text model", "Dense 'dense' (3 outputs, activation='linear')", "Dense(N, "],
        id="text-three-linear-outputs",
    ),
    pytest.param(
        text(lambda L: L.GRU(2), lambda L: L.Dense(MAX_CLASSES + 1, activation="softmax")),
        [f"Dense 'dense' ({MAX_CLASSES + 1} outputs", f"2 to {MAX_CLASSES} classes"],
        id="softmax-beyond-max-classes",
    ),
    pytest.param(
        numbers(lambda L: L.GRU(4), lambda L: L.Dense(1, activation="softmax")),
        ["Dense 'dense' (1 outputs, activation='softmax')", "2 to"],
        id="softmax-of-one-output",
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
    numbers(lambda L: L.GRU(4, go_backwards=True), lambda L: L.Dense(1))(keras).save(path)

    with pytest.raises(ModelImportError, match="GRU 'gru' uses go_backwards=True"):
        import_model_file(path, data_dir=data_dir)


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(
            numbers(
                lambda L: L.GRU(4, return_sequences=True), lambda L: L.GRU(3), lambda L: L.Dense(1)
            ),
            id="middle-layer-sequences",
        ),
    ],
)
def test_only_the_last_recurrent_layer_may_end_in_its_final_state(
    build: Callable[[ModuleType], Any], keras: ModuleType, tmp_path: Path, data_dir: Path
) -> None:
    """Keras cannot even build GRU(rs=False) -> GRU, so the plan is checked on a tampered
    config: the first layer's return_sequences switched off."""
    path = tmp_path / "model.h5"
    build(keras).save(path)
    with h5py.File(path, "r+") as handle:
        document = json.loads(handle.attrs["model_config"])
        layers = document["config"]["layers"]
        first = next(layer for layer in layers if layer["class_name"] == "GRU")
        first["config"]["return_sequences"] = False
        handle.attrs["model_config"] = json.dumps(document)

    with pytest.raises(ModelImportError) as caught:
        import_model_file(path, data_dir=data_dir)

    assert caught.value.status_code == 422
    assert "GRU 'gru' has return_sequences=False but another recurrent layer follows" in (
        caught.value.message
    )
    assert stored_entries(data_dir) == []


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

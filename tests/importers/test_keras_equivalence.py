"""Imported Keras models predict what Keras's own predict() does, within 1e-5.

Every model is built with Keras 3 on the torch backend, trained a few steps, saved as .keras
and as legacy .h5, imported, and run through gatescope's own path (tokenizer, padding, network
and tracer) on 64 inputs: one-block models, chains of differing blocks, GRU(reset_after=False)
and softmax classifiers.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from app.importers import import_model_file
from app.zoo import LoadedModel, Prediction
from tests.importers.helpers import save_both
from tests.importers.kerasmodels import (
    Case,
    notes_regressor,
    numbers_case,
    numbers_sequential,
    text_case,
    tokenizer,
)

TOLERANCE = 1e-5
VOCAB = tokenizer().vocab_size


def _text(
    *body: Callable[[Any], Any], padding: str = "pre", labels: list[str] | None = None
) -> Callable[[ModuleType], Case]:
    return lambda keras: text_case(
        keras, [make(keras.layers) for make in body], padding, labels=labels
    )


def _numbers(*body: Callable[[Any], Any]) -> Callable[[ModuleType], Case]:
    return lambda keras: numbers_case(
        keras, numbers_sequential(keras, [make(keras.layers) for make in body])
    )


def _embedding(mask_zero: bool = False) -> Callable[[Any], Any]:
    return lambda layers: layers.Embedding(VOCAB, 8, mask_zero=mask_zero)


def _sigmoid(layers: Any) -> Any:
    return layers.Dense(1, activation="sigmoid")


CASES: dict[str, Callable[[ModuleType], Case]] = {
    "notes-classifier-gru": _text(_embedding(), lambda L: L.GRU(6), _sigmoid),
    "lstm-classifier": _text(_embedding(), lambda L: L.LSTM(6), _sigmoid),
    "simple-rnn-classifier": _text(_embedding(), lambda L: L.SimpleRNN(5), _sigmoid),
    "post-padding-gru": _text(_embedding(), lambda L: L.GRU(5), _sigmoid, padding="post"),
    "bidirectional-gru-stack-softmax2": _text(
        _embedding(),
        lambda L: L.Bidirectional(L.GRU(5, return_sequences=True)),
        lambda L: L.Bidirectional(L.GRU(5)),
        lambda L: L.Dense(2, activation="softmax"),
    ),
    "dropouts-skipped": _text(
        _embedding(),
        lambda L: L.SpatialDropout1D(0.2),
        lambda L: L.LSTM(6, dropout=0.2, recurrent_dropout=0.2),
        lambda L: L.Dropout(0.3),
        lambda L: L.Dense(4, activation="tanh"),
        _sigmoid,
    ),
    "mask-zero-pre-gru": _text(_embedding(mask_zero=True), lambda L: L.GRU(6), _sigmoid),
    "mask-zero-post-bilstm": _text(
        _embedding(mask_zero=True),
        lambda L: L.Bidirectional(L.LSTM(5)),
        _sigmoid,
        padding="post",
    ),
    "mask-zero-post-stacked-gru": _text(
        _embedding(mask_zero=True),
        lambda L: L.GRU(5, return_sequences=True),
        lambda L: L.GRU(5),
        _sigmoid,
        padding="post",
    ),
    "notes-regressor-stacked-gru": lambda keras: numbers_case(keras, notes_regressor(keras)),
    "simple-rnn-tanh": _numbers(lambda L: L.SimpleRNN(6), lambda L: L.Dense(1)),
    "simple-rnn-relu-no-bias": _numbers(
        lambda L: L.SimpleRNN(6, activation="relu", use_bias=False),
        lambda L: L.Dense(3, activation="tanh"),
        lambda L: L.Dense(1, use_bias=False),
    ),
    "lstm-stack-no-bias": _numbers(
        lambda L: L.LSTM(5, return_sequences=True, use_bias=False),
        lambda L: L.LSTM(5, use_bias=False),
        lambda L: L.Dense(1),
    ),
    "gru-no-bias": _numbers(lambda L: L.GRU(5, use_bias=False), lambda L: L.Dense(1)),
    "bidirectional-simple-rnn": _numbers(
        lambda L: L.Bidirectional(L.SimpleRNN(4)), lambda L: L.Dense(1)
    ),
    "dense-activations-softmax-hidden": _numbers(
        lambda L: L.LSTM(6),
        lambda L: L.Dense(5, activation="softmax"),
        lambda L: L.Dense(4, activation="sigmoid"),
        lambda L: L.Dense(3, activation="tanh"),
        lambda L: L.Dense(1),
    ),
    "numbers-softmax2-classifier": _numbers(
        lambda L: L.GRU(5), lambda L: L.Dense(2, activation="softmax")
    ),
    # -- chains of differing blocks ------------------------------------------------------------
    "bilstm-then-lstm-text": _text(
        _embedding(),
        lambda L: L.Bidirectional(L.LSTM(5, return_sequences=True)),
        lambda L: L.LSTM(4),
        _sigmoid,
    ),
    "gru6-then-gru3-series": _numbers(
        lambda L: L.GRU(6, return_sequences=True), lambda L: L.GRU(3), lambda L: L.Dense(1)
    ),
    "gru50-then-gru20-series": _numbers(
        lambda L: L.GRU(50, return_sequences=True), lambda L: L.GRU(20), lambda L: L.Dense(1)
    ),
    "lstm-stack-then-gru-then-rnn": _numbers(
        lambda L: L.LSTM(5, return_sequences=True),
        lambda L: L.LSTM(5, return_sequences=True),
        lambda L: L.GRU(4, return_sequences=True),
        lambda L: L.SimpleRNN(3, activation="relu"),
        lambda L: L.Dense(1),
    ),
    "mask-zero-post-bigru-then-gru": _text(
        _embedding(mask_zero=True),
        lambda L: L.Bidirectional(L.GRU(5, return_sequences=True)),
        lambda L: L.GRU(4),
        _sigmoid,
        padding="post",
    ),
    # -- GRU(reset_after=False) ----------------------------------------------------------------
    "gru-reset-before": _numbers(lambda L: L.GRU(5, reset_after=False), lambda L: L.Dense(1)),
    "gru-reset-before-no-bias": _numbers(
        lambda L: L.GRU(5, reset_after=False, use_bias=False), lambda L: L.Dense(1)
    ),
    "bigru-reset-before-then-gru-reset-before-text": _text(
        _embedding(),
        lambda L: L.Bidirectional(L.GRU(5, reset_after=False, return_sequences=True)),
        lambda L: L.GRU(4, reset_after=False),
        _sigmoid,
    ),
    "mask-zero-post-gru-reset-before-then-lstm": _text(
        _embedding(mask_zero=True),
        lambda L: L.GRU(5, reset_after=False, return_sequences=True),
        lambda L: L.LSTM(4),
        _sigmoid,
        padding="post",
    ),
    # -- softmax classifiers -------------------------------------------------------------------
    "softmax5-text-classifier": _text(
        _embedding(),
        lambda L: L.GRU(6),
        lambda L: L.Dense(5, activation="softmax"),
        labels=["joy", "anger", "fear", "sadness", "surprise"],
    ),
    "softmax4-text-bilstm-then-gru-reset-before": _text(
        _embedding(),
        lambda L: L.Bidirectional(L.LSTM(4, return_sequences=True)),
        lambda L: L.GRU(5, reset_after=False),
        lambda L: L.Dense(6, activation="relu"),
        lambda L: L.Dense(4, activation="softmax"),
        labels=["world", "sports", "business", "science"],
    ),
    "softmax3-numbers-classifier": _numbers(
        lambda L: L.LSTM(5), lambda L: L.Dense(3, activation="softmax")
    ),
}

TRACED = [
    "notes-classifier-gru",
    "mask-zero-post-bilstm",
    "bilstm-then-lstm-text",
    "gru6-then-gru3-series",
    "bigru-reset-before-then-gru-reset-before-text",
    "mask-zero-post-gru-reset-before-then-lstm",
    "softmax5-text-classifier",
]


@pytest.fixture(scope="module")
def trained(keras: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Any]:
    """Build, train and save each case once; both formats' tests share it."""
    cache: dict[str, tuple[Case, dict[str, Path]]] = {}

    def get(name: str) -> tuple[Case, dict[str, Path]]:
        if name not in cache:
            case = CASES[name](keras)
            cache[name] = (case, save_both(case.model, tmp_path_factory.mktemp(name), name))
        return cache[name]

    return get


def keras_outputs(case: Case) -> np.ndarray:
    """Keras's own predictions, (inputs, outputs); a two-class softmax is read as the
    probability of class 1, which is what gatescope stores it as."""
    outputs = case.model.predict(case.keras_inputs, verbose=0, batch_size=len(case.keras_inputs))
    return outputs[:, 1:] if outputs.shape[1] == 2 else outputs


def values_of(prediction: Prediction) -> list[float]:
    """The numbers a prediction holds: every class's probability, one probability or a value."""
    if prediction.classes is not None:
        return [probability for _, probability in prediction.classes]
    if prediction.value is not None:
        return [prediction.value]
    assert prediction.positive_probability is not None
    return [prediction.positive_probability]


def raw_inputs(case: Case) -> list[Any]:
    """The inputs as a user gives them: sentences, or steps of numbers."""
    assert case.kind == "text" or case.values is not None
    return case.texts if case.kind == "text" else [row.tolist() for row in case.values]


def gatescope_outputs(model: LoadedModel, case: Case) -> np.ndarray:
    """gatescope's predictions through its own preprocessing, for the same raw inputs."""
    return np.asarray([values_of(item) for item in model.predict(raw_inputs(case))])


def import_case(case: Case, path: Path, data_dir: Path) -> LoadedModel:
    tokenizer_path = None
    if case.tokenizer_json is not None:
        tokenizer_path = path.with_suffix(".tokenizer.json")
        tokenizer_path.write_bytes(case.tokenizer_json)
    return import_model_file(
        path,
        tokenizer=tokenizer_path,
        padding=case.padding if case.kind == "text" else None,
        labels=case.labels,
        data_dir=data_dir,
    )


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
@pytest.mark.parametrize("name", list(CASES))
def test_imported_model_predicts_as_keras(
    name: str, suffix: str, trained: Callable[[str], Any], data_dir: Path
) -> None:
    case, paths = trained(name)
    model = import_case(case, paths[suffix], data_dir)

    expected = keras_outputs(case)
    actual = gatescope_outputs(model, case)

    assert actual.shape == expected.shape and actual.shape[0] == 64
    assert np.abs(actual - expected).max() < TOLERANCE
    assert np.std(expected, axis=0).max() > 1e-4, "the inputs should not all give one prediction"


@pytest.mark.parametrize("name", TRACED)
def test_trace_of_imported_model_ends_in_the_keras_prediction(
    name: str, trained: Callable[[str], Any], data_dir: Path
) -> None:
    case, paths = trained(name)
    model = import_case(case, paths[".keras"], data_dir)
    expected = keras_outputs(case)[:4]

    traced = [values_of(model.run_trace(raw).prediction) for raw in raw_inputs(case)[:4]]

    assert np.abs(np.asarray(traced) - expected).max() < TOLERANCE


@pytest.mark.parametrize(
    ("name", "blocks"),
    [
        pytest.param("bilstm-then-lstm-text", [("lstm", 1, True, True), ("lstm", 1, False, True)]),
        pytest.param(
            "lstm-stack-then-gru-then-rnn",
            [("lstm", 2, False, True), ("gru", 1, False, True), ("rnn", 1, False, True)],
        ),
        pytest.param(
            "bigru-reset-before-then-gru-reset-before-text",
            [("gru", 1, True, False), ("gru", 1, False, False)],
        ),
        pytest.param("bidirectional-gru-stack-softmax2", [("gru", 2, True, True)]),
    ],
)
def test_alike_layers_share_a_block_and_any_change_starts_the_next(
    name: str,
    blocks: list[tuple[str, int, bool, bool]],
    trained: Callable[[str], Any],
    data_dir: Path,
) -> None:
    case, paths = trained(name)

    config = import_case(case, paths[".keras"], data_dir).config

    assert [
        (block.cell, block.num_layers, block.bidirectional, block.reset_after)
        for block in config.blocks
    ] == blocks


@pytest.mark.parametrize(
    ("name", "task", "labels"),
    [
        pytest.param(
            "softmax5-text-classifier",
            "classification",
            ["joy", "anger", "fear", "sadness", "surprise"],
            id="labels-given",
        ),
        pytest.param(
            "softmax3-numbers-classifier",
            "classification",
            ["class 0", "class 1", "class 2"],
            id="default-labels",
        ),
        pytest.param("bidirectional-gru-stack-softmax2", "sentiment", None, id="two-way-softmax"),
        pytest.param("gru6-then-gru3-series", "regression", None, id="regression"),
    ],
)
def test_imported_head_gives_the_task_and_labels(
    name: str,
    task: str,
    labels: list[str] | None,
    trained: Callable[[str], Any],
    data_dir: Path,
) -> None:
    case, paths = trained(name)

    model = import_case(case, paths[".h5"], data_dir)

    assert (model.config.task, model.config.labels) == (task, labels)
    prediction = model.predict([raw_inputs(case)[0]])[0]
    if task == "classification":
        assert prediction.classes is not None
        assert [label for label, _ in prediction.classes] == labels


def test_mask_zero_model_skips_padding_steps(trained: Callable[[str], Any], data_dir: Path) -> None:
    case, paths = trained("mask-zero-pre-gru")
    model = import_case(case, paths[".keras"], data_dir)
    prepared = model.prepare("good plot")

    assert model.config.preprocessing.mask_padding is True
    assert prepared.tokens == ["good", "plot"]

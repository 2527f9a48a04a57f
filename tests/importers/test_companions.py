"""Companions of a Keras upload: tokenizer, maxlen/padding, feature names and a companion
config.json with min-max constants, labels and titles; each mistake names its field."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from app.importers import ModelImportError, import_model_bytes
from tests.importers.helpers import stored_entries
from tests.importers.kerasmodels import FEATURES, STEPS, numbers_case, tokenizer

LOW = [10.0, 100.0, -5.0, 0.0]
HIGH = [20.0, 300.0, 5.0, 1.0]


@pytest.fixture(scope="module")
def regressor(keras: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, bytes]:
    keras.backend.clear_session()
    model = keras.Sequential(
        [keras.Input((STEPS, FEATURES)), keras.layers.GRU(5), keras.layers.Dense(1)]
    )
    case = numbers_case(keras, model)
    path = tmp_path_factory.mktemp("companions") / "stocks.keras"
    model.save(path)
    return case, path.read_bytes()


def keras_text_model(keras: ModuleType, tmp_path: Path, steps: int | None, rows: int) -> bytes:
    keras.backend.clear_session()
    layers = keras.layers
    model = keras.Sequential(
        [
            keras.Input((steps,), dtype="int32"),
            layers.Embedding(rows, 4),
            layers.GRU(3),
            layers.Dense(1, activation="sigmoid"),
        ]
    )
    path = tmp_path / "text.keras"
    model.save(path)
    return path.read_bytes()


def test_min_max_constants_scale_inputs_and_unscale_the_prediction(
    regressor: tuple[Any, bytes], data_dir: Path
) -> None:
    case, data = regressor
    companion = {
        "title": "주가 예측",
        "preprocessing": {
            "features": ["open", "high", "low", "close"],
            "scaler_min": LOW,
            "scaler_max": HIGH,
            "target": "close",
            "target_unit": "USD",
            "target_min": 0.0,
            "target_max": 1.0,
        },
    }
    raw = case.values * (np.array(HIGH) - np.array(LOW)) + np.array(LOW)

    model = import_model_bytes(
        data, "stocks.keras", config=json.dumps(companion).encode(), data_dir=data_dir
    )

    predictions = model.predict([row.tolist() for row in raw])
    expected = case.model.predict(case.values, verbose=0)[:, 0]
    assert np.abs(np.asarray([p.value for p in predictions]) - expected).max() < 1e-5
    assert predictions[0].unit == "USD"
    assert model.config.title == "주가 예측"


@pytest.mark.parametrize(
    ("companion", "field", "phrase"),
    [
        pytest.param({"recurrent": {}}, "config", "may set only", id="network-keys"),
        pytest.param({"labels": ["a", "b", "c"]}, "config", "labels", id="three-labels"),
        pytest.param(
            {"preprocessing": {"scaler_min": [0.0], "scaler_max": [1.0]}},
            "config",
            "scaler_min has 1 values",
            id="scaler-length",
        ),
    ],
)
def test_companion_mistakes_name_the_config(
    companion: dict[str, Any],
    field: str,
    phrase: str,
    regressor: tuple[Any, bytes],
    data_dir: Path,
) -> None:
    _, data = regressor

    with pytest.raises(ModelImportError) as caught:
        import_model_bytes(
            data, "m.keras", config=json.dumps(companion).encode(), data_dir=data_dir
        )

    assert caught.value.field == field
    assert phrase in caught.value.message
    assert stored_entries(data_dir) == []


def test_wrong_number_of_feature_names_names_the_features_field(
    regressor: tuple[Any, bytes], data_dir: Path
) -> None:
    with pytest.raises(ModelImportError) as caught:
        import_model_bytes(regressor[1], "m.keras", features=["a", "b"], data_dir=data_dir)

    assert caught.value.field == "features"
    assert "reads 4 per step" in caught.value.message


def test_text_model_without_fixed_length_needs_maxlen(
    keras: ModuleType, tmp_path: Path, data_dir: Path
) -> None:
    fitted = tokenizer()
    data = keras_text_model(keras, tmp_path, None, fitted.vocab_size)
    companion_tokenizer = fitted.to_json().encode()

    with pytest.raises(ModelImportError) as caught:
        import_model_bytes(data, "t.keras", tokenizer=companion_tokenizer, data_dir=data_dir)
    model = import_model_bytes(
        data, "t.keras", tokenizer=companion_tokenizer, maxlen=12, padding="post", data_dir=data_dir
    )

    assert caught.value.field == "maxlen"
    assert (model.config.preprocessing.maxlen, model.config.preprocessing.padding) == (12, "post")


def test_maxlen_that_contradicts_the_input_shape_is_refused(
    keras: ModuleType, tmp_path: Path, data_dir: Path
) -> None:
    fitted = tokenizer()
    data = keras_text_model(keras, tmp_path, 10, fitted.vocab_size)

    with pytest.raises(ModelImportError) as caught:
        import_model_bytes(
            data, "t.keras", tokenizer=fitted.to_json().encode(), maxlen=20, data_dir=data_dir
        )

    assert caught.value.field == "maxlen"
    assert "exactly 10 steps" in caught.value.message


def test_tokenizer_larger_than_the_embedding_is_refused(
    keras: ModuleType, tmp_path: Path, data_dir: Path
) -> None:
    fitted = tokenizer()
    data = keras_text_model(keras, tmp_path, 10, 5)

    with pytest.raises(ModelImportError) as caught:
        import_model_bytes(data, "t.keras", tokenizer=fitted.to_json().encode(), data_dir=data_dir)

    assert caught.value.field == "tokenizer"
    assert "Embedding has 5 rows" in caught.value.message


def test_tokenizer_that_is_not_keras_json_names_the_tokenizer(
    keras: ModuleType, tmp_path: Path, data_dir: Path
) -> None:
    data = keras_text_model(keras, tmp_path, 10, 30)

    with pytest.raises(ModelImportError) as caught:
        import_model_bytes(data, "t.keras", tokenizer=b'{"word_index": {}}', data_dir=data_dir)

    assert caught.value.field == "tokenizer"

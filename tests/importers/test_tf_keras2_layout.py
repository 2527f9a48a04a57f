"""Legacy .h5 files written by tf.keras 2 (the class notes' era) use an older layout: the
functional graph's inbound_nodes as [[["layer", 0, 0, {}]]], "batch_input_shape", and weight
datasets named "...kernel:0". No TensorFlow here, so Keras 3's .h5 files are rewritten into
that layout, and must still predict exactly as Keras does."""

from __future__ import annotations

import io
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import h5py
import numpy as np

from app.importers import import_model_bytes
from tests.importers.kerasmodels import notes_regressor, numbers_case, text_case


def tf2_config(config: dict[str, Any]) -> dict[str, Any]:
    """Keras 3's model_config in tf.keras 2's layout."""
    body = config["config"]
    for layer in body["layers"]:
        inner = layer["config"]
        if "batch_shape" in inner:
            inner["batch_input_shape"] = inner.pop("batch_shape")
        if "inbound_nodes" in layer:
            layer["inbound_nodes"] = [
                [[arg["config"]["keras_history"][0], 0, 0, {}] for arg in node["args"]]
                for node in layer["inbound_nodes"]
            ]
    for key in ("input_layers", "output_layers"):
        if key in body and isinstance(body[key][0], str):
            body[key] = [body[key]]
    return config


def tf2_h5(data: bytes) -> bytes:
    """The .h5 rewritten: tf.keras 2 config layout, weight datasets renamed to "<name>:0"."""
    buffer = io.BytesIO(data)
    with h5py.File(buffer, "r+") as handle:
        config = json.loads(handle.attrs["model_config"])
        handle.attrs["model_config"] = json.dumps(tf2_config(config))
        handle.attrs["keras_version"] = "2.11.0"
        for group in handle["model_weights"].values():
            names = [n.decode() if isinstance(n, bytes) else n for n in group.attrs["weight_names"]]
            for name in names:
                group.move(name, f"{name}:0")
            group.attrs["weight_names"] = [f"{name}:0".encode() for name in names]
    return buffer.getvalue()


def check(case: Any, tmp_path: Path, data_dir: Path, **options: Any) -> None:
    path = tmp_path / "model.h5"
    case.model.save(path)
    model = import_model_bytes(tf2_h5(path.read_bytes()), "model.h5", data_dir=data_dir, **options)
    expected = case.model.predict(case.keras_inputs, verbose=0)[:, 0]
    if case.kind == "text":
        actual = [p.positive_probability for p in model.predict(case.texts)]
    else:
        actual = [p.value for p in model.predict([row.tolist() for row in case.values])]
    assert np.abs(np.asarray(actual) - expected).max() < 1e-5
    assert "legacy .h5" in model.card and "Keras 2.11.0" in model.card


def test_tf_keras2_functional_regressor_imports_exactly(
    keras: ModuleType, tmp_path: Path, data_dir: Path
) -> None:
    keras.backend.clear_session()
    check(numbers_case(keras, notes_regressor(keras)), tmp_path, data_dir)


def test_tf_keras2_sequential_bidirectional_classifier_imports_exactly(
    keras: ModuleType, tmp_path: Path, data_dir: Path
) -> None:
    keras.backend.clear_session()
    layers = keras.layers
    case = text_case(
        keras,
        [
            layers.Embedding(60, 6),
            layers.Bidirectional(layers.LSTM(4)),
            layers.Dense(1, activation="sigmoid"),
        ],
    )
    check(case, tmp_path, data_dir, tokenizer=case.tokenizer_json)

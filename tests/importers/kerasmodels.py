"""The Keras models the import is proven on: the class notes' two models and every option.

Each builder returns a compiled, briefly trained model and the inputs to compare predictions
on. Training moves the zero-initialised biases (GRU's recurrent bias above all) away from zero,
so a wrongly ordered or misplaced block cannot go unnoticed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import numpy as np

from app.preprocessing import Tokenizer, pad_sequences

WORDS = (
    "good great fun dull bad boring plot acting film story music ending actor scene slow "
    "fast loved hated best worst funny sad long short nice awful"
).split()
MAXLEN = 10
STEPS = 7
FEATURES = 4


@dataclass
class Case:
    """A trained Keras model, how to feed it, and the companions its import needs."""

    model: Any
    kind: str  # "text" or "numbers"
    texts: list[str] = field(default_factory=list)
    ids: np.ndarray | None = None  # padded token ids Keras reads (text)
    values: np.ndarray | None = None  # (n, steps, features) (numbers)
    tokenizer_json: bytes | None = None
    padding: str = "pre"
    labels: list[str] | None = None  # class names given on import (a softmax classifier)

    @property
    def keras_inputs(self) -> np.ndarray:
        return self.ids if self.kind == "text" else self.values  # type: ignore[return-value]


def sentences(count: int, seed: int) -> list[str]:
    """Random sentences of 2 to 14 words, some past maxlen, a few with unknown words."""
    rng = np.random.default_rng(seed)
    texts = []
    for _ in range(count):
        words = list(rng.choice(WORDS, size=int(rng.integers(2, 15))))
        if rng.random() < 0.3:
            words.insert(int(rng.integers(0, len(words))), "unseenword")
        texts.append(" ".join(words))
    return texts


def tokenizer(oov: bool = True) -> Tokenizer:
    fitted = Tokenizer(oov_token="<OOV>" if oov else None)
    fitted.fit_on_texts(sentences(200, seed=1))
    return fitted


def text_case(
    keras: ModuleType,
    body: list[Any],
    padding: str = "pre",
    count: int = 64,
    labels: list[str] | None = None,
) -> Case:
    """Input(maxlen) -> body, trained briefly on random sentences with random labels (one-hot
    for a softmax head of two or more classes)."""
    fitted = tokenizer()
    texts = sentences(count, seed=2)
    ids = pad_sequences(fitted.texts_to_sequences(texts), maxlen=MAXLEN, padding=padding)
    ids = np.asarray(ids, dtype="int32")
    model = keras.Sequential([keras.Input((MAXLEN,), dtype="int32"), *body])
    outputs = model.output_shape[-1]
    classes = np.random.default_rng(3).integers(0, max(outputs, 2), size=(count,))
    targets = np.eye(outputs)[classes] if outputs >= 2 else classes[:, None].astype("float32")
    train(keras, model, ids, targets)
    return Case(model, "text", texts, ids, None, fitted.to_json().encode(), padding, labels)


def numbers_case(keras: ModuleType, model: Any, count: int = 64) -> Case:
    """A model on (steps, features) windows, trained briefly on random values."""
    rng = np.random.default_rng(4)
    values = rng.random((count, STEPS, FEATURES)).astype("float32")
    outputs = model.output_shape[-1]
    targets = rng.random((count, outputs)).astype("float32")
    if outputs == 2:
        targets = np.eye(2)[rng.integers(0, 2, size=count)].astype("float32")
    train(keras, model, values, targets)
    return Case(model, "numbers", values=values)


def train(keras: ModuleType, model: Any, inputs: np.ndarray, targets: np.ndarray) -> None:
    """A few Adam steps at a high rate: enough to move every weight and bias."""
    keras.utils.set_random_seed(0)
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="mse")
    model.fit(inputs, targets, epochs=2, batch_size=32, verbose=0)


def numbers_sequential(keras: ModuleType, body: list[Any]) -> Any:
    return keras.Sequential([keras.Input((STEPS, FEATURES)), *body])


def notes_regressor(keras: ModuleType) -> Any:
    """The notes' stacked-GRU regressor (smaller): Input -> GRU(rs) -> GRU -> Dense x3."""
    layers = keras.layers
    inputs = keras.Input((STEPS, FEATURES))
    hidden = layers.GRU(12, return_sequences=True)(inputs)
    hidden = layers.GRU(12)(hidden)
    hidden = layers.Dense(20, activation="relu")(hidden)
    hidden = layers.Dense(10, activation="relu")(hidden)
    return keras.Model(inputs, layers.Dense(1)(hidden))


def tokenizer_dict(case: Case) -> dict[str, Any]:
    assert case.tokenizer_json is not None
    return json.loads(case.tokenizer_json)

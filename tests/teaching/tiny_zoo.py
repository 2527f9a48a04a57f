"""Tiny, randomly initialised models of every cell: in memory (double precision, so comparisons
with PyTorch's own modules can be tight) or written as a model directory for a real server.

Imported as `teaching.tiny_zoo` (tests/ is on sys.path through the root conftest), so the API
and browser tests of the teaching views share these families of sibling models.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

from app.preprocessing import Tokenizer
from app.zoo import GateNet, LoadedModel, ModelConfig, save_model
from app.zoo.spec import (
    DenseSpec,
    EmbeddingSpec,
    NumbersPreprocessing,
    RecurrentSpec,
    TextPreprocessing,
)

CORPUS = [
    "the movie was good",
    "the movie was bad",
    "a truly great film",
    "a boring and bad film",
    "good acting great story",
]
FEATURES = ["temperature", "humidity", "wind", "pressure"]


def tokenizer_json() -> dict[str, object]:
    tokenizer = Tokenizer(oov_token="<OOV>")
    tokenizer.fit_on_texts(CORPUS)
    return json.loads(tokenizer.to_json())


def text_model(
    cell: str = "gru",
    *,
    padding: str = "pre",
    mask_padding: bool = False,
    maxlen: int = 8,
    hidden: int = 5,
    seed: int = 0,
    model_id: str | None = None,
) -> LoadedModel:
    """An English sentiment model: Embedding(vocab, 6) -> cell(hidden) -> Dense(1, sigmoid)."""
    tokenizer = tokenizer_json()
    vocabulary = len(json.loads(tokenizer["config"]["word_index"])) + 1  # type: ignore[index]
    config = ModelConfig(
        id=model_id or f"tiny-en-{cell}",
        title=f"tiny {cell}",
        task="sentiment",
        language="en",
        embedding=EmbeddingSpec(num_embeddings=vocabulary, embedding_dim=6),
        recurrent=RecurrentSpec(cell=cell, input_size=6, hidden_size=hidden),
        head=[DenseSpec(out_features=1, activation="sigmoid")],
        preprocessing=TextPreprocessing(
            tokenizer=tokenizer, maxlen=maxlen, padding=padding, mask_padding=mask_padding
        ),
        labels=["negative", "positive"],
        examples=["a truly great film"],
    )
    return _loaded(config, seed)


def numbers_model(
    cell: str = "gru", *, layers: int = 2, hidden: int = 4, seed: int = 0
) -> LoadedModel:
    """A weather-like regression: 4 features -> stacked cell -> Dense(6, relu) -> Dense(1)."""
    config = ModelConfig(
        id=f"tiny-weather-{cell}",
        title=f"tiny weather {cell}",
        task="regression",
        recurrent=RecurrentSpec(cell=cell, input_size=4, hidden_size=hidden, num_layers=layers),
        head=[DenseSpec(out_features=6, activation="relu"), DenseSpec(out_features=1)],
        preprocessing=NumbersPreprocessing(
            features=FEATURES,
            seq_length=6,
            scaler_min=[-10.0, 0.0, 0.0, 990.0],
            scaler_max=[35.0, 100.0, 20.0, 1040.0],
            target="temperature",
            target_unit="°C",
            target_min=-10.0,
            target_max=35.0,
        ),
        examples=[[list(row) for row in WEATHER_ROWS]],
    )
    return _loaded(config, seed)


def _loaded(config: ModelConfig, seed: int) -> LoadedModel:
    torch.manual_seed(seed)
    return LoadedModel(config, GateNet(config).double())


WEATHER_ROWS = [
    [12.0, 60.0, 3.0, 1012.0],
    [13.5, 58.0, 4.0, 1011.0],
    [15.0, 55.0, 2.5, 1010.0],
    [14.0, 62.0, 5.0, 1009.0],
    [11.0, 70.0, 6.5, 1008.0],
    [10.5, 75.0, 7.0, 1007.5],
]


# The families a server of tiny models holds: sibling text models of every cell, and a pair of
# stacked weather models. Seeds differ per model so siblings do not share weights.
ZOO: dict[str, tuple[str, str]] = {
    "tiny-en-rnn": ("text", "rnn"),
    "tiny-en-lstm": ("text", "lstm"),
    "tiny-en-gru": ("text", "gru"),
    "tiny-weather-gru": ("numbers", "gru"),
    "tiny-weather-lstm": ("numbers", "lstm"),
}


def write_zoo(root: Path) -> Path:
    """Save the ZOO's models (float32, as shipped models are) under root; returns root."""
    for seed, (model_id, (kind, cell)) in enumerate(ZOO.items()):
        model = text_model(cell, seed=seed) if kind == "text" else numbers_model(cell, seed=seed)
        network = model.network.float()
        save_model(network, model.config, f"# {model.config.title}\n", root / model_id)
    return root

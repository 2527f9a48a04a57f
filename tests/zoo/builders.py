"""Small models built in memory for the zoo's tests: any cell, padding, analyzer or head."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch

from app.config import PROJECT_ROOT
from app.preprocessing import Tokenizer
from app.zoo import GateNet, LoadedModel, ModelConfig
from app.zoo.spec import (
    DenseSpec,
    EmbeddingSpec,
    NumbersPreprocessing,
    RecurrentSpec,
    TextPreprocessing,
)

DATA_DIR = PROJECT_ROOT.parent / "shared" / "data"
MODELS_DIR = PROJECT_ROOT / "models"
needs_data = pytest.mark.skipif(
    not DATA_DIR.is_dir(), reason=f"the shared training data is not at {DATA_DIR}"
)

CORPUS = [
    "the movie was good",
    "the movie was bad",
    "a truly great film",
    "a boring and bad film",
    "good acting, great story",
]


def fitted_tokenizer(
    num_words: int | None = None, oov_token: str | None = "<OOV>", analyzer: str = "whitespace"
) -> Tokenizer:
    tokenizer = Tokenizer(num_words=num_words, oov_token=oov_token, analyzer=analyzer)
    tokenizer.fit_on_texts(CORPUS)
    return tokenizer


def text_config(
    cell: str = "gru",
    *,
    tokenizer: Tokenizer | None = None,
    maxlen: int = 6,
    padding: str = "pre",
    truncating: str = "pre",
    mask_padding: bool = False,
    num_layers: int = 1,
    bidirectional: bool = False,
    hidden_size: int = 3,
    embedding_dim: int = 4,
    head: list[DenseSpec] | None = None,
    model_id: str = "tiny-text",
) -> ModelConfig:
    tokenizer = tokenizer or fitted_tokenizer()
    return ModelConfig(
        id=model_id,
        title=f"Tiny {cell} sentiment",
        task="sentiment",
        language="en",
        embedding=EmbeddingSpec(num_embeddings=tokenizer.vocab_size, embedding_dim=embedding_dim),
        recurrent=RecurrentSpec(
            cell=cell,
            input_size=embedding_dim,
            hidden_size=hidden_size,
            num_layers=num_layers,
            bidirectional=bidirectional,
        ),
        head=head or [DenseSpec(out_features=1, activation="sigmoid")],
        preprocessing=TextPreprocessing(
            tokenizer=json.loads(tokenizer.to_json()),
            analyzer=tokenizer.analyzer_name or "whitespace",
            maxlen=maxlen,
            padding=padding,
            truncating=truncating,
            mask_padding=mask_padding,
        ),
        labels=["negative", "positive"],
        examples=["a truly great film"],
    )


def numbers_config(
    cell: str = "lstm",
    *,
    features: tuple[str, ...] = ("precipitation", "temp_max", "temp_min", "wind"),
    num_layers: int = 2,
    hidden_size: int = 5,
    bidirectional: bool = False,
    scaled: bool = True,
    model_id: str = "tiny-numbers",
) -> ModelConfig:
    width = len(features)
    scaling: dict[str, Any] = {}
    if scaled:
        scaling = {
            "scaler_min": [float(-10 * (k + 1)) for k in range(width)],
            "scaler_max": [float(10 * (k + 1)) for k in range(width)],
            "target": features[0],
            "target_unit": "°C",
            "target_min": -10.0,
            "target_max": 10.0,
        }
    return ModelConfig(
        id=model_id,
        title=f"Tiny {cell} regression",
        task="regression",
        recurrent=RecurrentSpec(
            cell=cell,
            input_size=width,
            hidden_size=hidden_size,
            num_layers=num_layers,
            bidirectional=bidirectional,
        ),
        head=[
            DenseSpec(out_features=7, activation="relu"),
            DenseSpec(out_features=1, activation="linear"),
        ],
        preprocessing=NumbersPreprocessing(features=list(features), seq_length=3, **scaling),
        examples=[[[0.0] * width, [1.0] * width, [2.0] * width]],
    )


def loaded(config: ModelConfig, seed: int = 0, dtype: torch.dtype = torch.float64) -> LoadedModel:
    """A randomly initialised model for `config` (double precision by default)."""
    torch.manual_seed(seed)
    return LoadedModel(config, GateNet(config).to(dtype))


def shipped_dirs() -> list[Path]:
    if not MODELS_DIR.is_dir():
        return []
    return sorted(
        path
        for path in MODELS_DIR.iterdir()
        if path.is_dir() and not path.name.startswith(".") and (path / "config.json").is_file()
    )

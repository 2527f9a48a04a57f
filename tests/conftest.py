"""Shared fixtures: tiny models in a tmp dir, and real uvicorn servers on 127.0.0.1.

`live_server` (session) serves the repository's models/; `start_server(env, workers=1)` starts
(or reuses) a server with extra GATESCOPE_* variables; `tiny_models_dir` holds small models built
here so tests need not depend on the shipped weights' exact values.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import torch

from app.apibench import UvicornProcess, start_uvicorn
from app.preprocessing import Tokenizer
from app.zoo import GateNet, ModelConfig, save_model
from app.zoo.spec import (
    DenseSpec,
    EmbeddingSpec,
    NumbersPreprocessing,
    RecurrentSpec,
    TextPreprocessing,
)

with warnings.catch_warnings():
    # Starlette warns once, at import, that its TestClient prefers httpx2 over httpx.
    warnings.filterwarnings("ignore", "Using `httpx` with `starlette.testclient`")
    import fastapi.testclient  # noqa: F401

REPO = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT = 60.0
TINY_TEXTS = [
    "a great film",
    "a dull film",
    "great acting and a good plot",
    "bad plot, dull acting",
]


LiveServer = UvicornProcess  # .url, .data_dir, .log(), .stop()


@pytest.fixture(scope="session")
def start_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., LiveServer]]:
    """Factory: `start_server(env: dict, workers: int = 1) -> LiveServer`.

    Servers with the same env and workers are shared within the session; all stop at its end.
    GATESCOPE_DATA_DIR defaults to a fresh tmp dir per server (override it in `env`).
    """
    servers: dict[tuple[tuple[tuple[str, str], ...], int], LiveServer] = {}

    def start(env: dict[str, str] | None = None, workers: int = 1) -> LiveServer:
        env = dict(env or {})
        key = (tuple(sorted(env.items())), workers)
        if key not in servers:
            data_dir = Path(env.get("GATESCOPE_DATA_DIR") or tmp_path_factory.mktemp("data"))
            env["GATESCOPE_DATA_DIR"] = str(data_dir)
            env.setdefault("GATESCOPE_MODELS_DIR", str(REPO / "models"))
            servers[key] = start_uvicorn(env, data_dir, workers, timeout=STARTUP_TIMEOUT)
        return servers[key]

    yield start
    for server in servers.values():
        server.stop()


@pytest.fixture(scope="session")
def live_server(start_server: Callable[..., LiveServer]) -> LiveServer:
    """A server on the repository's models/ with an empty tmp data dir."""
    return start_server({})


# -- tiny models -------------------------------------------------------------------------------


def tiny_text_config(model_id: str, cell: str, bidirectional: bool = False) -> ModelConfig:
    """A sentiment model on a six-word window, pre-padded as Keras does."""
    tokenizer = Tokenizer(oov_token="<OOV>")
    tokenizer.fit_on_texts(TINY_TEXTS)
    return ModelConfig(
        id=model_id,
        title=f"Tiny {cell.upper()} sentiment",
        task="sentiment",
        language="en",
        embedding=EmbeddingSpec(num_embeddings=tokenizer.vocab_size, embedding_dim=4),
        blocks=[RecurrentSpec(cell=cell, input_size=4, hidden_size=3, bidirectional=bidirectional)],
        head=[DenseSpec(out_features=1, activation="sigmoid")],
        preprocessing=TextPreprocessing(tokenizer=json.loads(tokenizer.to_json()), maxlen=6),
        labels=["negative", "positive"],
        examples=["a great film"],
        description="A tiny test model.",
    )


def tiny_numbers_config(model_id: str, cell: str, num_layers: int = 1) -> ModelConfig:
    """A regression on two features (temperature, pressure), min-max scaled."""
    return ModelConfig(
        id=model_id,
        title=f"Tiny {cell.upper()} weather",
        task="regression",
        blocks=[RecurrentSpec(cell=cell, input_size=2, hidden_size=3, num_layers=num_layers)],
        head=[DenseSpec(out_features=1)],
        preprocessing=NumbersPreprocessing(
            features=["temperature", "pressure"],
            seq_length=4,
            scaler_min=[-10.0, 950.0],
            scaler_max=[40.0, 1050.0],
            target="temperature",
            target_unit="°C",
            target_min=-10.0,
            target_max=40.0,
        ),
        examples=[[[10.0, 1000.0], [11.0, 1001.0], [12.0, 1002.0], [13.0, 1003.0]]],
    )


def tiny_series_config(model_id: str) -> ModelConfig:
    """A bidirectional RNN regression on one feature (flat lists allowed)."""
    return ModelConfig(
        id=model_id,
        title="Tiny bidirectional RNN series",
        task="regression",
        blocks=[RecurrentSpec(cell="rnn", input_size=1, hidden_size=2, bidirectional=True)],
        head=[DenseSpec(out_features=1)],
        preprocessing=NumbersPreprocessing(features=["level"], seq_length=3),
        examples=[[0.1, 0.2, 0.3]],
    )


TINY_CLASSES = ["sad", "calm", "happy", "angry"]


def tiny_chain_classes_config(model_id: str) -> ModelConfig:
    """Bidirectional LSTM(5) -> GRU(3) -> Dense(4, softmax): a chain of two blocks of different
    cells and a four-class head, as Keras's Bidirectional(LSTM(5, return_sequences=True)) ->
    GRU(3) -> Dense(4, softmax)."""
    tokenizer = Tokenizer(oov_token="<OOV>")
    tokenizer.fit_on_texts(TINY_TEXTS)
    return ModelConfig(
        id=model_id,
        title="Tiny BiLSTM -> GRU mood classes",
        task="classification",
        language="en",
        embedding=EmbeddingSpec(num_embeddings=tokenizer.vocab_size, embedding_dim=4),
        blocks=[
            RecurrentSpec(cell="lstm", input_size=4, hidden_size=5, bidirectional=True),
            RecurrentSpec(cell="gru", input_size=10, hidden_size=3),
        ],
        head=[DenseSpec(out_features=len(TINY_CLASSES), activation="softmax")],
        preprocessing=TextPreprocessing(tokenizer=json.loads(tokenizer.to_json()), maxlen=6),
        labels=TINY_CLASSES,
        examples=["a great film"],
    )


def tiny_chain_series_config(model_id: str) -> ModelConfig:
    """GRU(4, reset_after=False) -> LSTM(3), two layers -> Dense(1): the class notes' GRU under
    a stacked LSTM, on the two weather features."""
    blocks = [
        RecurrentSpec(cell="gru", input_size=2, hidden_size=4, reset_after=False),
        RecurrentSpec(cell="lstm", input_size=4, hidden_size=3, num_layers=2),
    ]
    document = tiny_numbers_config(model_id, "gru").model_dump()
    title = "Tiny GRU(reset before) -> LSTM weather"
    return ModelConfig.model_validate({**document, "title": title, "blocks": blocks})


TINY_CONFIGS: list[Callable[[], ModelConfig]] = [
    lambda: tiny_text_config("tiny-text-gru", "gru"),
    lambda: tiny_text_config("tiny-text-bilstm", "lstm", bidirectional=True),
    lambda: tiny_numbers_config("tiny-numbers-lstm", "lstm", num_layers=2),
    lambda: tiny_series_config("tiny-series-birnn"),
    lambda: tiny_chain_classes_config("tiny-chain-classes"),
    lambda: tiny_chain_series_config("tiny-chain-series"),
]
TINY_IDS = sorted(make_config().id for make_config in TINY_CONFIGS)


def build_tiny_models(root: Path) -> Path:
    """Write the tiny models (seeded, so their weights are the same every run) under root."""
    for index, make_config in enumerate(TINY_CONFIGS):
        config = make_config()
        torch.manual_seed(index)
        save_model(GateNet(config), config, f"# {config.title}\n\nFor tests.\n", root / config.id)
    return root


@pytest.fixture(scope="session")
def tiny_models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Models tiny-text-gru, tiny-text-bilstm, tiny-numbers-lstm and tiny-series-birnn."""
    return build_tiny_models(tmp_path_factory.mktemp("tiny-models"))


@pytest.fixture(scope="session")
def tiny_server(start_server: Callable[..., LiveServer], tiny_models_dir: Path) -> LiveServer:
    """A server on the tiny models."""
    return start_server({"GATESCOPE_MODELS_DIR": str(tiny_models_dir)})

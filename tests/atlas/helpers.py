"""Brute force for the atlas's tests: every document traced on its own, as the trace endpoint
traces it, and rounded by the endpoint's own serializer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from app.serialize import layer_payload
from app.zoo import LoadedModel, ModelConfig
from app.zoo.spec import DenseSpec, RecurrentSpec
from tests.zoo.builders import loaded, numbers_config, text_config

TEXTS = [
    "the movie was good",
    "a truly great film indeed",
    "bad bad bad movie",
    "!!!",
    "good acting, great story the movie was good and fun",
    "the film was boring and bad",
    "great great story",
    "zzz unknown words only",
    "a good film",
    "the acting was bad but the story was great",
]
SERIES = [
    [[float((s * 7 + t * 3) % 5) - 2, float(t), float(s % 3), 1.0] for t in range(3)]
    for s in range(12)
]


@dataclass(frozen=True)
class Step:
    document: int  # corpus id
    step: int  # trace step
    token: Any
    values: dict[str, list[float]]  # track name -> the unit values (rounded as the endpoint)


def text_model(cell: str = "lstm", **options: Any) -> LoadedModel:
    return loaded(
        text_config(cell, maxlen=options.pop("maxlen", 7), hidden_size=4, **options),
        dtype=torch.float32,
    )


def chain_model() -> LoadedModel:
    """A bidirectional LSTM block feeding a GRU block, post-padded."""
    base = text_config("lstm", maxlen=7, padding="post", hidden_size=3, bidirectional=True)
    blocks = [
        base.blocks[0],
        RecurrentSpec(cell="gru", input_size=6, hidden_size=4),
    ]
    config = ModelConfig(
        **{
            **base.model_dump(),
            "blocks": blocks,
            "head": [DenseSpec(out_features=1, activation="sigmoid")],
        }
    )
    return loaded(config, dtype=torch.float32)


def series_model() -> LoadedModel:
    return loaded(numbers_config("gru", num_layers=2, hidden_size=4), dtype=torch.float32)


def brute_steps(model: LoadedModel, documents: list[Any], decimals: int = 4) -> list[Step]:
    """Every real step of every valid document, in corpus order."""
    found: list[Step] = []
    for document, raw in enumerate(documents):
        try:
            traced = model.run_trace(raw)
        except ValueError:
            continue
        payloads = [layer_payload(layer, decimals) for layer in traced.trace.layers]
        kinds = traced.prepared.token_kinds or ["word"] * traced.prepared.steps
        for step, kind in enumerate(kinds):
            if kind == "pad":
                continue
            values: dict[str, list[float]] = {}
            for payload in payloads:
                prefix = f"{payload['layer']}/{payload['direction']}/"
                for gate, array in payload["gates"].items():
                    values[prefix + gate] = array[step].tolist()
                if payload["cell"] is not None:
                    values[prefix + "cell"] = payload["cell"][step].tolist()
                values[prefix + "hidden"] = payload["hidden"][step].tolist()
            token = (
                traced.prepared.tokens[step]
                if traced.prepared.tokens is not None
                else traced.prepared.values[step]  # type: ignore[index]
            )
            found.append(Step(document, step, token, values))
    return found


def column(steps: list[Step], track: str, unit: int) -> np.ndarray:
    return np.array([step.values[track][unit] for step in steps])

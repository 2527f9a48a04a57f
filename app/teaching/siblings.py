"""Sibling models: the same task, language and input, read by a different recurrent cell."""

from __future__ import annotations

from collections.abc import Iterable

from app.recurrent import GATE_NAMES
from app.zoo import LoadedModel
from app.zoo.spec import ModelConfig, NumbersPreprocessing

# The notes' order: the plain RNN and its problem first, then the two fixes.
CELL_ORDER: tuple[str, ...] = tuple(GATE_NAMES)  # rnn, lstm, gru


def family(config: ModelConfig) -> tuple[object, ...]:
    """What two models must share for their traces to be compared step by step."""
    spec = config.preprocessing
    features = tuple(spec.features) if isinstance(spec, NumbersPreprocessing) else ()
    labels = tuple(config.class_labels) if config.task != "regression" else ()
    return (config.task, config.language, config.input_kind, features, labels)


def siblings(model: LoadedModel, candidates: Iterable[LoadedModel]) -> list[LoadedModel]:
    """`model` and one model per other cell of its family, in the notes' order (RNN, LSTM, GRU).

    `model` itself always represents its own cell; for other cells a shipped model is
    preferred over an uploaded one, then the first by id. A chain of blocks of different cells
    ("mixed") has no siblings: it is compared with nothing but itself.
    """
    if model.config.cell not in CELL_ORDER:
        return [model]
    chosen: dict[str, LoadedModel] = {model.config.cell: model}
    own_family = family(model.config)
    ranked = sorted(candidates, key=lambda other: (other.source != "shipped", other.id))
    for other in ranked:
        cell = other.config.cell
        if cell in CELL_ORDER and cell not in chosen and family(other.config) == own_family:
            chosen[cell] = other
    return [chosen[cell] for cell in CELL_ORDER if cell in chosen]

"""Sibling models: the same task, language and input, read by a different recurrent cell."""

from __future__ import annotations

from collections.abc import Iterable

from app.zoo import LoadedModel
from app.zoo.spec import ModelConfig, NumbersPreprocessing

# The notes' order: the plain RNN and its problem first, then the two fixes.
CELL_ORDER: tuple[str, ...] = ("rnn", "lstm", "gru")


def family(config: ModelConfig) -> tuple[object, ...]:
    """What two models must share for their traces to be compared step by step."""
    spec = config.preprocessing
    features = tuple(spec.features) if isinstance(spec, NumbersPreprocessing) else ()
    return (config.task, config.language, config.input_kind, features)


def siblings(model: LoadedModel, candidates: Iterable[LoadedModel]) -> list[LoadedModel]:
    """`model` and one model per other cell of its family, in the notes' order (RNN, LSTM, GRU).

    `model` itself always represents its own cell; for other cells a shipped model is
    preferred over an uploaded one, then the first by id.
    """
    chosen: dict[str, LoadedModel] = {model.config.recurrent.cell: model}
    ranked = sorted(candidates, key=lambda other: (other.source != "shipped", other.id))
    for other in ranked:
        cell = other.config.recurrent.cell
        if cell not in chosen and family(other.config) == family(model.config):
            chosen[cell] = other
    return [chosen[cell] for cell in CELL_ORDER if cell in chosen]

"""What a model is, as plain data: the summary a table of models shows, and the detail page's."""

from __future__ import annotations

from typing import Any

from app.zoo.loaded import LoadedModel
from app.zoo.spec import NumbersPreprocessing, RecurrentSpec, TextPreprocessing


def block_summary(index: int, spec: RecurrentSpec) -> dict[str, Any]:
    """One recurrent block as the API and the pages describe it."""
    return {
        "block": index,
        "cell": spec.cell,
        "layers": spec.num_layers,
        "bidirectional": spec.bidirectional,
        "units": spec.proj_size or spec.hidden_size,
        "nonlinearity": spec.nonlinearity,
        "reset_after": spec.reset_after,
    }


def summary_of(model: LoadedModel) -> dict[str, Any]:
    """The fields of a model's one-line summary."""
    config = model.config
    top = config.blocks[-1]
    preprocessing = config.preprocessing
    return {
        "id": model.id,
        "title": config.title,
        "source": model.source,
        "cell": config.cell,
        "task": config.task,
        "language": config.language,
        "input_kind": config.input_kind,
        "features": _features(preprocessing),
        "seq_length": _seq_length(preprocessing),
        "hidden_size": top.hidden_size,
        "num_layers": config.num_layers,
        "bidirectional": any(block.bidirectional for block in config.blocks),
        "nonlinearity": top.nonlinearity,
        "blocks": [block_summary(index, spec) for index, spec in enumerate(config.blocks)],
        "labels": config.class_labels if config.task != "regression" else None,
        "parameters": model.total_parameters,
        "translations": {
            language: translation.model_dump()
            for language, translation in config.translations.items()
        },
    }


def detail_of(model: LoadedModel) -> dict[str, Any]:
    """The summary plus parameter counts per layer, the card, examples and the target."""
    preprocessing = model.config.preprocessing
    numbers = preprocessing if isinstance(preprocessing, NumbersPreprocessing) else None
    return {
        **summary_of(model),
        "parameter_counts": model.parameter_counts(),
        "card": model.card,
        "description": model.config.description,
        "examples": list(model.config.examples),
        "target": numbers.target if numbers else None,
        "target_unit": numbers.target_unit if numbers else None,
    }


def _features(preprocessing: TextPreprocessing | NumbersPreprocessing) -> list[str] | None:
    if isinstance(preprocessing, NumbersPreprocessing):
        return list(preprocessing.features)
    return None


def _seq_length(preprocessing: TextPreprocessing | NumbersPreprocessing) -> int:
    if isinstance(preprocessing, TextPreprocessing):
        return preprocessing.maxlen
    return preprocessing.seq_length

"""docs/model-format.md shows the JSON Schema ModelConfig has now (regenerate if this fails)."""

from __future__ import annotations

import json
import re

from app.importers.format_doc import (
    CLASSIFIER_PARTS,
    DOC_PATH,
    EXAMPLE,
    VERSION_1_EXAMPLE,
    render,
)
from app.zoo import ModelConfig


def test_model_format_doc_is_up_to_date() -> None:
    assert DOC_PATH.read_text(encoding="utf-8") == render(), (
        "docs/model-format.md is stale: run `python -m app.importers.format_doc`"
    )


def test_doc_schema_is_modelconfigs_and_its_example_is_valid() -> None:
    blocks = re.findall(r"```json\n(.*?)\n```", DOC_PATH.read_text(encoding="utf-8"), re.S)

    assert json.loads(blocks[-1]) == ModelConfig.model_json_schema()
    assert ModelConfig.model_validate(EXAMPLE).id == "weather-gru"


def test_doc_examples_of_a_classifier_and_of_version_1_are_valid() -> None:
    classifier = {
        **CLASSIFIER_PARTS,
        "id": "three-moods",
        "title": "Three moods",
        "embedding": {"num_embeddings": 100, "embedding_dim": 64},
        "preprocessing": {"kind": "text", "tokenizer": {"config": {}}, "maxlen": 10},
    }

    assert ModelConfig.model_validate(classifier).cells == ["lstm", "gru"]
    upgraded = ModelConfig.model_validate(VERSION_1_EXAMPLE)
    assert (upgraded.format_version, upgraded.num_layers) == (2, 2)

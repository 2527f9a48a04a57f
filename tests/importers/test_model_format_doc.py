"""docs/model-format.md shows the JSON Schema ModelConfig has now (regenerate if this fails)."""

from __future__ import annotations

import json
import re

from app.importers.format_doc import DOC_PATH, EXAMPLE, render
from app.zoo import ModelConfig


def test_model_format_doc_is_up_to_date() -> None:
    assert DOC_PATH.read_text(encoding="utf-8") == render(), (
        "docs/model-format.md is stale: run `python -m app.importers.format_doc`"
    )


def test_doc_schema_is_modelconfigs_and_its_example_is_valid() -> None:
    blocks = re.findall(r"```json\n(.*?)\n```", DOC_PATH.read_text(encoding="utf-8"), re.S)

    assert json.loads(blocks[-1]) == ModelConfig.model_json_schema()
    assert ModelConfig.model_validate(EXAMPLE).id == "weather-gru"

"""From a converted file plus its companions (tokenizer, settings) to a checked, working model.

Priority of settings: the upload's form fields, then the companion config.json, then what the
model file itself fixes (input length, feature count), then defaults (Keras's "pre" padding,
"class 0".."class N-1" for a classifier's labels).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import torch
from pydantic import ValidationError

from app.importers.errors import ModelImportError
from app.importers.limits import ImportLimits
from app.importers.parts import Converted
from app.preprocessing import tokenizer_from_config
from app.zoo import GateNet, LoadedModel, ModelConfig, ModelFormatError
from app.zoo.errors import InputError
from app.zoo.store import build_network

# What a companion config.json may set for a Keras model (the rest comes from the file).
COMPANION_KEYS = frozenset(
    {"title", "description", "language", "labels", "examples", "preprocessing"}
)
DEFAULT_SEQ_LENGTH = 10
HANGUL = re.compile(r"[\uac00-\ud7a3]")


@dataclass(frozen=True)
class Options:
    """The upload's form fields (None when not given)."""

    model_id: str | None = None
    title: str | None = None
    maxlen: int | None = None
    padding: str | None = None
    features: list[str] | None = None
    labels: list[str] | None = None
    tokenizer: dict[str, Any] | None = None
    companion: dict[str, Any] | None = None


def model_config(converted: Converted, options: Options, model_id: str) -> ModelConfig:
    """The validated ModelConfig of the upload, under ``model_id``."""
    if converted.complete:
        document = _complete_config(converted, options)
    else:
        document = _keras_config(converted, options)
    _set_labels(document, options)
    document["id"] = model_id
    if options.title is not None:
        document["title"] = options.title
    document.setdefault("title", converted.title)
    try:
        return ModelConfig.model_validate(document)
    except ValidationError as error:
        raise _validation_error(error, options) from error


def checked_network(config: ModelConfig, converted: Converted, limits: ImportLimits) -> GateNet:
    """GateNet holding the converted weights, within the server's limits, run once on a probe."""
    _check_limits(config, limits)
    _check_tokenizer(config)
    try:
        network = build_network(config, converted.state)
    except ModelFormatError as error:
        raise ModelImportError("config" if converted.complete else "file", str(error)) from error
    _probe(LoadedModel(config, network, source="uploaded"))
    return network


def model_card(config: ModelConfig, converted: Converted, filename: str) -> str:
    """card.md for an imported model: where it came from and how it was converted."""
    lines = [
        f"# {config.title}",
        "",
        f"Imported from `{filename}` ({converted.source}) on "
        f"{datetime.now(UTC).strftime('%Y-%m-%d %H:%M')} UTC.",
    ]
    if converted.layers:
        lines += ["", "## Layers in the file", "", *(f"- {line}" for line in converted.layers)]
    if converted.notes:
        lines += ["", "## Conversion notes", "", *(f"- {note}" for note in converted.notes)]
    return "\n".join(lines) + "\n"


# -- Keras models: the file fixes the network, companions the rest --------------------------------


def _keras_config(converted: Converted, options: Options) -> dict[str, Any]:
    companion = dict(options.companion or {})
    extra = sorted(set(companion) - COMPANION_KEYS)
    if extra:
        raise ModelImportError(
            "config",
            f"may set only {', '.join(sorted(COMPANION_KEYS))} for a Keras model (the network "
            f"comes from the model file); it sets {', '.join(extra)}.",
        )
    given = companion.pop("preprocessing", None) or {}
    if not isinstance(given, dict):
        raise ModelImportError("config", "has a 'preprocessing' that is not a JSON object.")
    document: dict[str, Any] = {**converted.config, **companion}
    if converted.input_kind == "text":
        document["preprocessing"] = _text_preprocessing(converted, options, given)
        document.setdefault("language", _language(document["preprocessing"]["tokenizer"]))
    else:
        document["preprocessing"] = _numbers_preprocessing(converted, options, given)
    return document


def _text_preprocessing(
    converted: Converted, options: Options, given: dict[str, Any]
) -> dict[str, Any]:
    tokenizer = options.tokenizer or given.get("tokenizer")
    if tokenizer is None:
        raise ModelImportError(
            "tokenizer",
            "is needed for a text model (it starts with an Embedding): upload the JSON that "
            "tokenizer.to_json() wrote when the model was trained.",
        )
    maxlen = _length(options.maxlen, given.get("maxlen"), converted, "maxlen")
    if maxlen is None:
        raise ModelImportError(
            "maxlen",
            "is needed: the model does not fix its input length, so give the maxlen used "
            "with pad_sequences in training.",
        )
    analyzer = given.get("analyzer") or tokenizer.get("analyzer") or "whitespace"
    return {
        **given,
        "kind": "text",
        "tokenizer": tokenizer,
        "analyzer": analyzer,
        "maxlen": maxlen,
        "padding": options.padding or given.get("padding", "pre"),
        "mask_padding": converted.mask_zero,
    }


def _numbers_preprocessing(
    converted: Converted, options: Options, given: dict[str, Any]
) -> dict[str, Any]:
    width = int(converted.config["blocks"][0]["input_size"])
    features = options.features or given.get("features") or [f"x{i + 1}" for i in range(width)]
    if isinstance(features, list) and len(features) != width:
        raise ModelImportError(
            "features",
            f"names {len(features)} features but the model reads {width} per step; give "
            f"{width} names.",
        )
    seq_length = _length(options.maxlen, given.get("seq_length"), converted, "maxlen")
    return {
        **given,
        "kind": "numbers",
        "features": features,
        "seq_length": seq_length or DEFAULT_SEQ_LENGTH,
    }


def _length(option: int | None, companion: Any, converted: Converted, field: str) -> int | None:
    """The input length: form field, companion, or the model's own fixed length (which wins
    ties, and must not be contradicted unless padding steps are skipped anyway)."""
    chosen = option if option is not None else companion
    fixed = converted.steps
    if chosen is None:
        return fixed
    if fixed is not None and chosen != fixed and not converted.mask_zero:
        raise ModelImportError(
            field,
            f"is {chosen} but the model reads exactly {fixed} steps (its Input shape); "
            f"leave it empty or give {fixed}.",
        )
    return chosen if isinstance(chosen, int) else fixed


def _language(tokenizer: dict[str, Any]) -> str | None:
    """ "ko" when the vocabulary is mostly Hangul, else "en" (None for an odd tokenizer)."""
    config = tokenizer.get("config") if isinstance(tokenizer, dict) else None
    index = config.get("word_index") if isinstance(config, dict) else None
    if isinstance(index, str):
        try:
            index = json.loads(index)
        except json.JSONDecodeError:
            return None
    if not isinstance(index, dict) or not index:
        return None
    words = list(index)[:200]
    korean = sum(1 for word in words if HANGUL.search(str(word)))
    return "ko" if korean * 2 >= len(words) else "en"


# -- gatescope's own format: the whole config comes with the weights ------------------------------


def _complete_config(converted: Converted, options: Options) -> dict[str, Any]:
    document = dict(converted.config)
    document.pop("id", None)
    preprocessing = document.get("preprocessing")
    if not isinstance(preprocessing, dict):
        return document
    preprocessing = dict(preprocessing)
    if preprocessing.get("kind", "text") == "text":
        _set(preprocessing, "tokenizer", options.tokenizer)
        _set(preprocessing, "maxlen", options.maxlen)
        _set(preprocessing, "padding", options.padding)
    else:
        _set(preprocessing, "features", options.features)
        _set(preprocessing, "seq_length", options.maxlen)
    document["preprocessing"] = preprocessing
    return document


def _set(target: dict[str, Any], key: str, value: Any) -> None:
    if value is not None:
        target[key] = value


# -- labels ---------------------------------------------------------------------------------------


def _set_labels(document: dict[str, Any], options: Options) -> None:
    """The form's labels win; a classifier without any is given "class 0".."class N-1"."""
    if options.labels is not None:
        document["labels"] = options.labels
    classes = _class_count(document)
    labels = document.get("labels")
    if labels is None:
        if document.get("task") == "classification" and classes is not None:
            document["labels"] = [f"class {index}" for index in range(classes)]
        return
    field = "labels" if options.labels is not None else "config"
    if document.get("task") == "regression":
        raise ModelImportError(
            field,
            "gives labels, but this model predicts a value (regression): it has no classes to "
            "name.",
        )
    if classes is not None and isinstance(labels, list) and len(labels) != classes:
        raise ModelImportError(
            field,
            f"gives {len(labels)} labels but the model's head has {classes} classes; give "
            f"{classes} names, one per class in output order.",
        )


def _class_count(document: dict[str, Any]) -> int | None:
    """How many names the labels must hold: 2 for sentiment, else the head's last width."""
    if document.get("task") == "sentiment":
        return 2
    head = document.get("head")
    last = head[-1] if isinstance(head, list) and head else None
    width = last.get("out_features") if isinstance(last, dict) else None
    return width if isinstance(width, int) else None


# -- checks ---------------------------------------------------------------------------------------


def _validation_error(error: ValidationError, options: Options) -> ModelImportError:
    first = error.errors()[0]
    location = [str(part) for part in first.get("loc", ())]
    field = _field_of(location, options)
    where = ".".join(location) or "config"
    return ModelImportError(field, f"gives an invalid model setting {where}: {first.get('msg')}.")


def _field_of(location: list[str], options: Options) -> str:
    """The upload field a config error belongs to."""
    last = location[-1] if location else ""
    fields = {"id": "id", "title": "title", "maxlen": "maxlen", "seq_length": "maxlen"}
    fields |= {"padding": "padding", "features": "features", "tokenizer": "tokenizer"}
    fields |= {"labels": "labels"} if options.labels is not None else {}
    if last in fields:
        return fields[last]
    if location[:1] == ["title"]:
        return "title"
    return "config" if options.companion is not None else "file"


def _check_limits(config: ModelConfig, limits: ImportLimits) -> None:
    widest = max(config.blocks, key=lambda block: block.hidden_size)
    checks = [
        (widest.hidden_size, limits.max_hidden_size, f"units in a {widest.cell.upper()}"),
        (config.num_layers, limits.max_layers, "recurrent layers in all"),
    ]
    settings = ("GATESCOPE_MAX_HIDDEN_SIZE", "GATESCOPE_MAX_LAYERS")
    for (value, limit, what), setting in zip(checks, settings, strict=True):
        if limit is not None and value > limit:
            raise ModelImportError(
                "file",
                f"has {value} {what}; this server traces at most {limit} ({setting}).",
            )


def _check_tokenizer(config: ModelConfig) -> None:
    spec = config.preprocessing
    if spec.kind != "text" or config.embedding is None:
        return
    try:
        tokenizer = tokenizer_from_config(spec.tokenizer)
    except (ValueError, TypeError) as error:
        raise ModelImportError("tokenizer", f"is not a Keras tokenizer JSON: {error}") from error
    indices = [index for index in tokenizer.word_index.values() if isinstance(index, int)]
    if tokenizer.num_words is not None:
        indices = [index for index in indices if index < tokenizer.num_words]
    if tokenizer.oov_token is not None and tokenizer.oov_token in tokenizer.word_index:
        indices.append(tokenizer.word_index[tokenizer.oov_token])
    rows = config.embedding.num_embeddings
    if indices and max(indices) >= rows:
        raise ModelImportError(
            "tokenizer",
            f"gives word ids up to {max(indices)} but the Embedding has {rows} rows "
            "(input_dim): is it the tokenizer this model was trained with?",
        )


def _probe(model: LoadedModel) -> None:
    """Run the model once on a small input, so a broken model is refused, not stored."""
    probe: Any
    if model.config.input_kind == "text":
        words = sorted(model.tokenizer.word_index, key=model.tokenizer.word_index.__getitem__)
        probe = " ".join(words[:3]) or "a"
    else:
        width = model.config.blocks[0].input_size
        probe = [[0.5] * width for _ in range(3)]
    try:
        with torch.no_grad():
            model.predict([probe])
    except InputError:
        return  # the probe words may all be filtered out; the network itself is fine
    except Exception as error:  # any failure here means the model would fail for students too
        raise ModelImportError("file", f"does not run once imported: {error}") from error

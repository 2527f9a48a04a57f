"""The model format: what `models/<id>/config.json` holds, as validated pydantic models.

A model directory holds `config.json` (this schema), `weights.safetensors` (the state dict of
`GateNet`, see network.py) and `card.md`. Nothing in it is ever unpickled.

Format version 2 describes the body as a chain of recurrent blocks (`blocks`), each its own
nn.RNN/nn.LSTM/nn.GRU fed the previous block's whole output sequence, and the head by `task`.
Version 1 (one module under `recurrent`) is still read: `upgrade_document` turns it into the
one-block case and `upgrade_state` renames its weights.
"""

from __future__ import annotations

import re
from itertools import pairwise
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from app.limits import (
    MAX_BLOCKS,
    MAX_CLASSES,
    MAX_DENSE_WIDTH,
    MAX_FEATURES,
    MAX_HEAD_LAYERS,
    MAX_LAYERS,
    MAX_MAXLEN,
    MAX_UNITS,
    MAX_VOCABULARY,
)
from app.recurrent import CellKind

FORMAT_VERSION: Literal[2] = 2
MODEL_ID_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$"

Activation = Literal["linear", "relu", "sigmoid", "tanh", "softmax"]
# What the head predicts: a binary label (Dense(1, sigmoid)), one of N classes (Dense(N,
# softmax)), a number (Dense(1)), or the next token at every step (Dense(vocabulary, softmax)).
Task = Literal["sentiment", "classification", "regression", "next-token"]
TASKS: tuple[Task, ...] = ("sentiment", "classification", "regression", "next-token")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class EmbeddingSpec(Strict):
    num_embeddings: Annotated[int, Field(ge=2, le=MAX_VOCABULARY)]
    embedding_dim: Annotated[int, Field(ge=1, le=MAX_UNITS)]


class RecurrentSpec(Strict):
    """One recurrent block: a whole nn.RNN/nn.LSTM/nn.GRU with its own layers and direction."""

    cell: CellKind
    input_size: Annotated[int, Field(ge=1, le=MAX_UNITS)]
    hidden_size: Annotated[int, Field(ge=1, le=MAX_UNITS)]
    num_layers: Annotated[int, Field(ge=1, le=MAX_LAYERS)] = 1
    bidirectional: bool = False
    bias: bool = True
    nonlinearity: Literal["tanh", "relu"] = "tanh"  # nn.RNN only
    proj_size: Annotated[int, Field(ge=0, le=MAX_UNITS)] = 0  # nn.LSTM only
    # GRU only: False is Keras's reset_after=False, the class notes' equation (r applied to h
    # before the recurrent product); nn.GRU itself is reset_after=True.
    reset_after: bool = True

    @model_validator(mode="after")
    def _options_fit_the_cell(self) -> RecurrentSpec:
        if self.proj_size and self.cell != "lstm":
            raise ValueError("proj_size is an nn.LSTM option only")
        if self.proj_size >= self.hidden_size and self.proj_size:
            raise ValueError("proj_size must be smaller than hidden_size")
        if self.nonlinearity != "tanh" and self.cell != "rnn":
            raise ValueError("nonlinearity is an nn.RNN option only")
        if not self.reset_after and self.cell != "gru":
            raise ValueError("reset_after is a GRU option only")
        return self

    @property
    def output_width(self) -> int:
        """Width of one step's output: both directions, projected when proj_size is set."""
        units = self.proj_size or self.hidden_size
        return units * (2 if self.bidirectional else 1)


class DenseSpec(Strict):
    out_features: Annotated[int, Field(ge=1, le=MAX_DENSE_WIDTH)]
    activation: Activation = "linear"
    bias: bool = True


class TextPreprocessing(Strict):
    """Keras-style text preparation: tokenizer, then pad_sequences to maxlen."""

    kind: Literal["text"] = "text"
    tokenizer: dict[str, Any]  # the JSON of Tokenizer.to_json(), parsed
    analyzer: Literal["whitespace", "morpheme"] = "whitespace"
    maxlen: Annotated[int, Field(ge=1, le=MAX_MAXLEN)]
    padding: Literal["pre", "post"] = "pre"
    truncating: Literal["pre", "post"] = "pre"
    # Embedding(mask_zero=True): padding steps are skipped instead of read.
    mask_padding: bool = False

    @model_validator(mode="after")
    def _tokenizer_names_the_same_analyzer(self) -> TextPreprocessing:
        if not isinstance(self.tokenizer.get("config"), dict):
            raise ValueError('tokenizer must be the parsed JSON of Tokenizer.to_json() ("config")')
        saved = self.tokenizer.get("analyzer")
        if saved is not None and saved != self.analyzer:
            raise ValueError(
                f"the tokenizer was saved with analyzer {saved!r}, not {self.analyzer!r}"
            )
        return self


class NumbersPreprocessing(Strict):
    """Windows of seq_length steps of named features, min-max scaled with training constants."""

    kind: Literal["numbers"] = "numbers"
    features: Annotated[list[str], Field(min_length=1, max_length=MAX_FEATURES)]
    seq_length: Annotated[int, Field(ge=1, le=MAX_MAXLEN)]
    scaler_min: list[float] | None = None
    scaler_max: list[float] | None = None
    target: str | None = None  # the feature a regression predicts, in original units
    target_unit: str | None = None
    # Where the target's min/max live, when it is one of the features.
    target_min: float | None = None
    target_max: float | None = None

    @model_validator(mode="after")
    def _scaler_fits_features(self) -> NumbersPreprocessing:
        for name in ("scaler_min", "scaler_max"):
            values = getattr(self, name)
            if values is not None and len(values) != len(self.features):
                raise ValueError(
                    f"{name} has {len(values)} values for {len(self.features)} features"
                )
        if (self.scaler_min is None) != (self.scaler_max is None):
            raise ValueError("scaler_min and scaler_max come together")
        if self.scaler_min is not None and self.scaler_max is not None:
            if any(low > high for low, high in zip(self.scaler_min, self.scaler_max, strict=True)):
                raise ValueError("every scaler_min must be at most its scaler_max")
        if (self.target_min is None) != (self.target_max is None):
            raise ValueError("target_min and target_max come together")
        if self.target_min is not None and self.target_max is not None:
            if self.target_min > self.target_max:
                raise ValueError("target_min must be at most target_max")
        return self


Preprocessing = Annotated[TextPreprocessing | NumbersPreprocessing, Field(discriminator="kind")]
Language = Literal["ko", "en"]


class Translation(Strict):
    """What a model says in another language: every field optional; lists in the same order and
    of the same length as the config's own `features` and class labels."""

    title: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    description: str | None = None
    features: list[str] | None = None
    labels: list[str] | None = None


class ModelConfig(Strict):
    """Everything needed to rebuild, run and describe a model, apart from its weights."""

    format_version: Literal[2] = FORMAT_VERSION
    id: Annotated[str, Field(pattern=MODEL_ID_PATTERN)]
    title: Annotated[str, Field(min_length=1, max_length=200)]
    task: Task
    language: Literal["ko", "en"] | None = None
    embedding: EmbeddingSpec | None = None
    blocks: Annotated[list[RecurrentSpec], Field(min_length=1, max_length=MAX_BLOCKS)]
    head: Annotated[list[DenseSpec], Field(max_length=MAX_HEAD_LAYERS)] = []
    preprocessing: Preprocessing
    # sentiment: [negative, positive]; classification: one name per class, in output order;
    # next-token: the token each output stands for.
    labels: list[str] | None = None
    examples: list[Any] = []
    description: str = ""
    # The title, description, feature names and labels in other languages (the pages pick one).
    translations: dict[Language, Translation] = {}

    @model_validator(mode="before")
    @classmethod
    def _read_version_1(cls, data: Any) -> Any:
        return upgrade_document(data) if isinstance(data, dict) else data

    @field_validator("id")
    @classmethod
    def _id_is_a_plain_name(cls, value: str) -> str:
        if not re.fullmatch(MODEL_ID_PATTERN, value):
            raise ValueError("id must be lower-case letters, digits and dashes")
        return value

    @model_validator(mode="after")
    def _parts_fit_together(self) -> ModelConfig:
        self._check_inputs_fit_first_block()
        for index, (before, after) in enumerate(pairwise(self.blocks), start=1):
            if after.input_size != before.output_width:
                raise ValueError(
                    f"blocks[{index}].input_size must be {before.output_width}, the width of "
                    f"blocks[{index - 1}]'s output sequence"
                )
        self._check_head_fits_task()
        self._check_translations()
        return self

    def _check_translations(self) -> None:
        spec = self.preprocessing
        features = spec.features if isinstance(spec, NumbersPreprocessing) else None
        labels = self.class_labels if self.task != "regression" else None
        for language, translation in self.translations.items():
            where = f"translations.{language}"
            _check_same_count(translation.features, features, f"{where}.features", "features")
            _check_same_count(translation.labels, labels, f"{where}.labels", "labels")

    def _check_inputs_fit_first_block(self) -> None:
        first = self.blocks[0]
        if isinstance(self.preprocessing, TextPreprocessing):
            if self.embedding is None:
                raise ValueError("a text model needs an embedding")
            if first.input_size != self.embedding.embedding_dim:
                raise ValueError("blocks[0].input_size must equal embedding.embedding_dim")
        elif first.input_size != len(self.preprocessing.features):
            raise ValueError("blocks[0].input_size must equal the number of features")

    def _check_head_fits_task(self) -> None:
        last = self.head[-1] if self.head else None
        width = self.output_width
        if self.task == "sentiment":
            if last is None or width != 1 or last.activation != "sigmoid":
                raise ValueError("a sentiment model ends in Dense(1, sigmoid)")
            self._check_labels(2, "labels name the two classes: [negative, positive]")
        elif self.task == "classification":
            if last is None or last.activation != "softmax" or not 2 <= width <= MAX_CLASSES:
                raise ValueError(
                    f"a classification model ends in Dense(N, softmax) with 2 to {MAX_CLASSES} "
                    "classes"
                )
            if self.labels is None:
                raise ValueError(f"a classification model names its {width} classes in labels")
            self._check_labels(width, f"labels must name the {width} classes, one each")
        elif self.task == "regression":
            if width != 1:
                raise ValueError(
                    f"a regression model predicts one value, this head has {width} outputs: "
                    "multi-output regression is not supported"
                )
        else:
            self._check_next_token_head(last, width)

    def _check_next_token_head(self, last: DenseSpec | None, width: int) -> None:
        if not isinstance(self.preprocessing, TextPreprocessing):
            raise ValueError("a next-token model reads text")
        if last is None or last.activation != "softmax":
            raise ValueError("a next-token model ends in Dense(vocabulary, softmax)")
        if any(block.bidirectional for block in self.blocks):
            raise ValueError(
                "a next-token model reads left to right: a bidirectional block would see the "
                "token it is asked to predict"
            )
        if self.labels is None:
            raise ValueError("a next-token model names the token of each output in labels")
        self._check_labels(width, f"labels must name the {width} tokens the head predicts")

    def _check_labels(self, count: int, message: str) -> None:
        if self.labels is None:
            return
        if len(self.labels) != count:
            raise ValueError(f"{message}; got {len(self.labels)}")
        if self.task != "next-token" and len(set(self.labels)) != len(self.labels):
            raise ValueError("labels must be different from each other")

    @property
    def output_width(self) -> int:
        """How many numbers the network returns per input (per step for next-token)."""
        return self.head[-1].out_features if self.head else self.blocks[-1].output_width

    @property
    def input_kind(self) -> Literal["text", "numbers"]:
        return self.preprocessing.kind

    @property
    def cells(self) -> list[CellKind]:
        """Each block's cell kind, in order."""
        return [block.cell for block in self.blocks]

    @property
    def cell(self) -> CellKind | Literal["mixed"]:
        """The cell kind every block shares, or "mixed"."""
        kinds = set(self.cells)
        return self.blocks[0].cell if len(kinds) == 1 else "mixed"

    @property
    def num_layers(self) -> int:
        """Layers over all blocks."""
        return sum(block.num_layers for block in self.blocks)

    @property
    def class_labels(self) -> list[str]:
        """The names a prediction reports: the config's labels, or defaults."""
        if self.labels is not None:
            return list(self.labels)
        if self.task == "sentiment":
            return ["negative", "positive"]
        return [f"class {index}" for index in range(self.output_width)]


def _check_same_count(
    translated: list[str] | None, own: list[str] | None, where: str, name: str
) -> None:
    """A translated list names each of the config's own items once, in order."""
    if translated is None:
        return
    if own is None:
        raise ValueError(f"{where} is given but this model has no {name}")
    if len(translated) != len(own):
        raise ValueError(f"{where} has {len(translated)} names for the {len(own)} {name}")


def upgrade_document(data: dict[str, Any]) -> dict[str, Any]:
    """A version-1 config document (one module under `recurrent`) as version 2 (one block)."""
    if data.get("format_version", 1) != 1 or "recurrent" not in data or "blocks" in data:
        return data
    upgraded = {key: value for key, value in data.items() if key != "recurrent"}
    upgraded["format_version"] = FORMAT_VERSION
    upgraded["blocks"] = [data["recurrent"]]
    return upgraded


V1_RECURRENT_PREFIX = "recurrent."


def upgrade_state(state: dict[str, Any]) -> dict[str, Any]:
    """Version-1 weights (`recurrent.<name>`) renamed as version 2 stores them (`blocks.0.`)."""
    return {_v2_weight_name(name): tensor for name, tensor in state.items()}


def _v2_weight_name(name: str) -> str:
    if name.startswith(V1_RECURRENT_PREFIX):
        return "blocks.0." + name.removeprefix(V1_RECURRENT_PREFIX)
    return name

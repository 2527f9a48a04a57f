"""The model format: what `models/<id>/config.json` holds, as validated pydantic models.

A model directory holds `config.json` (this schema), `weights.safetensors` (the state dict of
`GateNet`, see network.py) and `card.md`. Nothing in it is ever unpickled.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

FORMAT_VERSION: Literal[1] = 1
MODEL_ID_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$"

Activation = Literal["linear", "relu", "sigmoid", "tanh", "softmax"]
Cell = Literal["rnn", "lstm", "gru"]
Task = Literal["sentiment", "regression"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class EmbeddingSpec(Strict):
    num_embeddings: Annotated[int, Field(ge=2, le=1_000_000)]
    embedding_dim: Annotated[int, Field(ge=1, le=4096)]


class RecurrentSpec(Strict):
    cell: Cell
    input_size: Annotated[int, Field(ge=1, le=4096)]
    hidden_size: Annotated[int, Field(ge=1, le=4096)]
    num_layers: Annotated[int, Field(ge=1, le=16)] = 1
    bidirectional: bool = False
    bias: bool = True
    nonlinearity: Literal["tanh", "relu"] = "tanh"  # nn.RNN only
    proj_size: Annotated[int, Field(ge=0, le=4096)] = 0  # nn.LSTM only

    @model_validator(mode="after")
    def _options_fit_the_cell(self) -> RecurrentSpec:
        if self.proj_size and self.cell != "lstm":
            raise ValueError("proj_size is an nn.LSTM option only")
        if self.proj_size >= self.hidden_size and self.proj_size:
            raise ValueError("proj_size must be smaller than hidden_size")
        if self.nonlinearity != "tanh" and self.cell != "rnn":
            raise ValueError("nonlinearity is an nn.RNN option only")
        return self

    @property
    def output_width(self) -> int:
        """Width of one step's output: both directions, projected when proj_size is set."""
        units = self.proj_size or self.hidden_size
        return units * (2 if self.bidirectional else 1)


class DenseSpec(Strict):
    out_features: Annotated[int, Field(ge=1, le=65_536)]
    activation: Activation = "linear"
    bias: bool = True


class TextPreprocessing(Strict):
    """Keras-style text preparation: tokenizer, then pad_sequences to maxlen."""

    kind: Literal["text"] = "text"
    tokenizer: dict[str, Any]  # the JSON of Tokenizer.to_json(), parsed
    analyzer: Literal["whitespace", "morpheme"] = "whitespace"
    maxlen: Annotated[int, Field(ge=1, le=10_000)]
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
    features: Annotated[list[str], Field(min_length=1, max_length=4096)]
    seq_length: Annotated[int, Field(ge=1, le=10_000)]
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


class ModelConfig(Strict):
    """Everything needed to rebuild, run and describe a model, apart from its weights."""

    format_version: Literal[1] = FORMAT_VERSION
    id: Annotated[str, Field(pattern=MODEL_ID_PATTERN)]
    title: Annotated[str, Field(min_length=1, max_length=200)]
    task: Task
    language: Literal["ko", "en"] | None = None
    embedding: EmbeddingSpec | None = None
    recurrent: RecurrentSpec
    head: Annotated[list[DenseSpec], Field(max_length=16)] = []
    preprocessing: Preprocessing
    labels: list[str] | None = None  # sentiment: [negative, positive]
    examples: list[Any] = []
    description: str = ""

    @field_validator("id")
    @classmethod
    def _id_is_a_plain_name(cls, value: str) -> str:
        if not re.fullmatch(MODEL_ID_PATTERN, value):
            raise ValueError("id must be lower-case letters, digits and dashes")
        return value

    @model_validator(mode="after")
    def _parts_fit_together(self) -> ModelConfig:
        text = self.preprocessing.kind == "text"
        if text and self.embedding is None:
            raise ValueError("a text model needs an embedding")
        if self.embedding and self.recurrent.input_size != self.embedding.embedding_dim:
            raise ValueError("recurrent.input_size must equal embedding.embedding_dim")
        if not text and isinstance(self.preprocessing, NumbersPreprocessing):
            if self.recurrent.input_size != len(self.preprocessing.features):
                raise ValueError("recurrent.input_size must equal the number of features")
        if self.task == "sentiment" and (
            not self.head
            or self.head[-1].out_features != 1
            or self.head[-1].activation != "sigmoid"
        ):
            raise ValueError("a sentiment model ends in Dense(1, sigmoid)")
        if self.task == "regression" and self.output_width != 1:
            raise ValueError("a regression model predicts one value: its head must end in Dense(1)")
        if self.labels is not None and len(self.labels) != 2:
            raise ValueError("labels name the two classes: [negative, positive]")
        return self

    @property
    def output_width(self) -> int:
        """How many numbers the network returns per input."""
        return self.head[-1].out_features if self.head else self.recurrent.output_width

    @property
    def input_kind(self) -> Literal["text", "numbers"]:
        return self.preprocessing.kind

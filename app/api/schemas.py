"""Request and response schemas of the API; request schemas reject malformed input before torch.

Limits that never change live here (`Field(le=...)`); limits an operator sets (GATESCOPE_MAX_*)
are checked in limits.py with the same error shape. Numbers must be real JSON numbers: no strings,
no booleans, no NaN or Infinity (which Python's json module would otherwise let through), nothing
beyond float32's range.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from app.api.errors import MAX_REPORTED_ERRORS, parse_field
from app.limits import (
    MAX_BATCH_INPUTS,
    MAX_LAYERS,
    MAX_TEMPERATURE,
    MAX_UNITS,
    MAX_VOCABULARY,
    MAX_WRITTEN,
)
from app.recurrent import CellKind as Cell
from app.zoo import inputs as rules
from app.zoo.errors import InputError
from app.zoo.spec import Task

# -- validation of raw inputs: app.zoo.inputs's rules, raised as pydantic errors ----------------


def raise_input_errors(value: Any, errors: list[InputError]) -> None:
    """Raise the validator's errors as one ValidationError; pydantic prefixes each loc with the
    field. The type is the error's code, and its params travel in the context."""
    if errors:
        details = [
            InitErrorDetails(
                type=PydanticCustomError(error.code, error.message, {"params": error.params}),
                loc=tuple(parse_field(error.field)),
                input=value,
            )
            for error in errors[:MAX_REPORTED_ERRORS]
        ]
        raise ValidationError.from_exception_data("input", details)


def check_model_input(value: Any) -> str | list[Any]:
    """A sentence or a list of numeric steps, by app.zoo.inputs's rules (hard ceilings only;
    limits.py applies the operator's)."""
    raise_input_errors(value, rules.input_errors(value))
    return value


STEPS_SCHEMA: dict[str, Any] = {
    "type": "array",
    "description": "Steps, each a list of feature values; a flat list of numbers for one feature.",
    "items": {
        "anyOf": [{"type": "number"}, {"type": "array", "items": {"type": "number"}}],
    },
    "minItems": 1,
}
ModelInput = Annotated[
    Any,
    AfterValidator(check_model_input),
    WithJsonSchema(
        {
            "anyOf": [{"type": "string", "minLength": 1}, STEPS_SCHEMA],
            "description": "A sentence for text models; a list of steps for numeric models.",
        }
    ),
]
StrictInt = Annotated[int, Strict()]


# -- requests -----------------------------------------------------------------------------------


class TraceRequest(BaseModel):
    """One input to trace through a model."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"input": "이 영화 정말 재미있어요"}, {"input": [[3.1, 1012.0]]}]
        },
    )

    input: ModelInput


class PredictRequest(BaseModel):
    """Several inputs to predict, answered in order (at most GATESCOPE_MAX_BATCH)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"inputs": ["a great film", "a dull film"]}]},
    )

    inputs: Annotated[list[ModelInput], Field(min_length=1, max_length=MAX_BATCH_INPUTS)]


class AdhocTraceRequest(BaseModel):
    """A recurrent network with seeded random weights, built for exploring architectures.

    Sizes are bounded by GATESCOPE_MAX_INPUT_SIZE, _MAX_HIDDEN_SIZE, _MAX_LAYERS and _MAX_STEPS.
    The same seed gives the same weights in every process.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "cell": "lstm",
                    "input_size": 2,
                    "hidden_size": 4,
                    "num_layers": 1,
                    "bidirectional": False,
                    "seed": 0,
                    "input": [[0.5, -1.0], [1.0, 0.0], [0.0, 0.25]],
                }
            ]
        },
    )

    cell: Cell
    input_size: Annotated[StrictInt, Field(ge=1, le=MAX_UNITS, description="Features per step.")]
    hidden_size: Annotated[StrictInt, Field(ge=1, le=MAX_UNITS, description="Units per layer.")]
    num_layers: Annotated[StrictInt, Field(ge=1, le=MAX_LAYERS)] = 1
    bidirectional: Annotated[bool, Strict()] = False
    nonlinearity: Literal["tanh", "relu"] = Field(default="tanh", description="nn.RNN only.")
    reset_after: Annotated[bool, Strict()] = Field(
        default=True,
        description="GRU only. false: Keras's reset_after=False, the class notes' GRU, with the "
        "reset gate applied to h before the recurrent product (nn.GRU is reset_after=True).",
    )
    seed: Annotated[StrictInt, Field(ge=0, le=2**63 - 1)] = 0
    input: Annotated[list[Any], WithJsonSchema(STEPS_SCHEMA)]

    @field_validator("input")
    @classmethod
    def _steps_fit_the_input_size(cls, value: list[Any], info: ValidationInfo) -> list[Any]:
        raise_input_errors(value, rules.steps_errors(value, "", info.data.get("input_size")))
        return value

    @field_validator("nonlinearity")
    @classmethod
    def _nonlinearity_is_for_rnn(cls, value: str, info: ValidationInfo) -> str:
        if value != "tanh" and info.data.get("cell") not in (None, "rnn"):
            raise PydanticCustomError("rnn_only_option", "is an option of the plain rnn cell only")
        return value

    @field_validator("reset_after")
    @classmethod
    def _reset_after_is_for_gru(cls, value: bool, info: ValidationInfo) -> bool:
        if not value and info.data.get("cell") not in (None, "gru"):
            raise PydanticCustomError("gru_only_option", "is an option of the gru cell only")
        return value

    def rows(self) -> list[list[float]]:
        """The input as float rows (a flat list is one feature per step)."""
        return rules.check_steps(self.input, "input", self.input_size)


# -- responses ----------------------------------------------------------------------------------

SUMMARY_EXAMPLE: dict[str, Any] = {
    "id": "sentiment-ko-gru",
    "title": "Korean movie reviews · GRU, 32 units",
    "source": "shipped",
    "cell": "gru",
    "task": "sentiment",
    "language": "ko",
    "input_kind": "text",
    "features": None,
    "seq_length": 40,
    "hidden_size": 32,
    "num_layers": 1,
    "bidirectional": False,
    "nonlinearity": "tanh",
    "blocks": [
        {
            "block": 0,
            "cell": "gru",
            "layers": 1,
            "bidirectional": False,
            "units": 32,
            "nonlinearity": "tanh",
            "reset_after": True,
        }
    ],
    "labels": ["negative", "positive"],
    "parameters": 1289441,
    "translations": {
        "ko": {
            "title": "네이버 영화 리뷰 · GRU 32 유닛",
            "description": None,
            "features": None,
            "labels": ["부정", "긍정"],
        }
    },
}
PREDICTION_EXAMPLE: dict[str, Any] = {
    "label": "positive",
    "probability": 0.9312,
    "positive_probability": 0.9312,
}
TRACE_EXAMPLE: dict[str, Any] = {
    "model": "sentiment-ko-gru",
    "task": "sentiment",
    "cell": "gru",
    "nonlinearity": "tanh",
    "blocks": SUMMARY_EXAMPLE["blocks"],
    "steps": 2,
    "precision": 4,
    "tokens": ["<pad>", "재미있"],
    "token_ids": [0, 57],
    "token_kinds": ["pad", "word"],
    "truncated": None,
    "values": None,
    "scaled": None,
    "layers": [
        {
            "layer": 0,
            "block": 0,
            "block_layer": 0,
            "kind": "gru",
            "nonlinearity": "tanh",
            "reset_after": True,
            "direction": "forward",
            "units": 2,
            "gates": {
                "reset": [[0.4811, 0.5132], [0.2271, 0.7395]],
                "update": [[0.6203, 0.4417], [0.1822, 0.9021]],
                "candidate": [[-0.0913, 0.2204], [0.8127, -0.3391]],
            },
            "hidden": [[-0.0347, 0.1231], [0.6585, 0.0776]],
            "cell": None,
        }
    ],
    "prediction": PREDICTION_EXAMPLE,
    "step_predictions": [
        {"label": "negative", "probability": 0.5021, "positive_probability": 0.4979},
        PREDICTION_EXAMPLE,
    ],
}


class ParameterCount(BaseModel):
    key: str = Field(examples=["blocks.0.0"], description="blocks.<block>.<layer>, head.<k>, ...")
    name: str = Field(examples=["GRU layer 1"])
    parameters: int


class BlockOut(BaseModel):
    """One recurrent block of a model: a whole nn.RNN/nn.LSTM/nn.GRU."""

    block: int
    cell: Cell
    layers: int
    bidirectional: bool
    units: int = Field(description="hidden_size (the projected size for an LSTM with proj_size).")
    nonlinearity: Literal["tanh", "relu"] = "tanh"
    reset_after: bool = Field(
        default=True,
        description="GRU: false is Keras's reset_after=False, the reset gate applied to h "
        "before the recurrent product (the class notes' equation).",
    )


class TranslationOut(BaseModel):
    """A model's words in one other language; lists follow `features` and `labels` in order."""

    title: str | None = Field(default=None, examples=["네이버 영화 리뷰 · GRU 32 유닛"])
    description: str | None = None
    features: list[str] | None = Field(default=None, examples=[["강수량", "최고 기온"]])
    labels: list[str] | None = Field(default=None, examples=[["부정", "긍정"]])


class ModelSummary(BaseModel):
    """What a model is, in a line of a table."""

    model_config = ConfigDict(json_schema_extra={"examples": [SUMMARY_EXAMPLE]})

    id: str = Field(examples=["sentiment-ko-gru"])
    title: str
    source: Literal["shipped", "uploaded"]
    cell: Cell | Literal["mixed"] = Field(
        description="The cell every block shares, or mixed (see blocks)."
    )
    task: Task = Field(
        description="sentiment: a binary label; classification: one of N labelled classes; "
        "regression: a value; next-token: the next token after every step."
    )
    language: Literal["ko", "en"] | None
    input_kind: Literal["text", "numbers"]
    features: list[str] | None = Field(description="Feature names of a numeric model.")
    seq_length: int = Field(description="Text: maxlen (padded length). Numbers: window length.")
    hidden_size: int = Field(description="Units of the top block (the one the head reads).")
    num_layers: int = Field(description="Layers over all blocks.")
    bidirectional: bool = Field(description="Whether any block reads both ways.")
    nonlinearity: Literal["tanh", "relu"] = Field(
        default="tanh", description="The hidden activation: relu only for an nn.RNN built with it."
    )
    blocks: list[BlockOut] = Field(description="The chain of recurrent blocks, in order.")
    labels: list[str] | None = Field(
        description="sentiment: [negative, positive]; classification: one per class; next-token: "
        "the token of each output."
    )
    parameters: int = Field(description="Total parameter count.")
    translations: dict[Literal["ko", "en"], TranslationOut] = Field(
        default_factory=dict,
        description="The title, description, feature names and labels in other languages, by "
        "language; a field that is null falls back to the model's own.",
    )


class ModelDetail(ModelSummary):
    """A model with its per-layer parameter counts, card and example inputs."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **SUMMARY_EXAMPLE,
                    "parameter_counts": [
                        {"key": "embedding", "name": "Embedding", "parameters": 1280000},
                        {"key": "blocks.0.0", "name": "GRU layer 1", "parameters": 9408},
                        {"key": "head.0", "name": "Dense 1", "parameters": 33},
                    ],
                    "card": "# Korean movie reviews · GRU\n...",
                    "description": "",
                    "examples": ["배우들 연기가 정말 좋았고 마지막 장면에서 울었어요"],
                    "labels": ["negative", "positive"],
                    "target": None,
                    "target_unit": None,
                }
            ]
        }
    )

    parameter_counts: list[ParameterCount]
    card: str = Field(description="The model card (Markdown).")
    description: str
    examples: list[Any]
    target: str | None = Field(description="Regression: the predicted feature.")
    target_unit: str | None


class ModelList(BaseModel):
    data: list[ModelSummary]
    count: int


class LabelledProbability(BaseModel):
    label: str
    probability: float


class CameOut(BaseModel):
    """The token that came next in real text, and how surprised the model was."""

    label: str
    probability: float
    bits: float


class PredictionOut(BaseModel):
    """Sentiment: label, probability and positive_probability. Classification: label,
    probability and every class's probability. Next-token: the likeliest next token and the top
    candidates. Regression: value (original units) and unit."""

    label: str | None = None
    probability: float | None = None
    positive_probability: float | None = None
    classes: list[LabelledProbability] | None = Field(
        default=None, description="Classification: every class, in label order."
    )
    top: list[LabelledProbability] | None = Field(
        default=None, description="Next-token: the likeliest next tokens, most likely first."
    )
    came: CameOut | None = Field(
        default=None,
        description="Next-token, at every step of real text but the last: the token that came "
        "next, the probability the model gave it, and its surprise in bits (-log2 p).",
    )
    value: float | None = None
    unit: str | None = None


class TruncatedOut(BaseModel):
    """What was cut from a text longer than the model's maxlen, as Keras's pad_sequences cuts:
    truncating="pre" (Keras's default) drops the earliest tokens, "post" the latest."""

    model_config = ConfigDict(populate_by_name=True)

    dropped: int = Field(ge=1, description="Tokens cut off.", examples=[12])
    kept: int = Field(ge=1, description="Tokens the model read (its maxlen).", examples=[40])
    from_: Literal["start", "end"] = Field(
        alias="from", description="Which end they were cut from: start for truncating='pre'."
    )


TRUNCATED_DESCRIPTION = (
    "Text longer than the model's maxlen: how many tokens were cut, from which end, and how many "
    "the model read. null when the whole text fits (and for numbers)."
)


class PredictedOut(PredictionOut):
    """One input's prediction, with what was cut from it."""

    truncated: TruncatedOut | None = Field(default=None, description=TRUNCATED_DESCRIPTION)


class LayerOut(BaseModel):
    """One layer-direction of a trace: arrays are [[value per unit] per step], null where absent."""

    layer: int = Field(description="Index over all blocks' layers, bottom first.")
    block: int = 0
    block_layer: int = Field(default=0, description="The layer's index inside its block.")
    kind: Cell = Field(description="This layer's cell: its gates and equations follow it.")
    nonlinearity: Literal["tanh", "relu"] = "tanh"
    reset_after: bool = True
    direction: Literal["forward", "backward"]
    units: int
    gates: dict[str, list[list[float | None]]] = Field(
        description="LSTM: input, forget, candidate, output. GRU: reset, update, candidate. "
        "RNN: none."
    )
    hidden: list[list[float | None]]
    cell: list[list[float | None]] | None = Field(description="LSTM cell state; null otherwise.")


class TraceResponse(BaseModel):
    """Every gate, hidden and cell value at every step, plus the input as the network saw it."""

    model_config = ConfigDict(json_schema_extra={"examples": [TRACE_EXAMPLE]})

    model: str | None = Field(description="Model id; null for an ad-hoc network.")
    task: Task | None = Field(default=None, description="The model's task; null for ad-hoc.")
    cell: Cell | Literal["mixed"]
    blocks: list[BlockOut]
    nonlinearity: Literal["tanh", "relu"] = Field(
        default="tanh", description="The hidden activation: relu only for an nn.RNN built with it."
    )
    steps: int
    precision: int | None = Field(description="Decimals of the floats; null for full precision.")
    tokens: list[str] | None = Field(description="Text: one token per step, padding included.")
    token_ids: list[int] | None
    token_kinds: list[Literal["word", "oov", "pad"]] | None
    truncated: TruncatedOut | None = Field(default=None, description=TRUNCATED_DESCRIPTION)
    values: list[list[float]] | None = Field(description="Numbers: the input in original units.")
    scaled: list[list[float]] | None = Field(description="Numbers: what the network reads.")
    layers: list[LayerOut]
    prediction: PredictionOut | None
    step_predictions: list[PredictionOut] | None = Field(
        description="The head applied after every step; null for bidirectional and ad-hoc networks."
    )


class PredictResponse(BaseModel):
    """One prediction per input, in the order of the inputs."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"predictions": [PREDICTION_EXAMPLE]}]}
    )

    predictions: list[PredictedOut]


class Health(BaseModel):
    status: Literal["ok"]
    models: int


# -- writing (language models) ------------------------------------------------------------------

MAX_SEED = 2**32 - 1


class GenerateRequest(BaseModel):
    """A prompt for a language model (a next-token model) to continue."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"prompt": "def ", "length": 200, "temperature": 0.8, "seed": 1}]
        },
    )

    prompt: str = Field(description="The text the model reads first, one step per token.")
    length: Annotated[int, Field(ge=1, le=MAX_WRITTEN)] = Field(
        default=200, description="How many tokens (characters) to write."
    )
    temperature: Annotated[float, Field(ge=0.0, le=MAX_TEMPERATURE)] = Field(
        default=1.0,
        description="Divides the scores before sampling: below 1 safer, above 1 wilder; 0 always "
        "takes the likeliest token.",
    )
    top_k: Annotated[int, Field(ge=1, le=MAX_VOCABULARY)] | None = Field(
        default=None,
        description="Sample only among the k likeliest tokens (null: all of them); also how many "
        "candidates each written step lists (5 when null).",
    )
    seed: Annotated[int, Field(ge=0, le=MAX_SEED)] = Field(
        default=0, description="The same prompt, settings and seed always write the same text."
    )


class WrittenStepOut(BaseModel):
    """One written token, and what the model expected there."""

    step: int = Field(
        description="Where the token stands in the trace (the prompt's steps first); its "
        "candidates are what the model expected after the step before."
    )
    token: str
    probability: float = Field(description="The model's probability of the drawn token.")
    top: list[LabelledProbability] = Field(
        description="The likeliest tokens at this step (top_k of them, 5 when top_k is null)."
    )


class GenerateResponse(BaseModel):
    """The written text, the candidates at every written step, and the trace of it all."""

    model: str
    prompt: str
    text: str = Field(description="What the model wrote after the prompt.")
    length: int
    temperature: float
    top_k: int | None
    seed: int
    steps: list[WrittenStepOut]
    trace: TraceResponse = Field(
        description="The trace of prompt + text: what POST .../trace returns for that text."
    )

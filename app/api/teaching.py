"""The teaching series over HTTP: every number the /compare, /gradient, /saturation, /padding and
/state pages (and the explorer's "prediction as it forms") plot, with its OpenAPI description.

Handlers validate, run app.teaching in the model worker pool, and write JSON with orjson; the
routes declare their response models so the schema documents exactly what is written. Matrices
are [[value per unit] per step] rounded like traces (`?precision=`); the log-scale series
(sensitivity, retention) are never rounded, because their small values are the point.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, model_validator
from torch import Tensor

from app.api.deps import ModelDep, PrecisionDep, RegistryDep, SettingsDep
from app.api.errors import NOT_FOUND_RESPONSE, ApiError, ErrorResponse
from app.api.limits import check_input, check_trace_size, model_trace_size
from app.api.responses import json_response
from app.api.schemas import ModelInput, PredictionOut, TraceRequest
from app.api.workers import WorkersDep
from app.config import Settings
from app.recurrent import CellKind
from app.recurrent.trace import LayerTrace
from app.serialize import rounded, rounded_prediction
from app.teaching.compare import CellRun, compare
from app.teaching.errors import NotApplicable
from app.teaching.forming import prediction_series, tipping_step
from app.teaching.gradient import GradientRun, GradientSummary, gradient_study
from app.teaching.layers import LayerChoice, chosen_layers, layer_choices
from app.teaching.padding import PaddedRun, padding_study
from app.teaching.parameters import Formula, ParameterRow, parameter_table
from app.teaching.saturation import saturation_study
from app.teaching.siblings import siblings
from app.teaching.state import PartRun, Stack, layer_hiddens, state_study
from app.zoo import LoadedModel, ModelRegistry, Prediction, PreparedInput
from app.zoo.spec import NumbersPreprocessing

router = APIRouter(prefix="/models", tags=["teaching"])

Matrix = list[list[float | None]]
NOT_APPLICABLE: dict[int | str, dict[str, Any]] = {
    422: {
        "model": ErrorResponse,
        "description": "Invalid input, or the view does not apply to this model; `type` then "
        "names why (e.g. `padding_needs_text`, `saturation_needs_gates`).",
    },
}
EXAMPLES: dict[str, Any] = {
    "english": {"summary": "An English sentence", "value": {"input": "a truly great film"}},
    "korean": {"summary": "A Korean sentence", "value": {"input": "이 영화 정말 재미있어요"}},
}


# -- schemas --------------------------------------------------------------------------------------


class FormulaOut(BaseModel):
    symbolic: str = Field(examples=["4 × (h × (i + h) + 2h)"])
    substituted: str = Field(examples=["4 × (64 × (32 + 64) + 2 × 64)"])
    count: int = Field(examples=[25088])


class ParameterRowOut(BaseModel):
    """One layer: its PyTorch count with the formula behind it, and Keras's count."""

    key: str = Field(examples=["blocks.0.0"])
    name: str = Field(examples=["LSTM layer 1"])
    kind: CellKind | Literal["embedding", "dense"]
    shape: dict[str, int] = Field(description="The symbols' values: i, h (p); V, d; in, out.")
    pytorch: FormulaOut = Field(description="PyTorch: two biases (b_ih, b_hh) per gate block.")
    keras: FormulaOut | None = Field(
        description="Keras: one bias per block for LSTM and SimpleRNN, two for GRU "
        "(reset_after=True, the default). Null where Keras has no such layer (LSTM projection)."
    )
    note: str = Field(description="A key for the remark shown beside the row.")


class ParameterTable(BaseModel):
    model: str
    cell: str
    rows: list[ParameterRowOut]
    total: int = Field(description="PyTorch parameters of the whole model.")
    keras_total: int | None = Field(description="The same network built in Keras.")


class LayerRequest(TraceRequest):
    """An input, and the one layer-direction to draw (default: the top layer, forward)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"input": "a truly great film", "layer": 0, "direction": "backward"}]
        },
    )

    layer: int = Field(
        default=-1,
        description="The layer to draw, counted over all blocks from 0; negative counts from the "
        "top (-1, the default, is the top layer). Out of range: 422 `layer_out_of_range`.",
    )
    direction: Literal["forward", "backward"] = Field(
        default="forward",
        description="`backward` only on a bidirectional layer (422 `direction_not_in_layer`).",
    )


class LayerChoiceOut(BaseModel):
    """One layer-direction a view can draw: what a page's layer chooser offers."""

    layer: int = Field(description="Over all blocks, from 0: the request's `layer`.")
    block: int = Field(description="The layer's block, from 0.")
    block_layer: int = Field(description="The layer's index inside its block, from 0.")
    kind: Literal["rnn", "lstm", "gru"]
    direction: Literal["forward", "backward"]
    units: int


class CompareRun(BaseModel):
    """One sibling model's reading of the input (the chosen layer and direction)."""

    model: str
    title: str
    cell: CellKind | Literal["mixed"]
    nonlinearity: Literal["tanh", "relu"] = Field(
        default="tanh", description="The hidden activation: relu only for an nn.RNN built with it."
    )
    gate_names: list[str] = Field(description="The gates this cell has, in PyTorch's order.")
    steps: int
    tokens: list[str] | None
    token_kinds: list[str] | None
    values: list[list[float]] | None
    positions: list[int | None] = Field(
        description="Per step: its index on the shared `axis`; null for padding left out."
    )
    layer: int = Field(description="The layer shown, over all blocks, from 0.")
    direction: Literal["forward", "backward"]
    block: int = Field(description="The shown layer's block, from 0.")
    block_layer: int = Field(description="The shown layer's index inside its block, from 0.")
    reset_after: bool = Field(
        default=True, description="False for a GRU layer that applies r before W_hn (Keras's)."
    )
    blocks: int = Field(description="How many recurrent blocks the model chains.")
    units: int
    hidden: Matrix = Field(description="h_t: [[value per unit] per step].")
    gates: dict[str, Matrix]
    cell_state: Matrix | None = Field(description="LSTM c_t; null for other cells.")
    prediction: PredictionOut
    step_predictions: list[PredictionOut] | None = Field(
        description="The head applied to h after every step: the prediction as it forms."
    )
    tipping_step: int | None = Field(
        description="The step (from 0) where the prediction moved most from the step before."
    )
    parameters: ParameterTable


class CompareResponse(BaseModel):
    model: str = Field(description="The model asked for; `runs` holds it and its siblings.")
    axis: list[str] = Field(description="Labels of the aligned steps (tokens, or step numbers).")
    precision: int | None
    layer: int = Field(description="The request's layer (negative counts from each run's top).")
    direction: Literal["forward", "backward"]
    layers: list[LayerChoiceOut] = Field(
        description="Every layer-direction all runs have, named by the asked model's blocks."
    )
    runs: list[CompareRun] = Field(
        description="Sibling models in the notes' order: RNN, LSTM, GRU."
    )


class SensitivityRun(BaseModel):
    model: str
    title: str
    cell: CellKind | Literal["mixed"] = Field(
        description="The model's cell; `mixed` for a chain of blocks of different cells."
    )
    blocks: int = Field(
        description="Recurrent blocks the sensitivity runs through (it is the whole chain's)."
    )
    top: LayerChoiceOut = Field(description="The top layer, whose keep gate `retention` follows.")
    steps: int
    tokens: list[str] | None
    token_kinds: list[str] | None
    positions: list[int | None]
    sensitivity: list[float | None] = Field(
        description="||d h_T / d x_t||: the norm of the final hidden state's gradient with "
        "respect to the input at step t (exact autograd; unrounded)."
    )
    retention: list[float | None] | None = Field(
        description="Mean over units of the product of the keep gate over steps t+1..T (LSTM "
        "forget f, PyTorch GRU update z); 1 at the last step. Null for a plain RNN. Unrounded."
    )
    keep_gate: Literal["forget", "update"] | None
    prediction: PredictionOut


class KeptGradientOut(BaseModel):
    model: str
    cell: str
    first_step: int = Field(description="The first step that is not padding (0-based).")
    ratio: float | None = Field(
        description="sensitivity[first_step] / sensitivity[last]: the share of the last step's "
        "gradient the first real step still gets. Null when undefined (a zero last gradient)."
    )


class GradientSummaryOut(BaseModel):
    """What the charts' numbers say, computed from them (the page's sentence reads this)."""

    kept: list[KeptGradientOut] = Field(description="One entry per run, in the runs' order.")
    most: str | None = Field(description="The model that kept the largest ratio.")
    factor: float | None = Field(description="Its ratio over the runner-up's; null alone.")
    textbook_holds: bool | None = Field(
        description="Whether the plain RNN kept the least (the textbook's vanishing gradient); "
        "null when there is no RNN sibling or a ratio is undefined."
    )


class SensitivityResponse(BaseModel):
    model: str
    axis: list[str]
    runs: list[SensitivityRun]
    summary: GradientSummaryOut


class SaturationRequest(TraceRequest):
    """An input, and the thresholds below / above which a gate counts as shut / open."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"input": "a truly great film"}]}
    )

    low: float = Field(default=0.1, ge=0.0, le=1.0)
    high: float = Field(default=0.9, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _low_below_high(self) -> SaturationRequest:
        if self.low >= self.high:
            raise ValueError(f"low ({self.low}) must be smaller than high ({self.high})")
        return self


class SaturationPointOut(BaseModel):
    layer: int = Field(description="Over all blocks, from 0.")
    block: int = Field(description="The layer's block, from 0.")
    block_layer: int = Field(description="The layer's index inside its block, from 0.")
    kind: Literal["lstm", "gru"]
    direction: Literal["forward", "backward"]
    gate: str
    unit: int = Field(description="From 0.")
    left: float = Field(description="Fraction of steps below `low` (shut).")
    right: float = Field(description="Fraction of steps above `high` (open).")


class SaturationResponse(BaseModel):
    model: str
    cell: Literal["lstm", "gru", "mixed"]
    blocks: int = Field(description="How many recurrent blocks the model chains.")
    steps: int
    low: float
    high: float
    gates: list[str] = Field(description="The sigmoid gates (tanh candidates are left out).")
    points: list[SaturationPointOut]


class PaddingRunOut(BaseModel):
    variant: Literal["pre", "post", "masked"]
    cell: Literal["rnn", "lstm", "gru"] = Field(description="The shown layer's cell.")
    tokens: list[str]
    token_ids: list[int]
    token_kinds: list[str]
    pad_steps: int
    gates: dict[str, Matrix] = Field(
        description="The chosen layer's gates, [[value per unit] per step]."
    )
    hidden: Matrix
    change: dict[str, list[float | None]] = Field(
        description="Per gate and `hidden`: mean over units of |value_t - value_(t-1)|; null at 0."
    )
    pad_change: dict[str, float | None] = Field(
        description="`change` averaged over pad steps; null when there are none."
    )
    word_change: dict[str, float | None] = Field(description="The same over real-token steps.")
    prediction: PredictionOut
    step_predictions: list[PredictionOut] | None


class PaddingResponse(BaseModel):
    model: str
    nonlinearity: Literal["tanh", "relu"] = Field(
        default="tanh", description="The hidden activation: relu only for an nn.RNN built with it."
    )
    maxlen: int
    trained_with: Literal["pre", "post", "masked"] = Field(
        description="How the model itself prepares sentences."
    )
    layer: int = Field(description="The layer shown, over all blocks, from 0.")
    direction: Literal["forward", "backward"]
    layers: list[LayerChoiceOut] = Field(description="Every layer-direction the model has.")
    runs: list[PaddingRunOut] = Field(description="pre-padded, post-padded, masked (in order).")


class StateRequest(TraceRequest):
    """An input, cut in two at `split` (default: the middle), or followed by `next_input`."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"input": [[0, 10, 3, 2.5], [0.5, 11, 4, 3.1], [0, 12, 5, 2.0]]}]
        },
    )

    split: Annotated[int | None, Field(ge=1, description="Where the second part starts.")] = None
    next_input: Annotated[ModelInput | None, Field(description="The following window.")] = None

    @model_validator(mode="after")
    def _split_or_next(self) -> StateRequest:
        if self.split is not None and self.next_input is not None:
            raise ValueError("give either split or next_input, not both")
        return self


class LayerOutput(BaseModel):
    layer: int = Field(description="Over all blocks, from 0.")
    block: int = Field(description="The layer's block, from 0.")
    block_layer: int = Field(description="The layer's index inside its block, from 0.")
    kind: Literal["rnn", "lstm", "gru"]
    directions: int = Field(description="2 for a bidirectional layer: `outputs` holds both.")
    units: int = Field(description="Columns of `outputs` (every direction's units).")
    outputs: Matrix = Field(
        description="h at every step (forward then backward units): the next layer's input."
    )


class HeadStepOut(BaseModel):
    name: str
    activation: str
    inputs: int
    outputs: list[float]


class StackOut(BaseModel):
    inputs: Matrix = Field(description="What layer 1 reads (scaled), [[feature] per step].")
    layers: list[LayerOutput]
    final_hidden: list[float] = Field(description="The top layer's last h: the head's input.")
    head: list[HeadStepOut]


class PartOut(BaseModel):
    start: int = Field(description="The part's first step in the whole input.")
    steps: int
    values: list[list[float]] | None
    initial_hidden: Matrix = Field(description="h the part started from, [[unit] per layer].")
    final_hidden: Matrix = Field(description="h after the part, [[unit] per layer].")
    hidden: Matrix = Field(description="The top layer's h at every step of the part.")
    prediction: PredictionOut
    step_predictions: list[PredictionOut] | None


class StateResponse(BaseModel):
    model: str
    cell: Literal["rnn", "lstm", "gru", "mixed"]
    blocks: int = Field(description="How many recurrent blocks the model chains.")
    nonlinearity: Literal["tanh", "relu"] = Field(
        default="tanh", description="The hidden activation: relu only for an nn.RNN built with it."
    )
    split: int
    features: list[str]
    stack: StackOut
    first: PartOut = Field(description="The first part, from zeros.")
    carried: PartOut = Field(description="The second part from the first's final state.")
    fresh: PartOut = Field(description="The second part from zeros.")
    whole: PartOut = Field(
        description="The whole input in one go, from zeros: its prediction equals `carried`'s."
    )


# -- shaping --------------------------------------------------------------------------------------


def _matrix(values: Tensor, precision: int | None) -> Any:
    """(steps, units) or (1, steps, units) as rounded rows (NaN -> null)."""
    return rounded(values if values.dim() == 3 else values.unsqueeze(0), precision)


def _vector(values: Tensor, precision: int | None) -> Any:
    return rounded(values.reshape(1, 1, -1), precision)[0]


def _prediction(item: Prediction, precision: int | None) -> dict[str, Any] | None:
    return rounded_prediction(item.as_dict(), precision)


def _predictions(items: list[Prediction] | None, precision: int | None) -> list[Any] | None:
    return [_prediction(item, precision) for item in items] if items is not None else None


def _formula(formula: Formula | None) -> dict[str, Any] | None:
    if formula is None:
        return None
    return {
        "symbolic": formula.symbolic,
        "substituted": formula.substituted,
        "count": formula.count,
    }


def _row(row: ParameterRow) -> dict[str, Any]:
    return {
        "key": row.key,
        "name": row.name,
        "kind": row.kind,
        "shape": row.shape,
        "pytorch": _formula(row.pytorch),
        "keras": _formula(row.keras),
        "note": row.note,
    }


def parameter_payload(model: LoadedModel, rows: list[ParameterRow] | None = None) -> dict[str, Any]:
    rows = rows if rows is not None else parameter_table(model.config)
    keras = [row.keras.count if row.keras else None for row in rows]
    return {
        "model": model.id,
        "cell": model.config.cell,
        "rows": [_row(row) for row in rows],
        "total": sum(row.pytorch.count for row in rows),
        "keras_total": None if None in keras else sum(count or 0 for count in keras),
    }


def _input_fields(prepared: PreparedInput) -> dict[str, Any]:
    return {
        "steps": prepared.steps,
        "tokens": prepared.tokens,
        "token_kinds": list(prepared.token_kinds) if prepared.token_kinds is not None else None,
    }


def compare_run_payload(run: CellRun, shown: LayerTrace, precision: int | None) -> dict[str, Any]:
    traced = run.traced
    top = shown
    steps = traced.step_predictions
    return {
        "model": run.model.id,
        "title": run.model.config.title,
        # The charts show one layer, so its own cell decides the gates and equations.
        "cell": top.kind,
        "nonlinearity": top.nonlinearity,
        "reset_after": top.reset_after,
        "gate_names": list(top.gates),
        **_input_fields(traced.prepared),
        "values": traced.prepared.values,
        "positions": run.positions,
        "layer": top.layer,
        "direction": top.direction,
        "block": top.block,
        "block_layer": top.block_layer,
        "blocks": len(run.model.config.blocks),
        "units": top.units,
        "hidden": _matrix(top.hidden, precision),
        "gates": {name: _matrix(value, precision) for name, value in top.gates.items()},
        "cell_state": _matrix(top.cell, precision) if top.cell is not None else None,
        "prediction": _prediction(traced.prediction, precision),
        "step_predictions": _predictions(steps, precision),
        "tipping_step": tipping_step(prediction_series(steps)) if steps else None,
        "parameters": parameter_payload(run.model, run.parameters),
    }


def _unrounded(values: list[float]) -> list[float | None]:
    return [None if value != value else value for value in values]  # NaN -> null


def sensitivity_run_payload(run: GradientRun, precision: int | None) -> dict[str, Any]:
    return {
        "model": run.model.id,
        "title": run.model.config.title,
        "cell": run.model.config.cell,
        "blocks": len(run.model.config.blocks),
        "top": run.top.as_dict(),
        **_input_fields(run.prepared),
        "positions": run.positions,
        "sensitivity": _unrounded(run.sensitivity),
        "retention": _unrounded(run.retention) if run.retention is not None else None,
        "keep_gate": run.keep_gate,
        "prediction": _prediction(run.prediction, precision),
    }


def padding_run_payload(run: PaddedRun, precision: int | None) -> dict[str, Any]:
    top = run.trace.layer(run.layer, run.direction)
    decimals = precision if precision is not None else 17

    def round_or_none(value: float | None) -> float | None:
        return None if value is None else round(value, decimals)

    return {
        "variant": run.variant,
        "cell": top.kind,
        "tokens": run.tokens,
        "token_ids": run.token_ids,
        "token_kinds": run.token_kinds,
        "pad_steps": run.pad_steps,
        "gates": {name: _matrix(value, precision) for name, value in top.gates.items()},
        "hidden": _matrix(top.hidden, precision),
        "change": {
            name: [round_or_none(value) for value in series] for name, series in run.change.items()
        },
        "pad_change": {name: round_or_none(value) for name, value in run.pad_change.items()},
        "word_change": {name: round_or_none(value) for name, value in run.word_change.items()},
        "prediction": _prediction(run.prediction, precision),
        "step_predictions": _predictions(run.step_predictions, precision),
    }


def part_payload(part: PartRun, start: int, model: LoadedModel, precision: int | None) -> dict:
    return {
        "start": start,
        "steps": part.prepared.steps,
        "values": part.prepared.values,
        "initial_hidden": [_vector(h, precision) for h in layer_hiddens(part.initial_state)],
        "final_hidden": [_vector(h, precision) for h in layer_hiddens(part.final_state)],
        "hidden": _matrix(part.trace.layer(-1).hidden, precision),
        "prediction": _prediction(part.prediction, precision),
        "step_predictions": _predictions(model.step_predictions(part.trace), precision),
    }


def stack_payload(stack: Stack, precision: int | None) -> dict[str, Any]:
    return {
        "inputs": _matrix(stack.inputs, precision),
        "layers": [
            {
                **layer.as_dict(),
                "directions": outputs.shape[-1] // layer.units,
                "units": outputs.shape[-1],
                "outputs": _matrix(outputs, precision),
            }
            for layer, outputs in zip(stack.layers, stack.layer_outputs, strict=True)
        ],
        "final_hidden": _vector(stack.final_hidden, precision),
        "head": [
            {
                "name": step.name,
                "activation": step.activation,
                "inputs": step.inputs,
                "outputs": _vector(step.outputs, precision),
            }
            for step in stack.head
        ],
    }


# -- the work, run in the model pool ---------------------------------------------------------


def not_applicable(error: NotApplicable, loc: list[str | int] | None = None) -> ApiError:
    return ApiError(422, loc or ["path", "model_id"], error.message, error.reason)


def compare_payload(
    model: LoadedModel,
    registry: ModelRegistry,
    body: LayerRequest,
    settings: Settings,
    precision: int | None,
) -> dict[str, Any]:
    models = _siblings_checked(model, registry, body.input, settings)
    comparison = compare(models, body.input, settings.max_steps)
    traces = [run.traced.trace for run in comparison.runs]
    shown = chosen_layers(traces, body.layer, body.direction)
    return {
        "model": model.id,
        "axis": comparison.axis,
        "precision": precision,
        "layer": body.layer,
        "direction": body.direction,
        "layers": _choices(layer_choices(traces)),
        "runs": [
            compare_run_payload(run, layer, precision)
            for run, layer in zip(comparison.runs, shown, strict=True)
        ],
    }


def _choices(choices: list[LayerChoice]) -> list[dict[str, Any]]:
    return [choice.as_dict() for choice in choices]


def sensitivity_payload(
    model: LoadedModel, registry: ModelRegistry, raw: Any, settings: Settings, precision: int | None
) -> dict[str, Any]:
    models = _siblings_checked(model, registry, raw, settings)
    study = gradient_study(models, raw, settings.max_steps)
    return {
        "model": model.id,
        "axis": study.axis,
        "runs": [sensitivity_run_payload(run, precision) for run in study.runs],
        "summary": gradient_summary_payload(study.summary),
    }


def gradient_summary_payload(summary: GradientSummary) -> dict[str, Any]:
    return {
        "kept": [
            {
                "model": item.run.model.id,
                "cell": item.run.trace_kind,
                "first_step": item.first_step,
                "ratio": item.ratio,
            }
            for item in summary.kept
        ],
        "most": summary.most.run.model.id if summary.most else None,
        "factor": summary.factor,
        "textbook_holds": summary.textbook_holds,
    }


def saturation_payload(
    model: LoadedModel, body: SaturationRequest, settings: Settings
) -> dict[str, Any]:
    try:
        study = saturation_study(model, body.input, body.low, body.high, settings.max_steps)
    except NotApplicable as error:
        raise not_applicable(error) from error
    return {
        "model": model.id,
        "cell": study.traced.trace.cell,
        "blocks": len(model.config.blocks),
        "steps": study.traced.prepared.steps,
        "low": study.low,
        "high": study.high,
        "gates": study.gates,
        "points": [point.__dict__ for point in study.points],
    }


def padding_payload(
    model: LoadedModel, body: LayerRequest, precision: int | None
) -> dict[str, Any]:
    try:
        study = padding_study(model, body.input, body.layer, body.direction)
    except NotApplicable as error:
        raise not_applicable(error) from error
    shown = study.runs[0].trace.layer(study.runs[0].layer, study.runs[0].direction)
    return {
        "model": model.id,
        "nonlinearity": shown.nonlinearity,
        "maxlen": study.maxlen,
        "trained_with": study.trained_with,
        "layer": shown.layer,
        "direction": shown.direction,
        "layers": _choices(layer_choices([study.runs[0].trace])),
        "runs": [padding_run_payload(run, precision) for run in study.runs],
    }


def state_payload(
    model: LoadedModel, body: StateRequest, settings: Settings, precision: int | None
) -> dict[str, Any]:
    try:
        study = state_study(model, body.input, body.split, body.next_input, settings.max_steps)
    except NotApplicable as error:
        loc: list[str | int] = ["body", "split"] if error.reason == "state_bad_split" else []
        raise not_applicable(error, loc or None) from error
    spec = model.config.preprocessing
    assert isinstance(spec, NumbersPreprocessing)
    return {
        "model": model.id,
        "cell": model.config.cell,
        "blocks": len(model.config.blocks),
        "nonlinearity": model.config.blocks[-1].nonlinearity,
        "split": study.split,
        "features": list(spec.features),
        "stack": stack_payload(study.stack, precision),
        "first": part_payload(study.first, 0, model, precision),
        "carried": part_payload(study.carried, study.split, model, precision),
        "fresh": part_payload(study.fresh, study.split, model, precision),
        "whole": part_payload(study.whole, 0, model, precision),
    }


def _checked(raw: Any, model: LoadedModel, settings: Settings) -> None:
    """The API's own input limits for the model that will read the input."""
    check_input(raw, ["input"], settings)
    check_trace_size(model_trace_size(model, raw), settings)


def _siblings_checked(
    model: LoadedModel, registry: ModelRegistry, raw: Any, settings: Settings
) -> list[LoadedModel]:
    """The model and its siblings, each within the trace-size limit (the handler has checked
    the input itself; the registry may read uploads from disk: worker thread)."""
    models = siblings(model, registry.all())
    for sibling in models:
        check_trace_size(model_trace_size(sibling, raw), settings)
    return models


# -- routes ---------------------------------------------------------------------------------------


@router.get(
    "/{model_id}/parameters",
    response_model=ParameterTable,
    responses=NOT_FOUND_RESPONSE,
    summary="Parameter counts with their formulas",
    description="Per layer: PyTorch's count with the formula behind it and the numbers "
    "substituted (LSTM 4 × (h × (i + h) + 2h): four gate blocks, two biases each), and "
    "Keras's count for the same layer (LSTM 4 × (h × (i + h) + h): one bias).",
)
def parameters(model: ModelDep) -> Response:
    return json_response(parameter_payload(model))


@router.post(
    "/{model_id}/compare",
    response_model=CompareResponse,
    responses=NOT_FOUND_RESPONSE,
    summary="Compare cells: the input through the sibling RNN, LSTM and GRU models",
    description="Sibling models share the task, language and input (e.g. sentiment-en-*); a "
    "chain of blocks of different cells has none and is shown alone. Each run holds one layer's "
    "gates, hidden (and cell) states (`layer`, over all blocks, and `direction`; default the top "
    "layer, forward; `layers` lists the choices), the prediction after every step, and the "
    "parameter table; `positions` aligns the steps on `axis`.",
)
async def compare_models(
    model: ModelDep,
    body: Annotated[LayerRequest, Body(openapi_examples=EXAMPLES)],
    registry: RegistryDep,
    settings: SettingsDep,
    precision: PrecisionDep,
    workers: WorkersDep,
) -> Response:
    check_input(body.input, ["input"], settings)
    payload = await workers.run(compare_payload, model, registry, body, settings, precision)
    return json_response(payload)


@router.post(
    "/{model_id}/sensitivity",
    response_model=SensitivityResponse,
    responses=NOT_FOUND_RESPONSE,
    summary="The vanishing gradient: sensitivity and retention per step, for each sibling cell",
    description="For the model and its siblings (RNN, LSTM, GRU) on the same input: how much the "
    "final hidden state depends on each input step (||d h_T / d x_t||, exact autograd), and the "
    "running product of the keep gate (LSTM forget, GRU update z) from step t+1 to the end, "
    "averaged over units. Both are meant for a log scale and are not rounded.",
)
async def sensitivity(
    model: ModelDep,
    body: Annotated[TraceRequest, Body(openapi_examples=EXAMPLES)],
    registry: RegistryDep,
    settings: SettingsDep,
    precision: PrecisionDep,
    workers: WorkersDep,
) -> Response:
    check_input(body.input, ["input"], settings)
    payload = await workers.run(
        sensitivity_payload, model, registry, body.input, settings, precision
    )
    return json_response(payload)


@router.post(
    "/{model_id}/saturation",
    response_model=SaturationResponse,
    responses={**NOT_FOUND_RESPONSE, **NOT_APPLICABLE},
    summary="Gate saturation per unit (Karpathy et al.)",
    description="For every sigmoid gate unit of every layer: the fraction of steps it is "
    "left-saturated (< low, shut) and right-saturated (> high, open). A plain RNN has no gates "
    "(422, type `saturation_needs_gates`).",
)
async def saturation(
    model: ModelDep,
    body: SaturationRequest,
    settings: SettingsDep,
    workers: WorkersDep,
) -> Response:
    _checked(body.input, model, settings)
    return json_response(await workers.run(saturation_payload, model, body, settings))


@router.post(
    "/{model_id}/padding",
    response_model=PaddingResponse,
    responses={**NOT_FOUND_RESPONSE, **NOT_APPLICABLE},
    summary="Padding and masking: the sentence pre-padded, post-padded and masked",
    description="The same real tokens padded with index 0 to maxlen in front (Keras's default), "
    "behind, and not at all (masked: only the real tokens are read). Per variant: the gates of "
    "one layer (`layer` over all blocks and `direction`, default the top layer forward; "
    "`layers` lists the choices), "
    "how much they move on pad steps versus word steps, and the prediction. Text models only "
    "(422, type `padding_needs_text`).",
)
async def padding(
    model: ModelDep,
    body: Annotated[LayerRequest, Body(openapi_examples=EXAMPLES)],
    settings: SettingsDep,
    precision: PrecisionDep,
    workers: WorkersDep,
) -> Response:
    _checked(body.input, model, settings)
    return json_response(await workers.run(padding_payload, model, body, precision))


@router.post(
    "/{model_id}/state",
    response_model=StateResponse,
    responses={**NOT_FOUND_RESPONSE, **NOT_APPLICABLE},
    summary="Stacking and state: return_sequences and stateful, with real numbers",
    description="`stack`: layer 1's h at every step is layer 2's input matrix "
    "(return_sequences=True); the top layer's last h feeds the Dense head. `carried` reads the "
    "second part from the first part's final state (stateful=True), `fresh` from zeros. "
    "Numeric models only (422, type `state_needs_numbers`).",
)
async def state(
    model: ModelDep,
    body: StateRequest,
    settings: SettingsDep,
    precision: PrecisionDep,
    workers: WorkersDep,
) -> Response:
    _checked(body.input, model, settings)
    if body.next_input is not None:
        check_input(body.next_input, ["next_input"], settings)
    return json_response(await workers.run(state_payload, model, body, settings, precision))

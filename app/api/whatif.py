"""What if over HTTP: interventions, patching sweeps and attribution (app/whatif).

Handlers check the limits, run app.whatif in the model worker pool, and write JSON; a bad
intervention is a 422 whose loc names the intervention and its field
(`interventions[0].units`), with code `invalid_intervention`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from torch import Tensor

from app.api.deps import ModelDep, PrecisionDep, SettingsDep
from app.api.errors import NOT_FOUND_RESPONSE, ApiError
from app.api.limits import check_input, check_trace_size, model_trace_size
from app.api.responses import json_response
from app.api.schemas import ModelInput, StrictInt, TraceRequest, TraceResponse
from app.api.workers import WorkersDep
from app.config import Settings
from app.limits import MAX_UNITS
from app.recurrent import InterventionError
from app.recurrent.intervene import OPERATIONS
from app.serialize import rounded, trace_payload, view_of_traced
from app.whatif.attribution import Attribution, agreement, attribute, prefix_attribution
from app.whatif.knobs import KNOBS, KNOBS_BY_ID
from app.whatif.model import ModelIntervention, WhatIf, model_sweep, what_if
from app.whatif.patching import PatchingSweep
from app.zoo import LoadedModel, TracedInput

router = APIRouter(tags=["what if"])

MAX_INTERVENTIONS = 32
MAX_PATCH_RUNS = 20_000  # patched runs of one sweep (steps x units, or layers x steps)
Operation = Literal["set", "scale", "add", "mean", "zero", "patch"]
KnobId = Literal[
    "forget-always-1",
    "forget-always-0",
    "input-always-0",
    "output-always-1",
    "reset-always-1",
    "reset-always-0",
    "update-always-0",
    "update-always-1",
]
assert set(OPERATIONS) == set(Operation.__args__)  # type: ignore[attr-defined]
assert set(KNOBS_BY_ID) == set(KnobId.__args__)  # type: ignore[attr-defined]
INVALID: dict[int | str, dict[str, Any]] = {
    422: {
        "description": "Invalid input, or an intervention that does not fit the model: the "
        "error's loc names the intervention and its field, code `invalid_intervention`."
    },
}


# -- schemas ----------------------------------------------------------------------------------


class StepRange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: StrictInt = Field(ge=0, description="The first step, from 0.")
    stop: StrictInt = Field(ge=1, description="One past the last step.")


class InterventionIn(BaseModel):
    """Change some units of a site at some steps."""

    model_config = ConfigDict(extra="forbid")

    site: str = Field(
        max_length=64,
        description="layer{L}.{forward|backward}.{name}: L counts layers over all blocks; name is "
        "a gate of the layer's cell (LSTM input, forget, candidate, output; GRU reset, update, "
        "candidate), `cell` (LSTM) or `hidden`.",
        examples=["layer0.forward.forget"],
    )
    units: list[StrictInt] | Literal["all"] = Field(
        default="all", description="Unit indices (from 0), or all.", max_length=MAX_UNITS
    )
    steps: list[StrictInt] | StepRange | Literal["all"] = Field(
        default="all", description="Step indices in input order, a range, or all."
    )
    op: Operation = Field(
        description="set (to value), scale (by value), add (value), zero, mean (each unit's mean "
        "over this input's clean run), patch (the value from source_input's clean run)."
    )
    value: float | None = Field(default=None, allow_inf_nan=False)
    source_input: ModelInput | None = Field(
        default=None, description="patch: the input whose clean run gives the values."
    )


class InterveneRequest(TraceRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "input": "a wonderful and moving film",
                    "interventions": [
                        {"site": "layer0.forward.forget", "op": "set", "value": 1.0},
                    ],
                },
                {"input": "a wonderful and moving film", "knobs": ["input-always-0"]},
            ]
        },
    )

    interventions: list[InterventionIn] = Field(default=[], max_length=MAX_INTERVENTIONS)
    knobs: list[KnobId] = Field(
        default=[], max_length=8, description="Teaching knobs (GET /api/v1/knobs), applied first."
    )


class PredictionChangeOut(BaseModel):
    scored: str = Field(description="What the score is: the positive label, a class, `value`.")
    before: float
    after: float
    delta: float
    label_changed: bool


class InterveneResponse(BaseModel):
    clean: TraceResponse
    patched: TraceResponse
    prediction_change: PredictionChangeOut


class KnobOut(BaseModel):
    id: str
    cell: Literal["lstm", "gru"]
    gate: str
    pytorch_value: float = Field(description="What the PyTorch gate is set to.")
    en: str
    ko: str
    meaning_en: str
    meaning_ko: str


class KnobList(BaseModel):
    knobs: list[KnobOut]


class PatchingRequest(TraceRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "input": "a wonderful and moving film",
                    "corrupted_input": "a terrible and boring film",
                    "kind": "step_unit",
                    "site": "layer0.forward.hidden",
                }
            ]
        },
    )

    corrupted_input: ModelInput
    kind: Literal["step_unit", "layer_step"] = "step_unit"
    site: str = Field(
        default="layer0.forward.hidden",
        max_length=64,
        description="step_unit: a whole site; layer_step: a name every layer has (`hidden`).",
    )


class PatchingResponse(BaseModel):
    model: str
    kind: Literal["step_unit", "layer_step"]
    site: str
    rows: list[str] = Field(description="Units, or layer-directions (rows of `effect`).")
    steps: int
    tokens: list[str] | None
    scored: str
    clean_score: float
    corrupted_score: float
    effect: list[list[float | None]] = Field(
        description="[[normalised effect per step] per row]: clean = 1, corrupted = 0; null when "
        "the clean and corrupted scores tie."
    )
    raw: list[list[float | None]] = Field(description="The score of each patched run.")
    runs: int


class AttributionRequest(TraceRequest):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"input": "a wonderful and moving film", "method": "all"}]},
    )

    method: Literal["integrated_gradients", "occlusion", "gradient_x_input", "all"] = (
        "integrated_gradients"
    )
    per_prefix: bool = Field(
        default=False,
        description="Also explain the prediction as it forms: integrated gradients of the "
        "prediction after each step over the steps read so far (models that read left to right).",
    )


class PrefixOut(BaseModel):
    scored: str
    rows: list[list[float] | None] = Field(
        description="[[score per step] per step t]: row t explains the prediction after step t "
        "(steps after t are 0); null for padding steps."
    )
    completeness_gap: list[float | None]
    ig_steps: list[int | None]


class AttributionResponse(BaseModel):
    model: str
    method: str
    scored: str
    steps: int
    tokens: list[str] | None
    token_kinds: list[str] | None
    scores: dict[str, list[float]] = Field(description="Per method: one score per step.")
    completeness_gap: float | None = Field(
        description="Integrated gradients: |sum of scores - (f(x) - f(baseline))| / "
        "|f(x) - f(baseline)|; more steps are taken while it is over 1 %."
    )
    ig_steps: int | None
    rank_correlation: dict[str, float | None] | None = Field(
        description="method=all: Spearman's rho of each pair, over the steps that are not padding."
    )
    per_prefix: PrefixOut | None = Field(
        default=None,
        description="With per_prefix: the prediction as it forms, explained; null when a block "
        "reads backward (there is no prediction so far) or it was not asked for.",
    )


# -- the work, in the model pool ----------------------------------------------------------------


def invalid(error: InterventionError, prefix: list[str | int]) -> ApiError:
    loc: list[str | int] = ["body", *prefix]
    if error.index is not None:
        loc += [error.index]
    loc.append(error.field)
    return ApiError(422, loc, error.message, "invalid_intervention", code="invalid_intervention")


def _engine_items(body: InterveneRequest) -> list[ModelIntervention]:
    return [
        ModelIntervention(
            site=item.site,
            op=item.op,
            units=None if item.units == "all" else item.units,
            steps=_steps(item.steps),
            value=item.value,
            source_input=item.source_input,
        )
        for item in body.interventions
    ]


def _steps(steps: list[int] | StepRange | Literal["all"]) -> list[int] | None:
    if isinstance(steps, StepRange):
        return list(range(steps.start, steps.stop)) or [steps.start]
    return None if steps == "all" else steps


def _trace_out(model: LoadedModel, found: WhatIf, patched: bool, precision: int | None) -> Any:
    traced = found.patched if patched else found.clean
    item = TracedInput(
        prepared=found.prepared,
        trace=traced,
        prediction=found.after if patched else found.before,
        step_predictions=model.step_predictions(traced),
    )
    return trace_payload(view_of_traced(model, item), precision)


def intervene_payload(
    model: LoadedModel, body: InterveneRequest, settings: Settings, precision: int | None
) -> dict[str, Any]:
    knobs = list(body.knobs)
    try:
        found = what_if(model, body.input, _engine_items(body), knobs, settings.max_steps)
    except InterventionError as error:
        prefix: list[str | int] = [] if error.field == "knobs" else ["interventions"]
        raise invalid(error, prefix) from error
    change = found.change
    return {
        "clean": _trace_out(model, found, False, precision),
        "patched": _trace_out(model, found, True, precision),
        "prediction_change": {
            "scored": change.scored,
            "before": change.before,
            "after": change.after,
            "delta": change.delta,
            "label_changed": change.label_changed,
        },
    }


def patching_payload(
    model: LoadedModel, body: PatchingRequest, settings: Settings, precision: int | None
) -> dict[str, Any]:
    runs = _sweep_runs(model, body)
    if runs > MAX_PATCH_RUNS:
        raise ApiError(
            422,
            ["body", "site"],
            f"this sweep would patch {runs} runs, more than the limit of {MAX_PATCH_RUNS}",
            "limit_exceeded",
            code="too_large_sweep",
            params={"runs": runs, "limit": MAX_PATCH_RUNS},
        )
    try:
        sweep = model_sweep(
            model, body.input, body.corrupted_input, body.kind, body.site, settings.max_steps
        )
    except InterventionError as error:
        raise invalid(error, []) from error
    return _sweep_out(model, body, sweep, precision)


def _sweep_runs(model: LoadedModel, body: PatchingRequest) -> int:
    """An upper bound of the sweep's runs from the model's shape."""
    steps = (
        len(body.input)
        if isinstance(body.input, list)
        else getattr(model.config.preprocessing, "maxlen", 1)
    )
    blocks = model.config.blocks
    if body.kind == "layer_step":
        return steps * sum(block.num_layers * (2 if block.bidirectional else 1) for block in blocks)
    return steps * max(block.hidden_size for block in blocks)


def _matrix(values: Tensor, precision: int | None) -> Any:
    return rounded(values.unsqueeze(0), precision)


def _sweep_out(
    model: LoadedModel, body: PatchingRequest, sweep: PatchingSweep, precision: int | None
) -> dict[str, Any]:
    prepared = model.prepare(body.input, "input")
    return {
        "model": model.id,
        "kind": sweep.kind,
        "site": body.site,
        "rows": sweep.rows,
        "steps": sweep.effect.shape[1],
        "tokens": prepared.tokens,
        "scored": sweep.scored,
        "clean_score": sweep.clean_score,
        "corrupted_score": sweep.corrupted_score,
        "effect": _matrix(sweep.effect, precision),
        "raw": _matrix(sweep.raw, precision),
        "runs": sweep.runs,
    }


def attribution_payload(
    model: LoadedModel, body: AttributionRequest, settings: Settings, precision: int | None
) -> dict[str, Any]:
    correlation: dict[str, float | None] | None = None
    if body.method == "all":
        found = agreement(model, body.input, settings.max_steps)
        methods = found.attributions
        correlation = {
            pair: (None if rho != rho else rho) for pair, rho in found.rank_correlation.items()
        }
    else:
        one = attribute(model, body.input, body.method, settings.max_steps)
        methods = {one.method: one}
    prepared = model.prepare(body.input, "input", settings.max_steps)
    ig: Attribution | None = methods.get("integrated_gradients")
    first = next(iter(methods.values()))
    decimals = 17 if precision is None else max(precision, 6)
    return {
        "model": model.id,
        "method": body.method,
        "scored": first.scored,
        "steps": prepared.steps,
        "tokens": prepared.tokens,
        "token_kinds": list(prepared.token_kinds) if prepared.token_kinds else None,
        "scores": {
            name: [round(float(value), decimals) for value in item.scores]
            for name, item in methods.items()
        },
        "completeness_gap": ig.completeness_gap if ig is not None else None,
        "ig_steps": ig.ig_steps if ig is not None else None,
        "rank_correlation": correlation,
        "per_prefix": _prefix_out(model, body, settings, decimals) if body.per_prefix else None,
    }


def _prefix_out(
    model: LoadedModel, body: AttributionRequest, settings: Settings, decimals: int
) -> dict[str, Any] | None:
    found = prefix_attribution(model, body.input, settings.max_steps)
    if found is None:
        return None
    return {
        "scored": found.scored,
        "rows": [
            None if row is None else [round(float(value), decimals) for value in row]
            for row in found.rows
        ],
        "completeness_gap": found.gaps,
        "ig_steps": found.ig_steps,
    }


def _checked(model: LoadedModel, settings: Settings, *inputs: tuple[Any, list[str | int]]) -> None:
    for raw, loc in inputs:
        check_input(raw, loc, settings)
        check_trace_size(model_trace_size(model, raw), settings)


# -- routes -----------------------------------------------------------------------------------


@router.get("/knobs", response_model=KnobList, summary="The teaching knobs")
def knobs() -> KnobList:
    """Each knob clamps one gate in every layer of its cell; the words are the notes'."""
    return KnobList(knobs=[KnobOut(**knob.__dict__) for knob in KNOBS])


@router.post(
    "/models/{model_id}/intervene",
    response_model=InterveneResponse,
    responses={**NOT_FOUND_RESPONSE, **INVALID},
    summary="Change gates or states and run on: the clean and patched traces",
    description="Each intervention changes some units of a site at some steps; the run is exact "
    "(the clean prefix, then the cells stepped by hand with the change applied where the "
    "equations use the value, so later steps, upper layers, the other direction and the head "
    "follow). Knobs are applied first, then the interventions in order.",
)
async def intervene_route(
    model: ModelDep,
    body: InterveneRequest,
    settings: SettingsDep,
    precision: PrecisionDep,
    workers: WorkersDep,
) -> Response:
    sources: list[tuple[Any, list[str | int]]] = [
        (item.source_input, ["interventions", index, "source_input"])
        for index, item in enumerate(body.interventions)
        if item.source_input is not None
    ]
    _checked(model, settings, (body.input, ["input"]), *sources)
    return json_response(await workers.run(intervene_payload, model, body, settings, precision))


@router.post(
    "/models/{model_id}/patching",
    response_model=PatchingResponse,
    responses={**NOT_FOUND_RESPONSE, **INVALID},
    summary="Activation patching sweep: which places restore the clean prediction",
    description="For a clean and a corrupted input of the same length: the corrupted run with "
    "one place patched from the clean run, for every (step, unit) of a site or every "
    "(layer-direction, step) of a name, normalised so clean = 1 and corrupted = 0. All runs go "
    f"through the engine as one batch; at most {MAX_PATCH_RUNS} runs.",
)
async def patching(
    model: ModelDep,
    body: PatchingRequest,
    settings: SettingsDep,
    precision: PrecisionDep,
    workers: WorkersDep,
) -> Response:
    _checked(model, settings, (body.input, ["input"]), (body.corrupted_input, ["corrupted_input"]))
    return json_response(await workers.run(patching_payload, model, body, settings, precision))


@router.post(
    "/models/{model_id}/attribution",
    response_model=AttributionResponse,
    responses=NOT_FOUND_RESPONSE,
    summary="Which input steps drove the prediction (Captum)",
    description="integrated_gradients (pad/zero baseline, completeness gap reported), occlusion "
    "(each token replaced by OOV; series steps by zeros), gradient_x_input, or all three with "
    "their rank correlation. Scores are per step, summed over the step's features.",
)
async def attribution(
    model: ModelDep,
    body: Annotated[AttributionRequest, Body()],
    settings: SettingsDep,
    precision: PrecisionDep,
    workers: WorkersDep,
) -> Response:
    _checked(model, settings, (body.input, ["input"]))
    return json_response(await workers.run(attribution_payload, model, body, settings, precision))

"""The model zoo over HTTP: list, describe, trace and predict."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body
from fastapi.responses import Response

from app.api.cache import CacheDep, cache_key
from app.api.deps import (
    ExportDep,
    Gzip,
    GzipDep,
    ModelDep,
    PrecisionDep,
    RegistryDep,
    SettingsDep,
)
from app.api.errors import NOT_FOUND_RESPONSE
from app.api.limits import (
    check_batch,
    check_input,
    check_trace_size,
    model_trace_size,
    predict_cost,
    trace_cost,
)
from app.api.responses import TRACE_CONTENT, TRACE_DESCRIPTION, json_response, trace_response
from app.api.schemas import (
    ModelDetail,
    ModelList,
    ModelSummary,
    PredictRequest,
    PredictResponse,
    TraceRequest,
    TraceResponse,
)
from app.api.workers import WorkersDep
from app.config import Settings
from app.serialize import ExportFormat, view_of_traced
from app.zoo import LoadedModel
from app.zoo.describe import detail_of, summary_of
from app.zoo.loaded import PreparedInput

router = APIRouter(prefix="/models", tags=["models"])

TRACE_EXAMPLES: dict[str, Any] = {
    "text": {"summary": "A sentence (text models)", "value": {"input": "이 영화 정말 재미있어요"}},
    "numbers": {
        "summary": "Steps of feature values (numeric models)",
        "value": {"input": [[12.5, 1012.3], [12.9, 1011.8], [13.4, 1011.0]]},
    },
    "one-feature": {"summary": "A flat list for one feature", "value": {"input": [0.1, 0.4, 0.9]}},
}
PREDICT_EXAMPLES: dict[str, Any] = {
    "texts": {"summary": "Sentences", "value": {"inputs": ["정말 재미있어요", "너무 지루했다"]}},
}


@router.get(
    "",
    response_model=ModelList,
    summary="List the models",
    description="Every shipped and uploaded model, with what a table of models needs.",
)
def list_models(registry: RegistryDep) -> ModelList:
    summaries = [ModelSummary(**summary_of(model)) for model in registry.all()]
    return ModelList(data=summaries, count=len(summaries))


@router.get(
    "/{model_id}",
    response_model=ModelDetail,
    responses=NOT_FOUND_RESPONSE,
    summary="Describe one model",
    description="The summary plus parameters per layer (to compare LSTM and GRU sizes), "
    "the model card and example inputs.",
)
def read_model(model: ModelDep) -> ModelDetail:
    return ModelDetail(**detail_of(model))


@router.post(
    "/{model_id}/trace",
    response_model=TraceResponse,
    responses={
        **NOT_FOUND_RESPONSE,
        200: {"content": TRACE_CONTENT, "description": TRACE_DESCRIPTION},
    },
    summary="Trace one input through a model",
    description="Every gate, hidden and cell value of every layer at every step, the tokens or "
    "values as the network read them, the prediction, and the prediction after every step. "
    "Floats are rounded to `precision` decimals (`?precision=full` for all of them).",
)
async def trace_model(
    model: ModelDep,
    body: Annotated[TraceRequest, Body(openapi_examples=TRACE_EXAMPLES)],
    settings: SettingsDep,
    export: ExportDep,
    precision: PrecisionDep,
    compression: GzipDep,
    workers: WorkersDep,
    cache: CacheDep,
) -> Response:
    check_input(body.input, ["input"], settings)
    check_trace_size(model_trace_size(model, body.input), settings)
    key = cache_key("model", model.id, export, precision, compression, body.input)
    return await cache.answer(
        key,
        lambda: workers.run(
            traced_response,
            model,
            body.input,
            settings,
            export,
            precision,
            compression,
            cost=trace_cost(model, body.input),
        ),
        owner=model,
    )


def traced_response(
    model: LoadedModel,
    raw: Any,
    settings: Settings,
    export: ExportFormat,
    precision: int | None,
    compression: Gzip | None,
) -> Response:
    """Trace, render and compress: all of it in a model worker thread."""
    traced = model.run_trace(raw, max_steps=settings.max_steps)
    return trace_response(view_of_traced(model, traced), export, precision, model.id, compression)


@router.post(
    "/{model_id}/predict",
    response_model=PredictResponse,
    responses=NOT_FOUND_RESPONSE,
    summary="Predict several inputs",
    description="The prediction for each input, in order: label and probability for sentiment, "
    "value in original units for regression. At most GATESCOPE_MAX_BATCH inputs. `truncated` "
    "says what was cut from a text longer than the model's maxlen (null when nothing was).",
)
async def predict(
    model: ModelDep,
    body: Annotated[PredictRequest, Body(openapi_examples=PREDICT_EXAMPLES)],
    settings: SettingsDep,
    workers: WorkersDep,
) -> Response:
    check_batch(body.inputs, settings)
    return await workers.run(
        predicted_response, model, body.inputs, settings, cost=predict_cost(model, body.inputs)
    )


def predicted_response(model: LoadedModel, raws: list[Any], settings: Settings) -> Response:
    """Predict every input in a model worker thread."""
    prepared = model.prepare_all(raws, max_steps=settings.max_steps)
    predictions = model.predict_prepared(prepared)
    return json_response(
        {
            "predictions": [
                {**prediction.as_dict(), "truncated": _truncated(item)}
                for prediction, item in zip(predictions, prepared, strict=True)
            ]
        }
    )


def _truncated(prepared: PreparedInput) -> dict[str, Any] | None:
    return prepared.truncated.as_dict() if prepared.truncated is not None else None

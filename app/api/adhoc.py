"""Ad-hoc networks: a recurrent module with seeded random weights, traced on the caller's steps."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body
from fastapi.responses import Response

from app.api.cache import CacheDep, cache_key
from app.api.deps import ExportDep, Gzip, GzipDep, PrecisionDep, SettingsDep
from app.api.limits import adhoc_cost, check_adhoc
from app.api.responses import TRACE_CONTENT, TRACE_DESCRIPTION, trace_response
from app.api.schemas import AdhocTraceRequest, TraceResponse
from app.api.workers import WorkersDep
from app.recurrent import RecurrentOptions
from app.recurrent.seeded import trace_seeded
from app.serialize import ExportFormat, view_of_trace

router = APIRouter(tags=["ad-hoc networks"])

ADHOC_EXAMPLES: dict[str, Any] = {
    "lstm": {
        "summary": "A small LSTM on three steps",
        "value": AdhocTraceRequest.model_config["json_schema_extra"]["examples"][0],  # type: ignore[index]
    },
    "bidirectional-gru": {
        "summary": "Two stacked bidirectional GRU layers",
        "value": {
            "cell": "gru",
            "input_size": 1,
            "hidden_size": 3,
            "num_layers": 2,
            "bidirectional": True,
            "seed": 7,
            "input": [0.0, 0.5, 1.0, 0.5],
        },
    },
}


def options_of_request(request: AdhocTraceRequest) -> RecurrentOptions:
    return RecurrentOptions(
        cell=request.cell,
        input_size=request.input_size,
        hidden_size=request.hidden_size,
        num_layers=request.num_layers,
        bidirectional=request.bidirectional,
        nonlinearity=request.nonlinearity,
        reset_after=request.reset_after,
    )


@router.post(
    "/trace",
    response_model=TraceResponse,
    responses={200: {"content": TRACE_CONTENT, "description": TRACE_DESCRIPTION}},
    summary="Trace an ad-hoc network with seeded random weights",
    description="Build an nn.RNN, nn.LSTM or nn.GRU of the given sizes with weights drawn from "
    "`seed` (the same in every process), run it on `input` and return the trace in the same "
    "layout as a model trace, without tokens or prediction: `values` holds the input.",
)
async def trace_adhoc(
    body: Annotated[AdhocTraceRequest, Body(openapi_examples=ADHOC_EXAMPLES)],
    settings: SettingsDep,
    export: ExportDep,
    precision: PrecisionDep,
    compression: GzipDep,
    workers: WorkersDep,
    cache: CacheDep,
) -> Response:
    check_adhoc(body, settings)
    options = options_of_request(body)
    key = cache_key("adhoc", repr(options), body.seed, export, precision, compression, body.input)
    return await cache.answer(
        key,
        lambda: workers.run(
            adhoc_response, body, export, precision, compression, cost=adhoc_cost(body)
        ),
    )


def adhoc_response(
    body: AdhocTraceRequest, export: ExportFormat, precision: int | None, compression: Gzip | None
) -> Response:
    """Build (or reuse) the seeded module, trace, render and compress, in a model worker."""
    rows = body.rows()
    traced = trace_seeded(options_of_request(body), body.seed, rows)
    stem = f"adhoc-{body.cell}-seed{body.seed}"
    return trace_response(view_of_trace(traced, rows), export, precision, stem, compression)

"""Ad-hoc networks: a recurrent module with seeded random weights, traced on the caller's steps."""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Annotated, Any

import torch
from fastapi import APIRouter, Body
from fastapi.responses import Response
from torch import nn

from app.api.cache import CacheDep, cache_key
from app.api.deps import ExportDep, Gzip, GzipDep, PrecisionDep, SettingsDep
from app.api.limits import check_adhoc
from app.api.responses import TRACE_CONTENT, TRACE_DESCRIPTION, trace_response
from app.api.schemas import AdhocTraceRequest, TraceResponse
from app.api.workers import WorkersDep
from app.recurrent import trace
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


@lru_cache(maxsize=16)
def seeded_module(
    cell: str,
    input_size: int,
    hidden_size: int,
    num_layers: int,
    bidirectional: bool,
    nonlinearity: str,
    seed: int,
) -> nn.RNNBase:
    """An nn.RNN/LSTM/GRU initialised as PyTorch does (U(-k, k), k = 1/sqrt(hidden)), from a
    private generator: the same seed gives the same weights in every process, and the global
    RNG (which other requests may use) is never touched. Cached modules are only read."""
    options: dict[str, Any] = dict(
        input_size=input_size,
        hidden_size=hidden_size,
        num_layers=num_layers,
        bidirectional=bidirectional,
        batch_first=True,
        device="meta",
    )
    module: nn.RNNBase
    if cell == "lstm":
        module = nn.LSTM(**options)
    elif cell == "gru":
        module = nn.GRU(**options)
    else:
        module = nn.RNN(**options, nonlinearity=nonlinearity)
    module = module.to_empty(device="cpu")
    generator = torch.Generator().manual_seed(seed)
    bound = 1.0 / math.sqrt(hidden_size)
    with torch.no_grad():
        for _, parameter in module.named_parameters():
            parameter.uniform_(-bound, bound, generator=generator)
    return module.eval()


def warm_up() -> None:
    """Build and trace a tiny network once: torch's first meta-device build costs ~0.3 s."""
    module = seeded_module("lstm", 1, 1, 1, False, "tanh", 0)
    trace(module, torch.zeros(1, 1, 1))


def module_for(request: AdhocTraceRequest) -> nn.RNNBase:
    return seeded_module(
        request.cell,
        request.input_size,
        request.hidden_size,
        request.num_layers,
        request.bidirectional,
        request.nonlinearity,
        request.seed,
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
    shape = (body.cell, body.input_size, body.hidden_size, body.num_layers, body.bidirectional)
    key = cache_key(
        "adhoc", *shape, body.nonlinearity, body.seed, export, precision, compression, body.input
    )
    return await cache.answer(
        key, lambda: workers.run(adhoc_response, body, export, precision, compression)
    )


def adhoc_response(
    body: AdhocTraceRequest, export: ExportFormat, precision: int | None, compression: Gzip | None
) -> Response:
    """Build (or reuse) the seeded module, trace, render and compress, in a model worker."""
    rows = body.rows()
    inputs = torch.tensor([rows], dtype=torch.float32)
    traced = trace(module_for(body), inputs)
    stem = f"adhoc-{body.cell}-seed{body.seed}"
    return trace_response(view_of_trace(traced, rows), export, precision, stem, compression)

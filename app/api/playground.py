"""The playground over HTTP (issue 14): tasks, runs trained a few steps at a time, checkpoint
traces, saving as a model, and a live channel (server-sent events) that trains while a page
listens and stops when it goes away.

Training happens in app.playground (no web code there); this router validates, waits for a
training slot (GATESCOPE_PLAYGROUND_CONCURRENT per process, first come first served), runs the
work in the model worker pool and maps RunError to the one error shape.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Body, Path, Query, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from app.api.deps import RegistryDep, SettingsDep
from app.api.errors import ApiError, ErrorResponse
from app.api.responses import json_response
from app.api.workers import WorkersDep
from app.config import Settings
from app.importers import ModelImportError
from app.playground.hypotheses import HYPOTHESES
from app.playground.runs import (
    CELLS,
    RUN_ID_PATTERN,
    Limits,
    RunConfig,
    RunError,
    Trained,
    TrainingSlots,
    checkpoint_trace,
    create_run,
    delete_run,
    get_run,
    train,
)
from app.playground.saving import save_run
from app.playground.tasks import TASKS, Task, baseline, probe
from app.recurrent import CellKind

router = APIRouter(prefix="/playground", tags=["playground"])

T = TypeVar("T")

# Documented, not enforced (as model ids): an id outside the pattern is a 404 naming it.
RunId = Annotated[
    str,
    Path(
        description="A run id from POST /api/v1/playground/runs.",
        json_schema_extra={"pattern": RUN_ID_PATTERN, "maxLength": 16},
    ),
]
RUN_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "No such run (or checkpoint)."},
    409: {"model": ErrorResponse, "description": "The run is busy, or paused on a NaN."},
}
LIVE_EVENT_SECONDS = 0.4  # training time between two live events (more than 2 a second)


class TrainRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    steps: Annotated[int, Field(ge=1, le=100_000, description="Steps to train (bounded).")]


class SaveRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cell: CellKind | None = Field(
        default=None, description="Which racing cell to save; the run's first by default."
    )
    id: str | None = Field(default=None, description="The model id; generated when empty.")


def limits_of(settings: Settings) -> Limits:
    return Limits(
        max_steps=settings.playground_max_steps,
        max_call_steps=settings.playground_max_call_steps,
        max_call_seconds=settings.playground_max_call_seconds,
        max_run_seconds=settings.playground_max_run_seconds,
        max_memory_mb=settings.playground_max_memory_mb,
        idle_seconds=settings.playground_idle_seconds,
    )


def slots_of(request: Request, settings: Settings) -> TrainingSlots:
    """This process's training slots (made on first use)."""
    state = request.app.state
    if getattr(state, "playground_slots", None) is None:
        state.playground_slots = TrainingSlots(settings.playground_concurrent)
    slots: TrainingSlots = state.playground_slots
    return slots


def api_error(error: RunError, loc: list[str | int]) -> ApiError:
    return ApiError(
        error.status,
        loc,
        error.message,
        error.code,
        code=error.code,
        params={key: value for key, value in error.params.items()},
    )


async def run_domain(workers: Any, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run playground work in the worker pool; RunError becomes the one error shape."""
    try:
        result: T = await workers.run(function, *args, **kwargs)
        return result
    except RunError as error:
        raise api_error(error, ["path", "run_id"]) from error


# -- tasks -----------------------------------------------------------------------------------


def task_json(task: Task) -> dict[str, Any]:
    base = baseline(task.name, task.size_default)
    return {
        "name": task.name,
        "explain": task.explain,
        "features": list(task.features),
        "symbolic": task.symbolic,
        "output": task.output,
        "readout": task.readout,
        "classes": list(task.classes),
        "size": {
            "default": task.size_default,
            "min": task.size_min,
            "max": task.size_max,
            "name": task.size_name,
        },
        "longer_test": task.longer_test,
        "tolerance": task.tolerance,
        "baseline": {"loss": base.loss, "accuracy": base.accuracy, "kind": base.kind},
        "hypotheses": len(HYPOTHESES[task.name]),
        "probe": probe(task.name, task.size_default),
    }


@router.get(
    "/tasks",
    summary="The playground's tasks",
    description="Each task with its explanation (en, ko), inputs, outputs, size range, baseline "
    "(chance or predict-the-mean loss and accuracy, at the default size), and probe sequence.",
)
def list_tasks() -> Response:
    return json_response({"tasks": [task_json(task) for task in TASKS.values()]})


# -- runs ------------------------------------------------------------------------------------


@router.post(
    "/runs",
    status_code=201,
    summary="Start a run",
    description="A run at step 0: the configuration (task, size, cell or `all` to race RNN, "
    "LSTM and GRU on the same data and seed, hidden 1-64, layers 1-2, optimizer, learning "
    "rate, batch size, seed). Returns `{id, step, history, checkpoints, checks, baseline, "
    "probe, ...}`. Runs untouched for GATESCOPE_PLAYGROUND_IDLE_SECONDS are removed.",
    responses={422: {"model": ErrorResponse, "description": "Invalid or too large."}},
)
async def start_run(
    config: Annotated[RunConfig, Body()], settings: SettingsDep, workers: WorkersDep
) -> Response:
    try:
        run = await workers.run(create_run, settings.data_dir, config, limits_of(settings))
    except RunError as error:
        raise api_error(error, ["body"]) from error
    return json_response(run, status_code=201)


@router.get(
    "/runs/{run_id}",
    summary="A run",
    description="Configuration, step, status (ready, paused, limit) and its message, metric "
    "history per cell (rows after `since` only, when given), checkpoints with their hypothesis "
    "results, the latest hypothesis results, baseline and probe.",
    responses=RUN_ERRORS,
)
async def read_run(
    run_id: RunId,
    settings: SettingsDep,
    request: Request,
    since: Annotated[int, Query(ge=-1, description="Only history rows after this step.")] = -1,
) -> Response:
    try:
        run = get_run(settings.data_dir, run_id, since)
    except RunError as error:
        raise api_error(error, ["path", "run_id"]) from error
    slots = slots_of(request, settings)
    run["queue"] = {"waiting": slots.queued, "concurrent": slots.limit}
    return json_response(run)


def trained_json(trained: Trained) -> dict[str, Any]:
    return {
        **trained.run,
        "probe_traces": trained.probe,
        "trained": trained.steps,
        "stopped": trained.stopped,
    }


def _train_in_slot(slots: TrainingSlots, settings: Settings, run_id: str, **kwargs: Any) -> Trained:
    with slots.slot(object()):
        return train(settings.data_dir, run_id, limits_of(settings), **kwargs)


@router.post(
    "/runs/{run_id}/train",
    summary="Train n steps",
    description="Trains up to `steps` steps (at most GATESCOPE_PLAYGROUND_MAX_CALL_STEPS, and "
    "for at most GATESCOPE_PLAYGROUND_MAX_CALL_SECONDS) once a training slot is free, and "
    "returns the run with `trained` (steps done), `stopped` (done, time, paused, limit) and "
    "`probe_traces` (the probe's gates, cell and hidden states per cell). A NaN or diverging "
    "loss pauses the run with a message.",
    responses=RUN_ERRORS,
)
async def train_run(
    run_id: RunId,
    body: TrainRequest,
    settings: SettingsDep,
    workers: WorkersDep,
    request: Request,
    since: Annotated[int, Query(ge=-1, description="Only history rows after this step.")] = -1,
) -> Response:
    slots = slots_of(request, settings)
    if body.steps > settings.playground_max_call_steps:
        raise ApiError(
            422,
            ["body", "steps"],
            f"steps must be at most {settings.playground_max_call_steps}, got {body.steps}",
            "less_than_equal",
            code="above_maximum",
            params={"limit": settings.playground_max_call_steps},
        )
    trained = await run_domain(
        workers, _train_in_slot, slots, settings, run_id, steps=body.steps, since=since
    )
    return json_response(trained_json(trained))


@router.get(
    "/runs/{run_id}/checkpoints/{index}/trace",
    summary="A checkpoint's trace",
    description="The probe (or `input`: symbols one character each, numbers one step per line) "
    "traced exactly through every cell's weights at checkpoint `index` (0 is step 0; negative "
    "counts from the last): gates, cell and hidden states per step, and the readout.",
    responses=RUN_ERRORS,
)
async def trace_checkpoint(
    run_id: RunId,
    index: Annotated[int, Path(description="Checkpoint index; -1 is the latest.")],
    settings: SettingsDep,
    workers: WorkersDep,
    input: Annotated[str | None, Query(max_length=10_000)] = None,
) -> Response:
    try:
        traced = await workers.run(checkpoint_trace, settings.data_dir, run_id, index, input)
    except RunError as error:
        loc: list[str | int] = ["query", "input"] if error.status == 422 else ["path", "run_id"]
        raise api_error(error, loc) from error
    return json_response(traced)


@router.post(
    "/runs/{run_id}/save",
    status_code=201,
    summary="Save as a model",
    description="Stores the run's current network (one cell) as an uploaded model with a "
    "generated card, so the explorer and every teaching page work on it. Returns `{id, url}`.",
    responses={**RUN_ERRORS, 409: {"model": ErrorResponse, "description": "Id taken."}},
)
async def save(
    run_id: RunId,
    settings: SettingsDep,
    workers: WorkersDep,
    registry: RegistryDep,
    body: Annotated[SaveRequest | None, Body()] = None,
) -> Response:
    body = body or SaveRequest()
    try:
        model_id = await workers.run(
            save_run, settings.data_dir, run_id, body.cell, body.id, set(registry.shipped)
        )
    except RunError as error:
        loc: list[str | int] = ["body", "cell"] if error.status == 422 else ["path", "run_id"]
        raise api_error(error, loc) from error
    except ModelImportError as error:
        code = "id_taken" if error.status_code == 409 else "invalid_id"
        raise ApiError(error.status_code, ["body", "id"], error.message, code, code=code) from error
    registry.refresh_uploads()
    return json_response({"id": model_id, "url": f"/?model={model_id}"}, status_code=201)


@router.delete(
    "/runs/{run_id}",
    status_code=204,
    summary="Delete a run",
    responses=RUN_ERRORS,
)
async def remove_run(run_id: RunId, settings: SettingsDep, workers: WorkersDep) -> Response:
    await run_domain(workers, delete_run, settings.data_dir, run_id)
    return Response(status_code=204)


# -- the live channel ------------------------------------------------------------------------


def sse(event: str, data: dict[str, Any]) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


@router.get(
    "/runs/{run_id}/live",
    summary="Train live (server-sent events)",
    description="Trains the run while the client listens, in chunks of about "
    f"{LIVE_EVENT_SECONDS} s (or `steps_per_event` steps), and sends after each chunk an "
    "`update` event: the new history rows, step, status and the probe's traces. While waiting "
    "for a training slot it sends `queued` events with the position. It stops with an `end` "
    "event (paused, limit, or `max_steps` reached) and as soon as the client disconnects.",
    responses={
        **RUN_ERRORS,
        200: {"content": {"text/event-stream": {}}, "description": "The event stream."},
    },
)
async def live(
    run_id: RunId,
    request: Request,
    settings: SettingsDep,
    workers: WorkersDep,
    max_steps: Annotated[int | None, Query(ge=1, le=1_000_000)] = None,
    steps_per_event: Annotated[int | None, Query(ge=1, le=10_000)] = None,
) -> StreamingResponse:
    try:
        first = get_run(settings.data_dir, run_id)
    except RunError as error:
        raise api_error(error, ["path", "run_id"]) from error
    stream = live_events(
        request, settings, workers, run_id, first["step"], max_steps, steps_per_event
    )
    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(stream, media_type="text/event-stream", headers=headers)


async def live_events(
    request: Request,
    settings: Settings,
    workers: Any,
    run_id: str,
    since: int,
    max_steps: int | None,
    steps_per_event: int | None,
) -> AsyncIterator[bytes]:
    slots = slots_of(request, settings)
    done = 0
    yield sse("open", {"run": run_id, "step": since})
    while max_steps is None or done < max_steps:
        ticket = object()
        slots.join(ticket)
        try:
            while not slots.take(ticket):
                if await request.is_disconnected():
                    return
                yield sse("queued", {"position": slots.position(ticket)})
                await asyncio.sleep(0.25)
        finally:
            slots.cancel(ticket)
        try:
            wanted = steps_per_event or settings.playground_max_call_steps
            if max_steps is not None:
                wanted = min(wanted, max_steps - done)
            started = time.monotonic()
            trained = await workers.run(
                train,
                settings.data_dir,
                run_id,
                limits_of(settings),
                steps=wanted,
                seconds=None if steps_per_event else LIVE_EVENT_SECONDS,
                since=since,
            )
        except RunError as error:
            yield sse("end", {"reason": error.code, "message": error.message})
            return
        finally:
            slots.leave()
        done += trained.steps
        since = trained.run["step"]
        payload = trained_json(trained)
        payload["chunk_seconds"] = round(time.monotonic() - started, 3)
        yield sse("update", payload)
        if trained.stopped in ("paused", "limit"):
            yield sse("end", {"reason": trained.stopped, "message": trained.run["message"]})
            return
        if await request.is_disconnected():
            return
    yield sse("end", {"reason": "max_steps", "message": ""})


__all__ = ["CELLS", "router"]

"""Playground runs: a configuration trained a few steps at a time, its state kept on disk.

A run lives in `<data_dir>/playground/<id>/`: `run.json` (configuration, step, metric history,
checkpoints, hypothesis results, status), `state.safetensors` (weights and optimiser tensors of
every member: one cell, or rnn/lstm/gru racing) and `ckpt-<step>.safetensors` (weights at
checkpoints). Every file is written to a temporary name and renamed into place, and training
holds an exclusive file lock on the run, so any worker process can serve any run.

Determinism: the batch of step s is drawn from a generator seeded by (seed, s) alone, weights
from the seed alone, and history rows and checkpoints fall on fixed steps, so the same
configuration trained to the same step gives the same weights and metrics however the steps
were split into calls (on one torch thread, which the server uses by default).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import secrets
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import torch
from pydantic import BaseModel, ConfigDict, Field, model_validator
from safetensors.torch import load_file, save_file
from torch import Tensor

from app.playground.hypotheses import check_all
from app.playground.network import PlayNet, build_network, trace_json
from app.playground.tasks import TASKS, Batch, Task, accuracy, baseline, loss, make_batch, probe
from app.playground.tasks import encode as encode_input
from app.recurrent import CellKind
from app.zoo.training.loop import train_step

PLAYGROUND_FOLDER = "playground"
RUN_FILE = "run.json"
STATE_FILE = "state.safetensors"
LOCK_FILE = ".lock"
CELLS: tuple[CellKind, ...] = ("rnn", "lstm", "gru")
TEST_BATCH = 256
TEST_SALT = 0x5EED
MAX_HISTORY_ROWS = 400
MAX_CHECKPOINTS = 40
DIVERGENCE_FACTOR = 1000.0  # a loss this many times the baseline's counts as diverged
STEP_SEED_MULTIPLIER = 1_000_003

TaskName = Literal[
    "counter", "selective-counter", "latch", "dyck1", "parity", "adding", "copy", "sine"
]
Optimizer = Literal["adam", "sgd", "rmsprop"]
Status = Literal["ready", "paused", "limit"]


class RunConfig(BaseModel):
    """What a run trains and how; everything the page keeps in its URL."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    task: TaskName = "latch"
    size: Annotated[
        int | None, Field(ge=1, le=200, description="The task's size; its default.")
    ] = None
    cell: Literal["rnn", "lstm", "gru", "all"] = "lstm"
    hidden: Annotated[int, Field(ge=1, le=64)] = 8
    layers: Annotated[int, Field(ge=1, le=2)] = 1
    optimizer: Optimizer = "adam"
    learning_rate: Annotated[float, Field(gt=0, le=100)] = 0.01
    batch_size: Annotated[int, Field(ge=1, le=256)] = 32
    seed: Annotated[int, Field(ge=0, le=2**31 - 1)] = 0
    gradient_clip: Annotated[float | None, Field(gt=0, le=1000)] = 1.0
    eval_every: Annotated[int, Field(ge=1, le=1000, description="Steps between rows.")] = 20
    checkpoint_every: Annotated[int, Field(ge=1, le=10_000)] = 100

    @model_validator(mode="after")
    def _size_fits_task(self) -> RunConfig:
        task = TASKS[self.task]
        if self.size is not None:
            task.check_size(self.size)
        return self

    @property
    def task_spec(self) -> Task:
        return TASKS[self.task]

    @property
    def task_size(self) -> int:
        return self.size if self.size is not None else self.task_spec.size_default

    @property
    def cells(self) -> tuple[CellKind, ...]:
        return CELLS if self.cell == "all" else (self.cell,)


@dataclass(frozen=True)
class Limits:
    """What one run may use (from Settings)."""

    max_steps: int = 20_000
    max_call_steps: int = 2_000
    max_call_seconds: float = 20.0
    max_run_seconds: float = 900.0
    max_memory_mb: float = 256.0
    idle_seconds: float = 3600.0


class RunError(Exception):
    """A run request that cannot be done: an HTTP status, a stable code and a sentence."""

    def __init__(self, status: int, code: str, message: str, **params: Any) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.params = params


def not_found(run_id: str) -> RunError:
    return RunError(404, "unknown_run", f"there is no playground run {run_id[:40]!r}", run=run_id)


# -- where runs live -------------------------------------------------------------------------


def runs_dir(data_dir: Path) -> Path:
    return Path(data_dir) / PLAYGROUND_FOLDER


def run_dir(data_dir: Path, run_id: str) -> Path:
    if not re.fullmatch(RUN_ID_PATTERN, run_id):
        raise not_found(run_id)
    return runs_dir(data_dir) / run_id


def write_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary sibling, then rename over `path`: readers see old or new, never half."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def save_tensors_atomic(path: Path, tensors: dict[str, Tensor]) -> None:
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(handle)
    try:
        save_file({name: tensor.contiguous() for name, tensor in tensors.items()}, temporary)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


@contextlib.contextmanager
def run_lock(directory: Path) -> Iterator[None]:
    """The run's exclusive lock (every worker process honours it); busy -> 409."""
    try:
        handle = os.open(directory / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    except FileNotFoundError:
        raise not_found(directory.name) from None
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunError(
                409,
                "run_busy",
                f"playground run {directory.name} is training in another request; wait for it",
                run=directory.name,
            ) from None
        yield
    finally:
        os.close(handle)


def read_run(data_dir: Path, run_id: str) -> dict[str, Any]:
    try:
        document: dict[str, Any] = json.loads((run_dir(data_dir, run_id) / RUN_FILE).read_bytes())
    except FileNotFoundError:
        raise not_found(run_id) from None
    return document


def write_run(directory: Path, document: dict[str, Any]) -> None:
    write_atomic(directory / RUN_FILE, json.dumps(document, separators=(",", ":")).encode())


# -- the members: one network and optimiser per cell ------------------------------------------


@dataclass
class Member:
    cell: CellKind
    network: PlayNet
    optimizer: torch.optim.Optimizer


def make_optimizer(config: RunConfig, network: PlayNet) -> torch.optim.Optimizer:
    parameters = network.parameters()
    if config.optimizer == "sgd":
        return torch.optim.SGD(parameters, lr=config.learning_rate, momentum=0.9)
    if config.optimizer == "rmsprop":
        return torch.optim.RMSprop(parameters, lr=config.learning_rate)
    return torch.optim.Adam(parameters, lr=config.learning_rate)


def fresh_members(config: RunConfig) -> list[Member]:
    """Every member with the seed's weights: the racing cells start from the same seed."""
    members = []
    for cell in config.cells:
        network = build_network(config.task_spec, cell, config.hidden, config.layers, config.seed)
        members.append(Member(cell, network, make_optimizer(config, network)))
    return members


def member_tensors(members: list[Member], with_optimizer: bool) -> dict[str, Tensor]:
    """Weights (and optimiser state) of every member, flat, for safetensors."""
    tensors: dict[str, Tensor] = {}
    for member in members:
        for name, tensor in member.network.state_dict().items():
            tensors[f"{member.cell}.model.{name}"] = tensor.detach().clone()
        if not with_optimizer:
            continue
        for index, slots in member.optimizer.state_dict()["state"].items():
            for key, value in slots.items():
                tensors[f"{member.cell}.opt.{index}.{key}"] = torch.as_tensor(value).clone()
    return tensors


def load_members(config: RunConfig, tensors: dict[str, Tensor]) -> list[Member]:
    members = fresh_members(config)
    for member in members:
        prefix = f"{member.cell}.model."
        weights = {k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)}
        member.network.load_state_dict(weights, strict=True)
        _load_optimizer(member, tensors)
    return members


def _load_optimizer(member: Member, tensors: dict[str, Tensor]) -> None:
    prefix = f"{member.cell}.opt."
    state: dict[int, dict[str, Tensor]] = {}
    for name, tensor in tensors.items():
        if name.startswith(prefix):
            index, key = name[len(prefix) :].split(".", 1)
            state.setdefault(int(index), {})[key] = tensor
    if not state:
        return
    saved = member.optimizer.state_dict()
    saved["state"] = state
    member.optimizer.load_state_dict(saved)


# -- creating, reading and deleting runs ------------------------------------------------------


def estimated_memory_mb(config: RunConfig) -> float:
    """Activations kept for backward (steps x batch x units x gates x layers, forward and
    gradient) plus weights and Adam's two moments, for every member, in MB."""
    task = config.task_spec
    steps = _longest(task, config.task_size)
    activations = steps * config.batch_size * config.hidden * 6 * config.layers * 2
    test = steps * TEST_BATCH * config.hidden * 6 * config.layers
    weights = 4 * config.hidden * (task.width + config.hidden + 2) * 4 * config.layers
    return len(config.cells) * 4 * (activations + test + weights) / 1e6


def _longest(task: Task, size: int) -> int:
    """The longest sequence the task makes at this size (test lengths included)."""
    batch = make_batch(task, size, 8, 0, "test")
    return int(batch.inputs.shape[1]) * (2 if task.longer_test else 1)


RUN_ID_PATTERN = r"^run-[0-9a-f]{12}$"


def new_run_id() -> str:
    return f"run-{secrets.token_hex(6)}"


def create_run(data_dir: Path, config: RunConfig, limits: Limits) -> dict[str, Any]:
    """A new run at step 0 with its first checkpoint; returns its view."""
    memory = estimated_memory_mb(config)
    if memory > limits.max_memory_mb:
        raise RunError(
            422,
            "run_too_large",
            f"this run would need about {memory:.0f} MB to train, over the limit of "
            f"{limits.max_memory_mb:.0f} MB; use fewer units, a smaller batch or a shorter task",
            limit=limits.max_memory_mb,
            got=round(memory, 1),
        )
    sweep_idle(data_dir, limits.idle_seconds)
    root = runs_dir(data_dir)
    root.mkdir(parents=True, exist_ok=True)
    run_id = new_run_id()
    staging = Path(tempfile.mkdtemp(prefix=".new-", dir=root))
    members = fresh_members(config)
    now = time.time()
    document: dict[str, Any] = {
        "id": run_id,
        "config": config.model_dump(),
        "step": 0,
        "status": "ready",
        "message": "",
        "created": now,
        "touched": now,
        "seconds": 0.0,
        "eval_every": config.eval_every,
        "history": {cell: [] for cell in config.cells},
        "checkpoints": [],
        "checks": {},
    }
    context = TrainingContext(config, members, document, staging)
    context.record_row()
    context.checkpoint()
    save_tensors_atomic(staging / STATE_FILE, member_tensors(members, with_optimizer=True))
    write_run(staging, document)
    os.rename(staging, root / run_id)
    return view(document)


def get_run(data_dir: Path, run_id: str, since: int = -1) -> dict[str, Any]:
    return view(read_run(data_dir, run_id), since)


def delete_run(data_dir: Path, run_id: str) -> None:
    directory = run_dir(data_dir, run_id)
    if not (directory / RUN_FILE).is_file():
        raise not_found(run_id)
    retired = Path(tempfile.mkdtemp(prefix=".deleted-", dir=directory.parent))
    try:
        os.rename(directory, retired / run_id)
    except FileNotFoundError:
        raise not_found(run_id) from None
    finally:
        shutil.rmtree(retired, ignore_errors=True)


def sweep_idle(data_dir: Path, idle_seconds: float) -> list[str]:
    """Remove runs untouched for `idle_seconds` (and leftovers of interrupted writes)."""
    root = runs_dir(data_dir)
    if not root.is_dir():
        return []
    removed, now = [], time.time()
    for path in root.iterdir():
        try:
            if path.name.startswith("."):
                if now - path.stat().st_mtime > idle_seconds:
                    shutil.rmtree(path, ignore_errors=True)
                continue
            touched = json.loads((path / RUN_FILE).read_bytes()).get("touched", 0)
        except (OSError, ValueError):
            continue
        if now - float(touched) > idle_seconds:
            with contextlib.suppress(RunError):
                delete_run(data_dir, path.name)
                removed.append(path.name)
    return removed


def view(document: dict[str, Any], since: int = -1) -> dict[str, Any]:
    """What the API returns for a run; `since` keeps only history rows after that step."""
    config = RunConfig.model_validate(document["config"])
    base = baseline(config.task, config.task_size)
    history = {
        cell: [row for row in rows if row["step"] > since]
        for cell, rows in document["history"].items()
    }
    return {
        "id": document["id"],
        "config": document["config"],
        "cells": list(config.cells),
        "task_size": config.task_size,
        "step": document["step"],
        "status": document["status"],
        "message": document["message"],
        "seconds": round(document["seconds"], 3),
        "history": history,
        "checkpoints": document["checkpoints"],
        "checks": document["checks"],
        "baseline": {"loss": base.loss, "accuracy": base.accuracy, "kind": base.kind},
        "probe": probe(config.task, config.task_size),
    }


# -- training --------------------------------------------------------------------------------


def step_seed(seed: int, step: int) -> int:
    return (seed * STEP_SEED_MULTIPLIER + step) % (2**63 - 1)


_TEST_BATCHES: dict[tuple[str, int, int], Batch] = {}


def test_batch(config: RunConfig) -> Batch:
    key = (config.task, config.task_size, config.seed)
    if key not in _TEST_BATCHES:
        if len(_TEST_BATCHES) > 64:
            _TEST_BATCHES.clear()
        _TEST_BATCHES[key] = make_batch(
            config.task_spec, config.task_size, TEST_BATCH, config.seed ^ TEST_SALT, "test"
        )
    return _TEST_BATCHES[key]


def empty_pending() -> dict[str, float]:
    """Sums of the training-batch numbers since the last history row (kept in run.json, so a
    row is the same however the steps were split into calls)."""
    return {"loss": 0.0, "accuracy": 0.0, "norm": 0.0, "count": 0}


class TrainingContext:
    """One run's members and document while they are being trained."""

    def __init__(
        self, config: RunConfig, members: list[Member], document: dict[str, Any], directory: Path
    ) -> None:
        self.config = config
        self.task = config.task_spec
        self.members = members
        self.document = document
        self.directory = directory
        self.pending: dict[str, dict[str, float]] = document.setdefault(
            "pending", {member.cell: empty_pending() for member in members}
        )
        self.baseline = baseline(config.task, config.task_size)

    @property
    def step(self) -> int:
        return int(self.document["step"])

    def train_one(self) -> str | None:
        """One step of every member on the same batch; a pause message if one went wrong."""
        step = self.step + 1
        batch = make_batch(
            self.task,
            self.config.task_size,
            self.config.batch_size,
            step_seed(self.config.seed, step),
        )
        for member in self.members:
            problem = self._train_member(member, batch, step)
            if problem is not None:
                return problem
        self.document["step"] = step
        if step % self.document["eval_every"] == 0:
            self.record_row()
        if step % self.config.checkpoint_every == 0:
            self.checkpoint()
        return None

    def _train_member(self, member: Member, batch: Batch, step: int) -> str | None:
        member.network.train()
        seen: dict[str, Tensor] = {}

        def loss_fn(inputs: Tensor, targets: Tensor) -> Tensor:
            seen["outputs"] = member.network(inputs)
            return loss(self.task, seen["outputs"], batch)

        result = train_step(
            member.network,
            loss_fn,
            batch.inputs,
            batch.targets,
            member.optimizer,
            self.config.gradient_clip,
            skip_nonfinite=True,
        )
        if not result.applied:
            return (
                f"Training paused at step {step}: the {member.cell.upper()}'s loss or gradient "
                f"became NaN or infinite (loss {result.loss}, gradient norm "
                f"{result.gradient_norm}). The learning rate ({self.config.learning_rate}) is "
                "probably too high: lower it and reset."
            )
        if result.loss > DIVERGENCE_FACTOR * max(self.baseline.loss, 1e-3):
            return (
                f"Training paused at step {step}: the {member.cell.upper()} diverged (loss "
                f"{result.loss:.4g}, {DIVERGENCE_FACTOR:.0f} times the baseline's "
                f"{self.baseline.loss:.4g}). Lower the learning rate and reset."
            )
        pending = self.pending[member.cell]
        pending["loss"] += result.loss
        pending["accuracy"] += accuracy(self.task, seen["outputs"].detach(), batch)
        pending["norm"] += result.gradient_norm
        pending["count"] += 1
        return None

    def record_row(self) -> None:
        """A history row per member: training averages since the last row, test metrics."""
        test = test_batch(self.config)
        for member in self.members:
            member.network.eval()
            with torch.no_grad():
                outputs = member.network(test.inputs)
            pending = self.pending[member.cell]
            row = {
                "step": self.step,
                "train_loss": _mean(pending, "loss"),
                "train_accuracy": _mean(pending, "accuracy"),
                "gradient_norm": _mean(pending, "norm"),
                "test_loss": float(loss(self.task, outputs, test)),
                "test_accuracy": accuracy(self.task, outputs, test),
            }
            self.pending[member.cell] = empty_pending()
            rows = self.document["history"][member.cell]
            rows.append(row)
        self._thin_history()

    def _thin_history(self) -> None:
        """Keep at most MAX_HISTORY_ROWS: every other row goes and rows come half as often."""
        first = next(iter(self.document["history"].values()))
        if len(first) <= MAX_HISTORY_ROWS:
            return
        every = self.document["eval_every"] * 2
        self.document["eval_every"] = every
        for cell, rows in self.document["history"].items():
            self.document["history"][cell] = [row for row in rows if row["step"] % every == 0]

    def checkpoint(self) -> None:
        """Weights of every member at this step, and the hypotheses measured on them."""
        step = self.step
        save_tensors_atomic(
            self.directory / checkpoint_file(step), member_tensors(self.members, False)
        )
        checks = self.measure_checks()
        self.document["checks"] = checks
        points = [point for point in self.document["checkpoints"] if point["step"] != step]
        points.append({"step": step, "checks": checks})
        self.document["checkpoints"] = self._thin_checkpoints(points)

    def _thin_checkpoints(self, points: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """At most MAX_CHECKPOINTS: drop every other one (keeping the first and the last)."""
        if len(points) <= MAX_CHECKPOINTS:
            return points
        kept = points[::2] if len(points) % 2 else [*points[:-1:2], points[-1]]
        for point in points:
            if point not in kept:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(self.directory / checkpoint_file(point["step"]))
        return kept

    def measure_checks(self) -> dict[str, list[dict[str, Any]]]:
        test = test_batch(self.config)
        checks: dict[str, list[dict[str, Any]]] = {}
        for member in self.members:
            traced, _ = member.network.trace(test.inputs)
            checks[member.cell] = [item.as_json() for item in check_all(self.task, traced, test)]
        return checks

    def probe_traces(self) -> dict[str, Any]:
        text = probe(self.config.task, self.config.task_size)
        inputs = encode_input(self.task, text)
        return {
            member.cell: trace_json(self.task, member.network, inputs, text)
            for member in self.members
        }


def checkpoint_file(step: int) -> str:
    return f"ckpt-{step:07d}.safetensors"


def _mean(pending: dict[str, float], key: str) -> float | None:
    return pending[key] / pending["count"] if pending["count"] else None


@dataclass(frozen=True)
class Trained:
    """What a train call returns: the run's view, the probe's traces, and what stopped it."""

    run: dict[str, Any]
    probe: dict[str, Any]
    steps: int  # steps done by this call
    stopped: str  # "done", "time", "paused", "limit"


def train(
    data_dir: Path,
    run_id: str,
    limits: Limits,
    steps: int | None = None,
    seconds: float | None = None,
    since: int = -1,
) -> Trained:
    """Train up to `steps` steps (or for up to `seconds`), under the run's lock."""
    if steps is not None and steps > limits.max_call_steps:
        raise RunError(
            422,
            "above_maximum",
            f"steps must be at most {limits.max_call_steps}, got {steps}",
            limit=limits.max_call_steps,
        )
    directory = run_dir(data_dir, run_id)
    if torch.get_num_threads() != 1:
        torch.set_num_threads(1)  # one thread per run: determinism, and fair on a shared CPU
    with run_lock(directory):
        document = read_run(data_dir, run_id)
        if document["status"] == "paused":
            raise RunError(409, "run_paused", document["message"], run=run_id)
        config = RunConfig.model_validate(document["config"])
        members = load_members(config, load_file(str(directory / STATE_FILE)))
        context = TrainingContext(config, members, document, directory)
        done, stopped = _train_steps(context, limits, steps, seconds)
        document["touched"] = time.time()
        save_tensors_atomic(directory / STATE_FILE, member_tensors(members, with_optimizer=True))
        write_run(directory, document)
        return Trained(view(document, since), context.probe_traces(), done, stopped)


def _train_steps(
    context: TrainingContext, limits: Limits, steps: int | None, seconds: float | None
) -> tuple[int, str]:
    document = context.document
    budget = min(seconds or limits.max_call_seconds, limits.max_call_seconds)
    wanted = steps if steps is not None else limits.max_call_steps
    started = time.monotonic()
    done, stopped = 0, "done"
    while done < wanted:
        limit = _limit_reached(document, limits)
        if limit:
            document["status"], document["message"], stopped = "limit", limit, "limit"
            break
        problem = context.train_one()
        if problem is not None:
            document["status"], document["message"], stopped = "paused", problem, "paused"
            break
        done += 1
        elapsed = time.monotonic() - started
        if elapsed >= budget:
            stopped = "time"
            break
    document["seconds"] += time.monotonic() - started
    return done, stopped


def _limit_reached(document: dict[str, Any], limits: Limits) -> str:
    if document["step"] >= limits.max_steps:
        return f"This run reached the limit of {limits.max_steps} steps."
    if document["seconds"] >= limits.max_run_seconds:
        return f"This run used its {limits.max_run_seconds:.0f} seconds of training time."
    return ""


# -- reading checkpoints ---------------------------------------------------------------------


def checkpoint_members(data_dir: Path, run_id: str, index: int) -> tuple[RunConfig, list[Member]]:
    """The members' weights at checkpoint `index` (0 is the first)."""
    document = read_run(data_dir, run_id)
    points = document["checkpoints"]
    if not -len(points) <= index < len(points):
        raise RunError(
            404,
            "unknown_checkpoint",
            f"run {run_id} has checkpoints 0 to {len(points) - 1}, not {index}",
            count=len(points),
        )
    config = RunConfig.model_validate(document["config"])
    path = run_dir(data_dir, run_id) / checkpoint_file(points[index]["step"])
    try:
        tensors = load_file(str(path))
    except FileNotFoundError:
        raise not_found(run_id) from None
    return config, load_members(config, tensors)


def checkpoint_trace(data_dir: Path, run_id: str, index: int, text: str | None) -> dict[str, Any]:
    """The probe (or `text`) traced through every member at one checkpoint."""
    config, members = checkpoint_members(data_dir, run_id, index)
    document = read_run(data_dir, run_id)
    step = document["checkpoints"][index]["step"]
    text = text if text is not None else probe(config.task, config.task_size)
    try:
        inputs = encode_input(config.task_spec, text)
    except ValueError as error:
        raise RunError(422, "invalid_probe", str(error)) from None
    longest = 4 * _longest(config.task_spec, config.task_size) + 100
    if inputs.shape[1] > longest:
        raise RunError(
            422,
            "too_many_steps",
            f"input has {inputs.shape[1]} steps; at most {longest}",
            limit=longest,
        )
    return {
        "run": run_id,
        "checkpoint": index % len(document["checkpoints"]),
        "step": step,
        "traces": {
            member.cell: trace_json(config.task_spec, member.network, inputs, text)
            for member in members
        },
    }


def latest_members(data_dir: Path, run_id: str) -> tuple[RunConfig, dict[str, Any], list[Member]]:
    document = read_run(data_dir, run_id)
    config = RunConfig.model_validate(document["config"])
    tensors = load_file(str(run_dir(data_dir, run_id) / STATE_FILE))
    return config, document, load_members(config, tensors)


# -- the queue: a limited number of runs train at once in this process -----------------------


class TrainingSlots:
    """At most `limit` training calls at once; the rest wait first come, first served."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.active = 0
        self.waiting: list[object] = []
        self.condition = threading.Condition()

    def position(self, ticket: object) -> int:
        """1 for the next in line; 0 when not waiting."""
        with self.condition:
            return self.waiting.index(ticket) + 1 if ticket in self.waiting else 0

    @property
    def queued(self) -> int:
        return len(self.waiting)

    def enter(self, ticket: object, timeout: float | None = None) -> bool:
        """Wait for a slot; False if `timeout` passed first (the ticket leaves the queue)."""
        with self.condition:
            self.waiting.append(ticket)
            ready = self.condition.wait_for(
                lambda: self.waiting[0] is ticket and self.active < self.limit, timeout
            )
            self.waiting.remove(ticket)
            if ready:
                self.active += 1
            self.condition.notify_all()
            return bool(ready)

    def join(self, ticket: object) -> None:
        """Queue without waiting (for an event loop that polls `take`)."""
        with self.condition:
            if ticket not in self.waiting:
                self.waiting.append(ticket)

    def take(self, ticket: object) -> bool:
        """Enter now if `ticket` is first in line and a slot is free; it keeps its place if not."""
        with self.condition:
            if self.waiting and self.waiting[0] is ticket and self.active < self.limit:
                self.waiting.pop(0)
                self.active += 1
                return True
            return False

    def cancel(self, ticket: object) -> None:
        with self.condition:
            if ticket in self.waiting:
                self.waiting.remove(ticket)
                self.condition.notify_all()

    def leave(self) -> None:
        with self.condition:
            self.active -= 1
            self.condition.notify_all()

    @contextlib.contextmanager
    def slot(self, ticket: object) -> Iterator[None]:
        self.enter(ticket)
        try:
            yield
        finally:
            self.leave()

"""`gatescope bench --playground`: the playground's goals from issue 14, measured.

Everything goes through app.playground's own run functions (create_run, train, the test batch,
the hypothesis checks) in a throw-away data dir, so the numbers are what the server's training
does, files and all, minus HTTP. Each run trains in chunks of `CHUNK_SECONDS` and is scored on
the task's test split after every chunk, so "solved after s seconds" is measured to a chunk.

- speed: training steps per second of one GRU (16 units) on latch at T = 20, batch 32;
- dyck1: an LSTM with 3 units, per seed, until 100 % of the test strings (lengths 52-100) are
  right or its seconds are up;
- latch and adding at T = 50: RNN, LSTM and GRU each within a time budget; solved is latch
  accuracy >= 0.99, adding test MSE below 10 % of the predict-the-mean baseline; the hypothesis
  checks are counted on the final weights.
Numbers depend on the machine and its load; nothing here is a test assertion.
"""

from __future__ import annotations

import math
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import torch
from rich import box
from rich.table import Table

from app.playground.runs import (
    Limits,
    RunConfig,
    TrainingContext,
    create_run,
    latest_members,
    run_dir,
    test_batch,
    train,
)
from app.playground.tasks import accuracy, baseline, loss

CHUNK_SECONDS = 1.0
SPEED_GOAL = 200.0  # steps per second
DYCK_GOAL_SECONDS = 60.0
DYCK_GOAL_SEEDS = 0.8  # at least 8 of 10 seeds
LATCH_GOAL = 0.99
ADDING_GOAL = 0.1  # of the baseline MSE
LONG_CELLS: tuple[Literal["rnn", "lstm", "gru"], ...] = ("rnn", "lstm", "gru")
BENCH_LIMITS = Limits(
    max_steps=10_000_000,
    max_call_steps=10_000_000,
    max_call_seconds=3600.0,
    max_run_seconds=1e9,
    max_memory_mb=4096.0,
    idle_seconds=1e9,
)


@dataclass(frozen=True)
class Score:
    loss: float
    accuracy: float


@dataclass
class RunResult:
    """One benchmark run: where it ended and whether (and when) it was solved."""

    name: str
    config: RunConfig
    steps: int = 0
    seconds: float = 0.0
    score: Score = Score(float("nan"), 0.0)
    solved_after: float | None = None  # training seconds when first solved
    checks: tuple[int, int] = (0, 0)  # hypothesis checks passed, measured
    extra: dict[str, Any] = field(default_factory=dict)


def evaluate(data_dir: Path, run_id: str) -> Score:
    """The run's current weights on its task's test split (one cell)."""
    config, _, members = latest_members(data_dir, run_id)
    test = test_batch(config)
    member = members[0]
    member.network.eval()
    with torch.no_grad():
        outputs = member.network(test.inputs)
    task = config.task_spec
    return Score(float(loss(task, outputs, test)), accuracy(task, outputs, test))


def hypothesis_counts(data_dir: Path, run_id: str) -> tuple[int, int]:
    """(passed, measured) of the task's gate hypotheses on the run's current weights."""
    config, document, members = latest_members(data_dir, run_id)
    context = TrainingContext(config, members, document, run_dir(data_dir, run_id))
    checks = [check for items in context.measure_checks().values() for check in items]
    measured = [check for check in checks if check["passed"] is not None]
    return sum(1 for check in measured if check["passed"]), len(measured)


def train_until(
    data_dir: Path,
    name: str,
    config: RunConfig,
    seconds: float,
    solved: Callable[[Score], bool],
    chunk: float = CHUNK_SECONDS,
    checks: bool = False,
) -> RunResult:
    """Train `config` in chunks until `solved(score)` or `seconds` of training are used."""
    torch.set_num_threads(1)
    run_id = create_run(data_dir, config, BENCH_LIMITS)["id"]
    result = RunResult(name, config)
    while result.seconds < seconds:
        started = time.monotonic()
        trained = train(
            data_dir, run_id, BENCH_LIMITS, seconds=min(chunk, seconds - result.seconds)
        )
        result.seconds += time.monotonic() - started
        result.steps = trained.run["step"]
        result.score = evaluate(data_dir, run_id)
        if trained.stopped in ("paused", "limit"):
            result.extra["stopped"] = trained.run["message"]
            break
        if solved(result.score):
            result.solved_after = result.seconds
            break
    if checks:
        result.checks = hypothesis_counts(data_dir, run_id)
    return result


def steps_per_second(data_dir: Path, seconds: float) -> float:
    """Training steps per second: GRU, 16 units, latch at T = 20, batch 32 (after a warm-up)."""
    torch.set_num_threads(1)
    config = RunConfig(task="latch", size=20, cell="gru", hidden=16, batch_size=32, seed=0)
    run_id = create_run(data_dir, config, BENCH_LIMITS)["id"]
    train(data_dir, run_id, BENCH_LIMITS, steps=20)
    started = time.monotonic()
    trained = train(data_dir, run_id, BENCH_LIMITS, seconds=seconds)
    return trained.steps / (time.monotonic() - started)


# -- the whole bench -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PlaygroundRow:
    """One line of the report: what was measured, the result, the goal and whether it was met."""

    measure: str
    setting: str
    result: str
    goal: str
    meets_goal: bool


def bench_playground(
    seeds: int = 10,
    dyck_seconds: float = DYCK_GOAL_SECONDS,
    budget: float = 120.0,
    speed_seconds: float = 5.0,
    size: int = 50,
    report: Callable[[str], None] = lambda line: None,
) -> list[PlaygroundRow]:
    """Every playground goal; `report` hears a line per finished run (progress)."""
    rows: list[PlaygroundRow] = []
    with tempfile.TemporaryDirectory(prefix="gatescope-pgbench-") as folder:
        data_dir = Path(folder)
        speed = steps_per_second(data_dir, speed_seconds)
        report(f"speed: {speed:.0f} steps/s")
        rows.append(
            PlaygroundRow(
                "training speed",
                "GRU 16 units, latch T=20, batch 32",
                f"{speed:.0f} steps/s",
                f">= {SPEED_GOAL:.0f} steps/s",
                speed >= SPEED_GOAL,
            )
        )
        rows.append(dyck_row(data_dir, seeds, dyck_seconds, report))
        rows.extend(long_rows(data_dir, size, budget, report))
    return rows


def dyck_row(
    data_dir: Path, seeds: int, seconds: float, report: Callable[[str], None]
) -> PlaygroundRow:
    results = []
    for seed in range(seeds):
        config = RunConfig(
            task="dyck1", cell="lstm", hidden=3, learning_rate=0.02, batch_size=32, seed=seed
        )
        result = train_until(data_dir, f"dyck1 seed {seed}", config, seconds, _perfect)
        report(_describe(result))
        results.append(result)
    solved = [result for result in results if result.solved_after is not None]
    needed = math.ceil(DYCK_GOAL_SEEDS * seeds)
    times = ", ".join(f"{result.solved_after:.0f}" for result in solved) or "-"
    accuracies = ", ".join(f"{result.score.accuracy:.2f}" for result in results)
    return PlaygroundRow(
        "dyck1 generalisation",
        f"LSTM 3 units, test lengths 52-100, {seeds} seeds x {seconds:.0f} s",
        f"{len(solved)}/{seeds} at 100 % (after {times} s); final accuracies {accuracies}",
        f"100 % within {DYCK_GOAL_SECONDS:.0f} s in >= 8 of 10 seeds",
        len(solved) >= needed and seconds <= DYCK_GOAL_SECONDS,
    )


def long_rows(
    data_dir: Path, size: int, budget: float, report: Callable[[str], None]
) -> list[PlaygroundRow]:
    rows = []
    for task in ("latch", "adding"):
        base = baseline(task, size)
        solved = _latch_solved if task == "latch" else _adding_solved(base.loss)
        for cell in LONG_CELLS:
            config = RunConfig(task=task, size=size, cell=cell, hidden=16, seed=0)
            result = train_until(data_dir, f"{task} {cell}", config, budget, solved, checks=True)
            report(_describe(result))
            if task == "latch":
                shown = f"accuracy {result.score.accuracy:.3f}"
                goal = f"accuracy >= {LATCH_GOAL}" if cell != "rnn" else "near the baseline"
            else:
                share = result.score.loss / base.loss
                shown = f"MSE {result.score.loss:.4f} = {share:.1%} of baseline"
                goal = f"< {ADDING_GOAL:.0%} of baseline" if cell != "rnn" else "near the baseline"
            passed, measured = result.checks
            when = f", solved after {result.solved_after:.0f} s" if result.solved_after else ""
            met = result.solved_after is not None if cell != "rnn" else result.solved_after is None
            rows.append(
                PlaygroundRow(
                    f"{task} T={size}",
                    f"{cell.upper()} 16 units, {budget:.0f} s budget",
                    f"{shown} after {result.steps} steps{when}; checks {passed}/{measured}",
                    goal,
                    met,
                )
            )
    return rows


def _perfect(score: Score) -> bool:
    return score.accuracy >= 1.0


def _latch_solved(score: Score) -> bool:
    return score.accuracy >= LATCH_GOAL


def _adding_solved(baseline_loss: float) -> Callable[[Score], bool]:
    return lambda score: score.loss < ADDING_GOAL * baseline_loss


def _describe(result: RunResult) -> str:
    solved = f"solved after {result.solved_after:.1f} s" if result.solved_after else "not solved"
    return (
        f"{result.name}: {result.steps} steps in {result.seconds:.1f} s, test loss "
        f"{result.score.loss:.4f}, accuracy {result.score.accuracy:.3f}, {solved}"
    )


def render_playground_table(rows: Sequence[PlaygroundRow]) -> Table:
    table = Table(title="Playground goals (issue 14)", box=box.SIMPLE_HEAVY)
    for name in ("measure", "setting", "result", "goal", "met"):
        table.add_column(name, overflow="fold")
    for row in rows:
        met = "[green]yes[/]" if row.meets_goal else "[red]no[/]"
        table.add_row(row.measure, row.setting, row.result, row.goal, met)
    return table

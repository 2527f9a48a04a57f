"""`gatescope bench --whatif`: how long a full patching sweep takes.

Two goals from issue 13, on 2 cores: every (step, unit) of a shipped model's hidden state
(40 steps x 32 units: 1280 patched runs) in <= 5 s, and 100 steps x 128 units of an ad-hoc LSTM
(12 800 runs) in <= 20 s. The ad-hoc model has no head, so its metric is the final hidden state
projected on the clean-minus-corrupted direction (clean = 1, corrupted = 0 by construction).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
from rich import box
from rich.table import Table
from torch import Tensor, nn

from app.recurrent import Trace, trace_chain
from app.whatif.model import model_sweep
from app.whatif.patching import Metric, PatchingSweep, sweep_step_unit
from app.zoo import load_model

SHIPPED_MODEL = "sentiment-en-lstm"
SHIPPED_PAIR = ("a wonderful and moving film", "a terrible and boring film")
SHIPPED_GOAL_S = 5.0
ADHOC_SIZE = (32, 128, 100)  # input size, hidden size, steps
ADHOC_GOAL_S = 20.0


@dataclass(frozen=True)
class SweepRow:
    name: str
    runs: int
    first_s: float  # the first sweep, caches cold
    median_s: float
    goal_s: float

    @property
    def meets_goal(self) -> bool:
        return self.first_s <= self.goal_s


def bench_whatif(models_dir: Path, repeats: int = 3) -> list[SweepRow]:
    model = load_model(models_dir / SHIPPED_MODEL)
    clean, corrupted = SHIPPED_PAIR

    def shipped() -> PatchingSweep:
        return model_sweep(model, clean, corrupted, "step_unit", "layer0.forward.hidden")

    module, clean_x, corrupted_x = _adhoc_case()

    def adhoc() -> PatchingSweep:
        metric = _direction_metric(module, clean_x, corrupted_x)
        return sweep_step_unit([module], clean_x, corrupted_x, "layer0.forward.hidden", metric)

    return [
        _timed(f"{SHIPPED_MODEL} hidden, 40 steps x 32 units", shipped, repeats, SHIPPED_GOAL_S),
        _timed("ad-hoc LSTM hidden, 100 steps x 128 units", adhoc, repeats, ADHOC_GOAL_S),
    ]


def _adhoc_case() -> tuple[nn.LSTM, Tensor, Tensor]:
    input_size, hidden_size, steps = ADHOC_SIZE
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        module = nn.LSTM(input_size, hidden_size, batch_first=True).eval()
        clean = torch.randn(1, steps, input_size)
        corrupted = clean.clone()
        corrupted[0, steps // 2] = torch.randn(input_size)  # one step swapped
    return module, clean, corrupted


def _direction_metric(module: nn.Module, clean_x: Tensor, corrupted_x: Tensor) -> Metric:
    """<h_T - h_T(corrupted), d> / <d, d> with d = h_T(clean) - h_T(corrupted)."""
    with torch.no_grad():
        base = _final_h(trace_chain([module], corrupted_x))[0]
        direction = _final_h(trace_chain([module], clean_x))[0] - base
    return lambda found: (_final_h(found) - base) @ direction / direction.dot(direction)


def _final_h(found: Trace) -> Tensor:
    state = found.final_state
    return (state[0] if isinstance(state, tuple) else state)[-1]


def _timed(name: str, sweep: Callable[[], PatchingSweep], repeats: int, goal: float) -> SweepRow:
    times: list[float] = []
    runs = 0
    for _ in range(max(1, repeats)):
        start = time.perf_counter()
        runs = sweep().runs
        times.append(time.perf_counter() - start)
    return SweepRow(name, runs, times[0], statistics.median(times), goal)


def render_whatif_table(rows: list[SweepRow]) -> Table:
    threads = torch.get_num_threads()
    table = Table(
        title=f"Patching sweeps (every step x unit), {threads} thread(s)",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    table.add_column("sweep", no_wrap=True)
    for header in ("runs", "first s", "median s", "goal s"):
        table.add_column(header, justify="right", no_wrap=True)
    table.add_column("met", no_wrap=True)
    for row in rows:
        table.add_row(
            row.name,
            str(row.runs),
            f"{row.first_s:.2f}",
            f"{row.median_s:.2f}",
            f"<= {row.goal_s:g}",
            "[green]yes[/green]" if row.meets_goal else "[red]no[/red]",
        )
    return table

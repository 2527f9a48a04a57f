"""How much slower a trace is than the module's own forward pass (`gatescope bench`).

Both are timed in the same process, interleaved (alternating which goes first, so neither always
finds the caches warm), after a warm-up, and compared by their medians: the ratio is what a user
pays for seeing every gate instead of only the outputs.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from rich import box
from rich.table import Table
from torch import nn

from app.recurrent import trace

# (input size, hidden size, steps, batch), and the ratio trace / module each should stay under:
# long single sequences leave the native kernel's per-step cost dominant, so 1.5 is within reach;
# short or batched ones pay the trace's fixed costs on a much smaller base.
BenchSize = tuple[int, int, int, int]
RATIO_GOALS: dict[BenchSize, float] = {
    (16, 64, 50, 1): 3.0,
    (64, 256, 500, 1): 1.5,
    (128, 512, 1000, 1): 1.5,
    (32, 128, 100, 32): 3.0,
}
BENCH_CELLS: tuple[str, ...] = ("lstm", "gru")
WARMUP = 2


@dataclass(frozen=True)
class BenchRow:
    """Median wall-clock times of one module size, in milliseconds."""

    cell: str
    input_size: int
    hidden_size: int
    steps: int
    batch: int
    trace_ms: float
    module_ms: float
    goal: float | None

    @property
    def ratio(self) -> float:
        return self.trace_ms / self.module_ms

    @property
    def meets_goal(self) -> bool | None:
        return None if self.goal is None else self.ratio <= self.goal


def bench_tracer(
    repeats: int = 11,
    *,
    cells: Sequence[str] = BENCH_CELLS,
    sizes: Sequence[BenchSize] = tuple(RATIO_GOALS),
    seed: int = 0,
) -> list[BenchRow]:
    """Time ``trace`` against ``module(inputs)`` (under no_grad) for every cell and size."""
    return [bench_one(cell, size, repeats, seed) for cell in cells for size in sizes]


def bench_one(cell: str, size: BenchSize, repeats: int, seed: int = 0) -> BenchRow:
    """One row: the medians over ``repeats`` interleaved runs of the module and of the trace."""
    input_size, hidden_size, steps, batch = size
    module, inputs = _bench_case(cell, size, seed)
    run_module: Callable[[], object] = lambda: module(inputs)  # noqa: E731
    run_trace: Callable[[], object] = lambda: trace(module, inputs)  # noqa: E731
    module_times: list[float] = []
    trace_times: list[float] = []
    with torch.no_grad():
        for _ in range(WARMUP):
            run_module()
            run_trace()
        for repeat in range(repeats):
            pairs = [(run_module, module_times), (run_trace, trace_times)]
            for function, times in pairs if repeat % 2 == 0 else reversed(pairs):
                times.append(_seconds(function))
    return BenchRow(
        cell=cell,
        input_size=input_size,
        hidden_size=hidden_size,
        steps=steps,
        batch=batch,
        trace_ms=statistics.median(trace_times) * 1e3,
        module_ms=statistics.median(module_times) * 1e3,
        goal=RATIO_GOALS.get(size),
    )


def _bench_case(cell: str, size: BenchSize, seed: int) -> tuple[nn.RNNBase, torch.Tensor]:
    """A freshly initialised batch-first module in eval mode and a random batch for it.

    The caller's random state is left as it was (the seed applies inside a fork of it).
    """
    input_size, hidden_size, steps, batch = size
    modules: dict[str, type[nn.LSTM] | type[nn.GRU] | type[nn.RNN]] = {
        "lstm": nn.LSTM,
        "gru": nn.GRU,
        "rnn": nn.RNN,
    }
    if cell not in modules:
        raise ValueError(f"cell must be one of {sorted(modules)}, got {cell!r}")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        module = modules[cell](input_size, hidden_size, batch_first=True).eval()
        return module, torch.randn(batch, steps, input_size)


def _seconds(function: Callable[[], object]) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def render_bench_table(rows: Sequence[BenchRow]) -> Table:
    """The rows as a rich table: sizes, median times, the ratio and whether it meets its goal."""
    threads = torch.get_num_threads()
    table = Table(
        title=f"trace() vs module(inputs): median wall-clock time, {threads} thread(s)",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    table.add_column("cell", no_wrap=True)
    for header in ("input", "hidden", "steps", "batch", "module\nms", "trace\nms", "ratio", "goal"):
        table.add_column(header, justify="right", no_wrap=True)
    table.add_column("met", no_wrap=True)
    for row in rows:
        table.add_row(
            row.cell.upper(),
            str(row.input_size),
            str(row.hidden_size),
            str(row.steps),
            str(row.batch),
            f"{row.module_ms:.2f}",
            f"{row.trace_ms:.2f}",
            f"{row.ratio:.2f}",
            f"<= {row.goal:g}" if row.goal is not None else "-",
            _met_text(row.meets_goal),
        )
    return table


def _met_text(met: bool | None) -> str:
    if met is None:
        return "-"
    return "[green]yes[/green]" if met else "[red]no[/red]"


if __name__ == "__main__":
    from rich.console import Console

    Console().print(render_bench_table(bench_tracer()))

"""The benchmark's shape, never its timings (those depend on the machine)."""

from __future__ import annotations

import pytest
import torch
from rich.table import Table

from app.bench import RATIO_GOALS, BenchRow, bench_tracer, render_bench_table


def test_bench_tracer_measures_each_cell_and_size() -> None:
    rows = bench_tracer(repeats=1, sizes=[(3, 4, 5, 2)])
    assert [(row.cell, row.steps, row.batch) for row in rows] == [("lstm", 5, 2), ("gru", 5, 2)]
    for row in rows:
        assert row.trace_ms > 0 and row.module_ms > 0
        assert row.ratio == row.trace_ms / row.module_ms
        assert row.goal is None and row.meets_goal is None


def test_default_sizes_are_the_issues_four() -> None:
    assert list(RATIO_GOALS) == [
        (16, 64, 50, 1),
        (64, 256, 500, 1),
        (128, 512, 1000, 1),
        (32, 128, 100, 32),
    ]


def test_render_bench_table_has_a_row_per_measurement() -> None:
    rows = [
        BenchRow("lstm", 16, 64, 50, 1, trace_ms=2.0, module_ms=1.0, goal=3.0),
        BenchRow("gru", 64, 256, 500, 1, trace_ms=3.0, module_ms=1.0, goal=1.5),
    ]
    table = render_bench_table(rows)
    assert isinstance(table, Table)
    assert table.row_count == 2
    assert rows[0].meets_goal is True and rows[1].meets_goal is False
    assert [cell for cell in table.columns[7].cells] == ["2.00", "3.00"]


def test_bench_leaves_the_callers_random_state_alone() -> None:
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    bench_tracer(repeats=1, cells=["gru"], sizes=[(2, 3, 4, 1)])
    assert torch.equal(torch.rand(3), expected)


def test_bench_rejects_an_unknown_cell() -> None:
    with pytest.raises(ValueError, match="cell must be one of"):
        bench_tracer(repeats=1, cells=["transformer"], sizes=[(2, 3, 4, 1)])

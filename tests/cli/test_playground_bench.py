"""`gatescope bench --playground` with tiny settings: every goal is measured and reported (the
numbers are the machine's, so nothing about them is asserted but their shape)."""

from __future__ import annotations

import argparse

import pytest

from app.cli import build_parser
from app.playgroundbench import bench_playground
from tests.cli.test_cli import gatescope


def test_bench_playground_reports_every_goal() -> None:
    result = gatescope(
        "bench", "--playground", "--no-fail", "--seeds", "1", "--seconds", "0.3",
        "--budget", "0.3", "--speed-seconds", "0.3",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "steps/s" in out
    assert "dyck1 seed 0:" in out
    for name in ("latch rnn", "latch lstm", "latch gru", "adding rnn", "adding lstm", "adding gru"):
        assert f"{name}:" in out, name
    assert "Playground goals" in out


def test_rows_name_every_goal_and_checks_are_counted() -> None:
    rows = bench_playground(seeds=1, dyck_seconds=0.2, budget=0.2, speed_seconds=0.2, size=10)
    assert [row.measure for row in rows] == [
        "training speed",
        "dyck1 generalisation",
        *["latch T=10"] * 3,
        *["adding T=10"] * 3,
    ]
    assert float(rows[0].result.split()[0]) > 0
    assert all("checks" in row.result for row in rows[2:])
    assert all(isinstance(row.meets_goal, bool) for row in rows)


@pytest.mark.parametrize("value", ["0", "-1", "x", "inf"])
def test_bench_playground_seconds_must_be_positive(value: str) -> None:
    for option in ("--seconds", "--budget", "--speed-seconds"):
        with pytest.raises(SystemExit) as exit_info:
            build_parser().parse_args(["bench", "--playground", option, value])
        assert exit_info.value.code == 2
    assert isinstance(build_parser().parse_args(["bench"]), argparse.Namespace)

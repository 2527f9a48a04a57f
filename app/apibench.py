"""`gatescope bench --api`: latency, throughput and payload size of the API on a real uvicorn.

Also home of `start_uvicorn`, the subprocess launcher the test fixtures share.
"""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from rich.table import Table

from app.config import PROJECT_ROOT

BENCH_MODEL = "sentiment-ko-gru"
# Twenty morphemes once Kiwi splits it.
BENCH_SENTENCE = "이 영화는 배우들의 연기가 정말 훌륭하고 이야기도 재미있어서 다시 보고 싶다"
BIG_TRACE: dict[str, Any] = {"cell": "lstm", "input_size": 8, "hidden_size": 512, "steps": 1000}
GOALS = {"p50_ms": 10.0, "rps": 300.0, "big_seconds": 0.5, "big_wire_mb": 12.0}


@dataclass
class UvicornProcess:
    """A uvicorn subprocess serving app.main:app; `url` is its base URL."""

    url: str
    data_dir: Path
    process: subprocess.Popen[bytes] = field(repr=False)
    log_path: Path = field(repr=False)

    def log(self) -> str:
        """What the server wrote to stdout and stderr."""
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        """Terminate (then kill) the process and reap it."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_healthy(server: UvicornProcess, timeout: float = 60.0) -> None:
    """Poll /healthz until it answers 200; raise with the server's log if it exits or never does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"server exited with {server.process.returncode}:\n{server.log()}")
        try:
            if httpx.get(f"{server.url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"server not healthy after {timeout} s:\n{server.log()}")


def start_uvicorn(
    env: dict[str, str], data_dir: Path, workers: int = 1, timeout: float = 60.0
) -> UvicornProcess:
    """`python -m uvicorn app.main:app` on 127.0.0.1 and a free port, healthy when returned.

    The environment is ours minus any GATESCOPE_* variable, plus GATESCOPE_DATA_DIR=data_dir
    and a fresh PROMETHEUS_MULTIPROC_DIR of its own (its workers' metrics pooled, as
    `gatescope serve` does), plus `env` (which wins).
    """
    port = free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    metrics_dir = tempfile.mkdtemp(prefix=f"metrics-{port}-", dir=data_dir)
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("GATESCOPE_")}
    full_env = {
        **inherited,
        "GATESCOPE_DATA_DIR": str(data_dir),
        "PROMETHEUS_MULTIPROC_DIR": metrics_dir,
        **env,
    }
    command = [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--workers", str(workers), "--log-level", "warning"]
    log_path = data_dir / f"server-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=PROJECT_ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT
        )
    server = UvicornProcess(f"http://127.0.0.1:{port}", data_dir, process, log_path)
    wait_until_healthy(server, timeout)
    return server


@contextmanager
def running_server(env: dict[str, str], workers: int = 1) -> Iterator[UvicornProcess]:
    """A server in a throw-away data dir, stopped on exit."""
    with tempfile.TemporaryDirectory(prefix="gatescope-bench-") as data_dir:
        server = start_uvicorn(env, Path(data_dir), workers)
        try:
            yield server
        finally:
            server.stop()


# -- measurements ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ApiBenchRow:
    """One measured quantity against its goal; `higher_is_better` for throughput."""

    metric: str
    value: float
    unit: str
    goal: float
    higher_is_better: bool = False

    @property
    def meets_goal(self) -> bool:
        return self.value >= self.goal if self.higher_is_better else self.value <= self.goal


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile of `values` (fraction in 0..1)."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(fraction * len(ordered)) - 1))
    return ordered[rank]


def sentence(index: int, distinct: bool) -> str:
    """The bench sentence; with `distinct`, made unique per request (defeats the response cache)."""
    return f"{BENCH_SENTENCE} {index}" if distinct else BENCH_SENTENCE


def measure_latency(
    url: str, model: str, requests: int = 300, distinct: bool = False
) -> tuple[float, float]:
    """p50 and p99 of one client's sequential traces, in milliseconds (after a warm-up)."""
    path = f"{url}/api/v1/models/{model}/trace"
    timings: list[float] = []
    with httpx.Client(timeout=30) as client:
        for index in range(-20, requests):
            body = {"input": sentence(index, distinct)}
            start = time.perf_counter()
            response = client.post(path, json=body)
            elapsed = time.perf_counter() - start
            response.raise_for_status()
            if index >= 0:
                timings.append(elapsed * 1000)
    return percentile(timings, 0.5), percentile(timings, 0.99)


async def _throughput(path: str, clients: int, total: int, distinct: bool) -> float:
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        remaining = 0

        async def worker() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                body = {"input": sentence(10_000 + remaining, distinct)}
                response = await client.post(path, json=body)
                response.raise_for_status()

        remaining = clients * 4  # warm-up: open every connection
        await asyncio.gather(*(worker() for _ in range(clients)))
        remaining = total
        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        return total / (time.perf_counter() - start)


def measure_throughput(
    url: str, model: str, clients: int = 16, total: int = 1500, distinct: bool = False
) -> float:
    """Traces per second with `clients` concurrent keep-alive clients."""
    path = f"{url}/api/v1/models/{model}/trace"
    return asyncio.run(_throughput(path, clients, total, distinct))


def process_cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process so far (Linux /proc; 0.0 where unavailable)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def big_trace_body(cell: str, input_size: int, hidden_size: int, steps: int) -> dict[str, object]:
    """An ad-hoc trace request with a deterministic wave as input."""
    rows = [
        [round(((step * 7 + k * 3) % 11) / 11 - 0.5, 3) for k in range(input_size)]
        for step in range(steps)
    ]
    return {
        "cell": cell,
        "input_size": input_size,
        "hidden_size": hidden_size,
        "seed": 0,
        "input": rows,
    }


def measure_big_trace(
    url: str, big: dict[str, Any] = BIG_TRACE, repeats: int = 3
) -> tuple[float, int, int]:
    """Median seconds, bytes on the wire (gzip) and decoded bytes of the large ad-hoc trace."""
    body = big_trace_body(**big)
    seconds: list[float] = []
    wire = raw = 0
    with httpx.Client(timeout=120, headers={"Accept-Encoding": "gzip"}) as client:
        for seed in range(repeats):  # a new seed each time: never a cached answer
            start = time.perf_counter()
            response = client.post(f"{url}/api/v1/trace", json={**body, "seed": seed})
            content = response.content
            seconds.append(time.perf_counter() - start)
            response.raise_for_status()
            wire, raw = response.num_bytes_downloaded, len(content)
    return statistics.median(seconds), wire, raw


def bench_api(
    model: str = BENCH_MODEL,
    requests: int = 300,
    clients: int = 16,
    big_steps: int = BIG_TRACE["steps"],
) -> list[ApiBenchRow]:
    """Start a one-worker server on the configured models and measure everything.

    Latency and throughput are measured twice: the same sentence every time (what a class does
    with the example on the board; served from the response cache after the first) and a
    different sentence every time (every request traced). `big_steps` sets the length of the
    large ad-hoc trace (its goals are for the default 1000 steps).
    """
    big = {**BIG_TRACE, "steps": big_steps}
    env = {key: value for key, value in os.environ.items() if key.startswith("GATESCOPE_")}
    env.pop("GATESCOPE_DATA_DIR", None)
    rows: list[ApiBenchRow] = []
    with running_server(env) as server:
        for distinct, label in ((False, "same sentence"), (True, "distinct sentences")):
            p50, p99 = measure_latency(server.url, model, requests, distinct)
            cpu_before = process_cpu_seconds(server.process.pid)
            total = requests * 5
            rps = measure_throughput(server.url, model, clients, total, distinct)
            # Includes the warm-up round; on a shared machine this is the steadier figure.
            cpu_ms = (process_cpu_seconds(server.process.pid) - cpu_before) * 1000 / total
            rows += [
                ApiBenchRow(f"trace {model}, {label}: p50", p50, "ms", GOALS["p50_ms"]),
                ApiBenchRow(f"trace {model}, {label}: p99", p99, "ms", float("inf")),
                ApiBenchRow(
                    f"traces/s, {label}, {clients} clients", rps, "req/s", GOALS["rps"], True
                ),
                ApiBenchRow(f"server CPU per trace, {label}", cpu_ms, "ms", float("inf")),
            ]
        big_seconds, wire, raw = measure_big_trace(server.url, big)
    big_name = f"ad-hoc {big['cell']} h{big['hidden_size']} x {big['steps']} steps"
    return [
        *rows,
        ApiBenchRow(f"{big_name}: time", big_seconds, "s", GOALS["big_seconds"]),
        ApiBenchRow(f"{big_name}: gzip on the wire", wire / 1e6, "MB", GOALS["big_wire_mb"]),
        ApiBenchRow(f"{big_name}: JSON decoded", raw / 1e6, "MB", float("inf")),
    ]


def render_api_table(rows: Sequence[ApiBenchRow]) -> Table:
    """A rich table: metric, measured, goal, met."""
    table = Table(title="gatescope API on a real uvicorn (127.0.0.1)")
    table.add_column("metric")
    table.add_column("measured", justify="right")
    table.add_column("goal", justify="right")
    table.add_column("met", justify="center")
    for row in rows:
        bounded = row.goal != float("inf")
        sign = ">=" if row.higher_is_better else "<="
        goal = f"{sign} {row.goal:g} {row.unit}" if bounded else "-"
        met = ("[green]yes[/]" if row.meets_goal else "[red]no[/]") if bounded else ""
        table.add_row(row.metric, f"{row.value:.2f} {row.unit}", goal, met)
    return table

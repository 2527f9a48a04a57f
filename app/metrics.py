"""Prometheus metrics of the server: what `/metrics` reports (app/api/observe.py serves it).

Several uvicorn workers report together through prometheus-client's multiprocess mode: when
PROMETHEUS_MULTIPROC_DIR is set (`gatescope serve` sets it to a fresh temporary directory), every
process writes its values to files there and a scrape of any worker sums them all. Without it
(one process, tests in-process), each process reports its own. The variable must be set before
this module is first imported: prometheus-client picks its storage at import.

No web imports here, so the model store and the atlas can count their work too.
"""

from __future__ import annotations

import os
from pathlib import Path

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# Fixed at import, as prometheus-client's storage is: a later change of the variable in this
# process (a test running `gatescope serve` in-process) must not make a scrape read another dir.
MULTIPROC_DIR = os.environ.get(MULTIPROC_ENV) or None
if MULTIPROC_DIR:
    Path(MULTIPROC_DIR).mkdir(parents=True, exist_ok=True)

from prometheus_client import (  # noqa: E402 (after the directory exists)
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)

REQUESTS = Counter(
    "gatescope_requests",
    "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "gatescope_request_duration_seconds",
    "Seconds from a request's arrival to its response's last byte, by route template.",
    ["method", "route"],
    buckets=LATENCY_BUCKETS,
)
LANE_PENDING = Gauge(
    "gatescope_lane_pending",
    "Requests running or waiting in a lane of model threads (queue depth), all workers summed.",
    ["lane"],
    multiprocess_mode="livesum",
)
LANE_REFUSED = Counter(
    "gatescope_lane_refused",
    "Requests refused with 503 busy (and Retry-After) because their lane was full.",
    ["lane"],
)
RESPONSE_CACHE = Counter(
    "gatescope_response_cache",
    "Lookups in the rendered-trace response cache, by result (hit or miss).",
    ["result"],
)
MODEL_LOADS = Counter(
    "gatescope_model_loads", "Models loaded from disk, by source (shipped, uploaded).", ["source"]
)
ATLAS_BUILDS = Counter(
    "gatescope_atlas_builds",
    "Atlas index builds started here, by outcome (built, failed).",
    ["outcome"],
)
ATLAS_BUILD_SECONDS = Histogram(
    "gatescope_atlas_build_duration_seconds",
    "Seconds one atlas index build took.",
    buckets=(0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600, 1800),
)


def exposition() -> tuple[bytes, str]:
    """The text format of every worker's metrics (of this process's without multiprocess mode)
    and its content type."""
    if MULTIPROC_DIR is None:
        return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=MULTIPROC_DIR)  # type: ignore[no-untyped-call]
    return generate_latest(registry), CONTENT_TYPE_LATEST


def process_exiting() -> None:
    """Drop this process's live gauges (queue depth) so a stopped worker no longer counts."""
    if MULTIPROC_DIR is not None:
        multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]


def fresh_multiproc_dir(directory: Path) -> Path:
    """Empty `directory` of a previous run's values (they would be summed in) and return it."""
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink(missing_ok=True)
    return directory

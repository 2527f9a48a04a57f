"""Schemathesis against a real uvicorn, with the token on and off: every operation of the OpenAPI
schema fuzzed (bounded: MAX_EXAMPLES per operation and TIME_BUDGET seconds per server), every
check passing except the documented false positives in FALSE_POSITIVES.

Each server gets its own data dir and the tiny models, so fuzzed uploads and atlas builds touch
nothing the other tests use.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi import checks

from app.apibench import UvicornProcess, start_uvicorn
from app.config import Settings
from app.main import create_app
from tests.conftest import STARTUP_TIMEOUT

TOKEN = "schemathesis-token"
MAX_EXAMPLES = 15
TIME_BUDGET = 90.0  # seconds of fuzzing per server; operations past it are skipped, saying so

# Checks that are wrong about an operation, with the reason; every other check runs everywhere.
FALSE_POSITIVES: dict[str, dict[str, str]] = {
    "positive_data_acceptance": {
        "POST /api/v1/trace": "the schema cannot say that every step of `input` holds "
        "`input_size` numbers, nor bound the trace's size (steps x units x layers <= "
        "GATESCOPE_MAX_TRACE_VALUES), so schema-valid bodies get a 422 naming the field; and "
        "JSON Schema's `integer` admits 125.0 where the API's sizes are strict integers (422 "
        "not_an_integer, on purpose: a size of 2.5 must not be rounded)",
        "POST /api/v1/models": "the schema says `file` is a binary string; it must also be a "
        "model in one of the named formats (.keras, .h5, .safetensors, .pt, .zip), which a "
        "random file is not: 422 invalid_model naming `file`",
        "POST /api/v1/playground/runs": "each task has its own size range (copy: 1-100, latch: "
        "1-200, ...), which the schema of one `size` field cannot say; a size outside the chosen "
        "task's range is a 422 naming it, as are integers sent as floats (`seed: 1.0`)",
        "POST /api/v1/playground/runs/{run_id}/train": "`steps` is bounded by the operator's "
        "GATESCOPE_PLAYGROUND_MAX_CALL_STEPS, a setting the schema does not carry (as "
        "GATESCOPE_MAX_STEPS for traces): more is a 422 above_maximum naming `steps`",
    },
}

pytestmark = pytest.mark.slow


class Budget:
    """Seconds spent fuzzing one server."""

    def __init__(self) -> None:
        self.started: float | None = None

    def check(self) -> None:
        now = time.monotonic()
        self.started = self.started if self.started is not None else now
        if now - self.started > TIME_BUDGET:
            pytest.skip(f"the schemathesis time budget of {TIME_BUDGET:g} s is spent")


@pytest.fixture(scope="module", params=["no-token", "token"])
def fuzzed_server(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    tiny_models_dir: Path,
) -> Iterator[tuple[UvicornProcess, dict[str, str], Budget]]:
    env = {"GATESCOPE_MODELS_DIR": str(tiny_models_dir)}
    headers = {}
    if request.param == "token":
        env["GATESCOPE_TOKEN"] = TOKEN
        headers["Authorization"] = f"Bearer {TOKEN}"
    server = start_uvicorn(env, tmp_path_factory.mktemp("fuzz-data"), timeout=STARTUP_TIMEOUT)
    try:
        yield server, headers, Budget()
    finally:
        server.stop()


@pytest.fixture(scope="module")
def api_schema(fuzzed_server: tuple[UvicornProcess, dict[str, str], Budget]) -> Any:
    server, headers, _ = fuzzed_server
    return schemathesis.openapi.from_url(f"{server.url}/openapi.json", headers=headers)


def operations() -> list[Any]:
    """(method, path) of every operation in the schema, for readable test ids."""
    paths = create_app(Settings()).openapi()["paths"]
    return [
        pytest.param(method, path, id=f"{method.upper()} {path}")
        for path, item in paths.items()
        for method in item
        if method in ("get", "put", "post", "delete", "patch")
    ]


@pytest.mark.parametrize(("method", "path"), operations())
def test_the_api_keeps_its_schema(
    method: str,
    path: str,
    api_schema: Any,
    fuzzed_server: tuple[UvicornProcess, dict[str, str], Budget],
) -> None:
    server, headers, budget = fuzzed_server
    budget.check()
    operation = api_schema[path][method.upper()]
    label = f"{method.upper()} {path}"
    excluded = [getattr(checks, name) for name, ops in FALSE_POSITIVES.items() if label in ops]

    @given(case=operation.as_strategy())
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
        derandomize=True,
    )
    def fuzz(case: Any) -> None:
        case.call_and_validate(
            base_url=server.url, headers=headers, timeout=60, excluded_checks=excluded
        )

    fuzz()

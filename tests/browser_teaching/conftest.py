"""The teaching views in real headless Chromium, on the shared `live_server` (shipped models).

Reuses the explorer's Playwright fixtures (tests/browser/conftest.py): one Chromium per session,
a fresh context per test, and an ExplorerPage that records page errors, console errors and
every request. The helpers here open a view and read its Plotly figures (gd.data, gd.layout).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from browser.conftest import (  # noqa: F401  (fixtures, re-exported for this directory)
    CHROMIUM,
    CHROMIUM_ARGS,
    RUNNING,
    ExplorerPage,
    api,
    explorer,
    open_page,
)

TIMEOUT_MS = 20_000


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    """The explorer tests' Chromium when it is running (Playwright's sync API cannot start twice
    in one thread); otherwise one of our own, closed when this directory's tests are done."""
    if RUNNING:
        yield RUNNING[0]
        return
    if not CHROMIUM.exists():
        pytest.skip(f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


EN_SENTENCE = "the film was not good at all"
WEATHER_ROWS = [
    [0.0, 12.8, 5.0, 4.7],
    [10.9, 10.6, 2.8, 4.5],
    [0.8, 11.7, 7.2, 2.3],
    [20.3, 12.2, 5.6, 4.7],
    [1.3, 8.9, 2.8, 6.1],
    [2.5, 4.4, 2.2, 2.2],
    [0.0, 7.2, 2.8, 2.3],
    [0.0, 10.0, 2.8, 2.0],
]


def numbers_text(rows: list[list[float]]) -> str:
    """The numbers box (and the URL's input) for rows: one step per line."""
    return "\n".join(", ".join(f"{value:g}" for value in row) for row in rows)


def teaching_url(path: str, model: str, raw: str | list[list[float]], **extra: str) -> str:
    text = raw if isinstance(raw, str) else numbers_text(raw)
    return f"{path}?{urlencode({'model': model, 'input': text, **extra})}"


def open_teaching_page(page: ExplorerPage, url: str, state: str = "ready") -> None:
    """Open a view and wait until it has rendered (or settled in `state`, e.g. 'na')."""
    page.page.goto(page.origin + url)
    wait_teaching_page(page, 0, state)


def wait_teaching_page(page: ExplorerPage, before: int, state: str = "ready") -> None:
    """Until <body> says `state` (and, for 'ready', more than `before` renders)."""
    script = (
        "([n, state]) => document.body.dataset.state === state"
        " && (state !== 'ready' || Number(document.body.dataset.renders) > n)"
    )
    page.page.wait_for_function(script, arg=[before, state], timeout=TIMEOUT_MS)


def renders(page: ExplorerPage) -> int:
    return page.renders()


def figure(page: ExplorerPage, testid: str) -> dict[str, Any]:
    """A Plotly figure as the page holds it: its traces (gd.data) and parts of its layout."""
    return page.page.evaluate(
        """(id) => {
          const gd = document.querySelector(`[data-testid="${id}"]`);
          if (!gd || !gd.data) return null;
          const pick = (trace) => ({type: trace.type, name: trace.name ?? null,
            meta: trace.meta ?? null, x: trace.x ?? null, y: trace.y ?? null, z: trace.z ?? null,
            customdata: trace.customdata ?? null});
          return {data: gd.data.map(pick), yaxis: {type: gd.layout.yaxis?.type ?? null},
                  shapes: gd.layout.shapes ?? [], annotations: gd.layout.annotations ?? []};
        }""",
        testid,
    )


def post(client: httpx.Client, model: str, series: str, body: dict[str, Any]) -> Any:
    response = client.post(f"/api/v1/models/{model}/{series}", json=body)
    response.raise_for_status()
    return response.json()


def units_by_steps(matrix: list[list[float | None]]) -> list[list[float | None]]:
    """API matrices are steps x units; a heatmap's z is units (rows) x steps (columns)."""
    return [list(column) for column in zip(*matrix, strict=True)]


def on_axis(positions: list[int | None], values: list[Any]) -> tuple[list[int], list[Any]]:
    """A run's values at the steps that sit on the shared axis, x counted from 1."""
    kept = [(p + 1, v) for p, v in zip(positions, values, strict=True) if p is not None]
    return [x for x, _ in kept], [v for _, v in kept]


def prediction_number(prediction: dict[str, Any]) -> float:
    if prediction.get("positive_probability") is not None:
        return float(prediction["positive_probability"])
    return float(prediction["value"])

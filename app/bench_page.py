"""`gatescope bench --page`: how soon a shared explorer link shows something, cold.

Starts the server, opens a shared link (/?model=...&input=...) in headless Chromium with an empty
cache (a fresh browser context) `repeats` times, and reports the median of two moments, measured
in the page from navigation start:

- page ready: the shell has booted (<body data-state> leaves "booting"): controls usable;
- first plot: the first Plotly chart has drawn (an SVG inside a .js-plotly-plot).

Needs Playwright (the test extra) and a Chromium (GATESCOPE_CHROMIUM, default /usr/bin/chromium).
"""

from __future__ import annotations

import os
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from rich.table import Table

from app.apibench import BENCH_MODEL, BENCH_SENTENCE, running_server

CHROMIUM = Path(os.environ.get("GATESCOPE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
GOALS_MS = {"page_ready": 1000.0, "first_plot": 1500.0}
TIMEOUT_MS = 60_000

# Runs before the page's own scripts: record when the shell boots and when a chart first draws.
WATCH = """
window.__bench = {};
new MutationObserver(() => {
  const now = performance.now();
  const body = document.body;
  if (body && !window.__bench.ready && body.dataset.state && body.dataset.state !== "booting")
    window.__bench.ready = now;
  if (!window.__bench.plot && document.querySelector(".js-plotly-plot .main-svg"))
    window.__bench.plot = now;
}).observe(document, { subtree: true, childList: true, attributes: true });
"""


@dataclass(frozen=True)
class PageTiming:
    page_ready_ms: float
    first_plot_ms: float
    bytes_loaded: int


@dataclass(frozen=True)
class PageBench:
    url: str
    runs: list[PageTiming]

    @property
    def page_ready_ms(self) -> float:
        return statistics.median(run.page_ready_ms for run in self.runs)

    @property
    def first_plot_ms(self) -> float:
        return statistics.median(run.first_plot_ms for run in self.runs)

    @property
    def meets_goal(self) -> bool:
        return (
            self.page_ready_ms <= GOALS_MS["page_ready"]
            and self.first_plot_ms <= GOALS_MS["first_plot"]
        )


def shared_link(model: str = BENCH_MODEL, text: str = BENCH_SENTENCE) -> str:
    return "/?" + urlencode({"model": model, "input": text})


def bench_page(repeats: int = 5, link: str | None = None) -> PageBench:
    """Median page-ready and first-plot times of a cold shared link, on a fresh server."""
    if not CHROMIUM.exists():
        raise RuntimeError(f"bench --page needs Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    link = link or shared_link()
    with running_server({}) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            _open_once(browser, server.url + link)  # warms the server (not the browser)
            runs = [_open_once(browser, server.url + link) for _ in range(repeats)]
        finally:
            browser.close()
    return PageBench(url=link, runs=runs)


def _open_once(browser: Any, url: str) -> PageTiming:
    """One cold visit: a new context has an empty cache."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        page = context.new_page()
        page.add_init_script(WATCH)
        loaded: list[int] = []
        page.on("response", lambda response: loaded.append(_size(response)))
        page.goto(url)
        page.wait_for_function(
            "() => window.__bench.ready && window.__bench.plot", timeout=TIMEOUT_MS
        )
        moments = page.evaluate("() => window.__bench")
        return PageTiming(moments["ready"], moments["plot"], sum(loaded))
    finally:
        context.close()


def _size(response: Any) -> int:
    length = response.headers.get("content-length")
    return int(length) if length and length.isdigit() else 0


def render_page_table(result: PageBench) -> Table:
    table = Table(title=f"Cold shared link, median of {len(result.runs)}: {result.url[:60]}")
    for column in ("measure", "median ms", "runs ms", "goal ms"):
        table.add_column(column, justify="left" if column == "measure" else "right")
    for name, key in (("page ready", "page_ready"), ("first plot", "first_plot")):
        values = [getattr(run, f"{key}_ms") for run in result.runs]
        table.add_row(
            name,
            f"{statistics.median(values):.0f}",
            " ".join(f"{value:.0f}" for value in values),
            f"{GOALS_MS[key]:.0f}",
        )
    wire = statistics.median(run.bytes_loaded for run in result.runs) / 1e6
    table.caption = f"transferred per visit (content-length): {wire:.2f} MB"
    return table

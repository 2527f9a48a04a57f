"""Real headless Chromium (Debian's, via Playwright's sync API) against the shared `live_server`.

One browser per session; each test gets a fresh context and an `ExplorerPage` that records page
errors, console errors and every request, so a test can prove nothing left the server's origin.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

CHROMIUM = Path(os.environ.get("GATESCOPE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
VIEWPORT = {"width": 1400, "height": 900}
TIMEOUT_MS = 20_000
# Chromium logs every 4xx answer as a console error; tests that provoke one allow it by status.
NETWORK_ERROR = "Failed to load resource: the server responded with a status of {status}"


# The Chromium the `browser` fixture has running, so tests/browser_teaching (the teaching views,
# issue 6) can share it: Playwright's sync API cannot be started twice in one thread.
RUNNING: list[Any] = []


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        RUNNING.append(chromium)  # shared with tests/browser_teaching (see RUNNING)
        yield chromium
        RUNNING.remove(chromium)
        chromium.close()


@pytest.fixture
def api(live_server: Any) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server.url, timeout=30) as client:
        yield client


@dataclass
class ExplorerPage:
    """One tab on the explorer, with what it logged and requested."""

    page: Any
    origin: str
    page_errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    # -- navigation and waiting ---------------------------------------------------------------

    def open(self, query: str = "") -> None:
        self.page.goto(f"{self.origin}/{query}")
        self.wait_idle()

    def wait_idle(self) -> None:
        """Until the page has booted and no trace is in flight."""
        self.page.wait_for_function(
            "() => document.body.dataset.renders !== undefined"
            " && !['booting', 'loading'].includes(document.body.dataset.state)",
            timeout=TIMEOUT_MS,
        )

    def renders(self) -> int:
        """Renders finished so far (the page shell counts them on <body data-renders>)."""
        return int(self.page.locator("body").get_attribute("data-renders") or 0)

    def wait_render(self, before: int) -> None:
        self.page.wait_for_function(
            "(n) => Number(document.body.dataset.renders) > n"
            " && document.body.dataset.state === 'ready'",
            arg=before,
            timeout=TIMEOUT_MS,
        )

    def wait_shown(self, **shown: str | int) -> None:
        """Until <body data-*> says the page shows this (e.g. step=5, unit=2, layer=2)."""
        self.page.wait_for_function(
            "(shown) => Object.entries(shown).every(([k, v]) => document.body.dataset[k] === v)",
            arg={key: str(value) for key, value in shown.items()},
            timeout=TIMEOUT_MS,
        )

    def show_payload(self, payload: dict[str, Any]) -> None:
        """Render a trace payload (say, from the ad-hoc API) through the page's own run button:
        the next trace request is answered with it, so the page cannot tell it from its own."""
        body = json.dumps(payload)

        def answer(route: Any) -> None:
            route.fulfill(status=200, content_type="application/json", body=body)

        pattern = "**/api/v1/models/*/trace"
        self.page.route(pattern, answer, times=1)
        self.run()

    def testid(self, name: str) -> Any:
        return self.page.locator(f'[data-testid="{name}"]')

    # -- actions ------------------------------------------------------------------------------

    def choose_model(self, model_id: str) -> None:
        self.testid("model-select").select_option(model_id)
        self.page.wait_for_function(
            "(id) => document.querySelector('[data-testid=example-select]').dataset.model === id",
            arg=model_id,
            timeout=TIMEOUT_MS,
        )

    def run(self, text: str | None = None) -> None:
        if text is not None:
            self.testid("sequence-input").fill(text)
        before = self.renders()
        self.testid("run-trace").click()
        self.wait_render(before)

    def step(self) -> int:
        return int(self.testid("step-label").get_attribute("data-step"))

    def state(self) -> dict[str, Any]:
        """What the explorer shows, as it says on <body data-*>."""
        shown = self.page.evaluate("() => ({...document.body.dataset})")
        number = lambda key: int(shown[key]) if shown.get(key) else None  # noqa: E731
        return {
            "model": shown.get("model") or None,
            "step": number("step"),
            "unit": number("unit"),
            "layer": number("layer"),
            "direction": shown.get("direction") or None,
            "playing": shown.get("playing") == "true",
            "input": self.testid("sequence-input").input_value(),
        }

    def plot(self, name: str) -> dict[str, Any]:
        """The first trace of a Plotly figure as the page holds it (gd.data[0])."""
        return self.page.evaluate(
            '(name) => { const gd = document.querySelector(`[data-testid="${name}"]`);'
            " return gd && gd.data ? {z: gd.data[0].z, x: gd.data[0].x, y: gd.data[0].y,"
            " type: gd.data[0].type, count: gd.data.length} : null; }",
            name,
        )

    def equation(self) -> dict[str, Any]:
        panel = self.testid("equation-panel")
        shown = self.page.evaluate(
            "() => Object.fromEntries([...document.querySelectorAll("
            "'[data-testid=equation-panel] .num[data-var]')]"
            ".map(e => [e.dataset.var, e.textContent]))"
        )
        return {
            "values": json.loads(panel.get_attribute("data-values")),
            "shown": {key: float(text.replace("\u2212", "-")) for key, text in shown.items()},
            "step": int(panel.get_attribute("data-step")),
            "unit": int(panel.get_attribute("data-unit")),
            "layer": int(panel.get_attribute("data-layer")),
            "direction": panel.get_attribute("data-direction"),
        }

    # -- what the page did ------------------------------------------------------------------

    def assert_clean(self, allow_status: tuple[int, ...] = ()) -> None:
        allowed = [NETWORK_ERROR.format(status=status) for status in allow_status]
        console = [m for m in self.console_errors if not any(m.startswith(a) for a in allowed)]
        assert self.page_errors == [], f"page errors: {self.page_errors}"
        assert console == [], f"console errors: {console}"
        # blob: and data: URLs are made in the page (a downloaded image, a saved view)
        local = (self.origin + "/", f"blob:{self.origin}/", "data:")
        foreign = [url for url in self.requests if not url.startswith(local)]
        assert foreign == [], f"requests left the server's origin: {foreign}"


@pytest.fixture
def explorer(browser: Any, live_server: Any) -> Iterator[ExplorerPage]:
    yield from open_explorer(browser, live_server.url)


def open_explorer(browser: Any, origin: str, locale: str = "en-US") -> Iterator[ExplorerPage]:
    context = browser.new_context(viewport=VIEWPORT, locale=locale)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    watched = ExplorerPage(page=page, origin=origin)
    page.on("pageerror", lambda error: watched.page_errors.append(str(error)))
    page.on(
        "console",
        lambda message: (
            watched.console_errors.append(message.text) if message.type == "error" else None
        ),
    )
    page.on("request", lambda request: watched.requests.append(request.url))
    try:
        yield watched
    finally:
        context.close()


@pytest.fixture
def open_page(browser: Any) -> Iterator[Any]:
    """Factory for more tabs: open_page(origin, locale='en-US') -> ExplorerPage."""
    generators: list[Iterator[ExplorerPage]] = []

    def make(origin: str, locale: str = "en-US") -> ExplorerPage:
        generator = open_explorer(browser, origin, locale)
        generators.append(generator)
        return next(generator)

    yield make
    for generator in generators:
        generator.close()

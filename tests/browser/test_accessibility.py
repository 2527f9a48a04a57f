"""Accessibility in Chromium (issue 11): axe-core on every page with a trace shown, in English and
Korean, and the keyboard's way into a heatmap (its name, its current-step values, a unit chosen).

axe-core comes bundled in axe-playwright-python (the `test` extra); nothing is fetched.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest

from .conftest import TIMEOUT_MS, ExplorerPage

pytestmark = pytest.mark.browser

SENTENCE = "the film was not good at all"
TEXT_QUERY = "?" + urlencode({"model": "sentiment-en-lstm", "input": SENTENCE})
PAGES = [
    pytest.param("/" + TEXT_QUERY, id="explorer"),
    pytest.param("/compare" + TEXT_QUERY, id="compare"),
    pytest.param("/gradient" + TEXT_QUERY, id="gradient"),
    pytest.param("/saturation" + TEXT_QUERY, id="saturation"),
    pytest.param("/padding" + TEXT_QUERY, id="padding"),
    pytest.param("/state?model=weather-gru", id="state"),
]


def serious_violations(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes'][:4]]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("locale", ["en-US", "ko-KR"])
@pytest.mark.parametrize("path", PAGES)
def test_axe_finds_no_serious_violation_with_a_trace_shown(
    open_page: Any, live_server: Any, path: str, locale: str
) -> None:
    pytest.importorskip("axe_playwright_python")
    page: ExplorerPage = open_page(live_server.url, locale=locale)
    page.page.goto(live_server.url + path)
    page.page.wait_for_function("() => document.body.dataset.state === 'ready'", timeout=TIMEOUT_MS)
    assert page.page.evaluate("document.documentElement.lang") == locale[:2]
    assert serious_violations(page.page) == []
    page.assert_clean()


def test_heatmap_is_named_reachable_by_keyboard_and_says_the_steps_values(
    explorer: ExplorerPage,
) -> None:
    explorer.open(TEXT_QUERY + "&step=38&unit=1")
    focus = explorer.testid("focus-gate-plot-forget")
    assert focus.get_attribute("role") == "group"
    assert "(f): heatmap of" in focus.get_attribute("aria-label")
    titles = explorer.page.locator("#heatmaps figcaption h3").all_inner_texts()
    assert len(titles) == len(explorer.page.locator("#heatmaps figure").all())
    focus.focus()
    explorer.page.keyboard.press("ArrowDown")
    explorer.page.keyboard.press("ArrowDown")
    explorer.wait_shown(unit=3)
    explorer.page.keyboard.press("ArrowRight")
    explorer.wait_shown(step=39)
    z = explorer.plot("gate-plot-forget")["z"]
    described = explorer.page.evaluate(
        "(id) => document.getElementById(document.querySelector(`[data-testid=${id}]`)"
        ".getAttribute('aria-describedby')).textContent",
        "focus-gate-plot-forget",
    )
    assert described.startswith("Step 39")
    assert "unit 3 is followed" in described
    values = [f"{k + 1}: {row[38]:.2f}" for k, row in enumerate(z)]
    assert described.endswith(", ".join(values))
    explorer.assert_clean()

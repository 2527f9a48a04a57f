"""Phones and projectors in Chromium (issue 11): every page fits a phone (360-414 px) with thumb-
sized controls, a one-line tagline, a stacked form and a short sticky player; on a 1024x768
projector the player, one heatmap and the equation panel share the first screen."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest

from .conftest import TIMEOUT_MS, ExplorerPage

pytestmark = pytest.mark.browser

QUERY = "?" + urlencode({"model": "sentiment-en-lstm", "input": "the film was not good at all"})
PAGES = [
    "/" + QUERY,
    "/compare" + QUERY,
    "/gradient" + QUERY,
    "/saturation" + QUERY,
    "/padding" + QUERY,
    "/state?model=weather-gru",
]

MEASURE = """() => {
  const W = document.documentElement.clientWidth;
  const box = (e) => e.getBoundingClientRect();
  const visible = (e) => e.checkVisibility() && box(e).width > 2;
  const target = (e) => (e.type === 'checkbox' ? e.closest('label') || e : e);
  const controls = [...document.querySelectorAll(
      'button, select, textarea, input, summary, nav a, .brand-link')]
    .filter(visible).map(target)
    .map((e) => ({name: e.dataset.testid || e.tagName + ':' + e.textContent.trim().slice(0, 20),
                  height: Math.round(box(e).height)}));
  const run = document.querySelector('[data-testid=run-trace], [data-testid=teaching-run]');
  const input = document.querySelector(
    '[data-testid=sequence-input], [data-testid=teaching-input]');
  const model = document.querySelector('[data-testid=model-select], [data-testid=teaching-model]');
  const plots = [...document.querySelectorAll('.js-plotly-plot')].filter(visible)
    .map((e) => Math.max(box(e).right,
                         ...[...e.querySelectorAll('svg.main-svg')].map((s) => box(s).right)));
  return {W, scrollWidth: document.documentElement.scrollWidth, controls,
          run: box(run).toJSON(), input: box(input).toJSON(), model: box(model).toJSON(),
          tagline: box(document.querySelector('.tagline')).height, plots,
          player: document.querySelector('.player')?.getBoundingClientRect().height ?? null};
}"""


def measure(page: ExplorerPage, url: str) -> dict[str, Any]:
    page.page.goto(page.origin + url)
    page.page.wait_for_function("() => document.body.dataset.state === 'ready'", timeout=TIMEOUT_MS)
    return page.page.evaluate(MEASURE)


@pytest.mark.parametrize(
    "width,height", [(390, 844), (360, 800), (414, 896)], ids=["390x844", "360x800", "414x896"]
)
def test_every_page_fits_a_phone_with_thumb_sized_controls(
    open_page: Any, live_server: Any, width: int, height: int
) -> None:
    page: ExplorerPage = open_page(live_server.url)
    page.page.set_viewport_size({"width": width, "height": height})
    for url in PAGES:
        shown = measure(page, url)
        where = f"{url.split('?')[0]} at {width}px"
        assert shown["scrollWidth"] <= width, where
        assert 0 <= shown["run"]["x"] and shown["run"]["x"] + shown["run"]["width"] <= width, where
        assert shown["input"]["width"] >= 0.75 * width, where  # the text box is usable
        assert shown["input"]["y"] > shown["model"]["y"], where  # the form stacks
        assert abs(shown["input"]["x"] - shown["model"]["x"]) < 2, where
        small = [c for c in shown["controls"] if c["height"] < 44]
        assert small == [], where
        assert shown["tagline"] <= 30, where  # one short line
        assert shown["plots"] and max(shown["plots"]) <= width, where
        if shown["player"] is not None:
            assert shown["player"] <= height / 8 + 1, where
    page.assert_clean()


def test_projector_shows_player_a_heatmap_and_the_equations_on_one_screen(
    open_page: Any, live_server: Any
) -> None:
    page: ExplorerPage = open_page(live_server.url)
    page.page.set_viewport_size({"width": 1024, "height": 768})
    page.open(QUERY)
    page.page.evaluate("() => window.scrollTo(0, 0)")
    boxes = page.page.evaluate(
        """() => Object.fromEntries(['.player', '[data-testid=gate-plot-input]',
             '[data-testid=equation-panel] .eq'].map((s) => [s,
             document.querySelector(s).getBoundingClientRect().toJSON()]))"""
    )
    player, heatmap, equation = boxes.values()
    for name, box in boxes.items():
        assert box["y"] >= 0 and box["y"] + box["height"] <= 768, (name, box)
        assert box["x"] + box["width"] <= 1024, (name, box)
    assert equation["x"] >= heatmap["x"] + heatmap["width"] - 1  # two columns
    assert player["height"] <= 70  # the controls are compact
    assert page.page.evaluate("document.documentElement.scrollWidth") <= 1024
    page.assert_clean()

"""Small charts on /compare, /padding and /gradient (issue 11): token labels horizontal, thinned
so they never run together (full words on hover), tick and legend text at least 12 px, in
English and Korean, on a laptop and a phone."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import ExplorerPage, open_teaching_page, teaching_url

pytestmark = pytest.mark.browser

LONG_EN = "the acting was wonderful but the extraordinarily predictable story dragged on forever"
LONG_KO = "배우들의 연기는 훌륭했지만 이야기가 너무 뻔하고 지루해서 끝까지 보기 힘들었다"

TICKS = """() => [...document.querySelectorAll('.js-plotly-plot')]
  .filter((gd) => gd.checkVisibility())
  .map((gd) => ({
    id: gd.dataset.testid,
    ticks: [...gd.querySelectorAll('.xaxislayer-above .xtick text')].map((e) => {
      const r = e.getBoundingClientRect();
      return {left: r.left, right: r.right, size: parseFloat(getComputedStyle(e).fontSize),
              rotated: (e.getAttribute('transform') || '').includes('rotate')};
    }),
    sizes: [...gd.querySelectorAll('.ytick text, .legendtext')]
      .map((e) => parseFloat(getComputedStyle(e).fontSize)),
    hover: gd.data.map((trace) => trace.text).filter(Boolean).flat(2).join(' '),
  }))"""


@pytest.mark.parametrize("width", [1400, 390])
@pytest.mark.parametrize(
    "model,text,word",
    [("sentiment-en-lstm", LONG_EN, "extraordinarily"), ("sentiment-ko-gru", LONG_KO, "지루")],
    ids=["en", "ko"],
)
@pytest.mark.parametrize("path", ["/compare", "/padding", "/gradient"])
def test_small_chart_token_labels_are_horizontal_apart_and_at_least_12px(
    explorer: ExplorerPage, path: str, model: str, text: str, word: str, width: int
) -> None:
    explorer.page.set_viewport_size({"width": width, "height": 900})
    open_teaching_page(explorer, teaching_url(path, model, text))
    charts: list[dict[str, Any]] = explorer.page.evaluate(TICKS)
    assert charts
    for chart in charts:
        ticks = chart["ticks"]
        assert all(not tick["rotated"] and tick["size"] >= 12 for tick in ticks), (
            chart["id"],
            ticks,
        )
        assert all(size >= 12 for size in chart["sizes"]), (chart["id"], chart["sizes"])
        ordered = sorted(ticks, key=lambda tick: tick["left"])
        overlaps = [
            (a, b) for a, b in zip(ordered, ordered[1:], strict=False) if b["left"] < a["right"]
        ]
        assert overlaps == [], chart["id"]
    hovers = " ".join(chart["hover"] for chart in charts)
    assert word in hovers  # the hover names whole words (the axis may cut them)
    explorer.assert_clean()


def test_weather_compare_chart_shows_its_whole_celsius_title(explorer: ExplorerPage) -> None:
    from .conftest import WEATHER_ROWS

    open_teaching_page(explorer, teaching_url("/compare", "weather-gru", WEATHER_ROWS))
    boxes = explorer.page.evaluate(
        """() => {
          const gd = document.querySelector('[data-testid=compare-predictions]');
          const title = gd.querySelector('.ytitle');
          return {title: title.getBoundingClientRect().toJSON(), text: title.textContent,
                  plot: gd.getBoundingClientRect().toJSON()};
        }"""
    )
    assert boxes["text"] == "°C"
    assert boxes["title"]["left"] >= boxes["plot"]["left"], boxes  # inside the chart, not cut
    explorer.assert_clean()

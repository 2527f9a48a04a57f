"""For teachers, in Chromium (issue 11): any plot downloads as PNG or SVG from the local Plotly
bundle, and "Save this view" writes one HTML file that draws the heatmaps offline, from file://,
with the network blocked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from .conftest import ExplorerPage

pytestmark = pytest.mark.browser

QUERY = "?" + urlencode({"model": "sentiment-en-lstm", "input": "a good film", "step": 39})


def download(page: ExplorerPage, plot: str, title: str, into: Path) -> Path:
    gd = page.testid(plot)
    gd.scroll_into_view_if_needed()
    gd.hover()
    with page.page.expect_download() as info:
        page.page.locator(f'[data-testid="{plot}"] .modebar-btn[data-title="{title}"]').click()
    path = into / info.value.suggested_filename
    info.value.save_as(path)
    return path


@pytest.mark.parametrize("plot", ["gate-plot-forget", "prediction-by-step", "unit-plot"])
def test_any_plot_downloads_as_png_and_svg(
    explorer: ExplorerPage, tmp_path: Path, plot: str
) -> None:
    explorer.open(QUERY)
    png = download(explorer, plot, "Download as PNG", tmp_path)
    assert png.name == f"gatescope-sentiment-en-lstm-{plot}.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = download(explorer, plot, "Download as SVG", tmp_path)
    assert svg.suffix == ".svg" and "<svg" in svg.read_text()[:400]
    explorer.assert_clean()


def test_saved_view_opens_offline_from_a_file_and_draws_the_heatmaps(
    explorer: ExplorerPage, browser: Any, tmp_path: Path
) -> None:
    explorer.open(QUERY + "&unit=4")
    shown = {name: explorer.plot(name)["z"] for name in ("gate-plot-forget", "hidden-plot")}
    with explorer.page.expect_download() as info:
        explorer.testid("save-view").click()
    saved = tmp_path / info.value.suggested_filename
    info.value.save_as(saved)
    assert saved.name == "gatescope-sentiment-en-lstm-step39-unit4.html"

    context = browser.new_context(offline=True)
    requests: list[str] = []

    def block(route: Any) -> None:  # the network is off; only the file itself may load
        requests.append(route.request.url)
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            route.abort()

    context.route("**/*", block)
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(saved.as_uri())
        page.wait_for_function(
            "() => document.querySelectorAll('.js-plotly-plot .heatmaplayer').length >= 6"
        )
        for name, z in shown.items():
            drawn = page.evaluate(
                "(id) => document.querySelector(`[data-testid=${id}]`).data[0].z", name
            )
            assert drawn == z
        trace = json.loads(page.locator("#gatescope-trace").text_content())
        assert trace["model"] == "sentiment-en-lstm" and trace["steps"] == 40
        assert "step 39 of 40 · unit 4" in page.locator(".caption").inner_text()
        assert errors == [] and [url for url in requests if not url.startswith("file:")] == []
    finally:
        context.close()
    explorer.assert_clean()

"""Pads in Chromium (issue 11): a run starts at the first real token, not on a pad, and the pads
toggle draws every run of pad steps as one labelled column while steps and the URL stay real."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlparse

import httpx
import pytest

from .conftest import ExplorerPage
from .test_explorer import click_heatmap_cell, units_by_steps

pytestmark = pytest.mark.browser

MODEL, SENTENCE = "sentiment-en-lstm", "a good film"


def url_query(page: ExplorerPage) -> dict[str, str]:
    page.page.evaluate("() => new Promise((done) => setTimeout(done, 300))")  # coalesced writes
    return {k: v[0] for k, v in parse_qs(urlparse(page.page.url).query).items()}


def test_run_starts_at_the_first_real_token_and_play_again_restarts_there(
    explorer: ExplorerPage, api: httpx.Client
) -> None:
    payload = api.post(f"/api/v1/models/{MODEL}/trace", json={"input": SENTENCE}).json()
    pads = payload["token_kinds"].count("pad")
    assert pads > 30 and payload["token_kinds"][:pads] == ["pad"] * pads
    explorer.open(f"?model={MODEL}")
    explorer.run(SENTENCE)
    assert explorer.step() == pads + 1
    assert url_query(explorer)["step"] == str(pads + 1)
    explorer.page.keyboard.press("End")
    explorer.testid("speed-select").select_option("4")
    explorer.testid("play-toggle").click()  # at the end: play again from the first word
    explorer.page.wait_for_function("() => document.body.dataset.playing === 'false'")
    explorer.page.wait_for_timeout(50)
    explorer.testid("step-back").click()
    explorer.testid("step-back").click()
    assert explorer.step() == payload["steps"] - 2
    explorer.assert_clean()


def test_pads_toggle_collapses_pads_to_one_labelled_column_keeping_real_steps(
    explorer: ExplorerPage, api: httpx.Client, open_page: object, live_server: object
) -> None:
    payload = api.post(f"/api/v1/models/{MODEL}/trace", json={"input": SENTENCE}).json()
    steps, pads = payload["steps"], payload["token_kinds"].count("pad")
    forget = units_by_steps(payload["layers"][0]["gates"]["forget"])
    explorer.open("?" + urlencode({"model": MODEL, "input": SENTENCE}))
    assert len(explorer.plot("gate-plot-forget")["z"][0]) == steps
    explorer.testid("pads-toggle").check()
    explorer.page.wait_for_function(
        "() => document.querySelector('[data-testid=gate-plot-forget]').data[0].z[0].length < 40"
    )
    shown = explorer.plot("gate-plot-forget")
    assert shown["z"] == [[row[pads - 1], *row[pads:]] for row in forget]  # the pads' last step
    ticks = explorer.page.evaluate(
        "() => document.querySelector('[data-testid=gate-plot-forget]').layout.xaxis.ticktext"
    )
    assert ticks[0] == f"pads 1–{pads}"
    for testid in ("gate-plot-input", "cell-plot", "hidden-plot"):
        assert len(explorer.plot(testid)["z"][0]) == steps - pads + 1
    query = url_query(explorer)
    assert (query["pads"], query["step"]) == ("collapsed", str(pads + 1))
    assert explorer.step() == pads + 1
    click_heatmap_cell(explorer, "gate-plot-forget", 3, 2)  # the third column: a real step
    explorer.wait_shown(step=pads + 2, unit=2)
    marker = explorer.page.evaluate(
        "() => document.querySelector('[data-testid=gate-plot-forget]')"
        ".parentElement.querySelector('.mark-step').dataset.step"
    )
    assert marker == str(pads + 2)
    click_heatmap_cell(explorer, "gate-plot-forget", 1, 2)  # the pads' column: their last step
    explorer.wait_shown(step=pads)
    shared = open_page(live_server.url)  # type: ignore[operator]
    shared.page.goto(explorer.page.url if url_query(explorer) else "")
    shared.wait_idle()
    assert shared.testid("pads-toggle").is_checked()
    assert len(shared.plot("gate-plot-forget")["z"][0]) == steps - pads + 1
    assert shared.step() == pads
    explorer.assert_clean()

"""The what-if page (/whatif) and the explorer's what-if parts in real Chromium (issue 13): every
number on screen is the API's own (POST .../intervene, .../patching, .../attribution)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from browser.test_explorer import click_heatmap_cell

from browser_teaching.conftest import (
    EN_SENTENCE,
    TIMEOUT_MS,
    ExplorerPage,
    figure,
    open_teaching_page,
    post,
    renders,
    teaching_url,
    units_by_steps,
    wait_teaching_page,
)

pytestmark = pytest.mark.browser

MODEL = "sentiment-en-lstm"
CORRUPTED = "the film was not bad at all"


def layer_series(trace: dict[str, Any], layer: int, direction: str, name: str) -> Any:
    found = next(x for x in trace["layers"] if (x["layer"], x["direction"]) == (layer, direction))
    return found[name] if name in ("hidden", "cell") else found["gates"][name]


def shown_change(page: ExplorerPage) -> dict[str, str]:
    cell = page.testid("prediction-change")
    return {k: cell.get_attribute(f"data-{k}") or "" for k in ("before", "after", "delta")}


def wait_state(page: ExplorerPage, testid: str, state: str = "ready") -> None:
    page.page.wait_for_function(
        '([id, state]) => document.querySelector(`[data-testid="${id}"]`)?.dataset.state === state',
        arg=[testid, state],
        timeout=TIMEOUT_MS * 3,
    )


def test_forget_knob_forces_the_patched_heatmap_to_exactly_1_and_the_prediction_moves_as_the_api_says(  # noqa: E501
    explorer: ExplorerPage, api: httpx.Client
) -> None:
    open_teaching_page(explorer, teaching_url("/whatif", MODEL, EN_SENTENCE))
    assert explorer.testid("link-whatif").get_attribute("aria-current") == "page"
    knob = explorer.testid("knob-forget-always-1")
    assert knob.inner_text() == "forget gate always 1 (never forget)"
    assert knob.get_attribute("aria-pressed") == "false"
    assert explorer.testid("knob-reset-always-1").is_disabled()  # no GRU layer here
    before = renders(explorer)
    knob.click()
    wait_teaching_page(explorer, before)

    assert knob.get_attribute("aria-pressed") == "true"
    assert "c_t = c_{t-1} + i_t * g_t" in explorer.testid("knob-meaning").inner_text()
    query = parse_qs(urlparse(explorer.page.url).query)
    assert query["knob"] == ["forget-always-1"]
    assert query["show"] == ["layer0.forward.forget"]

    answer = post(api, MODEL, "intervene", {"input": EN_SENTENCE, "knobs": ["forget-always-1"]})
    patched = figure(explorer, "whatif-patched")["data"][0]["z"]
    assert {value for row in patched for value in row} == {1.0}
    clean = layer_series(answer["clean"], 0, "forward", "forget")
    assert figure(explorer, "whatif-clean")["data"][0]["z"] == units_by_steps(clean)
    diff = figure(explorer, "whatif-diff")["data"][0]["z"]
    expected = units_by_steps([[1.0 - v for v in row] for row in clean])
    assert [value for row in diff for value in row] == [value for row in expected for value in row]

    change = answer["prediction_change"]
    assert shown_change(explorer) == {
        "before": str(change["before"]),
        "after": str(change["after"]),
        "delta": str(change["delta"]),
    }
    assert change["after"] != pytest.approx(change["before"], abs=1e-3)
    after = answer["patched"]["prediction"]
    assert explorer.testid("prediction-after").get_attribute("data-label") == after["label"]
    assert (
        f"{after['positive_probability'] * 100:.1f}%"
        in explorer.testid("prediction-after").inner_text()
    )
    explorer.assert_clean()


def test_an_added_intervention_is_in_the_url_and_a_shared_link_reproduces_it(
    explorer: ExplorerPage, api: httpx.Client, open_page: Any, live_server: Any
) -> None:
    open_teaching_page(explorer, teaching_url("/whatif", MODEL, EN_SENTENCE))
    explorer.testid("iv-site").select_option("layer0.forward.hidden")
    explorer.testid("iv-units").fill("2,5")
    explorer.testid("iv-steps").fill("36-40")
    explorer.testid("iv-op").select_option("set")
    explorer.testid("iv-value").fill("0.5")
    before = renders(explorer)
    explorer.testid("iv-add").click()
    wait_teaching_page(explorer, before)
    shared = urlparse(explorer.page.url)
    assert parse_qs(shared.query)["iv"] == ["layer0.forward.hidden:set:0.5:2%2C5:36-40"]

    other = open_page(live_server.url)
    open_teaching_page(other, f"{shared.path}?{shared.query}")
    items = other.testid("whatif-list").locator("li")
    assert items.count() == 1
    assert items.first.get_attribute("data-site") == "layer0.forward.hidden"
    assert other.testid("whatif-show").input_value() == "layer0.forward.hidden"
    body = {
        "input": EN_SENTENCE,
        "interventions": [
            {
                "site": "layer0.forward.hidden",
                "op": "set",
                "value": 0.5,
                "units": [1, 4],
                "steps": {"start": 35, "stop": 40},
            }
        ],
    }
    answer = post(api, MODEL, "intervene", body)
    z = figure(other, "whatif-patched")["data"][0]["z"]
    assert z == units_by_steps(layer_series(answer["patched"], 0, "forward", "hidden"))
    assert [z[1][step] for step in range(35, 40)] == [0.5] * 5
    assert shown_change(other)["after"] == str(answer["prediction_change"]["after"])

    before = renders(other)
    other.testid("iv-remove-0").click()
    wait_teaching_page(other, before)
    assert "iv" not in parse_qs(urlparse(other.page.url).query)
    assert other.testid("whatif-list").locator("li").count() == 0
    explorer.assert_clean()
    other.assert_clean()


def test_whatif_page_speaks_korean(open_page: Any, live_server: Any) -> None:
    page = open_page(live_server.url, locale="ko-KR")
    open_teaching_page(page, teaching_url("/whatif", "sentiment-ko-gru", "영화가 정말 재미있었다"))
    knob = page.testid("knob-update-always-0")
    assert knob.inner_text() == "업데이트 게이트 z 항상 0"
    assert page.testid("knob-forget-always-1").is_disabled()  # a GRU model: no forget gate
    before = renders(page)
    knob.click()
    wait_teaching_page(page, before)
    assert "PyTorch의 업데이트 게이트를 1로" in page.testid("knob-meaning").inner_text()
    assert page.page.locator("[data-whatif-i18n='heatmaps.diff']").inner_text().startswith("차이")
    assert page.testid("link-whatif").inner_text() == "만약에 (개입)"
    assert "원래" in page.testid("whatif-prediction").inner_text()
    z = figure(page, "whatif-patched")["data"][0]["z"]
    assert {value for row in z for value in row} == {1.0}  # PyTorch's z set to 1
    page.assert_clean()


def test_patching_sweep_plots_the_apis_normalised_effect(
    explorer: ExplorerPage, api: httpx.Client
) -> None:
    url = teaching_url("/whatif", MODEL, EN_SENTENCE, corrupted=CORRUPTED)
    open_teaching_page(explorer, url)
    wait_state(explorer, "patching-section")
    sweep = post(
        api,
        MODEL,
        "patching",
        {"input": EN_SENTENCE, "corrupted_input": CORRUPTED, "site": "layer0.forward.hidden"},
    )
    shown = figure(explorer, "patching-plot")["data"][0]
    assert shown["z"] == sweep["effect"]
    assert len(shown["z"]) == len(sweep["rows"]) == 32
    assert str(sweep["runs"]) in explorer.testid("patching-message").inner_text()
    explorer.assert_clean()


def test_attribution_row_shows_every_method_and_their_rank_correlation(
    explorer: ExplorerPage, api: httpx.Client
) -> None:
    open_teaching_page(explorer, teaching_url("/whatif", MODEL, EN_SENTENCE, attr="all"))
    wait_state(explorer, "attribution-row")
    answer = post(api, MODEL, "attribution", {"input": EN_SENTENCE, "method": "all"})
    for method, scores in answer["scores"].items():
        cells = explorer.testid(f"attribution-{method}").locator(".attribution-cell")
        shown = cells.evaluate_all("els => els.map(e => Number(e.dataset.score))")
        assert shown == scores
    rho = explorer.testid("attribution-rho").locator("td")
    shown_rho = rho.evaluate_all(
        "els => Object.fromEntries(els.map(e => [e.dataset.pair, e.dataset.rho]))"
    )
    assert shown_rho == {pair: str(value) for pair, value in answer["rank_correlation"].items()}
    explorer.assert_clean()


def test_explorer_attribution_toggle_and_shift_click_opens_whatif_with_that_cell_clamped(
    explorer: ExplorerPage, api: httpx.Client
) -> None:
    explorer.open(f"?model={MODEL}&input={EN_SENTENCE.replace(' ', '+')}")
    explorer.wait_render(0)
    assert explorer.testid("attribution-row").is_hidden()
    explorer.testid("attribution-toggle").check()
    wait_state(explorer, "attribution-row")
    answer = post(api, MODEL, "attribution", {"input": EN_SENTENCE})
    cells = explorer.testid("attribution-integrated_gradients").locator(".attribution-cell")
    shown = cells.evaluate_all("els => els.map(e => Number(e.dataset.score))")
    assert shown == answer["scores"]["integrated_gradients"]

    explorer.page.keyboard.down("Shift")
    with explorer.page.expect_navigation():
        click_heatmap_cell(explorer, "gate-plot-forget", 38, 3)
    explorer.page.keyboard.up("Shift")
    wait_teaching_page(explorer, 0)
    query = parse_qs(urlparse(explorer.page.url).query)
    assert urlparse(explorer.page.url).path == "/whatif"
    assert query["iv"] == ["layer0.forward.forget:set:0:3:38"]
    z = figure(explorer, "whatif-patched")["data"][0]["z"]
    assert z[2][37] == 0.0
    clean = figure(explorer, "whatif-clean")["data"][0]["z"]
    assert clean[2][37] != 0.0
    explorer.assert_clean()


def test_prediction_as_it_forms_is_explained_step_by_step(
    explorer: ExplorerPage, api: httpx.Client
) -> None:
    open_teaching_page(explorer, teaching_url("/whatif", MODEL, EN_SENTENCE, prefix="1"))
    assert explorer.testid("prefix-toggle").is_checked()
    wait_state(explorer, "prefix-section")
    answer = post(api, MODEL, "attribution", {"input": EN_SENTENCE, "per_prefix": True})
    rows = answer["per_prefix"]["rows"]
    real = [step for step, row in enumerate(rows) if row is not None]
    assert len(real) == len(EN_SENTENCE.split())
    heat = figure(explorer, "prefix-plot")["data"][0]
    assert heat["z"] == [rows[step] for step in real]
    assert heat["y"] == [step + 1 for step in real]
    trace = post(api, MODEL, "trace", {"input": EN_SENTENCE})
    forming = figure(explorer, "prefix-forming")["data"][0]
    expected = [trace["step_predictions"][step]["positive_probability"] for step in real]
    assert forming["y"] == expected
    explorer.assert_clean()


def test_every_head_shows_before_and_after_on_the_tiny_chains(
    open_page: Any, tiny_server: Any
) -> None:
    """A four-class BiLSTM -> GRU chain (a knob on its LSTM block; no prediction so far to
    explain) and a numbers regression chain: the numbers are the API's."""
    page = open_page(tiny_server.url)
    sentence = "a great film and a good plot"
    url = teaching_url(
        "/whatif", "tiny-chain-classes", sentence, knob="forget-always-0", prefix="1"
    )
    open_teaching_page(page, url)
    with httpx.Client(base_url=tiny_server.url, timeout=30) as client:
        answer = post(
            client,
            "tiny-chain-classes",
            "intervene",
            {"input": sentence, "knobs": ["forget-always-0"]},
        )
        rows = [[10.0, 1000.0], [11.0, 1001.0], [12.0, 1003.0], [13.0, 1002.0], [9.0, 999.0]]
        numbers = "\n".join(", ".join(f"{v:g}" for v in row) for row in rows)
        item = {"site": "layer1.forward.hidden", "op": "zero", "units": "all", "steps": "all"}
        series = post(
            client, "tiny-chain-series", "intervene", {"input": rows, "interventions": [item]}
        )
    classes = page.page.locator("tr.whatif-class td").evaluate_all(
        "els => els.map(e => [e.dataset.label, Number(e.dataset.before), Number(e.dataset.after)])"
    )
    before = answer["clean"]["prediction"]["classes"]
    after = answer["patched"]["prediction"]["classes"]
    assert classes == [
        [b["label"], b["probability"], a["probability"]] for b, a in zip(before, after, strict=True)
    ]
    assert page.testid("prediction-change").get_attribute("data-after") == str(
        answer["prediction_change"]["after"]
    )
    wait_state(page, "prefix-section")
    assert "backward" in page.testid("prefix-message").inner_text()

    open_teaching_page(
        page,
        teaching_url(
            "/whatif", "tiny-chain-series", numbers, iv="layer1.forward.hidden:zero::all:all"
        ),
    )
    value = series["patched"]["prediction"]["value"]
    shown = f"{value:.2f}" if abs(value) < 100 else f"{value:.1f}"  # as predictionText rounds
    assert page.testid("prediction-after").inner_text().startswith(shown)
    z = figure(page, "whatif-patched")["data"][0]["z"]
    assert {v for row in z for v in row} == {0.0}
    page.assert_clean()


def test_a_next_token_head_shows_its_top_candidates_before_and_after(
    explorer: ExplorerPage, api: httpx.Client
) -> None:
    """No shipped model predicts the next token: the page is given a next-token answer (the real
    traces with next-token predictions) and shows its likeliest tokens before and after."""
    answer = post(api, MODEL, "intervene", {"input": EN_SENTENCE, "knobs": ["input-always-0"]})
    top_before = [{"label": "film", "probability": 0.5}, {"label": "plot", "probability": 0.3}]
    top_after = [{"label": "plot", "probability": 0.6}, {"label": "film", "probability": 0.2}]
    answer["clean"]["prediction"] = {"label": "film", "probability": 0.5, "top": top_before}
    answer["patched"]["prediction"] = {"label": "plot", "probability": 0.6, "top": top_after}
    answer["clean"]["step_predictions"] = answer["patched"]["step_predictions"] = None
    answer["prediction_change"] = {
        "scored": "film",
        "before": 0.5,
        "after": 0.2,
        "delta": -0.3,
        "label_changed": True,
    }
    body = json.dumps(answer)
    explorer.page.route(
        "**/api/v1/models/*/intervene",
        lambda route: route.fulfill(status=200, content_type="application/json", body=body),
    )
    open_teaching_page(explorer, teaching_url("/whatif", MODEL, EN_SENTENCE, knob="input-always-0"))
    assert explorer.testid("prediction-before").inner_text() == "film · 50.0%"
    assert explorer.testid("prediction-after").inner_text() == "plot · 60.0%"
    classes = explorer.page.locator("tr.whatif-class td").evaluate_all(
        "els => els.map(e => [e.dataset.label, Number(e.dataset.before), Number(e.dataset.after)])"
    )
    assert classes == [["film", 0.5, 0.2], ["plot", 0.3, 0.6]]
    assert "label changed" in explorer.testid("prediction-change").inner_text()
    explorer.assert_clean()


def test_layer_by_step_patching_of_h_is_the_apis(explorer: ExplorerPage, api: httpx.Client) -> None:
    open_teaching_page(explorer, teaching_url("/whatif", "sentiment-en-gru", EN_SENTENCE))
    explorer.testid("patching-corrupted").fill(CORRUPTED)
    explorer.testid("patching-site").select_option("hidden")
    explorer.testid("patching-run").click()
    wait_state(explorer, "patching-section")
    query = parse_qs(urlparse(explorer.page.url).query)
    assert (query["corrupted"], query["psite"]) == ([CORRUPTED], ["hidden"])
    body = {"input": EN_SENTENCE, "corrupted_input": CORRUPTED, "kind": "layer_step"}
    sweep = post(api, "sentiment-en-gru", "patching", {**body, "site": "hidden"})
    assert figure(explorer, "patching-plot")["data"][0]["z"] == sweep["effect"]
    assert explorer.testid("patching-plot").get_attribute("data-kind") == "layer_step"
    explorer.assert_clean()


def test_back_undoes_a_knob_and_a_bad_intervention_is_said_in_words(
    explorer: ExplorerPage,
) -> None:
    open_teaching_page(explorer, teaching_url("/whatif", MODEL, EN_SENTENCE))
    before = renders(explorer)
    explorer.testid("knob-input-always-0").click()
    wait_teaching_page(explorer, before)
    assert explorer.testid("knob-input-always-0").get_attribute("aria-pressed") == "true"
    before = renders(explorer)
    explorer.page.go_back()
    wait_teaching_page(explorer, before)
    assert explorer.testid("knob-input-always-0").get_attribute("aria-pressed") == "false"
    assert "knob" not in parse_qs(urlparse(explorer.page.url).query)

    # unit 99 of a 32-unit layer: the API's 422 names the intervention's field
    url = teaching_url("/whatif", MODEL, EN_SENTENCE, iv="layer0.forward.forget:set:1:99:all")
    open_teaching_page(explorer, url, state="error")
    error = explorer.testid("error-message")
    assert error.is_visible() and error.get_attribute("data-status") == "422"
    assert "interventions[0].units" in error.inner_text()
    explorer.assert_clean(allow_status=(422,))

"""Every teaching view in real Chromium: the numbers on screen are the API's own."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from browser_teaching.conftest import (
    EN_SENTENCE,
    WEATHER_ROWS,
    ExplorerPage,
    figure,
    numbers_text,
    on_axis,
    open_teaching_page,
    post,
    prediction_number,
    renders,
    teaching_url,
    units_by_steps,
    wait_teaching_page,
)

pytestmark = pytest.mark.browser


def traces_by(fig: dict[str, Any], key: str) -> dict[Any, dict[str, Any]]:
    """The figure's traces keyed by one field of their meta."""
    return {trace["meta"][key]: trace for trace in fig["data"] if trace["meta"]}


# -- 1. compare ---------------------------------------------------------------------------------


def test_compare_view_shows_the_siblings_numbers_as_the_api_gives_them(
    explorer: ExplorerPage, api: httpx.Client
) -> None:
    open_teaching_page(explorer, teaching_url("/compare", "sentiment-en-gru", EN_SENTENCE))
    payload = post(api, "sentiment-en-gru", "compare", {"input": EN_SENTENCE})
    assert [run["cell"] for run in payload["runs"]] == ["rnn", "lstm", "gru"]
    assert explorer.testid("compare-result").is_visible()

    predictions = figure(explorer, "compare-predictions")
    traces = predictions["data"]
    lines = {t["meta"]["model"]: t for t in traces if t["meta"]["kind"] == "prediction"}
    tips = {t["meta"]["model"]: t for t in traces if t["meta"]["kind"] == "tipping"}
    for run in payload["runs"]:
        x, y = on_axis(run["positions"], [prediction_number(p) for p in run["step_predictions"]])
        assert (lines[run["model"]]["x"], lines[run["model"]]["y"]) == (x, y)
        tipped = run["tipping_step"]
        assert tips[run["model"]]["x"] == [run["positions"][tipped] + 1]
        assert tips[run["model"]]["y"] == [prediction_number(run["step_predictions"][tipped])]

        hidden = figure(explorer, f"compare-hidden-{run['model']}")
        assert hidden["data"][0]["z"] == units_by_steps(run["hidden"])
        chips = explorer.testid(f"compare-gate-names-{run['model']}").locator("[data-gate]")
        assert chips.evaluate_all("els => els.map(e => e.dataset.gate)") == run["gate_names"]
        if run["gate_names"]:
            gates = traces_by(figure(explorer, f"compare-gates-{run['model']}"), "gate")
            for name in run["gate_names"]:
                means = [sum(row) / len(row) for row in run["gates"][name]]
                assert gates[name]["y"] == pytest.approx(means, abs=1e-12)

    counts = explorer.page.locator("[data-testid=compare-parameters] td.count:not(.keras)")
    shown = [int(value) for value in counts.evaluate_all("els => els.map(e => e.dataset.count)")]
    expected = []
    for run in payload["runs"]:
        expected += [row["pytorch"]["count"] for row in run["parameters"]["rows"]]
        expected.append(run["parameters"]["total"])
    assert shown == expected
    table = explorer.testid("compare-parameters").inner_text()
    assert "4 × (h × (i + h) + 2h)" in table and "3 × (h × (i + h) + 2h)" in table
    assert "75.0%" in explorer.page.locator("#compare-notes .ratio").inner_text()
    explorer.assert_clean()


# -- 2. the prediction as it forms (explorer) ----------------------------------------------------


def test_prediction_by_step_marks_the_step_that_moved_it_most(
    explorer: ExplorerPage, api: httpx.Client
) -> None:
    explorer.open(f"?{_query('sentiment-en-lstm', EN_SENTENCE)}")
    trace = api.post("/api/v1/models/sentiment-en-lstm/trace", json={"input": EN_SENTENCE}).json()
    series = [step["positive_probability"] for step in trace["step_predictions"]]
    changes = [abs(series[t] - series[t - 1]) for t in range(1, len(series))]
    tipped = 1 + changes.index(max(changes))
    explorer.page.wait_for_function(
        "() => document.querySelector('[data-testid=prediction-by-step]').dataset.tippingStep",
        timeout=10_000,
    )
    chart = figure(explorer, "prediction-by-step")
    assert chart["data"][0]["y"] == series  # the chart plots exactly the API's series
    marks = [note for note in chart["annotations"] if note.get("name") == "tipping-step"]
    assert [note["x"] for note in marks] == [tipped + 1]
    assert f"“{trace['tokens'][tipped]}” tipped it" in marks[0]["text"]
    shapes = [shape for shape in chart["shapes"] if shape.get("name") == "tipping-step"]
    assert [(shape["x0"], shape["x1"]) for shape in shapes] == [(tipped + 0.5, tipped + 1.5)]
    explorer.assert_clean()


def _query(model: str, text: str) -> str:
    from urllib.parse import urlencode

    return urlencode({"model": model, "input": text})


# -- 3. vanishing gradient ----------------------------------------------------------------------


def test_gradient_plot_is_the_sensitivity_api_on_a_log_scale(
    explorer: ExplorerPage, api: httpx.Client
) -> None:
    open_teaching_page(explorer, teaching_url("/gradient", "sentiment-en-rnn", EN_SENTENCE))
    payload = post(api, "sentiment-en-rnn", "sensitivity", {"input": EN_SENTENCE})
    sensitivity = figure(explorer, "gradient-plot")
    retention = figure(explorer, "retention-plot")
    assert sensitivity["yaxis"]["type"] == "log" and retention["yaxis"]["type"] == "log"
    plotted = traces_by(sensitivity, "model")
    kept = traces_by(retention, "model")
    assert list(plotted) == ["sentiment-en-rnn", "sentiment-en-lstm", "sentiment-en-gru"]
    assert list(kept) == ["sentiment-en-lstm", "sentiment-en-gru"]
    for run in payload["runs"]:
        x, y = on_axis(run["positions"], run["sensitivity"])
        assert (plotted[run["model"]]["x"], plotted[run["model"]]["y"]) == (x, y)
        if run["retention"] is not None:
            x, y = on_axis(run["positions"], run["retention"])
            assert (kept[run["model"]]["x"], kept[run["model"]]["y"]) == (x, y)
    rnn = payload["runs"][0]["sensitivity"]
    assert rnn[-1] > rnn[0]  # the last step reaches h_T more strongly than the first
    explorer.assert_clean()


# -- 4. saturation --------------------------------------------------------------------------------


def test_saturation_point_click_opens_that_unit_in_the_explorer(
    explorer: ExplorerPage, api: httpx.Client
) -> None:
    open_teaching_page(explorer, teaching_url("/saturation", "weather-lstm", WEATHER_ROWS))
    payload = post(api, "weather-lstm", "saturation", {"input": WEATHER_ROWS})
    fig = figure(explorer, "saturation-plot")
    shown = sorted(
        (c[0], c[1], trace["meta"]["gate"], c[2], x, y)
        for trace in fig["data"]
        for c, x, y in zip(trace["customdata"], trace["x"], trace["y"], strict=True)
    )
    expected = sorted(
        (p["layer"], p["direction"], p["gate"], p["unit"], p["left"], p["right"])
        for p in payload["points"]
    )
    assert shown == expected
    assert {trace["meta"]["gate"] for trace in fig["data"]} == {"input", "forget", "output"}

    # Click a point that sits alone at its place (the upper layer's first, if it has one), so the
    # click can only mean that unit.
    places = [(s[4], s[5]) for s in shown]
    alone = [s for s in shown if places.count((s[4], s[5])) == 1]
    layer, direction, gate, unit, left, right = max(alone, key=lambda s: s[0])
    box = explorer.testid("saturation-plot").bounding_box()
    px = explorer.page.evaluate(
        "([x, y]) => { const gd = document.querySelector('[data-testid=saturation-plot]');"
        " const l = gd._fullLayout;"
        " return [l.xaxis._offset + l.xaxis.l2p(x), l.yaxis._offset + l.yaxis.l2p(y)]; }",
        [left, right],
    )
    explorer.page.mouse.click(box["x"] + px[0], box["y"] + px[1])
    explorer.page.wait_for_url("**/?*unit=*", timeout=10_000)
    query = parse_qs(urlparse(explorer.page.url).query)
    assert query["model"] == ["weather-lstm"]
    assert query["input"] == [numbers_text(WEATHER_ROWS)]
    assert (query["unit"], query["layer"]) == ([str(unit + 1)], [str(layer + 1)])
    explorer.wait_idle()
    state = explorer.state()
    assert (state["unit"], state["layer"], state["direction"]) == (unit + 1, layer + 1, direction)
    explorer.assert_clean()


# -- 5. padding -----------------------------------------------------------------------------------


def test_padding_view_three_predictions_and_gate_changes_equal_the_api(
    explorer: ExplorerPage, api: httpx.Client
) -> None:
    sentence = "what a boring film"
    open_teaching_page(explorer, teaching_url("/padding", "sentiment-en-gru", sentence))
    payload = post(api, "sentiment-en-gru", "padding", {"input": sentence})
    assert [run["variant"] for run in payload["runs"]] == ["pre", "post", "masked"]
    for run in payload["runs"]:
        variant = run["variant"]
        shown = explorer.testid(f"padding-prediction-{variant}").get_attribute("data-value")
        assert float(shown) == prediction_number(run["prediction"])
        changes = traces_by(figure(explorer, f"padding-change-{variant}"), "series")
        assert {name: trace["y"] for name, trace in changes.items()} == run["change"]
        hidden = figure(explorer, f"padding-hidden-{variant}")
        assert hidden["data"][0]["z"] == units_by_steps(run["hidden"])
    cells = explorer.page.locator("[data-testid=padding-summary] td[data-series]")
    table = cells.evaluate_all(
        "els => els.map(e => [e.dataset.variant, e.dataset.series, e.dataset.where,"
        " e.dataset.value])"
    )
    expected = []
    for name in payload["runs"][0]["change"]:
        for run in payload["runs"]:
            expected.append([run["variant"], name, "pad", _js(run["pad_change"][name])])
            expected.append([run["variant"], name, "word", _js(run["word_change"][name])])
    assert table == expected
    trained = explorer.page.locator(".padding-column.variant-pre .badge")
    assert trained.count() == 1  # the shipped models pad in front, as Keras does
    explorer.assert_clean()


def _js(value: float | None) -> str:
    """How JavaScript's String() writes a number from the API's JSON."""
    if value is None:
        return "null"
    return repr(value) if value != int(value) else str(int(value))


def test_padding_view_explains_why_a_numbers_model_has_none(explorer: ExplorerPage) -> None:
    open_teaching_page(explorer, teaching_url("/padding", "weather-gru", WEATHER_ROWS), state="na")
    message = explorer.testid("teaching-message")
    assert message.get_attribute("data-reason") == "padding_needs_text"
    assert "pick a text model" in message.inner_text()
    assert not explorer.testid("padding-result").is_visible()
    assert not [url for url in explorer.requests if url.endswith("/padding")]
    explorer.assert_clean()


# -- 6. stacking and state ------------------------------------------------------------------------


def test_state_view_stack_and_carry_switch_show_the_api_runs(
    explorer: ExplorerPage, api: httpx.Client
) -> None:
    open_teaching_page(explorer, teaching_url("/state", "weather-gru", WEATHER_ROWS))
    payload = post(api, "weather-gru", "state", {"input": WEATHER_ROWS})
    assert payload["split"] == 4
    stack = payload["stack"]
    assert figure(explorer, "state-inputs")["data"][0]["z"] == units_by_steps(stack["inputs"])
    for index, layer in enumerate(stack["layers"], start=1):
        assert figure(explorer, f"state-layer-{index}")["data"][0]["z"] == units_by_steps(
            layer["outputs"]
        )
    assert figure(explorer, "state-final")["data"][0]["y"] == stack["final_hidden"]
    for index, step in enumerate(stack["head"], start=1):
        assert figure(explorer, f"state-head-{index}")["data"][0]["y"] == step["outputs"]

    def parts() -> dict[str, Any]:
        return traces_by(figure(explorer, "state-carry-plot"), "part")

    for name in ("whole", "first", "carried", "fresh"):
        part = payload[name]
        series = [prediction_number(step) for step in part["step_predictions"]]
        assert parts()[name]["y"] == series
        first = part["start"] + 1
        assert parts()[name]["x"] == list(range(first, first + part["steps"]))
    box = explorer.testid("state-prediction")
    assert box.get_attribute("data-mode") == "carried"
    assert float(box.get_attribute("data-value")) == payload["carried"]["prediction"]["value"]
    assert "equals the whole input" in box.inner_text()
    hidden = figure(explorer, "state-second-hidden")
    assert hidden["data"][0]["z"] == units_by_steps(payload["carried"]["hidden"])

    before = renders(explorer)
    explorer.testid("state-carry").uncheck()
    wait_teaching_page(explorer, before)
    assert box.get_attribute("data-mode") == "fresh"
    assert float(box.get_attribute("data-value")) == payload["fresh"]["prediction"]["value"]
    assert figure(explorer, "state-second-hidden")["data"][0]["z"] == units_by_steps(
        payload["fresh"]["hidden"]
    )
    explorer.page.wait_for_url("**carry=0**", timeout=5_000)
    explorer.assert_clean()


def test_state_view_explains_why_a_text_model_has_none(explorer: ExplorerPage) -> None:
    open_teaching_page(
        explorer, teaching_url("/state", "sentiment-ko-gru", "정말 재미있어요"), state="na"
    )
    assert explorer.testid("teaching-message").get_attribute("data-reason") == "state_needs_numbers"
    explorer.assert_clean()


# -- links, language, token ---------------------------------------------------------------------


def test_links_carry_model_and_input_from_the_explorer_through_every_view(
    explorer: ExplorerPage,
) -> None:
    explorer.open(f"?{_query('sentiment-en-lstm', EN_SENTENCE)}")
    chain = [
        ("compare", "compare-result", "ready"),
        ("gradient", "gradient-result", "ready"),
        ("saturation", "saturation-result", "ready"),
        ("padding", "padding-result", "ready"),
        ("state", "teaching-message", "na"),  # a sentence: the state view says why it has none
        ("whatif", "whatif-result", "ready"),
    ]
    for view, testid, state in chain:
        explorer.testid(f"link-{view}").click()
        explorer.page.wait_for_url(f"**/{view}?**", timeout=10_000)
        wait_teaching_page(explorer, 0, state)
        query = parse_qs(urlparse(explorer.page.url).query)
        assert (query["model"], query["input"]) == (["sentiment-en-lstm"], [EN_SENTENCE])
        assert explorer.testid(testid).is_visible()
        assert explorer.testid("teaching-input").input_value() == EN_SENTENCE
        assert explorer.testid(f"link-{view}").get_attribute("aria-current") == "page"
    explorer.testid("link-explorer").click()
    explorer.page.wait_for_url("**/?**", timeout=10_000)
    explorer.wait_idle()
    assert explorer.state()["model"] == "sentiment-en-lstm"
    assert explorer.testid("sequence-input").input_value() == EN_SENTENCE
    explorer.assert_clean()


def test_views_speak_korean_and_switch_language(open_page: Any, live_server: Any) -> None:
    page = open_page(live_server.url, locale="ko-KR")
    open_teaching_page(
        page, teaching_url("/gradient", "sentiment-ko-lstm", "정말 재미있는 영화였어요")
    )
    explain = page.page.locator(".explain-text")
    assert "기울기 소실" in explain.inner_text()
    assert page.testid("link-compare").inner_text() == "셀 비교"
    page.testid("lang-toggle").click()
    page.page.wait_for_function("() => document.documentElement.lang === 'en'")
    assert "vanishing gradient" in explain.inner_text()
    assert page.testid("link-compare").inner_text() == "Compare cells"
    page.assert_clean()


def test_view_asks_for_the_token_when_the_server_wants_one(
    start_server: Any, open_page: Any
) -> None:
    server = start_server({"GATESCOPE_TOKEN": "classroom-secret"})
    page = open_page(server.url)
    page.page.goto(page.origin + teaching_url("/compare", "sentiment-en-gru", EN_SENTENCE))
    page.page.wait_for_function("() => document.body.dataset.state === 'token'", timeout=20_000)
    page.testid("token-input").fill("classroom-secret")
    page.testid("token-submit").click()
    wait_teaching_page(page, 0)
    assert page.testid("compare-result").is_visible()
    page.assert_clean(allow_status=(401,))

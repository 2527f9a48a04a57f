"""Real chain models in real Chromium: the tiny zoo's trained-shape chains served by `tiny_server`
(tests/conftest.py), not hand-built payloads. tiny-chain-classes is Bidirectional LSTM(5) ->
GRU(3) -> Dense(4, softmax); tiny-chain-series is GRU(4, reset_after=False) -> LSTM(3) x 2.
Every number the page shows must be the API's."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from browser.conftest import ExplorerPage

SENTENCE = "a great film and a good plot"
ROWS = [[10.0, 1000.0], [11.0, 1001.0], [12.0, 1003.0], [13.0, 1002.0], [9.0, 999.0]]
NUMBERS = "\n".join(", ".join(f"{value:g}" for value in row) for row in ROWS)
DISPLAY = 0.0005 + 1e-9  # three decimals
GATES = {
    "lstm": ["input", "forget", "candidate", "output"],
    "gru": ["reset", "update", "candidate"],
}


@pytest.fixture
def tiny(open_page: Any, tiny_server: Any) -> ExplorerPage:
    return open_page(tiny_server.url)


@pytest.fixture
def tiny_api(tiny_server: Any) -> Any:
    with httpx.Client(base_url=tiny_server.url, timeout=30) as client:
        yield client


def fetch_trace(api: httpx.Client, model: str, raw: Any) -> dict[str, Any]:
    return api.post(f"/api/v1/models/{model}/trace", json={"input": raw}).raise_for_status().json()


def open_model(page: ExplorerPage, model: str, text: str) -> None:
    page.open("?" + urlencode({"model": model, "input": text}))
    page.page.wait_for_function("() => Number(document.body.dataset.renders) > 0")


def units_by_steps(matrix: list[list[float | None]]) -> list[list[float | None]]:
    return [list(column) for column in zip(*matrix, strict=True)]


def test_a_bilstm_gru_chain_offers_every_layer_and_draws_each_by_its_own_gates(
    tiny: ExplorerPage, tiny_api: httpx.Client
) -> None:
    payload = fetch_trace(tiny_api, "tiny-chain-classes", SENTENCE)
    open_model(tiny, "tiny-chain-classes", SENTENCE)
    options = tiny.testid("layer-select").locator("option")
    assert options.all_inner_texts() == [
        "Block 1 · LSTM layer 1 · forward →",
        "Block 1 · LSTM layer 1 · ← backward",
        "Block 2 · GRU layer 1 · forward →",
    ]
    for index, layer in enumerate(payload["layers"]):
        tiny.testid("layer-select").select_option(str(index))
        tiny.wait_shown(layer=layer["layer"] + 1, direction=layer["direction"])
        kind = layer["kind"]
        drawn = tiny.page.evaluate(
            "() => [...document.querySelectorAll('[data-testid^=gate-plot-]')]"
            ".map(e => e.dataset.testid.replace('gate-plot-', ''))"
        )
        assert drawn == GATES[kind], (index, drawn)
        for gate in GATES[kind]:
            assert tiny.plot(f"gate-plot-{gate}")["z"] == units_by_steps(layer["gates"][gate])
        assert tiny.plot("hidden-plot")["z"] == units_by_steps(layer["hidden"])
        assert (tiny.page.locator("[data-testid=cell-plot]").count() == 1) == (kind == "lstm")
        panel = tiny.testid("equation-panel")
        assert panel.get_attribute("data-cell") == kind
        assert panel.get_attribute("data-block") == str(layer["block"] + 1)
    tiny.assert_clean()


def test_the_four_class_head_shows_the_apis_probabilities(
    tiny: ExplorerPage, tiny_api: httpx.Client
) -> None:
    payload = fetch_trace(tiny_api, "tiny-chain-classes", SENTENCE)
    open_model(tiny, "tiny-chain-classes", SENTENCE)
    tiny.page.keyboard.press("End")
    tiny.wait_shown(step=payload["steps"])
    box = tiny.testid("prediction")
    assert box.get_attribute("data-task") == "classification"
    assert box.get_attribute("data-label") == payload["prediction"]["label"]
    bars = tiny.testid("prediction-classes").locator("[data-testid=prediction-class]")
    shown = [
        (
            bars.nth(i).get_attribute("data-label"),
            float(bars.nth(i).get_attribute("data-probability")),
        )
        for i in range(bars.count())
    ]
    expected = [(item["label"], item["probability"]) for item in payload["prediction"]["classes"]]
    assert sorted(shown) == sorted(expected)
    assert {label for label, _ in shown} == {"sad", "calm", "happy", "angry"}
    tiny.assert_clean()


def test_the_notes_gru_under_a_stacked_lstm_shows_each_layers_own_equations(
    tiny: ExplorerPage, tiny_api: httpx.Client
) -> None:
    payload = fetch_trace(tiny_api, "tiny-chain-series", ROWS)
    open_model(tiny, "tiny-chain-series", NUMBERS)
    step, unit = 3, 2
    tiny.page.keyboard.press("Home")
    for _ in range(step - 1):
        tiny.page.keyboard.press("ArrowRight")
    tiny.wait_shown(step=step)
    tiny.testid("layer-select").select_option("0")
    tiny.wait_shown(layer=1)
    gru = payload["layers"][0]
    assert gru["kind"] == "gru" and gru["reset_after"] is False
    # follow unit 2 (the page counts units from 1)
    tiny.page.evaluate(
        "(u) => { const url = new URL(location.href); url.searchParams.set('unit', u);"
        " history.pushState(null, '', url); dispatchEvent(new PopStateEvent('popstate')); }",
        unit,
    )
    tiny.wait_shown(unit=unit)
    panel = tiny.testid("equation-panel")
    assert (panel.get_attribute("data-cell"), panel.get_attribute("data-reset-after")) == (
        "gru",
        "false",
    )
    assert tiny.testid("gru-reset-before").count() == 1
    values = tiny.equation()["values"]
    s, k = step - 1, unit - 1
    r, z, n = (gru["gates"][g][s][k] for g in ("reset", "update", "candidate"))
    h, h_prev = gru["hidden"][s][k], gru["hidden"][s - 1][k]
    assert (values["r"], values["z"], values["n"], values["h"], values["h_prev"]) == (
        r,
        z,
        n,
        h,
        h_prev,
    )
    shown = tiny.equation()["shown"]
    assert abs(shown["r_h"] - r * h_prev) <= DISPLAY
    assert abs(h - ((1 - z) * n + z * h_prev)) <= DISPLAY  # the real numbers obey the equation
    assert tiny.page.locator("[data-testid=equation-panel] .check.ok").count() >= 1
    assert tiny.page.locator("[data-testid=equation-panel] .check.off").count() == 0

    for index in (1, 2):
        tiny.testid("layer-select").select_option(str(index))
        tiny.wait_shown(layer=index + 1)
        lstm = payload["layers"][index]
        assert panel.get_attribute("data-cell") == "lstm"
        assert panel.get_attribute("data-block") == "2"
        values = tiny.equation()["values"]
        assert values["f"] == lstm["gates"]["forget"][s][k]
        assert values["c"] == lstm["cell"][s][k]
        assert values["c_prev"] == lstm["cell"][s - 1][k]
        assert tiny.testid("gru-reset-before").count() == 0
        assert tiny.page.locator("[data-testid=equation-panel] .check.off").count() == 0
    tiny.assert_clean()


def test_the_model_picker_groups_models_by_task_and_input(tiny: ExplorerPage) -> None:
    tiny.open()
    groups = tiny.page.evaluate(
        "() => [...document.querySelectorAll('[data-testid=model-select] optgroup')]"
        ".map(g => [g.label, [...g.querySelectorAll('option')].map(o => o.value)])"
    )
    assert groups == [
        ["Sentiment · English text", ["tiny-text-bilstm", "tiny-text-gru"]],
        ["Classification · English text", ["tiny-chain-classes"]],
        [
            "Regression · numbers",
            ["tiny-chain-series", "tiny-numbers-lstm", "tiny-series-birnn"],
        ],
    ]
    chain = tiny.page.locator("[data-testid=model-select] option[value=tiny-chain-classes]")
    assert chain.inner_text().endswith("BiLSTM(5) → GRU(3)")
    tiny.testid("lang-toggle").click()
    tiny.page.wait_for_function("() => document.documentElement.lang === 'ko'")
    labels = tiny.page.evaluate(
        "() => [...document.querySelectorAll('[data-testid=model-select] optgroup')]"
        ".map(g => g.label)"
    )
    assert labels == ["감성 분류 · 영어 문장", "다중 분류 · 영어 문장", "회귀 · 수치 시퀀스"]
    tiny.assert_clean()

"""The explorer page in real headless Chromium, checked against the API's own payloads."""

from __future__ import annotations

import math
import os
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from .conftest import ExplorerPage

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
KO_SENTENCE = "배우들 연기가 정말 좋았고 마지막 장면에서 울었어요"
EN_SENTENCE = "the movie was zzzqqq great"  # "zzzqqq" is out of the vocabulary
DISPLAY = 0.0005 + 1e-9  # three decimals


def fetch_trace(api: httpx.Client, model: str, raw: Any) -> dict[str, Any]:
    response = api.post(f"/api/v1/models/{model}/trace", json={"input": raw})
    response.raise_for_status()
    return response.json()


def units_by_steps(matrix: list[list[float | None]]) -> list[list[float | None]]:
    """API matrices are steps x units; a heatmap's z is units (rows) x steps (columns)."""
    return [list(column) for column in zip(*matrix, strict=True)]


def numbers_text(rows: list[list[float]]) -> str:
    return "\n".join(", ".join(f"{value:g}" for value in row) for row in rows)


def parse_numbers(text: str) -> list[list[float]]:
    return [
        [float(v) for v in line.replace(",", " ").split()]
        for line in text.splitlines()
        if line.strip()
    ]


def expected_equation(payload: dict[str, Any], layer: dict[str, Any], step: int, unit: int) -> dict:
    """What the equation panel must hold at 1-based step and unit (previous state from t-1)."""
    s, k = step - 1, unit - 1

    def prev(matrix: list[list[float]]) -> float:
        return 0 if s == 0 else matrix[s - 1][k]

    gates = layer["gates"]
    if payload["cell"] == "lstm":
        values = {
            "i": gates["input"][s][k],
            "f": gates["forget"][s][k],
            "g": gates["candidate"][s][k],
            "o": gates["output"][s][k],
            "c": layer["cell"][s][k],
            "c_prev": prev(layer["cell"]),
        }
    elif payload["cell"] == "gru":
        values = {
            "r": gates["reset"][s][k],
            "z": gates["update"][s][k],
            "n": gates["candidate"][s][k],
        }
    else:
        values = {}
    return {**values, "h": layer["hidden"][s][k], "h_prev": prev(layer["hidden"])}


def assert_equation_matches(
    page: ExplorerPage, payload: dict, layer_index: int, step: int, unit: int
):
    equation = page.equation()
    layer = payload["layers"][layer_index]
    assert (equation["step"], equation["unit"]) == (step, unit)
    assert equation["layer"] == layer["layer"] + 1
    expected = expected_equation(payload, layer, step, unit)
    assert equation["values"] == expected
    for key, shown in equation["shown"].items():
        if key in expected:
            assert abs(shown - expected[key]) <= DISPLAY, (key, shown, expected[key])
    # every substituted equation checks out on the page
    assert page.page.locator("[data-testid=equation-panel] .check.off").count() == 0


def click_heatmap_cell(page: ExplorerPage, name: str, step: int, unit: int) -> None:
    point = page.page.evaluate(
        """([name, step, unit]) => {
            const gd = document.querySelector(`[data-testid="${name}"]`);
            gd.scrollIntoView({block: "center"});
            const layout = gd._fullLayout;
            const box = gd.getBoundingClientRect();
            return {x: box.left + layout._size.l + layout.xaxis.l2p(step),
                    y: box.top + layout._size.t + layout.yaxis.l2p(unit)};
        }""",
        [name, step, unit],
    )
    # Leave the previous cell first, so its hover label is gone and cannot take this click.
    page.page.mouse.move(0, 0)
    page.page.mouse.move(point["x"], point["y"])
    page.page.mouse.click(point["x"], point["y"])


def blur(page: ExplorerPage) -> None:
    page.page.evaluate("() => document.activeElement && document.activeElement.blur()")


def token_cells(page: ExplorerPage) -> list[dict[str, str]]:
    return page.page.evaluate(
        """() => [...document.querySelectorAll('[data-testid=token-strip] .cell.token')].map(c => ({
            text: c.querySelector('.token-text').textContent,
            kind: [...c.classList].find(n => n.startsWith('kind-')).slice(5),
            current: c.classList.contains('current'),
        }))"""
    )


def test_korean_gru_sentence_shows_every_gate_tokens_and_korean_text(
    explorer: ExplorerPage, api: httpx.Client
) -> None:
    explorer.open()
    explorer.choose_model("sentiment-ko-gru")
    explorer.run(KO_SENTENCE)
    payload = fetch_trace(api, "sentiment-ko-gru", KO_SENTENCE)
    layer = payload["layers"][0]

    for gate in ("reset", "update", "candidate"):
        plot = explorer.plot(f"gate-plot-{gate}")
        assert plot["type"] == "heatmap"
        assert (len(plot["y"]), len(plot["x"])) == (layer["units"], payload["steps"])
        assert plot["z"] == units_by_steps(layer["gates"][gate])
    assert explorer.plot("hidden-plot")["z"] == units_by_steps(layer["hidden"])
    assert explorer.testid("cell-plot").count() == 0  # a GRU has no cell state
    assert explorer.testid("gate-plot-forget").count() == 0

    cells = token_cells(explorer)
    assert [cell["kind"] for cell in cells] == payload["token_kinds"]
    words = [cell["text"] for cell in cells if cell["kind"] == "word"]
    assert words == [
        tok
        for tok, kind in zip(payload["tokens"], payload["token_kinds"], strict=True)
        if kind == "word"
    ]
    first_real = next(k for k, kind in enumerate(payload["token_kinds"]) if kind != "pad")
    assert cells[first_real]["current"]  # a run starts at the first real token (issue 11)
    font = explorer.page.evaluate(
        "() => getComputedStyle("
        "document.querySelector('[data-testid=token-strip] .token-text')).fontFamily"
    )
    assert "Noto Sans CJK KR" in font

    # PyTorch's GRU against the class notes, said plainly in both languages.
    assert "1 − z" in explorer.testid("gru-notes").inner_text()
    explorer.testid("lang-toggle").click()
    assert explorer.testid("run-trace").inner_text() == "추적 실행"
    assert explorer.page.evaluate("() => document.documentElement.lang") == "ko"
    assert "노트" in explorer.testid("gru-notes").inner_text()
    explorer.page.reload()  # the URL re-runs the trace; the language is remembered
    explorer.wait_idle()
    assert explorer.testid("step-label").inner_text().startswith("스텝")
    assert explorer.plot("gate-plot-update")["z"] == units_by_steps(layer["gates"]["update"])
    explorer.assert_clean()


def test_english_lstm_player_slider_keys_units_and_equations(
    explorer: ExplorerPage, api: httpx.Client
) -> None:
    explorer.open()
    explorer.choose_model("sentiment-en-lstm")
    explorer.run(EN_SENTENCE)
    payload = fetch_trace(api, "sentiment-en-lstm", EN_SENTENCE)
    layer = payload["layers"][0]
    steps = payload["steps"]
    for gate in ("input", "forget", "candidate", "output"):
        assert explorer.plot(f"gate-plot-{gate}")["z"] == units_by_steps(layer["gates"][gate])
    assert explorer.plot("cell-plot")["z"] == units_by_steps(layer["cell"])
    assert explorer.plot("hidden-plot")["z"] == units_by_steps(layer["hidden"])
    assert [cell["kind"] for cell in token_cells(explorer)] == payload["token_kinds"]
    assert "oov" in payload["token_kinds"]

    # the run starts at the first real token (issue 11: not on a pad)
    first_real = next(k for k, kind in enumerate(payload["token_kinds"]) if kind != "pad") + 1
    assert explorer.step() == first_real
    explorer.page.keyboard.press("Home")

    # play advances; after pause no stale timer moves it again
    assert explorer.step() == 1
    explorer.testid("speed-select").select_option("4")
    explorer.testid("play-toggle").click()
    explorer.page.wait_for_function(
        "() => Number(document.querySelector('[data-testid=step-label]').dataset.step) >= 3"
    )
    explorer.testid("play-toggle").click()
    paused = explorer.step()
    explorer.page.wait_for_timeout(700)  # four intervals at 4x
    assert explorer.step() == paused
    assert explorer.state()["playing"] is False

    # the buttons, the slider and the keys
    explorer.testid("step-forward").click()
    explorer.testid("step-forward").click()
    explorer.testid("step-back").click()
    assert explorer.step() == paused + 1
    explorer.testid("step-slider").fill("10")
    assert explorer.step() == 10
    blur(explorer)
    explorer.page.keyboard.press("ArrowRight")
    assert explorer.step() == 11
    explorer.page.keyboard.press("ArrowLeft")
    explorer.page.keyboard.press("ArrowLeft")
    assert explorer.step() == 9
    explorer.page.keyboard.press("Home")
    assert explorer.step() == 1
    explorer.page.keyboard.press(" ")
    assert explorer.state()["playing"] is True
    explorer.page.keyboard.press(" ")
    assert explorer.state()["playing"] is False

    # the prediction appears at the last step, with the prediction as it formed
    assert explorer.testid("prediction").get_attribute("data-state") == "pending"
    explorer.page.keyboard.press("End")
    assert explorer.step() == steps
    prediction = explorer.testid("prediction")
    assert prediction.get_attribute("data-state") == "shown"
    assert payload["prediction"]["label"] in prediction.inner_text()
    assert f"{payload['prediction']['probability'] * 100:.1f}%" in prediction.inner_text()
    formed = explorer.plot("prediction-by-step")
    assert formed["y"] == [p["positive_probability"] for p in payload["step_predictions"]]

    # click a cell: follow that unit from that step; equations carry the API's numbers
    step, unit = steps - 3, 5
    click_heatmap_cell(explorer, "gate-plot-forget", step, unit)
    explorer.wait_shown(step=step, unit=unit)
    assert_equation_matches(explorer, payload, 0, step, unit)
    lines = explorer.page.evaluate(
        "() => document.querySelector('[data-testid=unit-plot]').data.map(d => [d.name, d.y])"
    )
    columns = {
        name: [row[unit - 1] for row in matrix]
        for name, matrix in (
            ("i", layer["gates"]["input"]),
            ("f", layer["gates"]["forget"]),
            ("g", layer["gates"]["candidate"]),
            ("o", layer["gates"]["output"]),
            ("c", layer["cell"]),
            ("h", layer["hidden"]),
        )
    }
    assert dict(lines) == columns
    explorer.page.keyboard.press("ArrowRight")
    assert_equation_matches(explorer, payload, 0, step + 1, unit)
    explorer.page.keyboard.press("Home")
    assert_equation_matches(explorer, payload, 0, 1, unit)  # c_0 = h_0 = 0
    explorer.assert_clean()


def test_weather_gru_numbers_and_its_second_layer(
    explorer: ExplorerPage, api: httpx.Client
) -> None:
    explorer.open()
    explorer.choose_model("weather-gru")
    hint = explorer.page.locator("#input-hint").inner_text()
    assert "precipitation" in hint and "10" in hint
    explorer.testid("example-select").select_option(index=1)
    rows = parse_numbers(explorer.testid("sequence-input").input_value())
    explorer.run()
    payload = fetch_trace(api, "weather-gru", rows)
    assert payload["steps"] == len(rows)

    scaled = explorer.page.evaluate(
        """() => [...document.querySelectorAll('[data-testid=token-strip] .cell.numbers')]
            .map(c => [...c.querySelectorAll('.scaled')].map(e => Number(e.textContent)))"""
    )
    assert len(scaled) == payload["steps"]
    for shown, row in zip(scaled, payload["scaled"], strict=True):
        assert all(abs(a - b) <= DISPLAY for a, b in zip(shown, row, strict=True))

    options = explorer.testid("layer-select").locator("option").all_inner_texts()
    assert options == ["Layer 1 · forward →", "Layer 2 · forward →"]
    explorer.testid("layer-select").select_option(label="Layer 2 · forward →")
    explorer.wait_shown(layer=2)
    top = payload["layers"][1]
    assert top["layer"] == 1
    for gate in ("reset", "update", "candidate"):
        assert explorer.plot(f"gate-plot-{gate}")["z"] == units_by_steps(top["gates"][gate])
    assert explorer.plot("hidden-plot")["z"] == units_by_steps(top["hidden"])
    assert_equation_matches(explorer, payload, 1, 1, 1)
    explorer.page.wait_for_function("() => location.search.includes('layer=2')")

    blur(explorer)
    explorer.page.keyboard.press("End")
    assert_equation_matches(explorer, payload, 1, payload["steps"], 1)
    prediction = explorer.testid("prediction").inner_text()
    assert payload["prediction"]["unit"] in prediction
    assert f"{payload['prediction']['value']:.2f}" in prediction
    explorer.assert_clean()


def test_url_round_trips_model_input_step_unit_and_layer(
    explorer: ExplorerPage, open_page: Any, api: httpx.Client, live_server: Any
) -> None:
    rows = api.get("/api/v1/models/weather-gru").json()["examples"][0]
    text = numbers_text(rows)
    query = urlencode({"model": "weather-gru", "input": text, "step": 6, "unit": 7, "layer": 2})
    explorer.open(f"?{query}")
    state = explorer.state()
    assert (state["model"], state["step"], state["unit"], state["layer"]) == (
        "weather-gru",
        6,
        7,
        2,
    )
    assert explorer.testid("sequence-input").input_value() == text
    assert explorer.testid("step-slider").input_value() == "6"
    payload = fetch_trace(api, "weather-gru", parse_numbers(text))
    assert_equation_matches(explorer, payload, 1, 6, 7)
    # the step marker sits exactly over step 6's column, as Plotly's own axis places it
    marker = explorer.page.evaluate(
        """() => {
            const gd = document.querySelector('[data-testid=gate-plot-update]');
            const cursor = gd.parentElement.querySelector('.mark-step');
            const box = cursor.getBoundingClientRect(), plot = gd.getBoundingClientRect();
            const layout = gd._fullLayout;
            const at = (x) => layout._size.l + layout.xaxis.l2p(x);
            return {step: cursor.dataset.step, from: at(5.5), to: at(6.5),
                    left: box.left - plot.left, right: box.right - plot.left};
        }"""
    )
    assert marker["step"] == "6"
    assert abs(marker["left"] - marker["from"]) < 1.5 and abs(marker["right"] - marker["to"]) < 1.5

    history = explorer.page.evaluate("() => history.length")
    blur(explorer)
    for _ in range(3):
        explorer.page.keyboard.press("ArrowRight")
    explorer.page.wait_for_function(
        "() => new URLSearchParams(location.search).get('step') === '9'"
    )
    assert explorer.page.evaluate("() => history.length") == history  # replaceState, not push

    shared_url = explorer.page.url

    # a new input is a new history entry; back returns to the shared view
    explorer.run(numbers_text(rows[:4]))
    assert explorer.state()["step"] == 1
    before = explorer.renders()
    explorer.page.go_back()
    explorer.wait_render(before)
    back = explorer.state()
    assert (back["step"], back["unit"], back["layer"], back["input"]) == (9, 7, 2, text)

    shared = open_page(live_server.url)
    shared.page.goto(shared_url)
    shared.wait_idle()
    again = shared.state()
    assert (again["model"], again["step"], again["unit"], again["layer"]) == (
        "weather-gru",
        9,
        7,
        2,
    )
    assert_equation_matches(shared, payload, 1, 9, 7)
    shared.assert_clean()
    explorer.assert_clean()


def test_bad_inputs_show_the_problem_in_words_at_its_place(explorer: ExplorerPage) -> None:
    explorer.open("?model=weather-gru")
    explorer.page.wait_for_function(
        "() => document.querySelector('[data-testid=example-select]')"
        ".dataset.model === 'weather-gru'"
    )
    error = explorer.testid("error-message")

    # the API's 422: step 2 has three values where the model reads four
    explorer.testid("sequence-input").fill("1, 2, 3, 4\n5, 6, 7\n8, 9, 10, 11")
    explorer.testid("run-trace").click()
    error.wait_for(state="visible")
    assert "Step 2" in error.inner_text()
    assert "input[1]" in error.inner_text()
    assert "4" in error.locator(".error-text").inner_text()
    assert error.locator("mark").inner_text() == "5, 6, 7"

    # NaN: the API names the exact value, shown as step 2, value 2
    explorer.testid("sequence-input").fill("1, 2, 3, 4\n5, nan, 7, 8")
    explorer.testid("run-trace").click()
    explorer.page.wait_for_function(
        "() => document.querySelector('[data-testid=error-message]')"
        ".innerText.includes('Step 2, value 2')"
    )
    assert error.locator("mark").inner_text() == "nan"

    # not a number at all: caught before any request, pointed at the same way
    explorer.testid("sequence-input").fill("1, 2, 3, 4\n5, 6, x7, 8")
    explorer.testid("run-trace").click()
    error.wait_for(state="visible")
    assert "Step 2, value 3" in error.inner_text()
    assert "x7" in error.inner_text()
    assert error.locator("mark").inner_text() == "x7"

    # an empty sentence
    explorer.choose_model("sentiment-en-lstm")
    explorer.testid("sequence-input").fill("   ")
    explorer.testid("run-trace").click()
    error.wait_for(state="visible")
    assert "empty" in error.inner_text()
    assert explorer.renders() == 0
    explorer.assert_clean(allow_status=(422,))

    # a shared link to a model this server does not have
    explorer.open("?model=no-such-model&input=hello")
    error.wait_for(state="visible")
    assert "no-such-model" in error.inner_text()
    explorer.assert_clean(allow_status=(422,))


def test_token_box_when_the_server_wants_an_access_token(start_server: Any, open_page: Any) -> None:
    server = start_server({"GATESCOPE_TOKEN": "classroom-secret"})
    page = open_page(server.url)
    page.open()
    box = page.testid("token-box")
    box.wait_for(state="visible")
    page.testid("token-input").fill("wrong")
    page.testid("token-submit").click()
    page.page.wait_for_function("() => document.getElementById('token-message').textContent !== ''")
    assert box.is_visible()
    page.testid("token-input").fill("classroom-secret")
    page.testid("token-submit").click()
    page.page.wait_for_function(
        "() => !document.querySelector('[data-testid=model-select]').disabled"
    )
    page.choose_model("sentiment-en-gru")
    page.run()
    assert page.plot("gate-plot-update") is not None
    assert (
        page.page.evaluate("() => sessionStorage.getItem('gatescope.token')") == "classroom-secret"
    )
    page.assert_clean(allow_status=(401,))


def test_bidirectional_stacked_trace_labels_every_layer_and_direction(
    explorer: ExplorerPage, api: httpx.Client
) -> None:
    rows = [[math.sin(i / 3), math.cos(i / 5), (i % 4) / 4] for i in range(12)]
    body = {
        "cell": "gru",
        "input_size": 3,
        "hidden_size": 8,
        "num_layers": 2,
        "bidirectional": True,
        "seed": 1,
        "input": rows,
    }
    payload = api.post("/api/v1/trace", json=body).raise_for_status().json()
    explorer.open()
    explorer.show_payload(payload)
    options = explorer.testid("layer-select").locator("option").all_inner_texts()
    assert options == [
        "Layer 1 · forward →",
        "Layer 1 · ← backward",
        "Layer 2 · forward →",
        "Layer 2 · ← backward",
    ]
    explorer.testid("layer-select").select_option(label="Layer 2 · ← backward")
    explorer.wait_shown(layer=2, direction="backward")
    index = next(
        i
        for i, layer in enumerate(payload["layers"])
        if (layer["layer"], layer["direction"]) == (1, "backward")
    )
    layer = payload["layers"][index]
    assert explorer.plot("hidden-plot")["z"] == units_by_steps(layer["hidden"])
    assert explorer.plot("gate-plot-reset")["z"] == units_by_steps(layer["gates"]["reset"])

    # the backward direction's previous state is step t+1; at the last step, the zero state
    click_heatmap_cell(explorer, "hidden-plot", 5, 2)
    explorer.wait_shown(step=5, unit=2)
    equation = explorer.equation()
    where = (equation["layer"], equation["direction"], equation["step"], equation["unit"])
    assert where == (2, "backward", 5, 2)
    assert equation["values"]["h"] == layer["hidden"][4][1]
    assert equation["values"]["h_prev"] == layer["hidden"][5][1]
    assert "t+1" in explorer.testid("equation-panel").inner_text()
    explorer.testid("step-slider").fill("12")
    explorer.wait_shown(step=12)
    assert explorer.equation()["values"]["h_prev"] == 0
    assert explorer.page.locator("[data-testid=equation-panel] .check.off").count() == 0
    explorer.assert_clean()


def test_relu_rnn_shows_relu_in_its_equation_and_a_zero_based_hidden_range(
    explorer: ExplorerPage, api: httpx.Client
) -> None:
    rows = [[math.sin(i / 2), (i % 3) / 3] for i in range(8)]
    body = {
        "cell": "rnn",
        "nonlinearity": "relu",
        "input_size": 2,
        "hidden_size": 6,
        "num_layers": 1,
        "bidirectional": False,
        "seed": 3,
        "input": rows,
    }
    payload = api.post("/api/v1/trace", json=body).raise_for_status().json()
    assert payload["nonlinearity"] == "relu"
    explorer.open()
    explorer.show_payload(payload)
    hidden = explorer.plot("hidden-plot")
    assert hidden["z"] == units_by_steps(payload["layers"][0]["hidden"])
    zmin, zmax = explorer.page.evaluate(
        "() => { const d = document.querySelector('[data-testid=hidden-plot]').data[0];"
        " return [d.zmin, d.zmax]; }"
    )
    assert zmin == 0 and zmax >= 1  # relu h is never negative: no blue half of a -1..1 scale
    assert "relu" in explorer.testid("equation-panel").inner_text()
    explorer.assert_clean()


def test_render_and_step_timings_for_200_steps_of_64_units(
    explorer: ExplorerPage, api: httpx.Client
) -> None:
    rows = [[math.sin(i / 7), math.cos(i / 11), (i % 10) / 10, 0.5] for i in range(200)]
    body = {
        "cell": "lstm",
        "input_size": 4,
        "hidden_size": 64,
        "num_layers": 1,
        "bidirectional": False,
        "seed": 0,
        "input": rows,
    }
    payload = api.post("/api/v1/trace", json=body).raise_for_status().json()
    explorer.open()
    start = time.perf_counter()
    explorer.show_payload(payload)  # the run button, answered with this payload
    rendered = (time.perf_counter() - start) * 1000
    timings = explorer.page.evaluate(
        """async () => {
            const frame = () =>
                new Promise((done) => requestAnimationFrame(() => setTimeout(done, 0)));
            const slider = document.querySelector('[data-testid=step-slider]');
            const seek = (step) => {
                slider.value = String(step);
                slider.dispatchEvent(new Event("input", {bubbles: true}));
            };
            const steps = [];
            for (const step of [100, 101, 102, 103, 150, 20, 199, 200]) {
                const begin = performance.now();
                seek(step);
                steps.push(performance.now() - begin);
            }
            const begin = performance.now();
            seek(50);
            await frame();
            return {steps, stepPainted: performance.now() - begin};
        }"""
    )
    timings["rendered"] = rendered
    steps = sorted(timings["steps"])
    print(
        f"\n200 steps x 64 units (LSTM, 6 heatmaps): run to rendered {timings['rendered']:.0f} ms; "
        f"step change median "
        f"{steps[len(steps) // 2]:.1f} ms, max {steps[-1]:.1f} ms "
        f"({timings['stepPainted']:.1f} ms to the next frame)"
    )
    plot = explorer.plot("gate-plot-forget")
    assert (len(plot["z"]), len(plot["z"][0])) == (64, 200)
    assert explorer.step() == 50
    explorer.assert_clean()


def test_screenshot_of_the_korean_gru_at_a_middle_step(
    open_page: Any, live_server: Any, tmp_path: Path
) -> None:
    """docs/screenshot.png: set GATESCOPE_UPDATE_SCREENSHOT=1 to write it; else only tmp_path."""
    page = open_page(live_server.url, locale="ko-KR")
    query = urlencode({"model": "sentiment-ko-gru", "input": KO_SENTENCE, "step": 33, "unit": 3})
    page.open(f"?{query}")
    assert page.testid("run-trace").inner_text() == "추적 실행"  # navigator.language picks Korean
    page.page.wait_for_timeout(300)  # let the token strip's transition settle
    update = os.environ.get("GATESCOPE_UPDATE_SCREENSHOT") == "1"
    target = REPO / "docs" / "screenshot.png" if update else tmp_path / "screenshot.png"
    target.parent.mkdir(parents=True, exist_ok=True)
    page.page.screenshot(path=str(target))
    assert target.stat().st_size > 50_000
    page.assert_clean()

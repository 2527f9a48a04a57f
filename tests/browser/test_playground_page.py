"""The playground page (issue 14) in real Chromium: the URL sets every control and a link
reproduces the run, step / play / pause drive training (pause stops it on the server), the
checkpoint slider shows past gates, and nothing leaves the origin."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.browser

QUERY = "?task=dyck1&size=8&cell=gru&hidden=3&layers=1&opt=adam&lr=0.05&batch=8&seed=3"


@pytest.fixture(scope="module")
def server(start_server: Callable[..., Any], tiny_models_dir: Path) -> Any:
    return start_server({"GATESCOPE_MODELS_DIR": str(tiny_models_dir)})


def body(page: Any, key: str) -> str | None:
    return page.evaluate("(key) => document.body.dataset[key] ?? null", key)


def points(page: Any, testid: str) -> int:
    """How many points the first curve of a Plotly chart holds."""
    return int(
        page.evaluate(
            '(id) => document.querySelector(`[data-testid="${id}"]`).data[0].x.length', testid
        )
    )


def test_play_pause_step_slider_and_url_round_trip(server: Any, open_page: Any) -> None:
    tab = open_page(server.url)
    page = tab.page
    page.goto(f"{server.url}/playground{QUERY}")
    page.wait_for_function("() => Number(document.body.dataset.renders) >= 1", timeout=30_000)
    assert tab.testid("pg-task").input_value() == "dyck1"
    assert tab.testid("pg-cell").input_value() == "gru"
    assert tab.testid("pg-seed").input_value() == "3"
    assert page.url.endswith(QUERY)
    assert tab.testid("pg-heat-gru-1-update").count() == 1
    first_run = body(page, "run")

    tab.testid("pg-step").click()
    page.wait_for_function("() => document.body.dataset.step === '1'")

    tab.testid("pg-play").click()
    page.wait_for_function("() => document.body.dataset.playing === 'true'")
    renders = int(body(page, "renders") or 0)
    page.wait_for_function(
        "(n) => Number(document.body.dataset.renders) >= n + 2"
        " && Number(document.body.dataset.step) > 1",
        arg=renders,
        timeout=30_000,
    )
    assert body(page, "live") == "stream"  # the event stream, not the POST fallback
    curve_before, heat_before = points(page, "pg-loss"), int(body(page, "traceStep") or 0)
    # keep playing past the second checkpoint (every 100 steps) so the slider has a past one
    page.wait_for_function(
        "() => Number(document.querySelector('[data-testid=pg-checkpoint]').max) >= 1",
        timeout=60_000,
    )
    page.wait_for_function(  # the loss curves grow and the heatmaps follow the latest step
        "([curve, heat]) => document.querySelector('[data-testid=pg-loss]').data[0].x.length"
        " > curve && Number(document.body.dataset.traceStep) > heat",
        arg=[curve_before, heat_before],
        timeout=30_000,
    )
    assert body(page, "checkpoint") == "live"
    page.keyboard.press("Space")  # the keyboard pauses too
    page.wait_for_function("() => document.body.dataset.playing === 'false'")
    page.wait_for_timeout(1500)  # a chunk in flight may land on the server
    with httpx.Client(base_url=server.url) as http:
        stopped = http.get(f"/api/v1/playground/runs/{first_run}").json()["step"]
        page.wait_for_timeout(1200)
        assert http.get(f"/api/v1/playground/runs/{first_run}").json()["step"] == stopped

    slider = tab.testid("pg-checkpoint")
    slider.focus()
    page.keyboard.press("Home")
    page.wait_for_function("() => document.body.dataset.checkpoint === '0'")
    assert tab.testid("pg-checkpoint-label").text_content() == "step 0"
    assert body(page, "traceStep") == "0"  # the heatmaps show the weights at step 0

    tab.testid("pg-hidden").fill("4")
    tab.testid("pg-hidden").dispatch_event("change")
    page.wait_for_function("() => window.location.search.includes('hidden=4')")
    page.wait_for_function("(old) => document.body.dataset.run !== old", arg=first_run)

    again = open_page(server.url)  # the link reproduces the configuration
    again.page.goto(page.url)
    again.page.wait_for_function("() => Number(document.body.dataset.renders) >= 1")
    assert again.testid("pg-hidden").input_value() == "4"
    assert again.page.url == page.url
    tab.assert_clean()
    again.assert_clean()


def test_with_a_token_play_trains_by_posts(
    start_server: Callable[..., Any], open_page: Any
) -> None:
    """An EventSource cannot send the token: the page falls back to POST .../train calls."""
    server = start_server({"GATESCOPE_TOKEN": "classroom-secret"})
    tab = open_page(server.url)
    page = tab.page
    page.add_init_script("sessionStorage.setItem('gatescope.token', 'classroom-secret')")
    page.goto(f"{server.url}/playground{QUERY}")
    page.wait_for_function("() => Number(document.body.dataset.renders) >= 1", timeout=30_000)
    tab.testid("pg-play").click()
    page.wait_for_function(
        "() => Number(document.body.dataset.renders) >= 3"
        " && Number(document.body.dataset.step) > 1",
        timeout=30_000,
    )
    assert body(page, "live") == "poll"
    assert body(page, "playing") == "true"
    tab.testid("pg-play").click()
    page.wait_for_function("() => document.body.dataset.playing === 'false'")
    page.wait_for_timeout(1500)  # the call in flight finishes
    run = body(page, "run")
    headers = {"Authorization": "Bearer classroom-secret"}
    with httpx.Client(base_url=server.url, headers=headers) as http:
        stopped = http.get(f"/api/v1/playground/runs/{run}").json()["step"]
        page.wait_for_timeout(1000)
        assert http.get(f"/api/v1/playground/runs/{run}").json()["step"] == stopped
    assert not [url for url in tab.requests if url.endswith("/live")]
    tab.assert_clean()

"""Every teaching view on the tiny zoo's real chain models (served by `tiny_server`), in real
Chromium: each renders, or says plainly why it does not apply, with no page errors; the layer
chooser offers every block's layers and directions, keeps them in the URL, and draws the API's
numbers for the chosen one."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from browser.conftest import ExplorerPage

from browser_teaching.conftest import (
    figure,
    open_teaching_page,
    post,
    teaching_url,
    wait_teaching_page,
)

SENTENCE = "a great film and a good plot"
ROWS = [[10.0, 1000.0], [11.0, 1001.0], [12.0, 1003.0], [13.0, 1002.0], [9.0, 999.0]]
CLASSES_CHOICES = [
    "Block 1 · LSTM layer 1 · forward →",
    "Block 1 · LSTM layer 1 · ← backward",
    "Block 2 · GRU layer 1 · forward →",
]


@pytest.fixture
def tiny(open_page: Any, tiny_server: Any) -> ExplorerPage:
    return open_page(tiny_server.url)


@pytest.fixture
def tiny_api(tiny_server: Any) -> Any:
    with httpx.Client(base_url=tiny_server.url, timeout=30) as client:
        yield client


def units_by_steps(matrix: list[list[float | None]]) -> list[list[float | None]]:
    return [list(column) for column in zip(*matrix, strict=True)]


@pytest.mark.parametrize(
    ("path", "model", "raw", "state", "reason"),
    [
        pytest.param("/compare", "tiny-chain-classes", SENTENCE, "ready", None, id="compare-text"),
        pytest.param("/compare", "tiny-chain-series", ROWS, "ready", None, id="compare-numbers"),
        pytest.param(
            "/gradient", "tiny-chain-classes", SENTENCE, "ready", None, id="gradient-text"
        ),
        pytest.param("/gradient", "tiny-chain-series", ROWS, "ready", None, id="gradient-numbers"),
        pytest.param(
            "/saturation", "tiny-chain-classes", SENTENCE, "ready", None, id="saturation-text"
        ),
        pytest.param(
            "/saturation", "tiny-chain-series", ROWS, "ready", None, id="saturation-numbers"
        ),
        pytest.param("/padding", "tiny-chain-classes", SENTENCE, "ready", None, id="padding-text"),
        pytest.param(
            "/padding", "tiny-chain-series", ROWS, "na", "padding_needs_text", id="padding-numbers"
        ),
        pytest.param(
            "/state", "tiny-chain-classes", SENTENCE, "na", "state_needs_numbers", id="state-text"
        ),
        pytest.param("/state", "tiny-chain-series", ROWS, "ready", None, id="state-numbers"),
    ],
)
def test_every_view_renders_a_chain_or_says_why_not(
    tiny: ExplorerPage, path: str, model: str, raw: Any, state: str, reason: str | None
) -> None:
    open_teaching_page(tiny, teaching_url(path, model, raw), state)
    message = tiny.testid("teaching-message")
    if reason is None:
        assert message.is_hidden()
    else:
        assert message.get_attribute("data-reason") == reason
        assert message.inner_text().strip()
    tiny.assert_clean()


def test_compare_on_a_mixed_chain_stands_alone_and_draws_the_chosen_layer(
    tiny: ExplorerPage, tiny_api: httpx.Client
) -> None:
    open_teaching_page(tiny, teaching_url("/compare", "tiny-chain-classes", SENTENCE))
    chooser = tiny.testid("teaching-layer")
    assert chooser.is_visible() and chooser.is_enabled()
    assert chooser.locator("option").all_inner_texts() == CLASSES_CHOICES
    assert chooser.input_value() == "1|forward"  # the top layer by default
    assert "shown alone" in tiny.testid("compare-alone").inner_text()
    assert tiny.testid("teaching-run").inner_text() == "Show"  # the teaching pages' own label
    # Block 1 reads backward too: no prediction "so far", and the page says so.
    assert tiny.testid("compare-nosteps").is_visible()
    column = "tiny-chain-classes"
    assert tiny.testid(f"compare-layer-{column}").inner_text() == CLASSES_CHOICES[2]

    before = tiny.renders()
    chooser.select_option("0|backward")
    wait_teaching_page(tiny, before)
    assert "layer=1" in tiny.page.url and "direction=backward" in tiny.page.url
    expected = post(
        tiny_api, column, "compare", {"input": SENTENCE, "layer": 0, "direction": "backward"}
    )["runs"][0]
    chips = tiny.testid(f"compare-gate-names-{column}").locator("[data-gate]")
    assert [chips.nth(i).get_attribute("data-gate") for i in range(chips.count())] == [
        "input",
        "forget",
        "candidate",
        "output",
    ]
    assert figure(tiny, f"compare-hidden-{column}")["data"][0]["z"] == units_by_steps(
        expected["hidden"]
    )
    assert tiny.testid(f"compare-layer-{column}").inner_text() == CLASSES_CHOICES[1]

    # The URL alone reopens the same layer, in Korean too.
    tiny.page.reload()
    wait_teaching_page(tiny, 0)
    assert tiny.testid("teaching-layer").input_value() == "0|backward"
    tiny.testid("lang-toggle").click()
    tiny.page.wait_for_function("() => document.documentElement.lang === 'ko'")
    assert tiny.testid("teaching-layer").locator("option").all_inner_texts() == [
        "블록 1 · LSTM 1층 · 순방향 →",
        "블록 1 · LSTM 1층 · ← 역방향",
        "블록 2 · GRU 1층 · 순방향 →",
    ]
    assert tiny.testid("teaching-run").inner_text() == "보기"
    tiny.assert_clean()


def test_padding_measures_the_chosen_layer_of_a_chain(
    tiny: ExplorerPage, tiny_api: httpx.Client
) -> None:
    url = teaching_url("/padding", "tiny-chain-classes", SENTENCE, layer="1", direction="forward")
    open_teaching_page(tiny, url)
    assert tiny.testid("teaching-layer").input_value() == "0|forward"
    expected = post(tiny_api, "tiny-chain-classes", "padding", {"input": SENTENCE, "layer": 0})
    for run in expected["runs"]:
        drawn = figure(tiny, f"padding-change-{run['variant']}")["data"]
        assert {trace["meta"]["series"] for trace in drawn} == {
            "input",
            "forget",
            "candidate",
            "output",
            "hidden",
        }
        by_series = {trace["meta"]["series"]: trace["y"] for trace in drawn}
        assert by_series["forget"] == run["change"]["forget"]
    tiny.assert_clean()


def test_a_layer_the_model_lacks_is_named_in_words(tiny: ExplorerPage) -> None:
    url = teaching_url("/compare", "tiny-chain-classes", SENTENCE, layer="9")
    open_teaching_page(tiny, url, "error")
    box = tiny.testid("error-message")
    assert box.get_attribute("data-status") == "422"
    assert "layer must be between -2 and 1" in box.inner_text()
    tiny.assert_clean(allow_status=(422,))


def test_saturation_gradient_and_state_name_the_blocks(tiny: ExplorerPage) -> None:
    open_teaching_page(tiny, teaching_url("/saturation", "tiny-chain-classes", SENTENCE))
    names = {trace["name"] for trace in figure(tiny, "saturation-plot")["data"]}
    assert "Forget gate · Block 1 · LSTM layer 1 · ← backward" in names
    assert "Update gate · Block 2 · GRU layer 1 · forward →" in names

    open_teaching_page(tiny, teaching_url("/gradient", "tiny-chain-series", ROWS))
    note = tiny.testid("gradient-chain")
    assert note.is_visible()
    assert "whole chain" in note.inner_text()
    assert "Block 2 · LSTM layer 2" in note.inner_text()

    open_teaching_page(tiny, teaching_url("/state", "tiny-chain-series", ROWS))
    titles = tiny.page.locator("#stack-row figcaption").all_inner_texts()
    assert any("Block 1 · GRU layer 1" in title for title in titles), titles
    assert any("Block 2 · LSTM layer 2" in title for title in titles), titles
    tiny.assert_clean()

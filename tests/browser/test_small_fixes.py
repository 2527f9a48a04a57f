"""Smaller classroom fixes in Chromium (issue 11): the tipping label stays inside its chart,
NaN is "not a number", /state is offered for numbers models only, the Examples menu keeps
the choice."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from .conftest import ExplorerPage

pytestmark = pytest.mark.browser


def test_tipping_label_stays_inside_the_plot_clear_of_the_axis_title(
    open_page: object, live_server: object
) -> None:
    page: ExplorerPage = open_page(live_server.url)  # type: ignore[operator]
    page.page.set_viewport_size({"width": 390, "height": 844})
    page.open("?" + urlencode({"model": "sentiment-en-lstm", "input": "a bad film"}))
    page.page.wait_for_function(
        "() => document.querySelector('[data-testid=prediction-by-step]').dataset.tippingStep"
    )
    boxes = page.page.evaluate(
        """() => {
          const gd = document.querySelector('[data-testid=prediction-by-step]');
          const box = (e) => e.getBoundingClientRect();
          const plot = box(gd.querySelector('.nsewdrag'));
          const title = box(gd.querySelector('.ytitle'));
          const note = [...gd.querySelectorAll('.annotation')].map(box).pop();
          return {plot: plot.toJSON(), title: title.toJSON(), note: note.toJSON()};
        }"""
    )
    plot, title, note = boxes["plot"], boxes["title"], boxes["note"]
    assert note["left"] >= plot["left"] - 1 and note["right"] <= plot["right"] + 1, boxes
    assert note["left"] >= title["right"], boxes
    page.assert_clean()


def test_typing_nan_says_it_is_not_a_number(explorer: ExplorerPage) -> None:
    explorer.open("?model=weather-gru")
    explorer.testid("sequence-input").fill("1, 2, 3, 4\n5, NaN, 7, 8")
    explorer.testid("run-trace").click()
    error = explorer.testid("error-message")
    error.wait_for(state="visible")
    assert "“NaN” is not a number" in error.inner_text()
    assert "null" not in error.inner_text()
    assert "Step 2, value 2" in error.inner_text()
    explorer.assert_clean()


def test_explorer_offers_state_for_numbers_models_only(explorer: ExplorerPage) -> None:
    explorer.open("?model=sentiment-en-lstm")
    state = explorer.testid("link-state")
    explorer.page.wait_for_function("() => document.body.dataset.inputKind === 'text'")
    explorer.page.wait_for_timeout(400)
    assert state.is_hidden()
    explorer.choose_model("weather-gru")
    state.wait_for(state="visible")
    explorer.assert_clean()


def test_examples_menu_keeps_the_choice_until_the_box_is_edited(explorer: ExplorerPage) -> None:
    explorer.open("?model=sentiment-en-lstm")
    menu = explorer.testid("example-select")
    menu.select_option(index=2)
    explorer.page.wait_for_timeout(100)
    assert menu.input_value() == "1"
    explorer.testid("sequence-input").press_sequentially("x")
    assert menu.input_value() == ""
    explorer.assert_clean()

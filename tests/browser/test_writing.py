"""The explorer's writing view: a shipped character model writes after the box's text, the text
streams into the box as the gates play, and every step shows its candidates and what came."""

from __future__ import annotations

import pytest

from browser.conftest import ExplorerPage

pytestmark = pytest.mark.browser

MODEL = "chars-python-lstm"


def test_a_language_model_writes_and_the_text_streams_in_with_the_gates(
    explorer: ExplorerPage,
) -> None:
    explorer.open(f"?model={MODEL}")
    explorer.wait_shown(model=MODEL)
    assert explorer.testid("write-controls").is_visible()
    explorer.testid("sequence-input").fill("def ")
    explorer.testid("write-length").fill("30")
    before = explorer.renders()
    explorer.testid("write-text").click()
    explorer.wait_render(before)

    written = explorer.page.evaluate("document.body.dataset.written")
    assert len(written) == 30
    assert explorer.testid("step-label").get_attribute("data-steps") == str(4 + 30)
    explorer.page.wait_for_function(
        "(text) => document.querySelector('[data-testid=sequence-input]').value === text",
        arg="def " + written,
        timeout=30_000,
    )
    came = explorer.testid("prediction").locator("[data-testid=next-token-came]")
    explorer.testid("step-slider").fill("5")
    explorer.wait_shown(step=5)
    assert came.get_attribute("data-label") == written[1]
    assert float(came.get_attribute("data-bits")) >= 0
    explorer.assert_clean()


def test_write_is_hidden_for_a_model_that_does_not_predict_the_next_token(
    explorer: ExplorerPage,
) -> None:
    explorer.open("?model=sentiment-en-gru")
    explorer.wait_shown(model="sentiment-en-gru")

    assert not explorer.testid("write-controls").is_visible()

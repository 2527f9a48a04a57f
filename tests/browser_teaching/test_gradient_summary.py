"""/gradient says what its own numbers show (issue 11): the sentence is checked against them."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from browser_teaching.conftest import ExplorerPage, open_teaching_page, post, teaching_url

pytestmark = pytest.mark.browser

SHORT = "the story is dull and slow but the ending is beautiful and moving"
LONG = " ".join(["the film was good and the acting was fine"] * 6)  # fills the 40 steps


def exponent(value: float) -> str:
    """As JavaScript's toExponential(1) writes it: 1.6e-1."""
    mantissa, power = f"{value:.1e}".split("e")
    return f"{mantissa}e{int(power)}"


def ratios_from_series(payload: dict[str, Any]) -> dict[str, tuple[str, float]]:
    """cell -> (model, sensitivity at the first real word / at the last step), from the series."""
    found = {}
    for run in payload["runs"]:
        first = next(step for step, kind in enumerate(run["token_kinds"]) if kind != "pad")
        found[run["cell"]] = (run["model"], run["sensitivity"][first] / run["sensitivity"][-1])
    return found


@pytest.mark.parametrize("text", [pytest.param(SHORT, id="short"), pytest.param(LONG, id="long")])
def test_gradient_sentence_names_the_cell_the_numbers_say_kept_the_most(
    explorer: ExplorerPage, api: httpx.Client, text: str
) -> None:
    payload = post(api, "sentiment-en-gru", "sensitivity", {"input": text})
    ratios = ratios_from_series(payload)
    ranked = sorted(ratios, key=lambda cell: ratios[cell][1], reverse=True)
    open_teaching_page(explorer, teaching_url("/gradient", "sentiment-en-gru", text))
    box = explorer.testid("gradient-summary")
    sentence = box.inner_text()
    assert box.get_attribute("data-most") == ratios[ranked[0]][0]
    assert sentence.startswith(f"On this input the {ranked[0].upper()} kept the most gradient")
    assert f"{exponent(ratios[ranked[0]][1])} of its last step's" in sentence
    assert f"the {ranked[1].upper()}'s" in sentence
    for cell, (_, ratio) in ratios.items():
        assert f"{cell.upper()} {exponent(ratio)}" in sentence
    if ranked[-1] == "rnn":
        assert "the textbook picture shows: the plain RNN kept the least" in sentence
    else:
        assert "does not show here" in sentence and "long-dependency tasks" in sentence
    assert "Background, the textbook picture" in explorer.page.locator(".explain-text").inner_text()
    explorer.assert_clean()

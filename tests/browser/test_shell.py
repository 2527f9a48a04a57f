"""The page shell (static/js/shell.js) in real Chromium, on the explorer and a teaching page:
every error status in words, stable error codes in Korean, the Hangul Enter guard, and no stale
answer ever rendering. The API's answers are stood in for with Playwright routes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from browser.conftest import ExplorerPage

TRACE = "**/api/v1/models/*/trace"
SENTENCE = "the film was not good at all"


def error_body(msg: str = "input: Too many steps: 30000 (at most 20000).", **item: Any) -> str:
    detail = {"loc": ["body", "input"], "field": "input", "msg": msg, "type": "value_error", **item}
    return json.dumps({"message": msg, "detail": [detail]})


def open_sentence_model(explorer: ExplorerPage) -> None:
    explorer.open()
    explorer.choose_model("sentiment-en-gru")
    explorer.testid("sequence-input").fill(SENTENCE)


def run_into_error(explorer: ExplorerPage) -> Any:
    explorer.testid("run-trace").click()
    explorer.page.wait_for_function("() => document.body.dataset.state === 'error'")
    return explorer.testid("error-message")


HEADLINES = {
    400: "The request was not understood.",
    404: "The model “sentiment-en-gru” is not on this server.",
    409: "That conflicts with what the server already has (a model of that name?).",
    413: "The input is too large for this server.",
    422: "The input was not accepted.",
    429: "The server is busy. Try again in a moment.",
    500: "The server failed to compute the trace (500).",
    503: "The server failed to compute the trace (503).",
}


@pytest.mark.parametrize("status", list(HEADLINES), ids=[str(s) for s in HEADLINES])
def test_every_error_status_has_its_own_sentence(explorer: ExplorerPage, status: int) -> None:
    open_sentence_model(explorer)
    explorer.page.route(
        TRACE,
        lambda route: route.fulfill(
            status=status, content_type="application/json", body=error_body()
        ),
    )
    box = run_into_error(explorer)
    assert box.get_attribute("data-status") == str(status)
    assert box.locator(".error-headline").inner_text() == HEADLINES[status]
    assert "Too many steps" in box.inner_text()  # the API's own sentence, under the headline
    assert explorer.testid("run-trace").is_enabled()
    explorer.assert_clean(allow_status=(status,))


def test_an_unreachable_server_is_said_in_words(explorer: ExplorerPage) -> None:
    open_sentence_model(explorer)
    explorer.page.route(TRACE, lambda route: route.abort("connectionrefused"))
    box = run_into_error(explorer)
    assert box.get_attribute("data-status") == "0"
    assert "cannot be reached" in box.inner_text()


def test_a_stable_error_code_is_said_in_korean_else_the_api_sentence(
    open_page: Any, live_server: Any
) -> None:
    page = open_page(live_server.url, locale="ko-KR")
    open_sentence_model(page)
    coded = error_body(code="too_many_steps", params={"steps": 30000, "limit": 20000})
    page.page.route(
        TRACE,
        lambda route: route.fulfill(status=422, content_type="application/json", body=coded),
    )
    box = run_into_error(page)
    assert box.locator(".error-headline").inner_text() == "입력을 받아들일 수 없습니다."
    assert "스텝이 너무 많습니다: 30000개 (최대 20000개)." in box.inner_text()
    page.page.unroute(TRACE)
    uncoded = error_body(code="something_new")
    page.page.route(
        TRACE,
        lambda route: route.fulfill(status=422, content_type="application/json", body=uncoded),
    )
    box = run_into_error(page)
    assert "Too many steps" in box.inner_text()  # an unknown code: the API's English sentence


def press_enter_while_composing(page: ExplorerPage, testid: str) -> None:
    page.page.evaluate(
        """(id) => document.querySelector(`[data-testid="${id}"]`).dispatchEvent(
            new KeyboardEvent("keydown", {key: "Enter", keyCode: 229, isComposing: true,
                                          bubbles: true, cancelable: true}))""",
        testid,
    )


def trace_requests(page: ExplorerPage, path: str) -> int:
    return sum(1 for url in page.requests if url.endswith(path))


def test_enter_that_completes_a_hangul_syllable_does_not_run(explorer: ExplorerPage) -> None:
    explorer.open()
    explorer.choose_model("sentiment-ko-gru")
    box = explorer.testid("sequence-input")
    box.fill("정말 재미있")
    before = trace_requests(explorer, "/sentiment-ko-gru/trace")
    press_enter_while_composing(explorer, "sequence-input")
    explorer.page.wait_for_timeout(300)
    assert trace_requests(explorer, "/sentiment-ko-gru/trace") == before
    renders = explorer.renders()
    box.press("Enter")  # composition over: now Enter runs
    explorer.wait_render(renders)
    assert trace_requests(explorer, "/sentiment-ko-gru/trace") == before + 1
    explorer.assert_clean()


def test_enter_while_composing_on_a_teaching_page_does_not_run(explorer: ExplorerPage) -> None:
    explorer.page.goto(explorer.origin + "/gradient?model=sentiment-ko-gru&input=정말")
    explorer.page.wait_for_function("() => document.body.dataset.state === 'ready'")
    before = trace_requests(explorer, "/sentiment-ko-gru/sensitivity")
    explorer.testid("teaching-input").fill("정말 재미있")
    press_enter_while_composing(explorer, "teaching-input")
    explorer.page.wait_for_timeout(300)
    assert trace_requests(explorer, "/sentiment-ko-gru/sensitivity") == before
    explorer.assert_clean()


def test_a_stale_answer_never_renders(explorer: ExplorerPage, api: Any) -> None:
    open_sentence_model(explorer)
    held: list[Any] = []

    def hold_the_first(route: Any) -> None:
        if held:
            route.continue_()
        else:
            held.append(route)

    explorer.page.route(TRACE, hold_the_first)
    explorer.testid("run-trace").click()  # held: no answer yet
    explorer.page.wait_for_function("() => document.body.dataset.state === 'loading'")
    renders = explorer.renders()
    box = explorer.testid("sequence-input")
    box.fill("a great film")
    box.press("Enter")  # a newer request, answered at once
    explorer.wait_render(renders)
    tokens = explorer.testid("token-strip").inner_text()
    stale = api.post(
        "/api/v1/models/sentiment-en-gru/trace", json={"input": "terrible boring awful mess"}
    ).json()
    held[0].fulfill(status=200, content_type="application/json", body=json.dumps(stale))
    explorer.page.wait_for_timeout(500)
    assert explorer.renders() == renders + 1
    assert explorer.testid("token-strip").inner_text() == tokens
    assert "terrible" not in tokens
    explorer.assert_clean()

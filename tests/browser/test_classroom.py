"""Classroom details in Chromium (issue 11): what a long text lost, Korean names from the config."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from .conftest import ExplorerPage

pytestmark = pytest.mark.browser

LONG_TEXT = " ".join(["the film was good and the acting was fine"] * 6)  # 54 words, maxlen 40


def test_long_text_says_how_many_words_were_cut_in_both_languages(
    explorer: ExplorerPage, api: httpx.Client
) -> None:
    body = api.post("/api/v1/models/sentiment-en-lstm/trace", json={"input": LONG_TEXT}).json()
    truncated = body["truncated"]
    assert truncated["from"] == "start" and truncated["kept"] == body["steps"]
    explorer.open("?" + urlencode({"model": "sentiment-en-lstm", "input": LONG_TEXT}))
    note = explorer.testid("tokens-truncated")
    assert note.is_visible()
    expected = (
        f"{truncated['dropped']} earlier words were cut: the model reads the last "
        f"{truncated['kept']}"
    )
    assert note.inner_text() == expected
    explorer.testid("lang-toggle").click()
    dropped, kept = truncated["dropped"], truncated["kept"]
    korean = f"앞부분 {dropped}개 토큰이 잘렸습니다: 모델은 마지막 {kept}개만 읽습니다"
    assert note.inner_text() == korean
    explorer.run("a good film")
    assert note.is_hidden()
    explorer.assert_clean()


def test_korean_page_uses_the_models_korean_titles_features_and_labels(
    open_page: Any, live_server: Any, api: httpx.Client
) -> None:
    summaries = {model["id"]: model for model in api.get("/api/v1/models").json()["data"]}
    weather = summaries["weather-gru"]["translations"]["ko"]
    page = open_page(live_server.url, locale="ko-KR")
    page.open("?model=weather-gru")
    options = page.page.evaluate(
        "() => Object.fromEntries([...document.querySelectorAll("
        "'[data-testid=model-select] option')].map(o => [o.value, o.textContent]))"
    )
    for model_id, summary in summaries.items():
        if summary["source"] == "shipped":
            assert options[model_id] == summary["translations"]["ko"]["title"]
    hint = page.page.locator("#input-hint").inner_text()
    assert ", ".join(weather["features"]) in hint
    page.run()
    names = page.page.locator("[data-testid=token-strip] .feature-name").all_inner_texts()
    assert names == weather["features"]
    page.choose_model("sentiment-ko-gru")
    page.run("정말 재미있고 감동적인 영화")
    page.page.keyboard.press("End")
    label = page.testid("prediction").get_attribute("data-label")
    shown = page.page.locator("[data-testid=prediction] .prediction-label").inner_text()
    assert shown == {"negative": "부정", "positive": "긍정"}[label]
    page.assert_clean()

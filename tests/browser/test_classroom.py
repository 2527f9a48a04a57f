"""Classroom details in Chromium (issue 11): what a long text lost, Korean names from the config."""

from __future__ import annotations

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

"""Korean review features against hand-labelled reviews."""

from __future__ import annotations

import pytest

from app.features import korean_features
from app.features.korean import is_negation_word


def labelled(text: str) -> dict[str, str]:
    return {
        f.name: "".join(
            ("x" if v else ".") if f.kind == "binary" else str(int(v) % 10) for v in f.values
        )
        for f in korean_features(text)
    }


def test_position_restarts_at_every_review() -> None:
    assert labelled("좋다\n별로야\n")["position"] == "012" + "0123"


@pytest.mark.parametrize(
    ("text", "after"),
    [
        pytest.param("안 봐도 됨", ".xxxxx", id="an-alone"),
        pytest.param("재미없다 진짜", "....xxx", id="eopda"),
        pytest.param("못봤다. 다시 볼래", "...x......", id="ends-at-sentence"),
        pytest.param("안녕 영화야", "......", id="annyeong-is-no-negation"),
        pytest.param("별로 아니다\n좋다", "......x..", id="ends-at-review"),
    ],
)
def test_after_a_negation_word(text: str, after: str) -> None:
    assert labelled(text)["after_negation"] == after


def test_repeated_character_runs_of_three_or_more() -> None:
    text = "웃겨ㅋㅋㅋㅋ 최고!! 대박!!!"
    assert labelled(text)["repeat_run"] == "..xxxx" + "...." + ".." + "..xxx"


@pytest.mark.parametrize(
    ("word", "negation"),
    [("안", True), ("못해", True), ("않았다", True), ("없어", True), ("아니고", True)],
)
def test_negation_words(word: str, negation: bool) -> None:
    assert is_negation_word(word) is negation


def test_words_that_only_look_negative() -> None:
    assert not is_negation_word("안녕하세요")
    assert not is_negation_word("영화")

"""Word splitting: Keras's text_to_word_sequence semantics and the notes' whitespace tokens."""

import pytest

from app.preprocessing import DEFAULT_FILTERS, text_to_word_sequence, whitespace_tokens


def test_default_filters_are_keras_defaults() -> None:
    assert DEFAULT_FILTERS == '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("You are the Best", ["you", "are", "the", "best"], id="lower-cases"),
        pytest.param("Hello, world! (again)", ["hello", "world", "again"], id="punctuation"),
        pytest.param("a.b-c", ["a", "b", "c"], id="filter-chars-separate-words"),
        pytest.param("  two   spaces ", ["two", "spaces"], id="runs-of-spaces"),
        pytest.param("tab\there\nnewline", ["tab", "here", "newline"], id="tab-and-newline"),
        pytest.param("don't stop", ["don't", "stop"], id="apostrophe-is-not-filtered"),
        pytest.param("", [], id="empty"),
        pytest.param(" \t\n  ", [], id="whitespace-only"),
        pytest.param("!!! ...", [], id="punctuation-only"),
        pytest.param("나는 밥을, 먹었다!", ["나는", "밥을", "먹었다"], id="hangul-survives"),
        pytest.param("GRU는 LSTM보다", ["gru는", "lstm보다"], id="mixed-latin-hangul"),
        pytest.param("café Ünïcode", ["café", "ünïcode"], id="non-ascii-lower-cased"),
    ],
)
def test_text_to_word_sequence_defaults(text: str, expected: list[str]) -> None:
    assert text_to_word_sequence(text) == expected


def test_text_to_word_sequence_keeps_case_when_lower_is_false() -> None:
    assert text_to_word_sequence("GRU는 Best!", lower=False) == ["GRU는", "Best"]


def test_text_to_word_sequence_splits_only_on_split_char() -> None:
    # Without \t in the filters a tab is part of the word, as in Keras.
    assert text_to_word_sequence("a\tb c", filters="") == ["a\tb", "c"]


def test_text_to_word_sequence_custom_split_and_filters() -> None:
    assert text_to_word_sequence("a,b,,c d;e", filters=";", split=",") == ["a", "b", "c d", "e"]


def test_text_to_word_sequence_rejects_empty_split() -> None:
    with pytest.raises(ValueError, match="split must be a non-empty string"):
        text_to_word_sequence("a b", split="")


def test_whitespace_tokens_match_the_notes_example() -> None:
    assert whitespace_tokens("나는 밥을 먹었다.") == ["나는", "밥을", "먹었다"]

"""Korean morpheme analysis through kiwipiepy, and the morpheme analyzer of the Tokenizer."""

import importlib.util
import threading

import pytest

from app.preprocessing import (
    Tokenizer,
    korean,
    morpheme_tokens,
    tokenizer_from_json,
    whitespace_tokens,
)


def test_kiwi_model_ships_as_a_package_so_nothing_is_downloaded() -> None:
    assert importlib.util.find_spec("kiwipiepy_model") is not None


def test_morpheme_tokens_split_the_notes_sentence() -> None:
    # The notes' analyser gave 나/는/밥/을/먹었/다; Kiwi also separates the tense ending 었.
    assert morpheme_tokens("나는 밥을 먹었다") == ["나", "는", "밥", "을", "먹", "었", "다"]


def test_morpheme_tokens_drop_punctuation_and_lower_latin() -> None:
    tokens = morpheme_tokens("GRU는 LSTM보다 작다!")
    assert tokens[:2] == ["gru", "는"]
    assert "lstm" in tokens
    assert "!" not in tokens


@pytest.mark.parametrize("text", ["", "   ", "?!."], ids=["empty", "whitespace", "punctuation"])
def test_morpheme_tokens_of_wordless_text_are_empty(text: str) -> None:
    assert morpheme_tokens(text) == []


def test_morphemes_are_finer_than_whitespace_tokens() -> None:
    text = "나는 밥을 먹었다"
    assert "".join(morpheme_tokens(text)) == "".join(whitespace_tokens(text))
    assert len(morpheme_tokens(text)) > len(whitespace_tokens(text))


def test_get_kiwi_builds_one_instance_for_concurrent_first_calls() -> None:
    korean._build_kiwi.cache_clear()
    instances = []
    threads = [
        threading.Thread(target=lambda: instances.append(korean.get_kiwi())) for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(instance) for instance in instances}) == 1
    assert korean._build_kiwi.cache_info().misses == 1
    assert korean.get_kiwi() is instances[0]


def test_tokenizer_with_morpheme_analyzer_indexes_morphemes() -> None:
    tokenizer = Tokenizer(analyzer="morpheme")
    tokenizer.fit_on_texts(["나는 밥을 먹었다", "너는 물을 마셨다"])
    assert list(tokenizer.word_index)[:2] == ["는", "을"]
    assert tokenizer.tokenize("나는 밥을 먹었다") == ["나", "는", "밥", "을", "먹", "었", "다"]


def test_morpheme_analyzer_honours_lower_false() -> None:
    tokenizer = Tokenizer(analyzer="morpheme", lower=False)
    assert tokenizer.tokenize("GRU는")[0] == "GRU"


def test_morpheme_analyzer_survives_json_round_trip() -> None:
    texts = ["나는 밥을 먹었다", "너는 물을 마셨다"]
    tokenizer = Tokenizer(num_words=8, oov_token="<OOV>", analyzer="morpheme")
    tokenizer.fit_on_texts(texts)

    restored = tokenizer_from_json(tokenizer.to_json())

    assert restored.analyzer_name == "morpheme"
    assert restored.texts_to_sequences(texts + ["나는 빵을 먹었다"]) == (
        tokenizer.texts_to_sequences(texts + ["나는 빵을 먹었다"])
    )

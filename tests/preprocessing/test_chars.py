"""Character vocabularies: frequent characters by rank, the rest one unknown symbol."""

from __future__ import annotations

from app.preprocessing import tokenizer_from_json
from app.preprocessing.chars import PAD, UNKNOWN, char_ids, char_labels, char_tokenizer


def test_characters_rank_by_count_and_rare_ones_become_unknown() -> None:
    tokenizer = char_tokenizer(["aaab b\n", "ab!"], min_count=2)

    assert char_labels(tokenizer) == [PAD, UNKNOWN, "a", "b"]
    assert char_ids(tokenizer, "ab !\n?") == [2, 3, 1, 1, 1, 1]


def test_ids_equal_keras_texts_to_sequences_and_keep_case_and_punctuation() -> None:
    tokenizer = char_tokenizer(["Def f(x):\n    return 'X'  # ok"])
    text = "Def  f(X): # ?"

    assert char_ids(tokenizer, text) == tokenizer.texts_to_sequences([text])[0]
    assert len(char_ids(tokenizer, text)) == len(text)
    assert tokenizer.kept_index("D") != tokenizer.kept_index("d")


def test_max_size_counts_padding_and_unknown() -> None:
    tokenizer = char_tokenizer(["aaaabbbcc d"], max_size=4)

    assert char_labels(tokenizer) == [PAD, UNKNOWN, "a", "b"]
    assert char_ids(tokenizer, "abcd") == [2, 3, 1, 1]


def test_a_saved_vocabulary_reads_back_the_same_ids() -> None:
    tokenizer = char_tokenizer(["ㅋㅋㅋ 재밌다\n영화 최고ㅋ"], min_count=2)
    again = tokenizer_from_json(tokenizer.to_json(ensure_ascii=False))

    assert char_ids(again, "ㅋㅋ 영화!") == char_ids(tokenizer, "ㅋㅋ 영화!")
    assert again.tokenize("ㅋ 화") == ["ㅋ", " ", "화"]

"""Tokenizer: Keras's fitting, ordering, conversion and JSON format."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.preprocessing import Tokenizer, tokenizer_from_config, tokenizer_from_json

NOTES_TEXTS = ["You are the Best", "You are the Nice"]
NOTES_WORD_INDEX = {"<OOV>": 1, "you": 2, "are": 3, "the": 4, "best": 5, "nice": 6}

# Written out by hand in the exact layout of Keras 2's `tokenizer.to_json()` for
# Tokenizer(num_words=10, oov_token='<OOV>') fitted on NOTES_TEXTS: json.dumps with default
# separators, the five dicts as JSON strings, integer keys turned into strings, word_docs in
# the arbitrary order of the set Keras iterates.
KERAS_NOTES_JSON = r"""{"class_name": "Tokenizer", "config": {"num_words": 10, "filters": "!\"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n", "lower": true, "split": " ", "char_level": false, "oov_token": "<OOV>", "document_count": 2, "word_counts": "{\"you\": 2, \"are\": 2, \"the\": 2, \"best\": 1, \"nice\": 1}", "word_docs": "{\"the\": 2, \"best\": 1, \"you\": 2, \"are\": 2, \"nice\": 1}", "index_docs": "{\"4\": 2, \"5\": 1, \"2\": 2, \"3\": 2, \"6\": 1}", "index_word": "{\"1\": \"<OOV>\", \"2\": \"you\", \"3\": \"are\", \"4\": \"the\", \"5\": \"best\", \"6\": \"nice\"}", "word_index": "{\"<OOV>\": 1, \"you\": 2, \"are\": 3, \"the\": 4, \"best\": 5, \"nice\": 6}"}}"""  # noqa: E501

# The same for Tokenizer(oov_token='<OOV>') fitted on ["나는 밥을 먹었다", "나는 물을 마셨다"]:
# Keras's json.dumps escapes Hangul as \uXXXX inside the inner strings.
KERAS_KOREAN_JSON = r"""{"class_name": "Tokenizer", "config": {"num_words": null, "filters": "!\"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n", "lower": true, "split": " ", "char_level": false, "oov_token": "<OOV>", "document_count": 2, "word_counts": "{\"\\ub098\\ub294\": 2, \"\\ubc25\\uc744\": 1, \"\\uba39\\uc5c8\\ub2e4\": 1, \"\\ubb3c\\uc744\": 1, \"\\ub9c8\\uc168\\ub2e4\": 1}", "word_docs": "{\"\\ubc25\\uc744\": 1, \"\\ub098\\ub294\": 2, \"\\uba39\\uc5c8\\ub2e4\": 1, \"\\ub9c8\\uc168\\ub2e4\": 1, \"\\ubb3c\\uc744\": 1}", "index_docs": "{\"3\": 1, \"2\": 2, \"4\": 1, \"6\": 1, \"5\": 1}", "index_word": "{\"1\": \"<OOV>\", \"2\": \"\\ub098\\ub294\", \"3\": \"\\ubc25\\uc744\", \"4\": \"\\uba39\\uc5c8\\ub2e4\", \"5\": \"\\ubb3c\\uc744\", \"6\": \"\\ub9c8\\uc168\\ub2e4\"}", "word_index": "{\"<OOV>\": 1, \"\\ub098\\ub294\": 2, \"\\ubc25\\uc744\": 3, \"\\uba39\\uc5c8\\ub2e4\": 4, \"\\ubb3c\\uc744\": 5, \"\\ub9c8\\uc168\\ub2e4\": 6}"}}"""  # noqa: E501

KERAS_CONFIG_KEYS = [
    "num_words",
    "filters",
    "lower",
    "split",
    "char_level",
    "oov_token",
    "document_count",
    "word_counts",
    "word_docs",
    "index_docs",
    "index_word",
    "word_index",
]
JSON_STRING_KEYS = {"word_counts", "word_docs", "index_docs", "index_word", "word_index"}


def fitted(texts: list[str], **options: object) -> Tokenizer:
    tokenizer = Tokenizer(**options)  # type: ignore[arg-type]
    tokenizer.fit_on_texts(texts)
    return tokenizer


# Fitting ---------------------------------------------------------------------------------


def test_notes_example_reproduces_the_notes_word_index() -> None:
    tokenizer = fitted(NOTES_TEXTS, num_words=10, oov_token="<OOV>")
    assert list(tokenizer.word_index.items()) == list(NOTES_WORD_INDEX.items())
    assert tokenizer.texts_to_sequences(NOTES_TEXTS) == [[2, 3, 4, 5], [2, 3, 4, 6]]


def test_fit_records_counts_documents_and_reverse_indices() -> None:
    tokenizer = fitted(["a b a", "b c", ""], oov_token="<OOV>")
    assert tokenizer.document_count == 3
    assert list(tokenizer.word_counts.items()) == [("a", 2), ("b", 2), ("c", 1)]
    assert tokenizer.word_docs == {"a": 1, "b": 2, "c": 1}
    assert tokenizer.word_index == {"<OOV>": 1, "a": 2, "b": 3, "c": 4}
    assert tokenizer.index_word == {1: "<OOV>", 2: "a", 3: "b", 4: "c"}
    assert tokenizer.index_docs == {2: 1, 3: 2, 4: 1}


def test_words_are_ranked_by_count_before_first_appearance() -> None:
    tokenizer = fitted(["x y y z z z"])
    assert list(tokenizer.word_index.items()) == [("z", 1), ("y", 2), ("x", 3)]


def test_ties_keep_the_order_of_first_appearance() -> None:
    tokenizer = fitted(["b a", "c a b", "d"])
    assert list(tokenizer.word_index) == ["b", "a", "c", "d"]


def test_without_oov_token_words_start_at_one() -> None:
    assert fitted(NOTES_TEXTS).word_index == {"you": 1, "are": 2, "the": 3, "best": 4, "nice": 5}


def test_fitting_twice_accumulates_counts_and_reranks() -> None:
    tokenizer = fitted(["a b"])
    tokenizer.fit_on_texts(["b"])
    assert tokenizer.document_count == 2
    assert tokenizer.word_counts == {"a": 1, "b": 2}
    assert list(tokenizer.word_index) == ["b", "a"]


def test_punctuation_is_filtered_before_counting() -> None:
    tokenizer = fitted(["Hello, world! Hello?"])
    assert tokenizer.word_counts == {"hello": 2, "world": 1}


def test_hangul_survives_lower_casing_and_filters() -> None:
    tokenizer = fitted(["나는 밥을, 먹었다!", "나는 물을 마셨다."])
    assert list(tokenizer.word_index) == ["나는", "밥을", "먹었다", "물을", "마셨다"]


def test_empty_and_whitespace_texts_count_as_documents_without_words() -> None:
    tokenizer = fitted(["", "   \t\n"])
    assert tokenizer.document_count == 2
    assert tokenizer.word_index == {}


def test_oov_token_in_the_texts_takes_its_later_rank_as_in_keras() -> None:
    # Keras builds the index with dict(zip([oov, *ranked], ...)): a second "oov" entry
    # overwrites the first, so the OOV token gets its rank among the words and index 1 is
    # left unused. Reproduced so that indices match models trained in Keras.
    tokenizer = fitted(["oov oov x"], oov_token="oov")
    assert tokenizer.word_index == {"oov": 2, "x": 3}
    assert tokenizer.index_word == {2: "oov", 3: "x"}
    assert tokenizer.texts_to_sequences(["x unknown"]) == [[3, 2]]


def test_char_level_counts_every_character_including_spaces() -> None:
    tokenizer = fitted(["Ab a!"], char_level=True)
    assert list(tokenizer.word_counts.items()) == [("a", 2), ("b", 1), (" ", 1), ("!", 1)]


def test_pre_tokenised_texts_are_only_lower_cased() -> None:
    tokenizer = fitted([["Hello", "world!"]])  # type: ignore[list-item]
    assert list(tokenizer.word_index) == ["hello", "world!"]


def test_custom_analyzer_receives_raw_text_and_does_all_normalisation() -> None:
    tokenizer = fitted(["A|b!|A"], analyzer=lambda text: text.split("|"))
    assert list(tokenizer.word_index) == ["A", "b!"]
    assert tokenizer.analyzer_name is None


def test_tokenize_returns_the_tokens_the_index_sees() -> None:
    tokenizer = Tokenizer()
    assert tokenizer.tokenize("The GRU, not the LSTM.") == ["the", "gru", "not", "the", "lstm"]


# Conversion ------------------------------------------------------------------------------


def test_num_words_keeps_only_indices_below_it_and_drops_the_rest() -> None:
    tokenizer = fitted(["a a a b b c"], num_words=3)
    assert tokenizer.word_index == {"a": 1, "b": 2, "c": 3}
    assert tokenizer.texts_to_sequences(["a b c d"]) == [[1, 2]]


def test_num_words_turns_cut_words_into_oov_when_oov_token_is_set() -> None:
    tokenizer = fitted(["a a a b b c"], num_words=3, oov_token="<OOV>")
    assert tokenizer.word_index == {"<OOV>": 1, "a": 2, "b": 3, "c": 4}
    assert tokenizer.texts_to_sequences(["a b c d"]) == [[2, 1, 1, 1]]


@pytest.mark.parametrize(
    ("oov_token", "expected"),
    [pytest.param("<OOV>", [[1, 1, 1]], id="oov-token"), pytest.param(None, [[]], id="no-oov")],
)
def test_all_oov_text(oov_token: str | None, expected: list[list[int]]) -> None:
    tokenizer = fitted(NOTES_TEXTS, oov_token=oov_token)
    assert tokenizer.texts_to_sequences(["Worst? Bad, ugly."]) == expected


@pytest.mark.parametrize("text", ["", "  \t ", "?!"], ids=["empty", "whitespace", "punctuation"])
def test_texts_without_words_give_empty_sequences(text: str) -> None:
    tokenizer = fitted(NOTES_TEXTS, oov_token="<OOV>")
    assert tokenizer.texts_to_sequences([text]) == [[]]


def test_sequences_to_texts_maps_unknown_indices_and_padding_to_oov() -> None:
    tokenizer = fitted(NOTES_TEXTS, num_words=5, oov_token="<OOV>")
    # 0 is padding, 5 and 6 are at or past num_words, 99 is unknown: all become <OOV>.
    assert tokenizer.sequences_to_texts([[0, 2, 3, 4, 5, 6, 99]]) == [
        "<OOV> you are the <OOV> <OOV> <OOV>"
    ]


def test_sequences_to_texts_drops_unknown_indices_without_oov_token() -> None:
    tokenizer = fitted(NOTES_TEXTS)
    assert tokenizer.sequences_to_texts([[0, 1, 2, 99], []]) == ["you are", ""]


@given(
    st.lists(
        st.lists(st.text(alphabet="abcxyz나는밥을", min_size=1, max_size=4), max_size=6),
        max_size=5,
    )
)
def test_sequences_round_trip_to_the_normalised_texts(documents: list[list[str]]) -> None:
    texts = [" ".join(words) for words in documents]
    tokenizer = fitted(texts)
    restored = tokenizer.sequences_to_texts(tokenizer.texts_to_sequences(texts))
    assert restored == texts
    counts = [tokenizer.word_counts[word] for word in tokenizer.word_index]
    assert counts == sorted(counts, reverse=True)


# Validation ------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["fit_on_texts", "texts_to_sequences"])
def test_a_bare_string_is_refused_instead_of_read_as_characters(method: str) -> None:
    with pytest.raises(TypeError, match="not a single string"):
        getattr(Tokenizer(), method)("you are the best")


@pytest.mark.parametrize("num_words", [0, -3])
def test_num_words_must_be_positive(num_words: int) -> None:
    with pytest.raises(
        ValueError, match=f"num_words must be a positive integer or None; got {num_words}"
    ):
        Tokenizer(num_words=num_words)


def test_unknown_analyzer_name_is_refused() -> None:
    with pytest.raises(
        ValueError, match="Unknown analyzer 'jamo'; choose one of 'whitespace', 'morpheme'"
    ):
        Tokenizer(analyzer="jamo")


def test_non_callable_analyzer_is_refused() -> None:
    with pytest.raises(TypeError, match="analyzer must be a name or a callable; got int"):
        Tokenizer(analyzer=3)  # type: ignore[arg-type]


def test_vocab_size_is_the_embedding_input_dim() -> None:
    assert fitted(NOTES_TEXTS, oov_token="<OOV>").vocab_size == 7
    assert fitted(NOTES_TEXTS, num_words=4, oov_token="<OOV>").vocab_size == 4
    assert Tokenizer().vocab_size == 1


# JSON ------------------------------------------------------------------------------------


def test_to_json_has_keras_layout_plus_the_analyzer_name() -> None:
    payload = json.loads(fitted(NOTES_TEXTS, num_words=10, oov_token="<OOV>").to_json())
    keras_payload = json.loads(KERAS_NOTES_JSON)

    assert list(payload) == ["class_name", "config", "analyzer"]
    assert payload["analyzer"] == "whitespace"
    assert list(payload["config"]) == KERAS_CONFIG_KEYS
    for key in KERAS_CONFIG_KEYS:
        ours, theirs = payload["config"][key], keras_payload["config"][key]
        assert type(ours) is type(theirs), key
        if key in JSON_STRING_KEYS:
            assert json.loads(ours) == json.loads(theirs), key
        else:
            assert ours == theirs, key


def test_to_json_passes_json_options_through() -> None:
    tokenizer = fitted(["나는 밥을 먹었다"])
    assert "\n" in tokenizer.to_json(indent=2)
    assert "\\ub098" in tokenizer.to_json()


def test_to_json_refuses_a_custom_analyzer_callable() -> None:
    tokenizer = fitted(["a"], analyzer=str.split)
    with pytest.raises(ValueError, match="custom analyzer callable cannot be saved"):
        tokenizer.to_json()


def test_json_round_trip_restores_every_field() -> None:
    tokenizer = fitted(
        ["The best GRU.", "A nice, nice LSTM!"], num_words=4, oov_token="<OOV>", lower=False
    )
    restored = tokenizer_from_json(tokenizer.to_json())
    for field in ["num_words", "filters", "lower", "split", "char_level", "oov_token"]:
        assert getattr(restored, field) == getattr(tokenizer, field), field
    assert restored.document_count == 2
    assert list(restored.word_counts.items()) == list(tokenizer.word_counts.items())
    assert restored.word_docs == tokenizer.word_docs
    assert list(restored.word_index.items()) == list(tokenizer.word_index.items())
    assert restored.index_word == tokenizer.index_word
    assert restored.index_docs == tokenizer.index_docs
    assert restored.analyzer_name == "whitespace"
    assert restored.to_json() == tokenizer.to_json()


def test_tokenizer_from_config_reads_the_parsed_document_without_a_json_detour() -> None:
    tokenizer = fitted(["나는 밥을 먹었다", "나는 잤다"], oov_token="<OOV>")
    document = json.loads(tokenizer.to_json())
    restored = tokenizer_from_config(document)
    assert restored.to_json() == tokenizer.to_json()
    assert restored.texts_to_sequences(["나는 먹었다 몰라"]) == tokenizer.texts_to_sequences(
        ["나는 먹었다 몰라"]
    )
    assert document == json.loads(tokenizer.to_json())  # the caller's dict is left as it was


def test_tokenizer_from_config_rejects_a_document_that_is_not_a_tokenizer() -> None:
    with pytest.raises(ValueError, match="class_name"):
        tokenizer_from_config({"class_name": "Embedding", "config": {}})


def test_reads_keras_json_with_string_keys_converted() -> None:
    tokenizer = tokenizer_from_json(KERAS_NOTES_JSON)
    assert tokenizer.num_words == 10
    assert tokenizer.oov_token == "<OOV>"
    assert tokenizer.document_count == 2
    assert list(tokenizer.word_index.items()) == list(NOTES_WORD_INDEX.items())
    assert tokenizer.index_word == {1: "<OOV>", 2: "you", 3: "are", 4: "the", 5: "best", 6: "nice"}
    assert tokenizer.index_docs == {2: 2, 3: 2, 4: 2, 5: 1, 6: 1}
    assert tokenizer.analyzer_name == "whitespace"
    assert tokenizer.texts_to_sequences(["You are the worst"]) == [[2, 3, 4, 1]]
    assert tokenizer.sequences_to_texts([[0, 2, 6]]) == ["<OOV> you nice"]


def test_reads_keras_json_with_escaped_hangul() -> None:
    tokenizer = tokenizer_from_json(KERAS_KOREAN_JSON)
    assert list(tokenizer.word_index) == ["<OOV>", "나는", "밥을", "먹었다", "물을", "마셨다"]
    assert tokenizer.texts_to_sequences(["나는 빵을 먹었다!"]) == [[2, 1, 4]]


@pytest.mark.parametrize(
    ("json_string", "message"),
    [
        pytest.param('{"class_name": "Vectorizer", "config": {}}', "class_name", id="class"),
        pytest.param('["Tokenizer"]', "class_name", id="not-an-object"),
        pytest.param('{"class_name": "Tokenizer"}', '"config" object', id="no-config"),
        pytest.param(
            KERAS_NOTES_JSON.replace('"word_docs"', '"word_doc"'),
            "lacks the 'word_docs' field",
            id="missing-field",
        ),
        pytest.param(
            KERAS_NOTES_JSON.replace('"lower"', '"lowercase"'),
            "unknown fields: lowercase",
            id="unknown-field",
        ),
        pytest.param(
            KERAS_NOTES_JSON.replace('"oov_token": "<OOV>"', '"oov_token": "<OOV>", "x": 1'),
            "unknown fields: x",
            id="extra-field",
        ),
        pytest.param(
            KERAS_NOTES_JSON[:-1] + ', "analyzer": "jamo"}',
            "Unknown analyzer 'jamo'",
            id="bad-analyzer",
        ),
    ],
)
def test_tokenizer_from_json_rejects_malformed_input(json_string: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        tokenizer_from_json(json_string)

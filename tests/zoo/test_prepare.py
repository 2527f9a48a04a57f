"""prepare(): text as Keras's texts_to_sequences + pad_sequences sees it; numbers validated."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from app.preprocessing import Tokenizer, morpheme_tokens, pad_sequences
from app.zoo import InputError
from tests.zoo.builders import fitted_tokenizer, loaded, numbers_config, text_config

# Word indices of CORPUS (by frequency, <OOV> first): the movie was good bad a ...
INDEX = fitted_tokenizer().word_index


def ids(*words: str) -> list[int]:
    return [INDEX[word] for word in words]


# -- text ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("padding", "expected_ids", "expected_kinds"),
    [
        pytest.param("pre", [0, 0, 0, *ids("the", "movie", "was")], ["pad"] * 3 + ["word"] * 3),
        pytest.param("post", [*ids("the", "movie", "was"), 0, 0, 0], ["word"] * 3 + ["pad"] * 3),
    ],
)
def test_text_is_padded_to_maxlen_on_the_configured_side(
    padding: str, expected_ids: list[int], expected_kinds: list[str]
) -> None:
    model = loaded(text_config(padding=padding, maxlen=6))

    prepared = model.prepare("The movie was")

    assert prepared.token_ids == expected_ids
    assert prepared.token_kinds == expected_kinds
    assert prepared.tokens is not None
    assert [t for t, k in zip(prepared.tokens, expected_kinds, strict=True) if k == "word"] == [
        "the",
        "movie",
        "was",
    ]
    assert prepared.features.shape == (1, 6, 4)
    pad_row = model.network.embedding.weight[0]  # type: ignore[union-attr]
    pad_step = 0 if padding == "pre" else 5
    assert torch.equal(prepared.features[0, pad_step], pad_row)


@pytest.mark.parametrize(
    ("truncating", "kept"),
    [
        pytest.param("pre", ["was", "good", "a"], id="pre-keeps-the-end"),
        pytest.param("post", ["the", "movie", "was"], id="post-keeps-the-start"),
    ],
)
def test_long_text_is_truncated_on_the_configured_side(truncating: str, kept: list[str]) -> None:
    model = loaded(text_config(truncating=truncating, maxlen=3))

    prepared = model.prepare("the movie was good a")

    assert prepared.tokens == kept
    assert prepared.token_ids == ids(*kept)


@pytest.mark.parametrize(
    "options",
    [
        pytest.param({"padding": "pre", "truncating": "pre"}, id="pre-pre"),
        pytest.param({"padding": "post", "truncating": "post"}, id="post-post"),
        pytest.param({"padding": "pre", "truncating": "post"}, id="pre-post"),
    ],
)
@pytest.mark.parametrize(
    "text",
    ["a truly great film", "Bad, bad!! and unseen words here", "the movie was good a b c d e f"],
)
def test_text_ids_equal_keras_texts_to_sequences_then_pad_sequences(
    options: dict[str, str], text: str
) -> None:
    tokenizer = fitted_tokenizer(num_words=8)
    model = loaded(text_config(tokenizer=tokenizer, maxlen=5, **options))

    expected = pad_sequences(tokenizer.texts_to_sequences([text]), maxlen=5, **options)[0]

    assert model.prepare(text).token_ids == expected.tolist()


def test_unknown_words_are_marked_oov_and_keep_their_spelling() -> None:
    model = loaded(text_config(maxlen=4))

    prepared = model.prepare("the zebra film")

    assert prepared.tokens == ["<pad>", "the", "zebra", "film"]
    assert prepared.token_kinds == ["pad", "word", "oov", "word"]
    assert prepared.token_ids == [0, INDEX["the"], INDEX["<OOV>"], INDEX["film"]]


def test_words_beyond_num_words_become_oov_as_in_keras() -> None:
    tokenizer = fitted_tokenizer(num_words=4)  # keeps <OOV>, the, movie
    model = loaded(text_config(tokenizer=tokenizer, maxlen=3))

    prepared = model.prepare("the movie was")

    assert prepared.token_kinds == ["word", "word", "oov"]
    assert prepared.token_ids == [INDEX["the"], INDEX["movie"], 1]


def test_without_oov_token_unknown_words_are_dropped_as_in_keras() -> None:
    tokenizer = fitted_tokenizer(oov_token=None)
    model = loaded(text_config(tokenizer=tokenizer, maxlen=3))

    prepared = model.prepare("zebra film")

    assert prepared.tokens == ["<pad>", "<pad>", "film"]


def test_text_of_only_unknown_words_without_oov_token_names_the_field() -> None:
    model = loaded(text_config(tokenizer=fitted_tokenizer(oov_token=None)))

    with pytest.raises(InputError, match="no word the model knows") as caught:
        model.prepare("zebra giraffe", field_name="text")

    assert caught.value.field == "text"


def test_masked_padding_reads_only_the_words() -> None:
    model = loaded(text_config(mask_padding=True, maxlen=6))

    prepared = model.prepare("a great film")

    assert prepared.token_kinds == ["word"] * 3
    assert prepared.steps == 3


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("", id="empty"),
        pytest.param("   \t\n ", id="whitespace"),
        pytest.param("?!... ,,, ---", id="punctuation-only"),
    ],
)
def test_text_without_words_is_an_input_error_naming_the_field(raw: str) -> None:
    model = loaded(text_config())

    with pytest.raises(InputError) as caught:
        model.prepare(raw, field_name="inputs[2]")

    assert caught.value.field == "inputs[2]"
    assert str(caught.value).startswith("inputs[2]: ")


@pytest.mark.parametrize("raw", [None, 3, ["a", "film"], {"text": "a film"}])
def test_text_model_rejects_non_strings(raw: Any) -> None:
    with pytest.raises(InputError, match="string") as caught:
        loaded(text_config()).prepare(raw)

    assert caught.value.field == "input"


def test_morpheme_analyzer_named_in_the_config_splits_korean_into_morphemes() -> None:
    sentences = ["나는 밥을 먹었다", "영화가 정말 재미있었다"]
    tokenizer = Tokenizer(oov_token="<OOV>", analyzer="morpheme")
    tokenizer.fit_on_texts(sentences)
    model = loaded(text_config(tokenizer=tokenizer, maxlen=12))

    prepared = model.prepare("나는 영화를 먹었다.")

    assert model.config.preprocessing.analyzer == "morpheme"  # type: ignore[union-attr]
    words = [t for t, k in zip(prepared.tokens or [], prepared.token_kinds or [], strict=True)]
    assert [w for w, k in zip(words, prepared.token_kinds or [], strict=True) if k != "pad"] == (
        morpheme_tokens("나는 영화를 먹었다.")
    )
    assert "나" in words and "는" in words


# -- numbers ------------------------------------------------------------------------------------


def test_numbers_are_scaled_with_the_stored_constants() -> None:
    model = loaded(numbers_config(features=("a", "b")))  # min -10, -20; max 10, 20

    prepared = model.prepare([[0.0, 20.0], [-10, -20]])

    assert prepared.values == [[0.0, 20.0], [-10.0, -20.0]]
    assert prepared.scaled == [[0.5, 1.0], [0.0, 0.0]]
    assert prepared.features.tolist() == [[[0.5, 1.0], [0.0, 0.0]]]
    assert prepared.features.dtype == torch.float64


def test_one_feature_accepts_a_flat_list_of_numbers() -> None:
    model = loaded(numbers_config(features=("level",), scaled=False))

    flat = model.prepare([1, 2.5, 3])
    nested = model.prepare([[1], [2.5], [3]])

    assert flat.values == nested.values == [[1.0], [2.5], [3.0]]


@pytest.mark.parametrize(
    ("raw", "field", "message"),
    [
        pytest.param("1, 2, 3", "input", "list of steps", id="a-string"),
        pytest.param([], "input", "no steps", id="no-steps"),
        pytest.param([1.0, 2.0], "input[0]", "list of 2", id="flat-for-two-features"),
        pytest.param([[1, 2], [1, 2], [1, 2], [1]], "input[3]", "has 1 value", id="ragged"),
        pytest.param([[1, 2], [1, 2, 3]], "input[1]", "has 3 values", id="too-wide"),
        pytest.param(
            [[1, 2], [1, 2], [1, 2], [1, float("nan")]], "input[3][1]", "finite", id="nan"
        ),
        pytest.param([[float("inf"), 2]], "input[0][0]", "finite", id="inf"),
        pytest.param([[1, -float("inf")]], "input[0][1]", "finite", id="minus-inf"),
        pytest.param([[True, 2]], "input[0][0]", "number", id="bool"),
        pytest.param([[1, "2"]], "input[0][1]", "number", id="numeric-string"),
        pytest.param([[1, None]], "input[0][1]", "number", id="null"),
        pytest.param([[1, [2]]], "input[0][1]", "number", id="nested-list"),
    ],
)
def test_bad_numbers_are_input_errors_naming_the_exact_place(
    raw: Any, field: str, message: str
) -> None:
    model = loaded(numbers_config(features=("a", "b")))

    with pytest.raises(InputError, match=message) as caught:
        model.prepare(raw)

    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}: ")


def test_numbers_too_large_for_float32_weights_name_the_place() -> None:
    model = loaded(numbers_config(features=("a", "b")), dtype=torch.float32)

    with pytest.raises(InputError, match="too large") as caught:
        model.prepare([[1.0, 2.0], [3.0, 1e300]])

    assert caught.value.field == "input[1][1]"


def test_max_steps_limits_the_number_of_steps() -> None:
    model = loaded(numbers_config(features=("level",), scaled=False))

    assert model.prepare([1.0] * 5, max_steps=5).steps == 5
    with pytest.raises(InputError, match="limit is 5"):
        model.prepare([1.0] * 6, max_steps=5)

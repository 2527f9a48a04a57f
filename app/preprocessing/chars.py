"""Characters as tokens, for character language models.

A character vocabulary is a Keras ``Tokenizer(char_level=True, lower=False, filters="")`` with
an unknown symbol as its OOV token: index 0 is never a character (padding, unused by a language
model), index 1 is `UNKNOWN`, the characters follow by frequency. Characters seen fewer than
`min_count` times in training, or beyond `max_size`, all become `UNKNOWN`. The saved tokenizer is
the vocabulary; `char_labels` lists the token each output of a next-character head stands for.
"""

from __future__ import annotations

from collections.abc import Iterable

from app.preprocessing.tokenizer import Tokenizer

UNKNOWN = "<unk>"  # never a single character, so no text can spell it
PAD = "<pad>"


def char_tokenizer(
    texts: Iterable[str], min_count: int = 1, max_size: int | None = None
) -> Tokenizer:
    """A character vocabulary fitted on `texts`: frequent characters, the rest unknown.

    `max_size` counts every index (padding and unknown included), as Keras's num_words does.
    """
    tokenizer = Tokenizer(char_level=True, lower=False, filters="", oov_token=UNKNOWN)
    tokenizer.fit_on_texts(texts)
    frequent = sum(1 for count in tokenizer.word_counts.values() if count >= min_count)
    size = frequent + 2  # padding and unknown
    tokenizer.num_words = size if max_size is None else min(size, max_size)
    return tokenizer


def char_labels(tokenizer: Tokenizer) -> list[str]:
    """The token of every index below the vocabulary size: [PAD, UNKNOWN, 'e', ' ', ...]."""
    return [
        PAD if index == 0 else tokenizer.index_word[index] for index in range(tokenizer.vocab_size)
    ]


def char_ids(tokenizer: Tokenizer, text: str) -> list[int]:
    """Every character's index (unknown characters as UNKNOWN's): texts_to_sequences' answer."""
    unknown = tokenizer.oov_index()
    assert unknown is not None, "a character vocabulary has an unknown symbol"
    index, limit = tokenizer.word_index, tokenizer.vocab_size
    ids = []
    for char in text:
        found = index.get(char, unknown)
        ids.append(found if found < limit else unknown)
    return ids

"""Word splitting with the semantics of Keras's ``text_to_word_sequence``.

These are the pure string functions every analyzer builds on; they know nothing about
vocabularies or models.
"""

from collections.abc import Callable
from functools import cache

# Keras's default ``filters``: ASCII punctuation plus tab and newline. Hangul, digits and
# every other non-ASCII character pass through untouched.
DEFAULT_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'


def text_to_word_sequence(
    text: str,
    filters: str = DEFAULT_FILTERS,
    lower: bool = True,
    split: str = " ",
) -> list[str]:
    """Split ``text`` into words the way Keras does.

    Lower-cases (optionally), replaces every character in ``filters`` with ``split``,
    splits on ``split`` and drops the empty strings that runs of separators leave behind.
    Only ``split`` separates words: with a custom ``filters`` that omits ``\\t`` a tab
    stays inside a word, exactly as in Keras.
    """
    return word_splitter(filters, lower, split)(text)


@cache
def word_splitter(
    filters: str = DEFAULT_FILTERS, lower: bool = True, split: str = " "
) -> Callable[[str], list[str]]:
    """``text_to_word_sequence`` with its options bound and its translation table built once
    (the atlas splits hundreds of thousands of morphemes)."""
    if not split:
        raise ValueError("split must be a non-empty string; got ''.")
    replacements: dict[str, str | int | None] = dict.fromkeys(filters, split)
    table = str.maketrans(replacements)

    def words(text: str) -> list[str]:
        if lower:
            text = text.lower()
        return [word for word in text.translate(table).split(split) if word]

    return words


def whitespace_tokens(text: str) -> list[str]:
    """Tokenise on spaces with Keras's default filters: "나는 밥을 먹었다." -> 나는 / 밥을 / 먹었다.

    This is the notes' 공백 기반 (whitespace-based) tokenisation and the analyzer a
    ``Tokenizer`` uses unless told otherwise.
    """
    return text_to_word_sequence(text)

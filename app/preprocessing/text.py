"""Word splitting with the semantics of Keras's ``text_to_word_sequence``.

These are the pure string functions every analyzer builds on; they know nothing about
vocabularies or models.
"""

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
    if not split:
        raise ValueError("split must be a non-empty string; got ''.")
    if lower:
        text = text.lower()
    replacements: dict[str, str | int | None] = dict.fromkeys(filters, split)
    text = text.translate(str.maketrans(replacements))
    return [word for word in text.split(split) if word]


def whitespace_tokens(text: str) -> list[str]:
    """Tokenise on spaces with Keras's default filters: "나는 밥을 먹었다." -> 나는 / 밥을 / 먹었다.

    This is the notes' 공백 기반 (whitespace-based) tokenisation and the analyzer a
    ``Tokenizer`` uses unless told otherwise.
    """
    return text_to_word_sequence(text)

"""Korean morpheme analysis on top of kiwipiepy, loaded once and shared.

The notes split "나는 밥을 먹었다" two ways: by spaces (나는 / 밥을 / 먹었다, see
``whitespace_tokens``) or by morphemes. Kiwi gives 나 / 는 / 밥 / 을 / 먹 / 었 / 다: it also
separates the past-tense ending 었 that the notes' analyser left attached as 먹었.

Kiwi's model ships in the ``kiwipiepy-model`` wheel, so nothing is downloaded at run time.
"""

from __future__ import annotations

import threading
from functools import cache
from typing import TYPE_CHECKING

from app.preprocessing.text import DEFAULT_FILTERS, text_to_word_sequence, word_splitter

if TYPE_CHECKING:
    from kiwipiepy import Kiwi

_KIWI_LOCK = threading.Lock()


@cache
def _build_kiwi() -> Kiwi:
    # Imported here so that importing app.preprocessing stays cheap for code that never
    # analyses morphemes.
    from kiwipiepy import Kiwi

    # The multi-word dictionary (WikiData proper nouns spanning several words) doubles the
    # load time (about 2.2 s against 1.0 s) and its entries would be split on spaces again
    # by our filters anyway.
    kiwi = Kiwi(load_multi_dict=False)
    # Kiwi finishes initialising on its first analysis; pay that cost here, under the lock,
    # rather than inside whichever request happens to come first.
    kiwi.tokenize("")
    return kiwi


def get_kiwi() -> Kiwi:
    """Return the shared, fully initialised ``Kiwi`` instance, building it on first use.

    Building takes about a second; call this from the app's lifespan to pay it at start-up.
    The lock keeps concurrent first calls from building two instances. Once built, the
    instance may be used from several threads at a time.
    """
    with _KIWI_LOCK:
        return _build_kiwi()


def morpheme_word_sequence(
    text: str,
    filters: str = DEFAULT_FILTERS,
    lower: bool = True,
    split: str = " ",
) -> list[str]:
    """Cut ``text`` into morphemes, then normalise each as ``text_to_word_sequence`` does.

    Passing every morpheme through the same lower-casing and filters as the default analyzer
    keeps the two analyzers comparable: punctuation morphemes ("." or "!") vanish and Latin
    words are lower-cased, so only the segmentation differs.
    """
    morphemes = (token.form for token in get_kiwi().tokenize(text))
    return [
        word
        for morpheme in morphemes
        for word in text_to_word_sequence(morpheme, filters=filters, lower=lower, split=split)
    ]


def morpheme_word_sequences(
    texts: list[str],
    filters: str = DEFAULT_FILTERS,
    lower: bool = True,
    split: str = " ",
) -> list[list[str]]:
    """``morpheme_word_sequence`` of many texts, analysed by Kiwi as one multi-threaded batch."""
    words = word_splitter(filters, lower, split)
    return [
        [word for token in tokens for word in words(token.form)]
        for tokens in get_kiwi().tokenize(texts)
    ]


def morpheme_tokens(text: str) -> list[str]:
    """Tokenise into morphemes with Keras's default filters.

    "나는 밥을 먹었다." -> 나 / 는 / 밥 / 을 / 먹 / 었 / 다 (the full stop is filtered out).
    """
    return morpheme_word_sequence(text)

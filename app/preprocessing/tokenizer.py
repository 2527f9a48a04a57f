"""A word tokenizer with the behaviour and JSON format of Keras's ``Tokenizer``.

Written from Keras's documented behaviour (``tf.keras.preprocessing.text.Tokenizer``, which
Keras 3 no longer ships) so that indices, padding and saved tokenizers match what the class
produces in Keras. On top of Keras it can name its analyzer ("whitespace" or "morpheme") so
that a saved tokenizer splits Korean text the same way after loading.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from app.preprocessing.korean import morpheme_word_sequence, morpheme_word_sequences
from app.preprocessing.text import DEFAULT_FILTERS, text_to_word_sequence

# Keras's ``analyzer``: raw text in, tokens out; filters and lower-casing are its own job.
Analyzer = Callable[[str], Sequence[str]]
# A named analyzer honours the tokenizer's filters, lower and split settings.
_WordSplitter = Callable[[str, str, bool, str], list[str]]

NAMED_ANALYZERS: Mapping[str, _WordSplitter] = {
    "whitespace": text_to_word_sequence,
    "morpheme": morpheme_word_sequence,
}
DEFAULT_ANALYZER = "whitespace"

# A text is a string, or (as in Keras) an already tokenised list of strings.
Text = str | Sequence[str]

# Keras keeps these dicts as JSON strings inside the config, one more level of encoding.
_JSON_STRING_FIELDS = ("word_counts", "word_docs", "index_docs", "index_word", "word_index")
_CONSTRUCTOR_FIELDS = frozenset(
    {"num_words", "filters", "lower", "split", "char_level", "oov_token"}
)


class Tokenizer:
    """Map words to integer indices by frequency, as ``keras...text.Tokenizer`` does.

    Index 0 is never assigned (it is the padding value). With ``oov_token`` the token takes
    index 1 and words start at 2. Words are ranked by count, ties keeping the order in which
    they were first seen. ``num_words`` keeps only indices below it when converting texts;
    the index itself always holds every word seen.

    ``analyzer`` is ``None`` or ``"whitespace"`` (Keras's default splitting), ``"morpheme"``
    (Korean morphemes via Kiwi, then the same filters and lower-casing), or any callable
    taking a text and returning its tokens, which then owns all normalisation as in Keras.
    Only named analyzers can be saved with ``to_json``.
    """

    def __init__(
        self,
        num_words: int | None = None,
        filters: str = DEFAULT_FILTERS,
        lower: bool = True,
        split: str = " ",
        char_level: bool = False,
        oov_token: str | None = None,
        analyzer: Analyzer | str | None = None,
    ) -> None:
        if num_words is not None and num_words < 1:
            raise ValueError(f"num_words must be a positive integer or None; got {num_words}.")
        if not split:
            raise ValueError("split must be a non-empty string; got ''.")
        self.num_words = num_words
        self.filters = filters
        self.lower = lower
        self.split = split
        self.char_level = char_level
        self.oov_token = oov_token
        self.analyzer_name, self._split_words = _resolve_analyzer(analyzer)
        self.document_count = 0
        self.word_counts: dict[str, int] = {}
        self.word_docs: dict[str, int] = {}
        self.index_docs: dict[int, int] = {}
        self.word_index: dict[str, int] = {}
        self.index_word: dict[int, str] = {}

    @property
    def vocab_size(self) -> int:
        """The ``input_dim`` an Embedding needs: one more than the largest index produced."""
        size = max(self.index_word, default=0) + 1
        return min(size, self.num_words) if self.num_words else size

    def tokenize(self, text: Text) -> list[str]:
        """Return the tokens of one text exactly as fitting and conversion see them.

        Character-level tokenizers yield every character (spaces and punctuation included,
        as in Keras); an already tokenised list is only lower-cased.
        """
        if not isinstance(text, str):
            return [token.lower() for token in text] if self.lower else list(text)
        if self.char_level:
            return list(text.lower() if self.lower else text)
        return self._split_words(text, self.filters, self.lower, self.split)

    def tokenize_many(self, texts: list[str]) -> list[list[str]]:
        """``tokenize`` of every text, the morpheme analyzer's as one batch (same tokens)."""
        if self.analyzer_name == "morpheme" and not self.char_level:
            return morpheme_word_sequences(texts, self.filters, self.lower, self.split)
        return [self.tokenize(text) for text in texts]

    def fit_on_texts(self, texts: Iterable[Text]) -> None:
        """Count words over ``texts`` and rebuild the index; repeated calls accumulate."""
        for text in _checked_texts(texts):
            tokens = self.tokenize(text)
            self.document_count += 1
            for token in tokens:
                self.word_counts[token] = self.word_counts.get(token, 0) + 1
            # Document frequency counts a word once per text; dict.fromkeys keeps first-seen
            # order, where Keras iterates a set (same counts, arbitrary order).
            for token in dict.fromkeys(tokens):
                self.word_docs[token] = self.word_docs.get(token, 0) + 1
        self._rebuild_index()

    def _rebuild_index(self) -> None:
        # sorted() is stable, so equal counts keep first-seen order, as in Keras.
        ranked = sorted(self.word_counts, key=self.word_counts.__getitem__, reverse=True)
        vocabulary = ranked if self.oov_token is None else [self.oov_token, *ranked]
        # Built like Keras's dict(zip(...)): if the OOV token also occurs in the texts, its
        # later rank wins and index 1 stays unused. Kept so indices match Keras-trained models.
        self.word_index = {}
        for index, word in enumerate(vocabulary, start=1):
            self.word_index[word] = index
        self.index_word = {index: word for word, index in self.word_index.items()}
        self.index_docs = {self.word_index[word]: n for word, n in self.word_docs.items()}

    def oov_index(self) -> int | None:
        """The index unknown words become, or None when they are dropped."""
        return None if self.oov_token is None else self.word_index.get(self.oov_token)

    def kept_index(self, token: str) -> int | None:
        """``token``'s own index if it is in the vocabulary and below ``num_words``."""
        index = self.word_index.get(token)
        return index if index is not None and self._is_kept(index) else None

    def _is_kept(self, index: int) -> bool:
        return not self.num_words or index < self.num_words

    def texts_to_sequences(self, texts: Iterable[Text]) -> list[list[int]]:
        """Convert texts to index lists.

        A word that is unknown, or whose index is not below ``num_words``, becomes the OOV
        index when ``oov_token`` is set and is dropped otherwise.
        """
        oov_index = self.oov_index()
        sequences = []
        for text in _checked_texts(texts):
            sequence = []
            for token in self.tokenize(text):
                index = self.kept_index(token)
                if index is not None:
                    sequence.append(index)
                elif oov_index is not None:
                    sequence.append(oov_index)
            sequences.append(sequence)
        return sequences

    def sequences_to_texts(self, sequences: Iterable[Iterable[int]]) -> list[str]:
        """Convert index lists back to space-joined texts.

        As in Keras, any index without a kept word, padding 0 included, becomes the OOV
        token when there is one and is dropped otherwise.
        """
        oov_word = None if self.oov_index() is None else self.oov_token
        texts = []
        for sequence in sequences:
            words = []
            for index in sequence:
                word = self.index_word.get(int(index))
                if word is not None and self._is_kept(int(index)):
                    words.append(word)
                elif oov_word is not None:
                    words.append(oov_word)
            texts.append(" ".join(words))
        return texts

    def get_config(self) -> dict[str, Any]:
        """Return Keras's config layout, the five dicts encoded as JSON strings."""
        return {
            "num_words": self.num_words,
            "filters": self.filters,
            "lower": self.lower,
            "split": self.split,
            "char_level": self.char_level,
            "oov_token": self.oov_token,
            "document_count": self.document_count,
            "word_counts": json.dumps(self.word_counts),
            "word_docs": json.dumps(self.word_docs),
            "index_docs": json.dumps(self.index_docs),
            "index_word": json.dumps(self.index_word),
            "word_index": json.dumps(self.word_index),
        }

    def to_json(self, **json_kwargs: Any) -> str:
        """Serialise in Keras's ``to_json`` layout; ``json_kwargs`` go to ``json.dumps``.

        The analyzer name sits next to ``class_name``, not inside ``config``: Keras's
        ``tokenizer_from_json`` passes every config key to ``Tokenizer(...)`` and would choke
        on it there, while it never reads top-level keys other than ``config``.
        """
        if self.analyzer_name is None:
            raise ValueError(
                "A tokenizer with a custom analyzer callable cannot be saved; "
                f"use a named analyzer ({_analyzer_choices()}) instead."
            )
        payload = {
            "class_name": "Tokenizer",
            "config": self.get_config(),
            "analyzer": self.analyzer_name,
        }
        return json.dumps(payload, **json_kwargs)


def tokenizer_from_json(json_string: str) -> Tokenizer:
    """Rebuild a ``Tokenizer`` from our ``to_json`` output or from real Keras's.

    JSON object keys are always strings, so the integer keys of ``index_word`` and
    ``index_docs`` are converted back. A missing ``analyzer`` (Keras's files) means the
    default whitespace analyzer.
    """
    return tokenizer_from_config(json.loads(json_string))


def tokenizer_from_config(payload: Any) -> Tokenizer:
    """Rebuild a ``Tokenizer`` from the already-parsed object of its JSON (see above).

    Callers that hold the document as a dict (a model's config.json) use this directly
    instead of serialising it again for ``tokenizer_from_json``.
    """
    if not isinstance(payload, dict) or payload.get("class_name") != "Tokenizer":
        raise ValueError('Tokenizer JSON must be an object with "class_name": "Tokenizer".')
    config = payload.get("config")
    if not isinstance(config, dict):
        raise ValueError('Tokenizer JSON must hold its settings in a "config" object.')
    config = dict(config)
    mappings = {field: _pop_json_mapping(config, field) for field in _JSON_STRING_FIELDS}
    document_count = int(config.pop("document_count", 0))
    unknown = sorted(set(config) - _CONSTRUCTOR_FIELDS)
    if unknown:
        raise ValueError(f"Tokenizer JSON config has unknown fields: {', '.join(unknown)}.")

    tokenizer = Tokenizer(**config, analyzer=payload.get("analyzer"))
    tokenizer.document_count = document_count
    tokenizer.word_counts = mappings["word_counts"]
    tokenizer.word_docs = mappings["word_docs"]
    tokenizer.word_index = mappings["word_index"]
    tokenizer.index_docs = {int(index): n for index, n in mappings["index_docs"].items()}
    tokenizer.index_word = {int(index): word for index, word in mappings["index_word"].items()}
    return tokenizer


def _pop_json_mapping(config: dict[str, Any], field: str) -> dict[str, Any]:
    """Pop one of Keras's JSON-string dicts from ``config``; a plain object is accepted too."""
    if field not in config:
        raise ValueError(f"Tokenizer JSON config lacks the {field!r} field.")
    value = config.pop(field)
    decoded = json.loads(value) if isinstance(value, str) else value
    if not isinstance(decoded, dict):
        raise ValueError(f"Tokenizer JSON field {field!r} must encode an object.")
    return decoded


def _resolve_analyzer(analyzer: Analyzer | str | None) -> tuple[str | None, _WordSplitter]:
    """Return (name, word splitter) for ``analyzer``; the name is None for a custom callable."""
    if analyzer is None:
        return DEFAULT_ANALYZER, NAMED_ANALYZERS[DEFAULT_ANALYZER]
    if isinstance(analyzer, str):
        if analyzer not in NAMED_ANALYZERS:
            raise ValueError(f"Unknown analyzer {analyzer!r}; choose one of {_analyzer_choices()}.")
        return analyzer, NAMED_ANALYZERS[analyzer]
    if not callable(analyzer):
        raise TypeError(f"analyzer must be a name or a callable; got {type(analyzer).__name__}.")
    return None, _ignoring_settings(analyzer)


def _ignoring_settings(analyzer: Analyzer) -> _WordSplitter:
    # A Keras-style analyzer receives the raw text and does its own normalisation.
    def split_words(text: str, filters: str, lower: bool, split: str) -> list[str]:
        return list(analyzer(text))

    return split_words


def _analyzer_choices() -> str:
    return ", ".join(repr(name) for name in NAMED_ANALYZERS)


def _checked_texts(texts: Iterable[Text]) -> Iterable[Text]:
    # Keras would iterate a bare string character by character, treating each character as
    # a document: never what a caller means, so refuse it.
    if isinstance(texts, str):
        raise TypeError("texts must be a list of strings, not a single string; wrap it: [text].")
    return texts

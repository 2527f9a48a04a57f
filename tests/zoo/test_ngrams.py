"""The n-gram baselines: bits per character against a direct count, and proper distributions."""

from __future__ import annotations

import math

import pytest

from app.zoo.training.ngrams import (
    KneserNey,
    Unigram,
    as_symbols,
    baselines,
    bits_per_char,
    ngram_counts,
)

TRAIN = "abracadabra abracadabra"
TEST = "abra cadabra"
VOCABULARY = 8  # a b r c d space, and two symbols never seen


def test_unigram_bits_equal_a_direct_count() -> None:
    counts = {symbol: TRAIN.count(symbol) for symbol in set(TRAIN)}
    expected = -sum(
        math.log2((counts.get(symbol, 0) + 1) / (len(TRAIN) + VOCABULARY)) for symbol in TEST[1:]
    ) / (len(TEST) - 1)

    assert bits_per_char(Unigram(VOCABULARY).fit(TRAIN), TEST) == pytest.approx(expected)


def test_bigram_kneser_ney_equals_the_formula_worked_by_hand() -> None:
    model = KneserNey(2, VOCABULARY).fit(TRAIN)
    bigrams = ngram_counts(TRAIN, 2)
    # Unigram level: continuation counts, how many different symbols precede each symbol.
    continuation = {s: len({g[0] for g in bigrams if g[1] == s}) for s in set(TRAIN)}
    types = sum(continuation.values())
    once = sum(1 for c in continuation.values() if c == 1)
    twice = sum(1 for c in continuation.values() if c == 2)
    d1 = once / (once + 2 * twice)
    p1 = max(continuation["c"] - d1, 0) / types + d1 * len(continuation) / types / VOCABULARY
    # Bigram level: raw counts after "a".
    once2 = sum(1 for c in bigrams.values() if c == 1)
    twice2 = sum(1 for c in bigrams.values() if c == 2)
    d2 = once2 / (once2 + 2 * twice2)
    after_a = {g: c for g, c in bigrams.items() if g[0] == "a"}
    total = sum(after_a.values())
    p2 = max(after_a.get("ac", 0) - d2, 0) / total + d2 * len(after_a) / total * p1

    assert model.probability("c", "a") == pytest.approx(p2)


@pytest.mark.parametrize("order", [1, 2, 3, 5])
@pytest.mark.parametrize("history", ["", "a", "ab", "abr", "zzzz", "ra ab"])
def test_kneser_ney_sums_to_one_over_the_vocabulary(order: int, history: str) -> None:
    model = KneserNey(order, VOCABULARY).fit(TRAIN)
    symbols = sorted(set(TRAIN)) + ["x", "y"]

    assert sum(model.probability(s, history) for s in symbols) == pytest.approx(1.0)
    assert min(model.probability(s, history) for s in symbols) > 0


def test_context_predicts_a_repeating_text_better_than_frequencies() -> None:
    measured = baselines([1, 2, 3, 4] * 50, [1, 2, 3, 4] * 10, 5)

    # Every symbol 50 times in 200: add-one gives 51 / 205 to each.
    assert measured.unigram == pytest.approx(math.log2(205 / 51))
    assert measured.trigram < 0.2 and measured.fivegram < 0.2


def test_symbols_are_one_character_per_id() -> None:
    assert as_symbols([0, 1, 2000]) == "\x00\x01" + chr(2000)

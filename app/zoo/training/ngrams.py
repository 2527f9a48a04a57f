"""Character n-gram baselines for language models, measured in bits per character.

A text here is a sequence of symbol ids (a character vocabulary's indices), held as a Python
string of `chr(id)` so that n-grams are plain slices and dict keys. Two models:

- `Unigram`: add-one (Laplace) frequencies, p(w) = (c(w) + 1) / (N + V).
- `KneserNey(order)`: interpolated Kneser-Ney (Chen & Goodman 1998, eq. 11). The highest order
  uses raw counts, every lower order continuation counts (how many different symbols precede an
  n-gram), each with its own absolute discount D = n1 / (n1 + 2 n2); the recursion ends in the
  uniform distribution 1/V, so no symbol of the vocabulary ever gets probability 0:

      p_n(w | h) = max(c(h w) - D_n, 0) / c(h)  +  D_n * N1+(h .) / c(h) * p_{n-1}(w | h')

  A context never seen passes its whole mass to the lower order.

`bits_per_char(model, text)` scores every symbol but the first (which has no history), each
given up to order-1 symbols before it: exactly the positions a language model is scored on.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol


def as_symbols(ids: Sequence[int]) -> str:
    """Symbol ids as one string, a character per id."""
    return "".join(map(chr, ids))


class CharModel(Protocol):
    order: int  # symbols of history used, plus one

    def probability(self, symbol: str, history: str) -> float: ...


@dataclass
class Unigram:
    """Add-one smoothed symbol frequencies over a vocabulary of `vocabulary` symbols."""

    vocabulary: int
    order: int = 1
    counts: Counter[str] = field(default_factory=Counter)
    total: int = 0

    def fit(self, text: str) -> Unigram:
        self.counts = Counter(text)
        self.total = len(text)
        return self

    def probability(self, symbol: str, history: str = "") -> float:
        return (self.counts[symbol] + 1) / (self.total + self.vocabulary)


@dataclass
class _Order:
    """One order's counts: c(h w) (raw or continuation), c(h), N1+(h .) and the discount."""

    counts: dict[str, int]
    context_totals: dict[str, int]
    context_types: dict[str, int]
    discount: float


def _discount(counts: dict[str, int]) -> float:
    """D = n1 / (n1 + 2 n2), from how many n-grams were counted once and twice."""
    of_counts = Counter(value for value in counts.values() if value <= 2)
    once, twice = of_counts[1], of_counts[2]
    if once == 0:
        return 0.5
    return once / (once + 2 * twice)


def _order_of(counts: dict[str, int]) -> _Order:
    totals: Counter[str] = Counter()
    types: Counter[str] = Counter()
    for gram, count in counts.items():
        totals[gram[:-1]] += count
        types[gram[:-1]] += 1
    return _Order(dict(counts), dict(totals), dict(types), _discount(counts))


def ngram_counts(text: str, n: int) -> Counter[str]:
    """How often each n-gram occurs in `text`."""
    return Counter(text[start : start + n] for start in range(len(text) - n + 1))


def continuation_counts(higher: dict[str, int]) -> Counter[str]:
    """N1+(. g): for each (n-1)-gram g, how many different symbols precede it, from the
    n-grams seen."""
    return Counter(gram[1:] for gram in higher)


@dataclass
class KneserNey:
    """Interpolated Kneser-Ney of `order` symbols over `vocabulary` symbols (see the module)."""

    order: int
    vocabulary: int
    orders: list[_Order] = field(default_factory=list)  # orders[n - 1]: n-grams

    def fit(self, text: str) -> KneserNey:
        counts: list[dict[str, int]] = [{}] * self.order
        counts[-1] = ngram_counts(text, self.order)
        for n in range(self.order - 1, 0, -1):
            # Lower orders count continuations: the distinct n+1-grams ending in each n-gram.
            counts[n - 1] = continuation_counts(ngram_counts(text, n + 1))
        self.orders = [_order_of(grams) for grams in counts]
        return self

    def probability(self, symbol: str, history: str) -> float:
        probability = 1.0 / self.vocabulary
        for n, level in enumerate(self.orders, start=1):
            if n > 1 and len(history) < n - 1:
                break
            context = history[len(history) - (n - 1) :] if n > 1 else ""
            total = level.context_totals.get(context, 0)
            if total == 0:
                break  # an unseen context: every higher one is unseen too
            seen = max(level.counts.get(context + symbol, 0) - level.discount, 0.0)
            weight = level.discount * level.context_types[context] / total
            probability = seen / total + weight * probability
        return probability


def bits_per_char(model: CharModel, text: str) -> float:
    """Mean -log2 p(symbol | up to order-1 symbols before it), over every symbol but the first."""
    if len(text) < 2:
        return float("nan")
    context = model.order - 1
    bits = 0.0
    for position in range(1, len(text)):
        history = text[max(0, position - context) : position]
        bits -= math.log2(model.probability(text[position], history))
    return bits / (len(text) - 1)


@dataclass(frozen=True)
class Baselines:
    """Held-out bits per character of the unigram, 3-gram and 5-gram models."""

    unigram: float
    trigram: float
    fivegram: float

    def as_metrics(self) -> dict[str, float]:
        return {
            "unigram_bpc": self.unigram,
            "trigram_bpc": self.trigram,
            "fivegram_bpc": self.fivegram,
        }


def baselines(train: Sequence[int], held_out: Sequence[int], vocabulary: int) -> Baselines:
    """Fit every baseline on `train` ids and score them on `held_out` ids."""
    train_text, test_text = as_symbols(train), as_symbols(held_out)
    return Baselines(
        unigram=bits_per_char(Unigram(vocabulary).fit(train_text), test_text),
        trigram=bits_per_char(KneserNey(3, vocabulary).fit(train_text), test_text),
        fivegram=bits_per_char(KneserNey(5, vocabulary).fit(train_text), test_text),
    )

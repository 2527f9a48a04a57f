"""Features of Korean review text, per character. Reviews are separated by newlines.

- `position`: characters since the review began (the first character is 0).
- `after_negation`: the character comes after a negation word earlier in the same sentence
  (a sentence ends at . ! ? or the end of the review). Negation words are whitespace-separated
  words that are 안 or 못 on their own or start with 안/못 followed by a space-less verb (못해,
  안봐), or that contain 않, 없, 아니 or 말고. The negation word's own characters are not after
  it; the space after it is.
- `repeat_run`: the character belongs to a run of at least 3 of the same character (ㅋㅋㅋ,
  ㅠㅠㅠ, !!!, ...), spaces and newlines excepted.
"""

from __future__ import annotations

import re

from app.features.scoring import Feature

NEGATION_INSIDE = ("않", "없", "아니", "말고")
NEGATION_ADVERBS = ("안", "못")
SENTENCE_END = ".!?\n"
RUN_LENGTH = 3
_WORD = re.compile(r"\S+")
_RUN = re.compile(r"(\S)\1{" + str(RUN_LENGTH - 1) + ",}")


def is_negation_word(word: str) -> bool:
    """안/못 as their own word or glued to a verb (안봐, 못해), or a word holding 않, 없, 아니
    or 말고."""
    stripped = word.strip(".,!?~'\"()")
    if any(part in stripped for part in NEGATION_INSIDE):
        return True
    return stripped.startswith(NEGATION_ADVERBS) and (
        len(stripped) == 1 or stripped[:2] not in {"안녕", "안정", "안타", "못생"}
    )


def positions(text: str) -> list[float]:
    out, position = [], 0
    for char in text:
        out.append(float(position))
        position = 0 if char == "\n" else position + 1
    return out


def after_negation(text: str) -> list[float]:
    flags = [0.0] * len(text)
    negated_from: int | None = None
    ends = [
        match.start() + len(match.group().rstrip(SENTENCE_END + ",~"))
        for match in _WORD.finditer(text)
        if is_negation_word(match.group())
    ]
    end_iter = iter(ends)
    next_end = next(end_iter, None)
    for index, char in enumerate(text):
        while next_end is not None and next_end <= index:
            negated_from = next_end if negated_from is None else negated_from
            next_end = next(end_iter, None)
        if negated_from is not None and index >= negated_from:
            flags[index] = 1.0
        if char in SENTENCE_END:
            negated_from = None
    return flags


def repeat_runs(text: str) -> list[float]:
    flags = [0.0] * len(text)
    for match in _RUN.finditer(text):
        for index in range(match.start(), match.end()):
            flags[index] = 1.0
    return flags


def korean_features(text: str) -> list[Feature]:
    """Every Korean feature of `text`, one value per character."""
    return [
        Feature("position", "numeric", positions(text), "characters since the review began"),
        Feature(
            "after_negation",
            "binary",
            after_negation(text),
            "after a negation word (안, 못, 않, 없, 아니, 말고) in the same sentence",
        ),
        Feature("repeat_run", "binary", repeat_runs(text), "inside a run of 3+ of one character"),
    ]

"""Interpretable-cell features: exact per-character facts about a text, and scoring every unit
of a character language model against them.

python_source.py  from Python's own `tokenize`: inside a string, inside a comment, bracket
                  depth, indentation level, column
korean.py         for Korean reviews: position in the review, after a negation word, inside a
                  run of one repeated character (ㅋㅋㅋ, ㅠㅠㅠ, !!!)
scoring.py        AUROC (binary features) and Pearson r (numeric ones) of every unit
cells.py          a model's held-out text, traced, scored: the best unit per feature
"""

from app.features.korean import korean_features
from app.features.python_source import python_features
from app.features.scoring import Feature, auroc, pearson

__all__ = ["Feature", "auroc", "korean_features", "pearson", "python_features"]

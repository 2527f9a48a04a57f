"""Features of Python source, per character, exactly as Python's own `tokenize` reads it.

- `in_string`: the character is part of a string literal, from its prefix and opening quote to
  its closing quote (an f-string's replacement fields included: Python 3.11 tokenizes an f-string
  as one STRING token).
- `in_comment`: part of a comment, from `#` to the end of the line (not the newline).
- `bracket_depth`: open brackets ( [ { after reading the character (an opening bracket counts
  itself, a closing one does not); brackets in strings and comments are not brackets.
- `indent`: the indentation level (INDENT tokens minus DEDENT tokens) of the line the
  character is on; an indented line's leading whitespace is already at its new level, a
  dedented line's from its first token on.
- `column`: the character's position in its line (0 for the first).

A source that does not tokenize to the end (cut off mid-string) keeps the features of the part
read before the error; the rest is marked as read so far.
"""

from __future__ import annotations

import io
import itertools
import tokenize
from collections.abc import Iterator

from app.features.scoring import Feature

OPENING, CLOSING = "([{", ")]}"


def _line_starts(source: str) -> list[int]:
    """Offset of the first character of each line (tokenize's row r is index r - 1)."""
    starts = [0]
    for line in source.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    return starts


def _tokens(source: str) -> Iterator[tokenize.TokenInfo]:
    try:
        yield from tokenize.generate_tokens(io.StringIO(source).readline)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return


def python_features(source: str) -> list[Feature]:
    """Every Python feature of `source`, one value per character."""
    starts = _line_starts(source)
    size = len(source)

    def offset(position: tuple[int, int]) -> int:
        row, column = position
        return min(starts[min(row - 1, len(starts) - 1)] + column, size)

    in_string = [0.0] * size
    in_comment = [0.0] * size
    depth_change = [0] * (size + 1)
    indent_change = [0] * (size + 1)
    for token in _tokens(source):
        start, end = offset(token.start), offset(token.end)
        if token.type == tokenize.STRING:
            in_string[start:end] = [1.0] * (end - start)
        elif token.type == tokenize.COMMENT:
            in_comment[start:end] = [1.0] * (end - start)
        elif token.type == tokenize.OP and token.string in OPENING:
            depth_change[start] += 1
        elif token.type == tokenize.OP and token.string in CLOSING:
            depth_change[start] -= 1
        elif token.type == tokenize.INDENT:
            indent_change[_line_start(starts, token.start)] += 1
        elif token.type == tokenize.DEDENT:
            indent_change[start] -= 1
    depth = list(itertools.accumulate(depth_change[:size]))
    indent = list(itertools.accumulate(indent_change[:size]))
    return [
        Feature("in_string", "binary", in_string, "inside a string literal (quotes included)"),
        Feature("in_comment", "binary", in_comment, "inside a comment"),
        Feature("bracket_depth", "numeric", [float(d) for d in depth], "open ( [ { brackets"),
        Feature("indent", "numeric", [float(i) for i in indent], "indentation level (blocks)"),
        Feature("column", "numeric", _columns(source), "position in the line"),
    ]


def _line_start(starts: list[int], position: tuple[int, int]) -> int:
    return starts[position[0] - 1]


def _columns(source: str) -> list[float]:
    out, column = [], 0
    for char in source:
        out.append(float(column))
        column = 0 if char == "\n" else column + 1
    return out

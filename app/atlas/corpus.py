"""The documents an index is built from: a shipped model's held-out data, or a user's corpus.

A text corpus is a list of strings (a text file, one document a line, or one CSV column); a
series corpus is a list of windows, each a list of steps of the model's features (a numeric CSV
cut into sliding windows of the model's window length, as the weather's held-out year is).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.zoo.spec import ModelConfig, NumbersPreprocessing
from app.zoo.training.datasets import DEFAULT_DATA_DIR, held_out
from app.zoo.training.recipes import RECIPES, recipe_for

_DATA_NAMES = {
    "nsmc": "NSMC ratings_test.tsv",
    "movie_snippets": "movie snippets, held-out 10 %",
    "weather": "Seattle weather, held-out year (windows)",
}


class CorpusError(ValueError):
    """A corpus gatescope cannot index; `code` is a stable key, `params` what it quotes."""

    def __init__(self, code: str, message: str, params: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.params = params or {}


@dataclass(frozen=True)
class Corpus:
    """Documents in order; a document's id is its position here."""

    name: str
    kind: str  # "text" | "numbers"
    documents: list[Any] = field(repr=False)

    @property
    def digest(self) -> str:
        payload = json.dumps([self.kind, self.documents], ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def held_out_corpus(model_id: str, data_dir: Path = DEFAULT_DATA_DIR) -> Corpus | None:
    """A shipped model's own held-out data, exactly as its card measures it; None for a model
    without a recipe (an upload)."""
    if model_id not in RECIPES:
        return None
    recipe = recipe_for(model_id)
    inputs = held_out(model_id, Path(data_dir)).inputs
    kind = "numbers" if recipe.data == "weather" else "text"
    return Corpus(_DATA_NAMES.get(recipe.data, recipe.data), kind, inputs)


def read_corpus_file(
    data: bytes, name: str, config: ModelConfig, column: str | None = None
) -> Corpus:
    """A user's corpus for this model: text lines, a CSV column, or a numeric CSV (windows)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise CorpusError("not_utf8", "the corpus is not UTF-8 text") from error
    spec = config.preprocessing
    if isinstance(spec, NumbersPreprocessing):
        return Corpus(name, "numbers", series_windows(text, spec))
    documents = csv_column(text, column) if column else text_lines(text)
    if not documents:
        raise CorpusError("empty_corpus", "the corpus has no documents")
    return Corpus(name, "text", documents)


def text_lines(text: str) -> list[str]:
    """One document a line; blank lines are skipped."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def csv_column(text: str, column: str) -> list[str]:
    """The non-blank cells of one named column of a CSV (or TSV) with a header line."""
    dialect = csv.excel_tab if "\t" in text.split("\n", 1)[0] else csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    if column not in (reader.fieldnames or []):
        raise CorpusError(
            "unknown_column",
            f"the corpus has no column {column[:40]!r}; its columns are {reader.fieldnames}",
            {"column": column[:40], "columns": reader.fieldnames or []},
        )
    return [cell.strip() for row in reader if (cell := row.get(column) or "").strip()]


def series_windows(text: str, spec: NumbersPreprocessing) -> list[list[list[float]]]:
    """A numeric CSV (a header naming the model's features, or exactly as many columns) cut
    into every window of seq_length consecutive rows."""
    rows = list(csv.reader(io.StringIO(text)))
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows:
        raise CorpusError("empty_corpus", "the corpus has no rows")
    header = [cell.strip() for cell in rows[0]]
    if set(spec.features) <= set(header):
        columns = [header.index(name) for name in spec.features]
        rows = rows[1:]
    else:
        columns = list(range(len(spec.features)))
    values = [_numbers(row, columns, number) for number, row in enumerate(rows, start=1)]
    length = spec.seq_length
    if len(values) < length:
        raise CorpusError(
            "too_few_rows",
            f"the corpus has {len(values)} rows; a window needs {length}",
            {"rows": len(values), "limit": length},
        )
    return [values[start : start + length] for start in range(len(values) - length + 1)]


def _numbers(row: list[str], columns: list[int], number: int) -> list[float]:
    try:
        return [float(row[column]) for column in columns]
    except (IndexError, ValueError) as error:
        raise CorpusError(
            "not_a_number",
            f"row {number} of the corpus does not hold {len(columns)} numbers",
            {"row": number},
        ) from error

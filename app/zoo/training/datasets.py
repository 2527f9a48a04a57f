"""The training data: NSMC, the movie snippets and Seattle's weather, read from the shared folder.

Every split here is seeded, so `held_out(model_id)` returns exactly the rows `train(model_id)`
measures on. Korean reviews are cut into morphemes by Kiwi once and cached outside the project.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
import torch
from torch import Tensor

from app.config import PROJECT_ROOT, get_settings
from app.preprocessing import text_to_word_sequence, timeseries_windows
from app.zoo.training.recipes import SEED, Recipe, recipe_for

DEFAULT_DATA_DIR = PROJECT_ROOT.parent / "shared" / "data"
WEATHER_FILE = "timeseries/seattle-weather.csv"
WEATHER_FEATURES = ["precipitation", "temp_max", "temp_min", "wind"]
HELD_OUT_DAYS = 365

Rows = list[tuple[str, int]]  # (text, 0/1 label)


def require(path: Path) -> Path:
    """`path`, or a FileNotFoundError saying where the training data was looked for."""
    if not path.is_file():
        raise FileNotFoundError(
            f"training data not found: looked for {path} (pass data_dir, or `--data`, pointing "
            "at the shared data folder that holds nsmc/, movie_snippets/ and timeseries/)"
        )
    return path


# -- sentiment ----------------------------------------------------------------------------------


class SentimentSplit(NamedTuple):
    """A sentiment recipe's rows, split into training and held-out parts, and how."""

    train: Rows
    test: Rows
    data_file: str  # relative to the shared data folder, as the card names it
    split: str  # the split in words, for the card


def sentiment_rows(recipe: Recipe, data_dir: Path) -> SentimentSplit:
    """NSMC's own train/test files, or a seeded 90/10 permutation of the movie snippets."""
    if recipe.data == "nsmc":
        train_file = require(data_dir / "nsmc" / "ratings_train.tsv")
        test_file = require(data_dir / "nsmc" / "ratings_test.tsv")
        split = "trained on ratings_train.tsv (150,000 rows), measured on ratings_test.tsv"
        return SentimentSplit(
            nsmc_rows(train_file), nsmc_rows(test_file), "nsmc/ratings_train.tsv", split
        )
    source = require(data_dir / "movie_snippets" / "movie_snippets.tsv")
    rows = snippet_rows(source)
    order = np.random.default_rng(SEED).permutation(len(rows))
    cut = len(rows) - len(rows) // 10
    split = (
        f"score 0 dropped; seeded (numpy default_rng({SEED})) permutation, first 90 % for "
        "training, last 10 % held out"
    )
    return SentimentSplit(
        [rows[i] for i in order[:cut]],
        [rows[i] for i in order[cut:]],
        "movie_snippets/movie_snippets.tsv",
        split,
    )


def nsmc_rows(path: Path) -> Rows:
    """(document, label) of an NSMC file: id, document, label, tab-separated, with a header."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        next(reader)
        return [(document, int(label)) for _, document, label in reader]


def snippet_rows(path: Path) -> Rows:
    """(text, score > 0) of the movie snippets, neutral (score 0) rows dropped."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        scored = [(text, float(score)) for _, score, text in reader]
    return [(text, int(score > 0)) for text, score in scored if score != 0]


def carve_validation(rows: Rows, fraction: float) -> tuple[Rows, Rows]:
    """A seeded validation split from the training rows (never from the held-out rows)."""
    order = np.random.default_rng(SEED + 1).permutation(len(rows))
    size = int(len(rows) * fraction)
    return [rows[i] for i in order[size:]], [rows[i] for i in order[:size]]


def labels(rows: Rows) -> Tensor:
    return torch.tensor([label for _, label in rows], dtype=torch.float32)


def word_lists(texts: list[str], analyzer: str) -> list[list[str]]:
    """Every text's tokens as the saved tokenizer's analyzer makes them."""
    if analyzer == "morpheme":
        return cached_morphemes(texts)
    return [text_to_word_sequence(text) for text in texts]


# -- Korean morphemes, cached -------------------------------------------------------------------


def morpheme_batch(texts: Sequence[str]) -> list[list[str]]:
    """`morpheme_tokens` for many texts at once, using Kiwi's multi-threaded batch analysis."""
    from app.preprocessing.korean import get_kiwi

    analysed = get_kiwi().tokenize(list(texts))
    return [
        [word for token in tokens for word in text_to_word_sequence(token.form)]
        for tokens in analysed
    ]


def morpheme_cache_dir() -> Path:
    """Where analysed texts are cached: under GATESCOPE_DATA_DIR when it is set, else in the
    user's cache folder (XDG_CACHE_HOME or ~/.cache); never in the project."""
    settings = get_settings()
    if "data_dir" in settings.model_fields_set:
        return settings.data_dir / "cache" / "morphemes"
    user_cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(user_cache) / "gatescope" / "morphemes"


def cached_morphemes(texts: list[str]) -> list[list[str]]:
    """`morpheme_batch(texts)`, read from the cache when these exact texts were analysed before."""
    digest = hashlib.sha256("\n".join(texts).encode("utf-8")).hexdigest()[:24]
    cache = morpheme_cache_dir() / f"{digest}.json"
    cached = _read_cache(cache, len(texts))
    if cached is not None:
        return cached
    words = morpheme_batch(texts)
    _write_atomically(cache, json.dumps(words, ensure_ascii=False))
    return words


def _read_cache(path: Path, count: int) -> list[list[str]] | None:
    try:
        cached = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return cached if isinstance(cached, list) and len(cached) == count else None


def _write_atomically(path: Path, text: str) -> None:
    """Write a temporary file beside `path`, then rename it over: readers never see half."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", dir=path.parent, suffix=".partial", delete=False
        ) as handle:
            handle.write(text)
        os.replace(handle.name, path)
    except OSError:
        pass  # a cache is only a cache


# -- characters ---------------------------------------------------------------------------------

PYTHON_DIR = "python_source/files"
PYTHON_HELD_OUT = 0.1  # of the files
PYTHON_VALIDATION = 0.05  # of the files, carved from the training files


class TextSplit(NamedTuple):
    """A language model's documents: training, validation and held out, and how they were split."""

    train: list[str]
    validation: list[str]
    test: list[str]
    data_file: str
    split: str
    test_names: list[str]  # the held-out documents' names (files), or [] for NSMC


def python_files(data_dir: Path) -> list[Path]:
    """The standard library's modules, in name order."""
    folder = data_dir / PYTHON_DIR
    files = sorted(folder.glob("*.py")) if folder.is_dir() else []
    if not files:
        raise FileNotFoundError(
            f"training data not found: looked for {folder}/*.py (pass data_dir, or `--data`, "
            "pointing at the shared data folder that holds python_source/)"
        )
    return files


def python_split(data_dir: Path) -> TextSplit:
    """Whole files, split by a seeded permutation: ~10 % held out, ~5 % for validation."""
    files = python_files(data_dir)
    order = np.random.default_rng(SEED).permutation(len(files))
    held = max(1, round(len(files) * PYTHON_HELD_OUT))
    valid = max(1, round(len(files) * PYTHON_VALIDATION))
    test = sorted(files[i] for i in order[:held])
    validation = sorted(files[i] for i in order[held : held + valid])
    train = sorted(files[i] for i in order[held + valid :])
    split = (
        f"by file: a seeded (numpy default_rng({SEED})) permutation of the {len(files)} files; "
        f"{len(test)} held out, {len(validation)} for validation, {len(train)} for training"
    )
    return TextSplit(
        [read_text(path) for path in train],
        [read_text(path) for path in validation],
        [read_text(path) for path in test],
        PYTHON_DIR + "/*.py",
        split,
        [path.name for path in test],
    )


def read_text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def nsmc_text_split(data_dir: Path, validation_fraction: float) -> TextSplit:
    """NSMC reviews as documents: ratings_train.tsv for training (a seeded part for
    validation), ratings_test.tsv held out."""
    train_file = require(data_dir / "nsmc" / "ratings_train.tsv")
    test_file = require(data_dir / "nsmc" / "ratings_test.tsv")
    train_rows, validation_rows = carve_validation(nsmc_rows(train_file), validation_fraction)
    split = (
        "trained on ratings_train.tsv (a seeded "
        f"{validation_fraction:.0%} of it for validation), measured on ratings_test.tsv; "
        "one review per line"
    )
    return TextSplit(
        [text for text, _ in train_rows],
        [text for text, _ in validation_rows],
        [text for text, _ in nsmc_rows(test_file)],
        "nsmc/ratings_train.tsv",
        split,
        [],
    )


# -- weather ------------------------------------------------------------------------------------


def weather_rows(path: Path) -> tuple[list[str], npt.NDArray[np.float64]]:
    """The dates and the WEATHER_FEATURES of every day, in file (time) order."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    dates = [row["date"] for row in rows]
    values = np.array([[float(row[name]) for name in WEATHER_FEATURES] for row in rows])
    return dates, values


def windows(
    data: npt.NDArray[np.float64],
    targets: npt.NDArray[np.float64],
    length: int,
    start: int,
    end: int,
) -> tuple[Tensor, Tensor]:
    """Windows of `length` rows predicting rows start + length .. end (inclusive)."""
    x, y = timeseries_windows(data, targets, length, start_index=start, end_index=end)
    return torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.float32)


# -- the held-out data, for checking a shipped model ----------------------------------------------


@dataclass(frozen=True)
class HeldOut:
    """A recipe's held-out part as raw model inputs, with the truth (and a baseline)."""

    inputs: list[Any]  # review texts, or windows of [precipitation, temp_max, temp_min, wind]
    targets: list[float]  # 0/1 labels, or the next day's temp_max in °C
    baseline: list[float] | None = None  # weather: persistence (tomorrow = today)


def held_out(model_id: str, data_dir: Path = DEFAULT_DATA_DIR, limit: int | None = None) -> HeldOut:
    """The rows `train(model_id)` measures on, exactly as it splits them."""
    recipe = recipe_for(model_id)
    data_dir = Path(data_dir)
    if recipe.task == "sentiment":
        rows = sentiment_rows(recipe, data_dir).test[:limit]
        return HeldOut([text for text, _ in rows], [float(label) for _, label in rows])
    return _weather_held_out(recipe, data_dir, limit)


def _weather_held_out(recipe: Recipe, data_dir: Path, limit: int | None) -> HeldOut:
    _, values = weather_rows(require(data_dir / WEATHER_FILE))
    start = len(values) - HELD_OUT_DAYS - recipe.seq_length
    inputs, targets = timeseries_windows(
        values, values, recipe.seq_length, start_index=start, end_index=len(values) - 1
    )
    column = WEATHER_FEATURES.index("temp_max")
    inputs, targets = inputs[:limit], targets[:limit]
    return HeldOut(
        inputs=inputs.tolist(),
        targets=targets[:, column].tolist(),
        baseline=inputs[:, -1, column].tolist(),
    )

"""Training recipes that reproduce the shipped models from the shared data, seeded, on a CPU.

`train("sentiment-ko-gru")` reads the data set its recipe names, fits the preprocessing on the
training part only, trains a GateNet with Adam, measures it on the held-out part and writes
`<out_dir>/<id>/` (config.json, weights.safetensors, card.md) with `save_model`.

Dropout is used in training only (on the embedding output and before the head); it vanishes at
inference, so the saved network is exactly "Embedding -> cell -> Dense" as the config says.
"""

from __future__ import annotations

import copy
import csv
import hashlib
import json
import math
import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import torch
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from torch import Tensor, nn

from app.config import PROJECT_ROOT
from app.preprocessing import (
    MinMaxScaler,
    Tokenizer,
    pad_sequences,
    text_to_word_sequence,
    timeseries_windows,
)
from app.zoo.loaded import LoadedModel
from app.zoo.network import GateNet
from app.zoo.spec import (
    DenseSpec,
    EmbeddingSpec,
    ModelConfig,
    NumbersPreprocessing,
    RecurrentSpec,
    TextPreprocessing,
)
from app.zoo.store import save_model

DEFAULT_DATA_DIR = PROJECT_ROOT.parent / "shared" / "data"
DEFAULT_OUT_DIR = PROJECT_ROOT / "models"
SEED = 42
OOV_TOKEN = "<OOV>"
LABELS = ["negative", "positive"]
WEATHER_FEATURES = ["precipitation", "temp_max", "temp_min", "wind"]
HELD_OUT_DAYS = 365
MORPHEME_CACHE = Path("/tmp/gatescope-morphemes")

Cell = Literal["rnn", "lstm", "gru"]


@dataclass(frozen=True)
class Recipe:
    """How one shipped model is made: data, architecture, preprocessing and optimisation."""

    model_id: str
    title: str
    data: str  # "nsmc", "movie_snippets" or "weather"
    cell: Cell
    hidden_size: int
    epochs: int
    learning_rate: float
    batch_size: int
    num_layers: int = 1
    embedding_dim: int = 0
    num_words: int = 0
    maxlen: int = 0
    analyzer: Literal["whitespace", "morpheme"] = "whitespace"
    dropout: float = 0.0  # on the embedding output / recurrent inputs, training only
    head_dropout: float = 0.0  # on the final hidden state, training only
    weight_decay: float = 0.0
    patience: int | None = None  # early stopping on the validation split
    validation_fraction: float = 0.05
    seq_length: int = 0
    head: tuple[tuple[int, str], ...] = ((1, "sigmoid"),)
    examples: tuple[Any, ...] = ()  # text: (sentence, label); numbers: chosen by date
    gradient_clip: float = 1.0

    @property
    def task(self) -> Literal["sentiment", "regression"]:
        return "regression" if self.data == "weather" else "sentiment"

    @property
    def language(self) -> Literal["ko", "en"] | None:
        return {"nsmc": "ko", "movie_snippets": "en"}.get(self.data)  # type: ignore[return-value]


KO_EXAMPLES = (
    ("배우들 연기가 정말 좋았고 마지막 장면에서 울었어요", "positive"),
    ("올해 본 영화 중에 최고였다 강력 추천합니다", "positive"),
    ("음악도 좋고 영상미도 훌륭한 영화", "positive"),
    ("시간이 아까웠다 스토리가 너무 지루하다", "negative"),
    ("돈 주고 보기 아까운 최악의 영화", "negative"),
    ("배우는 좋은데 각본이 엉망이라 실망했어요", "negative"),
)
EN_EXAMPLES = (
    ("a warm, funny and beautifully acted film", "positive"),
    ("one of the best movies of the year", "positive"),
    ("a moving story with a wonderful cast", "positive"),
    ("a dull, lifeless mess that goes nowhere", "negative"),
    ("the plot is boring and the jokes fall flat", "negative"),
    ("a tedious waste of two hours", "negative"),
)
# Held-out windows shown as examples: the windows whose next day (the target) is these dates.
WEATHER_EXAMPLE_DATES = ("2015/01/15", "2015/07/15")


def _korean(cell: Cell, hidden: int, epochs: int) -> Recipe:
    return Recipe(
        model_id=f"sentiment-ko-{cell}",
        title=f"Korean movie reviews · {cell.upper()}, {hidden} units",
        data="nsmc",
        cell=cell,
        hidden_size=hidden,
        epochs=epochs,
        learning_rate=2e-3,
        batch_size=128,
        embedding_dim=64,
        num_words=20_000,
        maxlen=40,
        analyzer="morpheme",
        dropout=0.3,
        head_dropout=0.3,
        patience=2,
        examples=KO_EXAMPLES,
    )


def _english(cell: Cell, hidden: int, epochs: int) -> Recipe:
    return Recipe(
        model_id=f"sentiment-en-{cell}",
        title=f"English movie reviews · {'RNN' if cell == 'rnn' else cell.upper()}, {hidden} units",
        data="movie_snippets",
        cell=cell,
        hidden_size=hidden,
        epochs=epochs,
        learning_rate=2e-3,
        batch_size=64,
        embedding_dim=64,
        num_words=10_000,
        maxlen=40,
        dropout=0.4,
        head_dropout=0.4,
        weight_decay=1e-5,
        patience=3,
        validation_fraction=0.1,
        examples=EN_EXAMPLES,
    )


def _weather(cell: Cell, hidden: int, epochs: int) -> Recipe:
    return Recipe(
        model_id=f"weather-{cell}",
        title=f"Seattle weather, next day's high · {cell.upper()}, 2 layers of {hidden} units",
        data="weather",
        cell=cell,
        hidden_size=hidden,
        num_layers=2,
        epochs=epochs,
        learning_rate=2e-3,
        batch_size=32,
        seq_length=10,
        patience=15,
        validation_fraction=0.15,
        head=((100, "relu"), (50, "relu"), (1, "linear")),
    )


RECIPES: dict[str, Recipe] = {
    recipe.model_id: recipe
    for recipe in (
        _korean("gru", 32, 2),
        _korean("lstm", 32, 2),
        _english("gru", 32, 12),
        _english("lstm", 32, 12),
        _english("rnn", 32, 12),
        _weather("gru", 32, 80),
        _weather("lstm", 32, 80),
    )
}


@dataclass(frozen=True)
class TrainReport:
    """What `train` did: where it wrote, the held-out numbers, and how long it took."""

    model_id: str
    directory: Path
    metrics: dict[str, float]
    seconds: float
    epochs_run: int
    train_rows: int
    held_out_rows: int
    history: list[dict[str, float]] = field(default_factory=list)


def train(
    model_id: str,
    data_dir: Path = DEFAULT_DATA_DIR,
    out_dir: Path = DEFAULT_OUT_DIR,
    *,
    limit: int | None = None,
    epochs: int | None = None,
    progress: bool = True,
    threads: int = 2,
) -> TrainReport:
    """Train the shipped model `model_id` from scratch and write it to `out_dir/<model_id>/`.

    `limit` caps the training rows and the held-out rows (for quick checks); `epochs`
    overrides the recipe's; `threads` is torch's intra-op thread count while training (the
    previous count is restored). Seeded: the same arguments give the same weights.
    """
    if model_id not in RECIPES:
        raise KeyError(f"no recipe for {model_id!r}; known: {', '.join(sorted(RECIPES))}")
    recipe = RECIPES[model_id]
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        return _train(recipe, Path(data_dir), Path(out_dir), limit, epochs, progress)
    finally:
        torch.set_num_threads(previous_threads)


def _train(
    recipe: Recipe,
    data_dir: Path,
    out_dir: Path,
    limit: int | None,
    epochs: int | None,
    progress: bool,
) -> TrainReport:
    wall, cpu = time.perf_counter(), time.process_time()
    _seed_everything(SEED)
    runner = _TextRun if recipe.task == "sentiment" else _WeatherRun
    run = runner(recipe, data_dir, limit)
    history = run.fit(epochs if epochs is not None else recipe.epochs, progress)
    metrics = run.evaluate()
    timing = _Timing(
        wall=time.perf_counter() - wall,
        cpu=time.process_time() - cpu,
        threads=torch.get_num_threads(),
        epochs_run=len(history),
        quick=_quick_note(limit, epochs),
    )
    card = _card(recipe, run, metrics, timing)
    directory = save_model(run.network, run.config(), card, out_dir / recipe.model_id)
    return TrainReport(
        model_id=recipe.model_id,
        directory=directory,
        metrics=metrics,
        seconds=timing.wall,
        epochs_run=timing.epochs_run,
        train_rows=run.train_rows,
        held_out_rows=run.held_out_rows,
        history=history,
    )


@dataclass(frozen=True)
class _Timing:
    wall: float
    cpu: float
    threads: int
    epochs_run: int
    quick: str  # "" for the full recipe, else what was cut short


def _quick_note(limit: int | None, epochs: int | None) -> str:
    parts = [f"limit={limit}" if limit is not None else "", f"epochs={epochs}" if epochs else ""]
    return ", ".join(part for part in parts if part)


# -- shared training machinery ------------------------------------------------------------------


def _seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _require(path: Path) -> Path:
    if not path.is_file():
        raise FileNotFoundError(
            f"training data not found: looked for {path} (pass data_dir, or `--data`, pointing "
            "at the shared data folder that holds nsmc/, movie_snippets/ and timeseries/)"
        )
    return path


def _progress_bar(enabled: bool) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("loss {task.fields[loss]:.4f}"),
        TextColumn("{task.fields[metric]}"),
        TimeElapsedColumn(),
        disable=not enabled,
    )


def _batches(size: int, batch_size: int, generator: torch.Generator) -> Iterator[Tensor]:
    order = torch.randperm(size, generator=generator)
    yield from order.split(batch_size)


class _Run:
    """One training run: data, network, optimiser; subclasses know their data and metric."""

    recipe: Recipe
    network: GateNet
    train_rows: int
    validation_rows: int
    held_out_rows: int
    data_file: str
    split: str

    def _network_config(self) -> ModelConfig:
        raise NotImplementedError

    def _train_tensors(self) -> tuple[Tensor, Tensor]:
        raise NotImplementedError

    def _validation_score(self) -> float:
        raise NotImplementedError

    def _loss(self, inputs: Tensor, targets: Tensor) -> Tensor:
        raise NotImplementedError

    def _shown(self, score: float) -> str:
        """The validation score (higher is better) as the progress bar shows it."""
        raise NotImplementedError

    def evaluate(self) -> dict[str, float]:
        raise NotImplementedError

    def config(self) -> ModelConfig:
        raise NotImplementedError

    def fit(self, epochs: int, progress: bool) -> list[dict[str, float]]:
        recipe = self.recipe
        inputs, targets = self._train_tensors()
        optimiser = torch.optim.Adam(
            self.network.parameters(), lr=recipe.learning_rate, weight_decay=recipe.weight_decay
        )
        generator = torch.Generator().manual_seed(SEED)
        steps = math.ceil(len(inputs) / recipe.batch_size)
        history: list[dict[str, float]] = []
        best: tuple[float, dict[str, Tensor]] | None = None
        waited = 0
        with _progress_bar(progress) as bar:
            task = bar.add_task(recipe.model_id, total=epochs * steps, loss=0.0, metric="")
            for epoch in range(1, epochs + 1):
                bar.update(task, description=f"{recipe.model_id} epoch {epoch}/{epochs}")
                self.network.train()
                total = 0.0
                for batch in _batches(len(inputs), recipe.batch_size, generator):
                    loss = self._loss(inputs[batch], targets[batch])
                    optimiser.zero_grad()
                    loss.backward()
                    nn.utils.clip_grad_norm_(self.network.parameters(), recipe.gradient_clip)
                    optimiser.step()
                    total += loss.item() * len(batch)
                    bar.update(task, advance=1, loss=loss.item())
                self.network.eval()
                score = self._validation_score()
                history.append({"epoch": epoch, "loss": total / len(inputs), "validation": score})
                bar.update(task, metric=self._shown(score))
                if best is None or score > best[0]:
                    best, waited = (score, copy.deepcopy(self.network.state_dict())), 0
                else:
                    waited += 1
                    if recipe.patience is not None and waited >= recipe.patience:
                        break
        assert best is not None
        self.network.load_state_dict(best[1])
        self.network.eval()
        return history


# -- sentiment ----------------------------------------------------------------------------------


class _TextRun(_Run):
    def _shown(self, score: float) -> str:
        return f"validation accuracy {score:.4f}"

    def __init__(self, recipe: Recipe, data_dir: Path, limit: int | None) -> None:
        self.recipe = recipe
        train_rows, test_rows, self.data_file, self.split = _sentiment_rows(recipe, data_dir)
        if limit is not None:
            train_rows, test_rows = train_rows[:limit], test_rows[:limit]
        train_rows, validation_rows = _carve_validation(train_rows, recipe.validation_fraction)
        self.train_rows, self.held_out_rows = len(train_rows), len(test_rows)
        self.validation_rows = len(validation_rows)
        words = _word_lists(
            [text for text, _ in train_rows + validation_rows + test_rows], recipe.analyzer
        )
        train_words = words[: len(train_rows)]
        self.tokenizer = Tokenizer(
            num_words=recipe.num_words, oov_token=OOV_TOKEN, analyzer=recipe.analyzer
        )
        self.tokenizer.fit_on_texts(train_words)
        self.x_train = self._padded(train_words)
        self.x_validation = self._padded(words[len(train_rows) : -len(test_rows) or None])
        self.x_test = self._padded(words[len(words) - len(test_rows) :])
        self.y_train = _labels(train_rows)
        self.y_validation = _labels(validation_rows)
        self.y_test = _labels(test_rows)
        self.network = GateNet(self._network_config())
        _keras_like_embedding_init(self.network)

    def _padded(self, words: list[list[str]]) -> Tensor:
        sequences = self.tokenizer.texts_to_sequences(words)
        padded = pad_sequences(sequences, maxlen=self.recipe.maxlen, padding="pre")
        return torch.from_numpy(np.asarray(padded, dtype=np.int64))

    def _network_config(self, examples: list[Any] | None = None) -> ModelConfig:
        recipe = self.recipe
        vocabulary = self.tokenizer.vocab_size
        return ModelConfig(
            id=recipe.model_id,
            title=recipe.title,
            task="sentiment",
            language=recipe.language,
            embedding=EmbeddingSpec(num_embeddings=vocabulary, embedding_dim=recipe.embedding_dim),
            recurrent=_recurrent_spec(recipe, recipe.embedding_dim),
            head=_head_specs(recipe),
            preprocessing=TextPreprocessing(
                tokenizer=_saved_tokenizer(self.tokenizer),
                analyzer=recipe.analyzer,
                maxlen=recipe.maxlen,
                padding="pre",
                truncating="pre",
            ),
            labels=LABELS,
            examples=examples or [],
            description=_description(recipe),
        )

    def _train_tensors(self) -> tuple[Tensor, Tensor]:
        return self.x_train, self.y_train

    def _forward(self, token_ids: Tensor) -> Tensor:
        return _forward(self.network, self.network.embed(token_ids), self.recipe)

    def _loss(self, inputs: Tensor, targets: Tensor) -> Tensor:
        probabilities = self._forward(inputs)[:, 0].clamp(1e-7, 1 - 1e-7)
        return nn.functional.binary_cross_entropy(probabilities, targets)

    def _accuracy(self, inputs: Tensor, targets: Tensor) -> float:
        if not len(inputs):
            return float("nan")
        with torch.no_grad():
            predicted = torch.cat(
                [self.network(self.network.embed(chunk))[:, 0] for chunk in inputs.split(1024)]
            )
        return float(((predicted >= 0.5).float() == targets).float().mean())

    def _validation_score(self) -> float:
        if not len(self.x_validation):
            return -self.recipe.epochs  # no validation rows (tiny limits): keep the last epoch
        return self._accuracy(self.x_validation, self.y_validation)

    def evaluate(self) -> dict[str, float]:
        return {
            "accuracy": self._accuracy(self.x_test, self.y_test),
            "train_accuracy": self._accuracy(self.x_train, self.y_train),
        }

    def config(self) -> ModelConfig:
        base = self._network_config()
        return base.model_copy(update={"examples": self._chosen_examples(base)})

    def _chosen_examples(self, base: ModelConfig) -> list[str]:
        """The recipe's sentences the trained model gets right (all of them if it gets none)."""
        model = LoadedModel(base, self.network)
        sentences = [sentence for sentence, _ in self.recipe.examples]
        predicted = [prediction.label for prediction in model.predict(sentences)]
        right = [
            sentence
            for (sentence, label), guess in zip(self.recipe.examples, predicted, strict=True)
            if guess == label
        ]
        return right or sentences


def _sentiment_rows(
    recipe: Recipe, data_dir: Path
) -> tuple[list[tuple[str, int]], list[tuple[str, int]], str, str]:
    if recipe.data == "nsmc":
        train_file = _require(data_dir / "nsmc" / "ratings_train.tsv")
        test_file = _require(data_dir / "nsmc" / "ratings_test.tsv")
        split = "trained on ratings_train.tsv (150,000 rows), measured on ratings_test.tsv"
        return _nsmc_rows(train_file), _nsmc_rows(test_file), "nsmc/ratings_train.tsv", split
    source = _require(data_dir / "movie_snippets" / "movie_snippets.tsv")
    rows = _snippet_rows(source)
    order = np.random.default_rng(SEED).permutation(len(rows))
    cut = len(rows) - len(rows) // 10
    train_rows = [rows[i] for i in order[:cut]]
    test_rows = [rows[i] for i in order[cut:]]
    split = (
        f"score 0 dropped; seeded (numpy default_rng({SEED})) permutation, first 90 % for "
        "training, last 10 % held out"
    )
    return train_rows, test_rows, "movie_snippets/movie_snippets.tsv", split


def _nsmc_rows(path: Path) -> list[tuple[str, int]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        next(reader)
        return [(document, int(label)) for _, document, label in reader]


def _snippet_rows(path: Path) -> list[tuple[str, int]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        scored = [(text, float(score)) for _, score, text in reader]
    return [(text, int(score > 0)) for text, score in scored if score != 0]


def _carve_validation(
    rows: list[tuple[str, int]], fraction: float
) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """A seeded validation split from the training rows (never from the held-out rows)."""
    order = np.random.default_rng(SEED + 1).permutation(len(rows))
    size = int(len(rows) * fraction)
    return [rows[i] for i in order[size:]], [rows[i] for i in order[:size]]


def _labels(rows: list[tuple[str, int]]) -> Tensor:
    return torch.tensor([label for _, label in rows], dtype=torch.float32)


def _word_lists(texts: list[str], analyzer: str) -> list[list[str]]:
    """Every text's tokens as the saved tokenizer's analyzer makes them."""
    if analyzer == "morpheme":
        return _cached_morphemes(texts)
    return [text_to_word_sequence(text) for text in texts]


def _cached_morphemes(texts: list[str]) -> list[list[str]]:
    """Morpheme tokens of many texts, analysed in a batch and cached under /tmp (not the repo)."""
    digest = hashlib.sha256("\n".join(texts).encode("utf-8")).hexdigest()[:24]
    cache = MORPHEME_CACHE / f"{digest}.json"
    if cache.is_file():
        try:
            cached = json.loads(cache.read_text(encoding="utf-8"))
            if isinstance(cached, list) and len(cached) == len(texts):
                return cached
        except (OSError, ValueError):
            pass
    words = morpheme_batch(texts)
    try:
        MORPHEME_CACHE.mkdir(parents=True, exist_ok=True)
        partial = cache.with_suffix(".partial")
        partial.write_text(json.dumps(words, ensure_ascii=False), encoding="utf-8")
        partial.replace(cache)
    except OSError:
        pass  # a cache is only a cache
    return words


def morpheme_batch(texts: Sequence[str]) -> list[list[str]]:
    """`morpheme_tokens` for many texts at once, using Kiwi's multi-threaded batch analysis."""
    from app.preprocessing.korean import get_kiwi

    analysed = get_kiwi().tokenize(list(texts))
    return [
        [word for token in tokens for word in text_to_word_sequence(token.form)]
        for tokens in analysed
    ]


def _saved_tokenizer(tokenizer: Tokenizer) -> dict[str, Any]:
    """The tokenizer's JSON, trimmed to the words it can produce (index < num_words).

    Keras keeps every word it has seen, but words at or beyond num_words always become <OOV>,
    so dropping them changes no sequence and keeps config.json small.
    """
    limit = tokenizer.num_words or math.inf
    trimmed = Tokenizer(
        num_words=tokenizer.num_words,
        filters=tokenizer.filters,
        lower=tokenizer.lower,
        split=tokenizer.split,
        char_level=tokenizer.char_level,
        oov_token=tokenizer.oov_token,
        analyzer=tokenizer.analyzer_name,
    )
    trimmed.document_count = tokenizer.document_count
    trimmed.word_index = {w: i for w, i in tokenizer.word_index.items() if i < limit}
    trimmed.index_word = {i: w for w, i in trimmed.word_index.items()}
    trimmed.word_counts = {
        w: n for w, n in tokenizer.word_counts.items() if w in trimmed.word_index
    }
    trimmed.word_docs = {w: n for w, n in tokenizer.word_docs.items() if w in trimmed.word_index}
    trimmed.index_docs = {i: n for i, n in tokenizer.index_docs.items() if i < limit}
    return dict(json.loads(trimmed.to_json(ensure_ascii=False)))


def _keras_like_embedding_init(network: GateNet) -> None:
    """Keras initialises embeddings uniformly in [-0.05, 0.05]; small data trains better so."""
    if network.embedding is not None:
        nn.init.uniform_(network.embedding.weight, -0.05, 0.05)


def _forward(network: GateNet, features: Tensor, recipe: Recipe) -> Tensor:
    """GateNet's forward with training-only dropout around the recurrent module."""
    features = nn.functional.dropout(features, recipe.dropout, network.training)
    _, state = network.recurrent(features)
    hidden = network.final_hidden(state)
    hidden = nn.functional.dropout(hidden, recipe.head_dropout, network.training)
    return network.head(hidden)


def _recurrent_spec(recipe: Recipe, input_size: int) -> RecurrentSpec:
    return RecurrentSpec(
        cell=recipe.cell,
        input_size=input_size,
        hidden_size=recipe.hidden_size,
        num_layers=recipe.num_layers,
    )


def _head_specs(recipe: Recipe) -> list[DenseSpec]:
    return [DenseSpec(out_features=n, activation=act) for n, act in recipe.head]  # type: ignore[arg-type]


def _description(recipe: Recipe) -> str:
    cell = "plain RNN" if recipe.cell == "rnn" else recipe.cell.upper()
    if recipe.task == "sentiment":
        language = "Korean" if recipe.language == "ko" else "English"
        tokens = "morphemes (Kiwi)" if recipe.analyzer == "morpheme" else "whitespace words"
        article = "an" if language == "English" else "a"
        cell_article = "an" if cell == "LSTM" else "a"
        return (
            f"Reads {article} {language} movie review as {tokens}, one token per step, through an "
            f"Embedding({recipe.embedding_dim}) and {cell_article} {cell} of {recipe.hidden_size} "
            "units; "
            "Dense(1, sigmoid) gives the probability that the review is positive."
        )
    return (
        f"Reads {recipe.seq_length} days of Seattle weather (precipitation, temp_max, temp_min, "
        f"wind; min-max scaled) through 2 stacked {cell} layers of {recipe.hidden_size} units, "
        "then Dense(100, relu) -> Dense(50, relu) -> Dense(1) predicts the next day's temp_max."
    )


# -- weather ------------------------------------------------------------------------------------


class _WeatherRun(_Run):
    def _shown(self, score: float) -> str:
        return f"validation RMSE {-score:.3f} °C"

    def __init__(self, recipe: Recipe, data_dir: Path, limit: int | None) -> None:
        self.recipe = recipe
        path = _require(data_dir / "timeseries" / "seattle-weather.csv")
        self.data_file = "timeseries/seattle-weather.csv"
        self.dates, values = _weather_rows(path)
        if len(values) <= HELD_OUT_DAYS + recipe.seq_length:
            raise ValueError(f"{path} has too few rows ({len(values)}) to hold out a year")
        cut = len(values) - HELD_OUT_DAYS  # the first held-out day
        first = 0 if limit is None else max(0, cut - limit)
        self.split = (
            f"trained on {self.dates[first]} to {self.dates[cut - 1]}; held out the last "
            f"{HELD_OUT_DAYS} days, {self.dates[cut]} to {self.dates[-1]}"
        )
        self.scaler = MinMaxScaler().fit(values[first:cut])
        scaled = self.scaler.transform(values)
        target_column = WEATHER_FEATURES.index("temp_max")
        targets = scaled[:, target_column]
        self.values, self.cut, self.first = values, cut, first
        x, y = _windows(scaled, targets, recipe.seq_length, first, cut - 1)
        size = int(len(x) * recipe.validation_fraction)
        # Validation: the latest training windows (time order, no shuffling across it).
        self.x_train, self.y_train = x[: len(x) - size], y[: len(y) - size]
        self.x_validation, self.y_validation = x[len(x) - size :], y[len(y) - size :]
        start = cut - recipe.seq_length
        self.x_test, self.y_test = _windows(
            scaled, targets, recipe.seq_length, start, len(values) - 1
        )
        if limit is not None:
            self.x_test, self.y_test = self.x_test[:limit], self.y_test[:limit]
        self.raw_test, _ = timeseries_windows(
            values, values, recipe.seq_length, start_index=start, end_index=len(values) - 1
        )
        self.train_rows, self.held_out_rows = len(self.x_train), len(self.x_test)
        self.validation_rows = len(self.x_validation)
        self.network = GateNet(self._network_config())

    def _network_config(self, examples: list[Any] | None = None) -> ModelConfig:
        recipe = self.recipe
        constants = self.scaler.to_dict()
        column = WEATHER_FEATURES.index("temp_max")
        return ModelConfig(
            id=recipe.model_id,
            title=recipe.title,
            task="regression",
            recurrent=_recurrent_spec(recipe, len(WEATHER_FEATURES)),
            head=_head_specs(recipe),
            preprocessing=NumbersPreprocessing(
                features=WEATHER_FEATURES,
                seq_length=recipe.seq_length,
                scaler_min=constants["data_min"],
                scaler_max=constants["data_max"],
                target="temp_max",
                target_unit="°C",
                target_min=constants["data_min"][column],
                target_max=constants["data_max"][column],
            ),
            examples=examples or [],
            description=_description(recipe),
        )

    def _train_tensors(self) -> tuple[Tensor, Tensor]:
        return self.x_train, self.y_train

    def _loss(self, inputs: Tensor, targets: Tensor) -> Tensor:
        predicted = _forward(self.network, inputs, self.recipe)[:, 0]
        return nn.functional.mse_loss(predicted, targets)

    def _rmse(self, inputs: Tensor, targets: Tensor) -> float:
        with torch.no_grad():
            predicted = self.network(inputs)[:, 0]
        scale = self._target_range()
        return float(torch.sqrt(nn.functional.mse_loss(predicted, targets))) * scale

    def _target_range(self) -> float:
        column = WEATHER_FEATURES.index("temp_max")
        constants = self.scaler.to_dict()
        return (constants["data_max"][column] - constants["data_min"][column]) or 1.0

    def _validation_score(self) -> float:
        if not len(self.x_validation):
            return -self.recipe.epochs
        return -self._rmse(self.x_validation, self.y_validation)

    def evaluate(self) -> dict[str, float]:
        column = WEATHER_FEATURES.index("temp_max")
        # Persistence: tomorrow's temp_max is today's, the last step of the window.
        today = self.x_test[:, -1, column]
        persistence = float(torch.sqrt(nn.functional.mse_loss(today, self.y_test)))
        with torch.no_grad():
            predicted = self.network(self.x_test)[:, 0]
        mae = float((predicted - self.y_test).abs().mean())
        scale = self._target_range()
        return {
            "rmse": self._rmse(self.x_test, self.y_test),
            "persistence_rmse": persistence * scale,
            "mae": mae * scale,
        }

    def config(self) -> ModelConfig:
        return self._network_config(examples=self._example_windows())

    def _example_windows(self) -> list[list[list[float]]]:
        """Real held-out windows: those whose next day is one of WEATHER_EXAMPLE_DATES."""
        windows = self.raw_test
        first_target = self.cut
        chosen = []
        for date in WEATHER_EXAMPLE_DATES:
            if date in self.dates:
                index = self.dates.index(date) - first_target
                if 0 <= index < len(windows):
                    chosen.append(windows[index])
        if not chosen:
            chosen = [windows[0]]
        return [[[float(v) for v in step] for step in window] for window in chosen]


def _weather_rows(path: Path) -> tuple[list[str], npt.NDArray[np.float64]]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    dates = [row["date"] for row in rows]
    values = np.array([[float(row[name]) for name in WEATHER_FEATURES] for row in rows])
    return dates, values


def _windows(
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
    recipe = RECIPES[model_id]
    data_dir = Path(data_dir)
    if recipe.task == "sentiment":
        rows = _sentiment_rows(recipe, data_dir)[1][:limit]
        return HeldOut([text for text, _ in rows], [float(label) for _, label in rows])
    _, values = _weather_rows(_require(data_dir / "timeseries" / "seattle-weather.csv"))
    start = len(values) - HELD_OUT_DAYS - recipe.seq_length
    windows, targets = timeseries_windows(
        values, values, recipe.seq_length, start_index=start, end_index=len(values) - 1
    )
    column = WEATHER_FEATURES.index("temp_max")
    windows, targets = windows[:limit], targets[:limit]
    return HeldOut(
        inputs=windows.tolist(),
        targets=targets[:, column].tolist(),
        baseline=windows[:, -1, column].tolist(),
    )


# -- the card -----------------------------------------------------------------------------------


def _card(
    recipe: Recipe,
    run: _Run,
    metrics: dict[str, float],
    timing: _Timing,
) -> str:
    lines = [
        f"# {recipe.title}",
        "",
        f"`{recipe.model_id}`: {_description(recipe)}",
        "",
        "## Data",
        "",
        f"- File: `{run.data_file}` (from the shared data folder, `../shared/data`).",
        f"- Split: {run.split}.",
        f"- Rows: {run.train_rows} for training, {run.validation_rows} for validation (carved "
        f"from the training part, to pick the best epoch), {run.held_out_rows} held out"
        + (f" (a quick run: {timing.quick})" if timing.quick else "")
        + ".",
        "",
        "## Held-out metrics",
        "",
        *_metric_lines(recipe, metrics),
        "",
        "## Training",
        "",
        f"- Command: `gatescope train {recipe.model_id}`"
        + (f" (this copy: {timing.quick})" if timing.quick else ""),
        f"- Wall time: {timing.wall:.0f} s (CPU time {timing.cpu:.0f} s, {timing.threads} torch "
        f"thread(s), on a 2-core machine shared with other work); {timing.epochs_run} epoch(s), "
        "the best by validation kept.",
        f"- Adam, learning rate {recipe.learning_rate}, batch {recipe.batch_size}, weight decay "
        f"{recipe.weight_decay}; dropout {recipe.dropout} on the recurrent inputs and "
        f"{recipe.head_dropout} before the head in training only; seed {SEED}.",
        "",
        "## Intended use and limits",
        "",
        *_use_lines(recipe),
        "",
    ]
    return "\n".join(lines)


def _metric_lines(recipe: Recipe, metrics: dict[str, float]) -> list[str]:
    if recipe.task == "sentiment":
        return [
            f"- accuracy: {metrics['accuracy']:.4f} (held out)",
            f"- training accuracy: {metrics['train_accuracy']:.4f}",
        ]
    return [
        f"- RMSE: {metrics['rmse']:.3f} °C (held out)",
        f"- persistence baseline RMSE (tomorrow = today): {metrics['persistence_rmse']:.3f} °C",
        f"- MAE: {metrics['mae']:.3f} °C",
    ]


def _use_lines(recipe: Recipe) -> list[str]:
    if recipe.task == "sentiment":
        return [
            "- For teaching: watch the gates of a small recurrent network read a review token "
            "by token.",
            "- Not a production sentiment model: trained on short movie reviews only, it "
            "misreads sarcasm, negation far from the end, other domains and spelling it has "
            "not seen (unknown tokens become <OOV>).",
        ]
    return [
        "- For teaching: the notes' stacked-GRU regression on real data, to see what the "
        "gates keep across days.",
        "- Not a forecast: four years of one city, no seasons encoded beyond the window; "
        "it has never seen weather outside 2012-2015 Seattle.",
    ]


def main(argv: Sequence[str] | None = None) -> None:  # pragma: no cover - a convenience
    """`python -m app.zoo.train <id> [...]`, until the CLI's `gatescope train` is wired."""
    import argparse

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("model_ids", nargs="+", choices=sorted(RECIPES))
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT_DIR)
    parser.add_argument("--limit", type=int)
    parser.add_argument("--epochs", type=int)
    arguments = parser.parse_args(argv)
    for model_id in arguments.model_ids:
        report = train(
            model_id, arguments.data, arguments.out, limit=arguments.limit, epochs=arguments.epochs
        )
        print(f"{report.model_id}: {report.metrics} in {report.seconds:.0f} s")


if __name__ == "__main__":  # pragma: no cover
    main()

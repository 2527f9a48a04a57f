"""One training run per task: the recipe's data as tensors, its network, loss and metrics.

`TextRun` (sentiment) and `WeatherRun` (regression) prepare everything in their constructor;
`fit` (loop.py) trains their network, `evaluate` measures it on the held-out part and `config`
is the ModelConfig that is saved with it.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from app.preprocessing import MinMaxScaler, Tokenizer, pad_sequences, timeseries_windows
from app.preprocessing.chars import char_ids, char_labels, char_tokenizer
from app.zoo.language import BlockStates, detached, logits, run_with_state, stream_bits
from app.zoo.loaded import LoadedModel
from app.zoo.network import GateNet
from app.zoo.spec import (
    DenseSpec,
    EmbeddingSpec,
    ModelConfig,
    NumbersPreprocessing,
    RecurrentSpec,
    TextPreprocessing,
    Translation,
)
from app.zoo.training import datasets
from app.zoo.training.datasets import HELD_OUT_DAYS, WEATHER_FEATURES, WEATHER_FILE, TextSplit
from app.zoo.training.loop import Schedule, forward_with_dropout
from app.zoo.training.ngrams import baselines
from app.zoo.training.recipes import (
    SEED,
    WEATHER_EXAMPLE_DATES,
    Recipe,
    description,
    korean,
)

OOV_TOKEN = "<OOV>"
LABELS = ["negative", "positive"]
TARGET = "temp_max"
TARGET_COLUMN = WEATHER_FEATURES.index(TARGET)


class Run:
    """One training run: data, network and metric; subclasses know their task."""

    recipe: Recipe
    network: GateNet
    train_rows: int
    validation_rows: int
    held_out_rows: int
    data_file: str  # relative to the shared data folder
    split: str  # how the rows were split, in words

    def schedule(self, epochs: int | None = None) -> Schedule:
        """The recipe's optimisation, with `epochs` in place of its own when given."""
        recipe = self.recipe
        return Schedule(
            name=recipe.model_id,
            epochs=recipe.epochs if epochs is None else epochs,
            batch_size=recipe.batch_size,
            learning_rate=recipe.learning_rate,
            seed=SEED,
            weight_decay=recipe.weight_decay,
            gradient_clip=recipe.gradient_clip,
            patience=recipe.patience,
            final_lr_fraction=recipe.final_lr_fraction,
        )

    def train_tensors(self) -> tuple[Tensor, Tensor]:
        raise NotImplementedError

    def loss(self, inputs: Tensor, targets: Tensor) -> Tensor:
        raise NotImplementedError

    def validation_score(self) -> float:
        raise NotImplementedError

    def shown(self, score: float) -> str:
        raise NotImplementedError

    def evaluate(self) -> dict[str, float]:
        raise NotImplementedError

    def config(self) -> ModelConfig:
        raise NotImplementedError


def build_run(recipe: Recipe, data_dir: Path, limit: int | None) -> Run:
    """The run for the recipe's task; `limit` caps the training and held-out rows (characters,
    for a language model)."""
    if recipe.task == "next-token":
        return CharRun(recipe, data_dir, limit)
    if recipe.task == "sentiment":
        return TextRun(recipe, data_dir, limit)
    return WeatherRun(recipe, data_dir, limit)


def recurrent_spec(recipe: Recipe, input_size: int) -> RecurrentSpec:
    return RecurrentSpec(
        cell=recipe.cell,
        input_size=input_size,
        hidden_size=recipe.hidden_size,
        num_layers=recipe.num_layers,
    )


def head_specs(recipe: Recipe) -> list[DenseSpec]:
    return [DenseSpec(out_features=n, activation=act) for n, act in recipe.head]  # type: ignore[arg-type]


# -- sentiment ----------------------------------------------------------------------------------


class TextRun(Run):
    """Reviews -> tokenizer fitted on the training part -> padded ids -> Dense(1, sigmoid)."""

    def __init__(self, recipe: Recipe, data_dir: Path, limit: int | None) -> None:
        self.recipe = recipe
        train_rows, test_rows, self.data_file, self.split = datasets.sentiment_rows(
            recipe, data_dir
        )
        if limit is not None:
            train_rows, test_rows = train_rows[:limit], test_rows[:limit]
        train_rows, validation_rows = datasets.carve_validation(
            train_rows, recipe.validation_fraction
        )
        self.train_rows, self.held_out_rows = len(train_rows), len(test_rows)
        self.validation_rows = len(validation_rows)
        words = datasets.word_lists(
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
        self.y_train = datasets.labels(train_rows)
        self.y_validation = datasets.labels(validation_rows)
        self.y_test = datasets.labels(test_rows)
        self.network = GateNet(self._network_config())
        keras_like_embedding_init(self.network)

    def _padded(self, words: list[list[str]]) -> Tensor:
        sequences = self.tokenizer.texts_to_sequences(words)
        padded = pad_sequences(sequences, maxlen=self.recipe.maxlen, padding="pre")
        return torch.from_numpy(np.asarray(padded, dtype=np.int64))

    def _network_config(self, examples: list[Any] | None = None) -> ModelConfig:
        recipe = self.recipe
        return ModelConfig(
            id=recipe.model_id,
            title=recipe.title,
            task="sentiment",
            language=recipe.language,
            embedding=EmbeddingSpec(
                num_embeddings=self.tokenizer.vocab_size, embedding_dim=recipe.embedding_dim
            ),
            blocks=[recurrent_spec(recipe, recipe.embedding_dim)],
            head=head_specs(recipe),
            preprocessing=TextPreprocessing(
                tokenizer=saved_tokenizer(self.tokenizer),
                analyzer=recipe.analyzer,
                maxlen=recipe.maxlen,
                padding="pre",
                truncating="pre",
            ),
            labels=LABELS,
            examples=examples or [],
            description=description(recipe),
            translations={"ko": Translation(**korean(recipe))},
        )

    def shown(self, score: float) -> str:
        return f"validation accuracy {score:.4f}"

    def train_tensors(self) -> tuple[Tensor, Tensor]:
        return self.x_train, self.y_train

    def loss(self, inputs: Tensor, targets: Tensor) -> Tensor:
        recipe = self.recipe
        features = self.network.embed(inputs)
        output = forward_with_dropout(self.network, features, recipe.dropout, recipe.head_dropout)
        probabilities = output[:, 0].clamp(1e-7, 1 - 1e-7)
        return nn.functional.binary_cross_entropy(probabilities, targets)

    def _accuracy(self, inputs: Tensor, targets: Tensor) -> float:
        if not len(inputs):
            return float("nan")
        with torch.no_grad():
            predicted = torch.cat(
                [self.network(self.network.embed(chunk))[:, 0] for chunk in inputs.split(1024)]
            )
        return float(((predicted >= 0.5).float() == targets).float().mean())

    def validation_score(self) -> float:
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


def saved_tokenizer(tokenizer: Tokenizer) -> dict[str, Any]:
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


def keras_like_embedding_init(network: GateNet) -> None:
    """Keras initialises embeddings uniformly in [-0.05, 0.05]; small data trains better so."""
    if network.embedding is not None:
        nn.init.uniform_(network.embedding.weight, -0.05, 0.05)


# -- weather ------------------------------------------------------------------------------------


class WeatherRun(Run):
    """Ten days of weather, min-max scaled on the training days -> tomorrow's temp_max."""

    def __init__(self, recipe: Recipe, data_dir: Path, limit: int | None) -> None:
        self.recipe = recipe
        path = datasets.require(data_dir / WEATHER_FILE)
        self.data_file = WEATHER_FILE
        self.dates, values = datasets.weather_rows(path)
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
        targets = scaled[:, TARGET_COLUMN]
        self.values, self.cut, self.first = values, cut, first
        x, y = datasets.windows(scaled, targets, recipe.seq_length, first, cut - 1)
        size = int(len(x) * recipe.validation_fraction)
        # Validation: the latest training windows (time order, no shuffling across it).
        self.x_train, self.y_train = x[: len(x) - size], y[: len(y) - size]
        self.x_validation, self.y_validation = x[len(x) - size :], y[len(y) - size :]
        start = cut - recipe.seq_length
        self.x_test, self.y_test = datasets.windows(
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
        return ModelConfig(
            id=recipe.model_id,
            title=recipe.title,
            task="regression",
            blocks=[recurrent_spec(recipe, len(WEATHER_FEATURES))],
            head=head_specs(recipe),
            preprocessing=NumbersPreprocessing(
                features=WEATHER_FEATURES,
                seq_length=recipe.seq_length,
                scaler_min=constants["data_min"],
                scaler_max=constants["data_max"],
                target=TARGET,
                target_unit="°C",
                target_min=constants["data_min"][TARGET_COLUMN],
                target_max=constants["data_max"][TARGET_COLUMN],
            ),
            examples=examples or [],
            description=description(recipe),
            translations={"ko": Translation(**korean(recipe))},
        )

    def shown(self, score: float) -> str:
        return f"validation RMSE {-score:.3f} °C"

    def train_tensors(self) -> tuple[Tensor, Tensor]:
        return self.x_train, self.y_train

    def loss(self, inputs: Tensor, targets: Tensor) -> Tensor:
        recipe = self.recipe
        output = forward_with_dropout(self.network, inputs, recipe.dropout, recipe.head_dropout)
        return nn.functional.mse_loss(output[:, 0], targets)

    def _rmse(self, inputs: Tensor, targets: Tensor) -> float:
        """Root mean squared error in °C (the scaled error times the target's range)."""
        with torch.no_grad():
            predicted = self.network(inputs)[:, 0]
        scale = self._target_range()
        return float(torch.sqrt(nn.functional.mse_loss(predicted, targets))) * scale

    def _target_range(self) -> float:
        constants = self.scaler.to_dict()
        return (constants["data_max"][TARGET_COLUMN] - constants["data_min"][TARGET_COLUMN]) or 1.0

    def validation_score(self) -> float:
        if not len(self.x_validation):
            return -self.recipe.epochs
        return -self._rmse(self.x_validation, self.y_validation)

    def evaluate(self) -> dict[str, float]:
        # Persistence: tomorrow's temp_max is today's, the last step of the window.
        today = self.x_test[:, -1, TARGET_COLUMN]
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
        chosen = []
        for date in WEATHER_EXAMPLE_DATES:
            if date in self.dates:
                index = self.dates.index(date) - self.cut
                if 0 <= index < len(windows):
                    chosen.append(windows[index])
        if not chosen:
            chosen = [windows[0]]
        return [[[float(v) for v in step] for step in window] for window in chosen]


# -- character language models ------------------------------------------------------------------

CHAR_EXAMPLES = {
    "python_source": ["def ", "import os\n", "class Parser:\n    def __init__(self, "],
    "nsmc_chars": ["이 영화", "배우들 연기가 ", "ㅋㅋ"],
}


def joined(documents: list[str], separator: str) -> str:
    """Documents as one stream, `separator` after each."""
    return "".join(document + separator for document in documents)


@dataclass(frozen=True)
class CharTexts:
    """A character recipe's three streams, exactly as it trains, validates and measures."""

    train: str
    validation: str
    test: str
    split: TextSplit


def char_texts(recipe: Recipe, data_dir: Path, limit: int | None = None) -> CharTexts:
    """The recipe's documents joined into streams: training capped at max_train_chars, and
    every stream at `limit` characters (validation at a tenth of it) for quick runs."""
    if recipe.data == "python_source":
        split = datasets.python_split(data_dir)
    else:
        split = datasets.nsmc_text_split(data_dir, recipe.validation_fraction)
    train = joined(split.train, recipe.separator)[: recipe.max_train_chars]
    validation = joined(split.validation, recipe.separator)
    test = joined(split.test, recipe.separator)
    if limit is not None:
        train, test, validation = train[:limit], test[:limit], validation[: max(limit // 10, 2)]
    return CharTexts(train, validation, test, split)


class CharRun(Run):
    """Documents -> one character stream -> character vocabulary fitted on the training part
    -> truncated BPTT -> bits per character on the held-out part, beside n-gram baselines."""

    def __init__(self, recipe: Recipe, data_dir: Path, limit: int | None) -> None:
        self.recipe = recipe
        texts = char_texts(recipe, data_dir, limit)
        self.data_file, self.split = texts.split.data_file, texts.split.split
        self.held_out_names = texts.split.test_names
        train_text, validation_text, test_text = texts.train, texts.validation, texts.test
        self.tokenizer = char_tokenizer(
            [train_text], min_count=recipe.min_count, max_size=recipe.max_vocabulary
        )
        self.train_ids = char_ids(self.tokenizer, train_text)
        self.validation_ids = char_ids(self.tokenizer, validation_text)
        self.test_ids = char_ids(self.tokenizer, test_text)
        self.train_rows, self.validation_rows = len(self.train_ids), len(self.validation_ids)
        self.held_out_rows = len(self.test_ids)
        self.network = GateNet(self._network_config())
        self.state: BlockStates | None = None

    @property
    def vocabulary(self) -> int:
        return self.tokenizer.vocab_size

    def _network_config(self, examples: list[Any] | None = None) -> ModelConfig:
        recipe = self.recipe
        return ModelConfig(
            id=recipe.model_id,
            title=recipe.title,
            task="next-token",
            language=recipe.language,
            embedding=EmbeddingSpec(
                num_embeddings=self.vocabulary, embedding_dim=recipe.embedding_dim
            ),
            blocks=[recurrent_spec(recipe, recipe.embedding_dim)],
            head=[DenseSpec(out_features=self.vocabulary, activation="softmax")],
            preprocessing=TextPreprocessing(
                tokenizer=saved_tokenizer(self.tokenizer),
                maxlen=MAX_TEXT_STEPS,
                truncating="post",
            ),
            labels=char_labels(self.tokenizer),
            examples=examples or [],
            description=description(recipe),
            translations={"ko": Translation(**korean(recipe))},
        )

    def train_tensors(self) -> tuple[Tensor, Tensor]:
        ids = torch.tensor(self.train_ids, dtype=torch.long)
        return ids, ids

    def reset_state(self) -> None:
        self.state = None

    def loss(self, inputs: Tensor, targets: Tensor) -> Tensor:
        """Cross-entropy of every next character, the state carried in from the last window."""
        features = self.network.embed(inputs)
        outputs, states = run_with_state(self.network, features, self.state)
        self.state = detached(states)
        scores = logits(self.network, outputs)
        return nn.functional.cross_entropy(scores.flatten(0, 1), targets.flatten())

    def bits(self, ids: list[int]) -> float:
        return stream_bits(self.network, ids)

    def validation_score(self) -> float:
        return -self.bits(self.validation_ids)

    def shown(self, score: float) -> str:
        return f"validation {-score:.3f} bits/char"

    def evaluate(self) -> dict[str, float]:
        measured = baselines(self.train_ids, self.test_ids, self.vocabulary - 1)
        return {"bpc": self.bits(self.test_ids), **measured.as_metrics()}

    def config(self) -> ModelConfig:
        return self._network_config(examples=list(CHAR_EXAMPLES[self.recipe.data]))


MAX_TEXT_STEPS = 10_000  # a language model's maxlen: the longest text it reads in one trace

"""The models shipped in models/: they load, trace their examples, and reach their floors."""

from __future__ import annotations

import math
from functools import cache
from pathlib import Path

import pytest

from app.zoo import LoadedModel, load_model
from app.zoo.training import RECIPES, held_out
from tests.zoo.builders import DATA_DIR, MODELS_DIR, needs_data

MAX_FILE_BYTES = 8_000_000
# Held-out floors from the issue; the RNN has none (its number is reported in its card).
ACCURACY_FLOORS = {
    "sentiment-ko-gru": 0.82,
    "sentiment-ko-lstm": 0.82,
    "sentiment-en-gru": 0.76,
    "sentiment-en-lstm": 0.76,
}
KOREAN_SLICE = 2000  # rows of ratings_test.tsv checked (the card has all 20,000)
# A next-day high in °C anywhere people live; in °F or still min-max scaled, Seattle's falls out.
PLAUSIBLE_CELSIUS = (-30.0, 50.0)


@cache
def shipped(model_id: str) -> LoadedModel:
    return load_model(MODELS_DIR / model_id)


def test_every_recipe_has_a_shipped_model() -> None:
    present = {path.name for path in MODELS_DIR.iterdir() if not path.name.startswith(".")}

    assert set(RECIPES) <= present


@pytest.mark.parametrize("model_id", sorted(RECIPES))
def test_shipped_model_loads_and_its_id_is_its_folder(model_id: str) -> None:
    model = shipped(model_id)

    assert model.id == model_id
    assert model.config.title == RECIPES[model_id].title
    assert model.config.cell == RECIPES[model_id].cell
    sizes = {path.name: path.stat().st_size for path in (MODELS_DIR / model_id).iterdir()}
    assert {"config.json", "weights.safetensors", "card.md"} <= set(sizes)
    assert set(sizes) <= {"config.json", "weights.safetensors", "card.md", "cells.json"}
    assert max(sizes.values()) < MAX_FILE_BYTES


@pytest.mark.parametrize("model_id", sorted(RECIPES))
def test_shipped_model_traces_every_example(model_id: str) -> None:
    model = shipped(model_id)

    assert len(model.config.examples) >= 2
    for example in model.config.examples:
        traced = model.run_trace(example)
        assert traced.trace.steps == traced.prepared.steps
        assert traced.trace.num_layers == model.config.num_layers
        if model.config.task == "regression":
            assert traced.prediction.unit == "°C"
            assert traced.prediction.value is not None
            assert PLAUSIBLE_CELSIUS[0] < traced.prediction.value < PLAUSIBLE_CELSIUS[1]


@pytest.mark.parametrize("model_id", sorted(m for m in RECIPES if RECIPES[m].task == "sentiment"))
def test_shipped_sentiment_examples_cover_both_polarities(model_id: str) -> None:
    model = shipped(model_id)

    labels = {prediction.label for prediction in model.predict(model.config.examples)}

    assert labels == {"negative", "positive"}


@pytest.mark.parametrize("model_id", sorted(RECIPES))
def test_shipped_card_names_data_metric_and_command(model_id: str) -> None:
    card = shipped(model_id).card
    recipe = RECIPES[model_id]

    assert f"gatescope train {model_id}" in card
    assert "Wall time" in card and "Intended use" in card
    if recipe.task == "sentiment":
        assert "accuracy" in card
    elif recipe.task == "next-token":
        assert "bits per character" in card and "3-gram" in card and "5-gram" in card
    else:
        assert "RMSE" in card and "persistence" in card
    assert "limit=" not in card  # shipped models are the full recipe, not a quick run


def accuracy(model: LoadedModel, texts: list[str], labels: list[float]) -> float:
    predictions = model.predict(texts)
    right = sum(
        (prediction.label == "positive") == (label == 1.0)
        for prediction, label in zip(predictions, labels, strict=True)
    )
    return right / len(labels)


@needs_data
@pytest.mark.data
@pytest.mark.slow
@pytest.mark.parametrize("model_id", sorted(ACCURACY_FLOORS))
def test_shipped_sentiment_model_reaches_its_floor(model_id: str) -> None:
    limit = KOREAN_SLICE if model_id.startswith("sentiment-ko") else None
    truth = held_out(model_id, DATA_DIR, limit=limit)

    score = accuracy(shipped(model_id), truth.inputs, truth.targets)

    assert score >= ACCURACY_FLOORS[model_id]


def rmse(predicted: list[float], truth: list[float]) -> float:
    return math.sqrt(sum((p - t) ** 2 for p, t in zip(predicted, truth, strict=True)) / len(truth))


@needs_data
@pytest.mark.data
@pytest.mark.slow
@pytest.mark.parametrize("model_id", ["weather-gru", "weather-lstm"])
def test_shipped_weather_model_predicts_celsius_and_beats_persistence(model_id: str) -> None:
    truth = held_out(model_id, DATA_DIR)
    model = shipped(model_id)

    predictions = model.predict(truth.inputs)

    assert {prediction.unit for prediction in predictions} == {"°C"}
    predicted = [prediction.value for prediction in predictions if prediction.value is not None]
    assert len(predicted) == len(truth.targets)
    low, high = PLAUSIBLE_CELSIUS
    assert all(low < value < high for value in predicted)
    assert truth.baseline is not None
    assert rmse(predicted, truth.targets) < rmse(truth.baseline, truth.targets)


def test_models_dir_is_the_projects(tmp_path: Path) -> None:
    assert MODELS_DIR.name == "models" and (MODELS_DIR.parent / "app").is_dir()


LANGUAGE_MODELS = sorted(m for m in RECIPES if RECIPES[m].task == "next-token")
LM_SLICE = 20_000  # held-out characters measured here (the card has them all)


# chars-ko-lstm does not beat its 3-gram yet (4.47 against 4.15 bits per character in its card):
# a known shortfall of issue 15, kept visible as a strict xfail rather than dropped.
BEHIND_THE_TRIGRAM = {"chars-ko-lstm"}


@needs_data
@pytest.mark.data
@pytest.mark.slow
@pytest.mark.parametrize(
    "model_id",
    [
        pytest.param(
            model_id,
            marks=pytest.mark.xfail(strict=True, reason="behind its 3-gram; see the card"),
        )
        if model_id in BEHIND_THE_TRIGRAM
        else model_id
        for model_id in LANGUAGE_MODELS
    ],
)
def test_shipped_language_model_beats_the_trigram_on_held_out_text(model_id: str) -> None:
    from app.zoo.language import stream_bits
    from app.zoo.training.ngrams import KneserNey, as_symbols, bits_per_char
    from app.zoo.training.runs import char_texts

    model = shipped(model_id)
    texts = char_texts(RECIPES[model_id], DATA_DIR)
    train_ids, test_ids = (
        model.tokenizer.texts_to_sequences([text])[0] for text in (texts.train, texts.test)
    )
    test_ids = test_ids[:LM_SLICE]
    vocabulary = len(model.config.class_labels) - 1  # padding is never a character
    trigram = KneserNey(3, vocabulary).fit(as_symbols(train_ids))

    assert stream_bits(model.network, test_ids) < bits_per_char(trigram, as_symbols(test_ids))


@pytest.mark.parametrize("model_id", LANGUAGE_MODELS)
def test_shipped_language_model_writes_and_its_vocabulary_is_its_labels(model_id: str) -> None:
    from app.zoo.generation import generate
    from app.zoo.language import Sampling

    model = shipped(model_id)
    writing = generate(model, model.config.examples[0], 50, Sampling(temperature=0.8, seed=1))

    assert len(writing.text) == 50
    assert writing.traced.prepared.tokens == list(model.config.examples[0] + writing.text)
    assert model.config.output_width == model.tokenizer.vocab_size == len(model.config.labels)  # type: ignore[arg-type]

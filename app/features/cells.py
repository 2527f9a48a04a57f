"""Find a character language model's interpretable cells: trace held-out text, score every unit
(the hidden and cell state of every layer) against every feature, report the best unit of each.

A unit is `layer L hidden u` or `layer L cell u`. Binary features are scored by AUROC, numeric
ones by Pearson r; the best unit is the one furthest from chance (|AUROC - 0.5|, |r|), reported
with its score as measured (an AUROC of 0.03 is a unit that is low inside strings).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import torch

from app.features.korean import korean_features
from app.features.python_source import python_features
from app.features.scoring import Feature, auroc, pearson, strength
from app.recurrent import trace_chain
from app.zoo.loaded import LoadedModel
from app.zoo.training import datasets

WINDOW = 1000  # characters traced at once; the state is carried between windows
PASSAGE = 240  # characters of the highlighted passage


@dataclass(frozen=True)
class BestUnit:
    feature: str
    kind: str  # binary | numeric
    metric: str  # auroc | pearson_r
    layer: int
    series: str  # hidden | cell
    unit: int
    score: float
    description: str
    passage: dict[str, Any]  # text, feature values and the unit's activations, for highlighting

    @property
    def name(self) -> str:
        return f"layer {self.layer} {self.series} {self.unit}"


@dataclass(frozen=True)
class Document:
    """A piece of held-out text and its features; the model reads it from a fresh state."""

    text: str
    features: list[Feature]


def activations(model: LoadedModel, text: str) -> dict[tuple[int, str], npt.NDArray[np.float32]]:
    """Every layer's hidden (and cell) state after every character: {(layer, series): (steps,
    units)}, the text read in windows with the state carried across."""
    ids = model.tokenizer.texts_to_sequences([text])[0]  # one per character, as a trace reads
    collected: dict[tuple[int, str], list[npt.NDArray[np.float32]]] = {}
    states = None
    for start in range(0, len(ids), WINDOW):
        window = torch.tensor([ids[start : start + WINDOW]], dtype=torch.long)
        with torch.no_grad():
            traced = trace_chain(
                list(model.network.blocks), model.network.embed(window), initial_states=states
            )
        states = _block_states(model, traced.final_state)
        for layer in traced.layers:
            series = {"hidden": layer.hidden, "cell": layer.cell}
            for name, values in series.items():
                if values is not None:
                    collected.setdefault((layer.layer, name), []).append(
                        values[0].to(torch.float32).numpy()
                    )
    return {key: np.concatenate(parts) for key, parts in collected.items()}


def _block_states(model: LoadedModel, final: Any) -> list[Any]:
    """The chain's final state as one initial state per block (a single block: the state)."""
    if len(model.network.blocks) == 1:
        return [final]
    return list(final)


def score_units(
    model: LoadedModel, documents: Sequence[Document]
) -> tuple[list[BestUnit], dict[str, Any]]:
    """The best unit per feature over all documents, and the full table of scores."""
    per_document = [activations(model, document.text) for document in documents]
    keys = sorted(per_document[0])
    stacked = {key: np.concatenate([acts[key] for acts in per_document]) for key in keys}
    text = "".join(document.text for document in documents)
    names = [feature.name for feature in documents[0].features]
    best: list[BestUnit] = []
    table: dict[str, Any] = {}
    for index, name in enumerate(names):
        feature = documents[0].features[index]
        values = np.concatenate([np.asarray(d.features[index].values) for d in documents])
        scored = {key: _score(feature.kind, stacked[key], values) for key in keys}
        table[name] = {
            f"layer {layer} {series}": [round(float(v), 4) for v in scores]
            for (layer, series), scores in scored.items()
        }
        best.append(_best(feature, scored, stacked, values, text))
    return best, table


def _score(kind: str, acts: npt.NDArray[np.float32], values: npt.NDArray[Any]) -> Any:
    return auroc(acts, values > 0.5) if kind == "binary" else pearson(acts, values)


def _best(
    feature: Feature,
    scored: dict[tuple[int, str], Any],
    stacked: dict[tuple[int, str], npt.NDArray[np.float32]],
    values: npt.NDArray[Any],
    text: str,
) -> BestUnit:
    candidates = [
        (float(np.nan_to_num(strength(feature.kind, scores))[unit]), key, unit)
        for key, scores in scored.items()
        for unit in range(len(scores))
    ]
    _, (layer, series), unit = max(candidates)
    score = float(scored[(layer, series)][unit])
    return BestUnit(
        feature=feature.name,
        kind=feature.kind,
        metric="auroc" if feature.kind == "binary" else "pearson_r",
        layer=layer,
        series=series,
        unit=unit,
        score=score,
        description=feature.description,
        passage=_passage(text, values, stacked[(layer, series)][:, unit]),
    )


def _passage(text: str, values: npt.NDArray[Any], unit: npt.NDArray[np.float32]) -> dict[str, Any]:
    """A stretch of text where the feature changes most, with the unit's activation per char."""
    changes = np.abs(np.diff(values, prepend=values[0])) > 0
    counts = np.convolve(changes.astype(float), np.ones(PASSAGE), mode="valid")
    start = int(np.argmax(counts)) if len(counts) else 0
    end = min(start + PASSAGE, len(text))
    return {
        "text": text[start:end],
        "feature": [float(v) for v in values[start:end]],
        "activation": [round(float(a), 4) for a in unit[start:end]],
    }


def report(best: list[BestUnit], goals: dict[str, float] | None = None) -> dict[str, Any]:
    """The JSON document of a cells run (what cells.json holds)."""
    return {
        "best": [{**asdict(unit), "unit_name": unit.name} for unit in best],
        "goals": goals or {},
    }


# -- the held-out text of each shipped language model -------------------------------------------

CELL_CHARS = 40_000  # held-out characters scored by default


def held_out_documents(data: str, data_dir: Path, chars: int = CELL_CHARS) -> list[Document]:
    """Held-out text of a character recipe's data ("python_source" or "nsmc_chars") with its
    features: the opening of every held-out file (features from the whole file), or the first
    held-out reviews, one per line."""
    if data == "python_source":
        split = datasets.python_split(data_dir)
        share = max(chars // len(split.test), 1)
        return [_opening(source, share) for source in split.test]
    split = datasets.nsmc_text_split(data_dir, 0.02)
    text, reviews = "", iter(split.test)
    while len(text) < chars:
        review = next(reviews, None)
        if review is None:
            break
        text += review + "\n"
    return [Document(text, korean_features(text))]


def _opening(source: str, chars: int) -> Document:
    features = python_features(source)
    cut = [Feature(f.name, f.kind, f.values[:chars], f.description) for f in features]
    return Document(source[:chars], cut)


# What the issue asks of each feature on chars-python-lstm (AUROC for binary features, |r|).
PYTHON_GOALS = {"in_string": 0.95, "bracket_depth": 0.8, "column": 0.8}


def find_cells(
    model: LoadedModel, data: str, data_dir: Path, chars: int = CELL_CHARS
) -> dict[str, Any]:
    """Score every unit of `model` on its held-out text; the cells.json document."""
    documents = held_out_documents(data, data_dir, chars)
    best, _ = score_units(model, documents)
    goals = PYTHON_GOALS if data == "python_source" else {}
    document = report(best, goals)
    document["model"] = model.id
    document["characters"] = sum(len(d.text) for d in documents)
    document["held_out"] = (
        "the opening of every held-out file"
        if data == "python_source"
        else "the first held-out reviews (ratings_test.tsv), one per line"
    )
    document["met"] = {
        name: any(
            u.feature == name
            and strength(u.kind, np.array([u.score]))[0] >= _goal_strength(u.kind, goal)
            for u in best
        )
        for name, goal in goals.items()
    }
    return document


def _goal_strength(kind: str, goal: float) -> float:
    return goal - 0.5 if kind == "binary" else goal

"""Unit scoring: AUROC and Pearson r against brute force, and cells read in windows exactly."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from app.features import auroc, pearson, python_features
from app.features.cells import Document, activations, score_units
from app.zoo import GateNet, LoadedModel
from tests.api.test_generate import tiny_char_config


def brute_auroc(values: list[float], labels: list[bool]) -> float:
    pairs = [
        1.0 if p > n else 0.5 if p == n else 0.0
        for p, n in itertools.product(
            [v for v, y in zip(values, labels, strict=True) if y],
            [v for v, y in zip(values, labels, strict=True) if not y],
        )
    ]
    return sum(pairs) / len(pairs)


def test_auroc_equals_counting_every_positive_negative_pair_ties_half() -> None:
    rng = np.random.default_rng(0)
    acts = rng.integers(0, 4, size=(40, 3)).astype(float)  # many ties
    labels = rng.random(40) > 0.6

    got = auroc(acts, labels)

    for unit in range(3):
        assert got[unit] == pytest.approx(brute_auroc(list(acts[:, unit]), list(labels)))


def test_auroc_of_a_perfect_and_an_inverted_unit() -> None:
    labels = np.array([0, 1, 1, 0, 1], dtype=bool)
    acts = np.stack([labels * 2.0 - 1, 1 - labels * 2.0], axis=1)

    assert auroc(acts, labels).tolist() == [1.0, 0.0]
    assert np.isnan(auroc(acts, np.zeros(5, dtype=bool))).all()


def test_pearson_equals_numpy_corrcoef_and_is_nan_for_a_constant_unit() -> None:
    rng = np.random.default_rng(1)
    acts = rng.normal(size=(50, 2))
    acts[:, 1] = 3.0
    target = acts[:, 0] * 2 + rng.normal(size=50)

    got = pearson(acts, target)

    assert got[0] == pytest.approx(np.corrcoef(acts[:, 0], target)[0, 1])
    assert np.isnan(got[1])


@pytest.fixture
def tiny_lm() -> LoadedModel:
    config = tiny_char_config()
    torch.manual_seed(0)
    return LoadedModel(config, GateNet(config))


def test_activations_read_in_windows_equal_one_trace_of_the_whole_text(
    tiny_lm: LoadedModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = "def f(x):\n    return (x + 1)  # done\n" * 3
    monkeypatch.setattr("app.features.cells.WINDOW", 7)
    windowed = activations(tiny_lm, text)
    whole = tiny_lm.run_trace(text).trace.layers[0]

    assert np.allclose(windowed[(0, "hidden")], whole.hidden[0].numpy(), atol=1e-6)
    assert np.allclose(windowed[(0, "cell")], whole.cell[0].numpy(), atol=1e-6)  # type: ignore[index]


def test_the_best_unit_of_each_feature_is_the_strongest_of_all_units(tiny_lm: LoadedModel) -> None:
    source = 'def f(x):\n    return g("a(", [x, 1])  # c\n' * 4
    documents = [Document(source, python_features(source))]

    best, table = score_units(tiny_lm, documents)

    assert [unit.feature for unit in best] == [f.name for f in documents[0].features]
    for unit in best:
        scores = [s for row in table[unit.feature].values() for s in row if s == s]
        strongest = max(abs(s - 0.5) if unit.kind == "binary" else abs(s) for s in scores)
        measured = abs(unit.score - 0.5) if unit.kind == "binary" else abs(unit.score)
        assert measured == pytest.approx(strongest, abs=1e-4)
        assert len(unit.passage["text"]) == len(unit.passage["activation"])

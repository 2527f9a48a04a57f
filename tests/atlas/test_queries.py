"""Every atlas answer against a brute-force computation over full traces of a small corpus:
each document traced on its own, as the trace endpoint does, and rounded as it rounds."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.cluster import SpectralCoclustering
from sklearn.metrics import roc_auc_score

from app.atlas import Corpus, build_index, open_index
from app.atlas.card import unit_card
from app.atlas.clusters import co_clusters
from app.atlas.index import AtlasIndex
from app.atlas.layout import TrackRef
from app.atlas.match import Query, match
from app.atlas.score import Feature, ScoreError, score
from app.serialize import layer_payload
from app.zoo import LoadedModel
from tests.atlas.helpers import SERIES, TEXTS, chain_model, series_model, text_model

CORPUS = TEXTS * 3 + ["good good good film", "bad film bad story", "the story was the story"]


class Brute:
    """Full traces (padding included) of every valid document, rounded like the endpoint."""

    def __init__(self, model: LoadedModel, documents: list[Any]) -> None:
        self.docs: list[dict[str, Any]] = []
        for corpus_id, raw in enumerate(documents):
            try:
                traced = model.run_trace(raw)
            except ValueError:
                continue
            tracks: dict[str, np.ndarray] = {}
            for layer in traced.trace.layers:
                payload = layer_payload(layer, 4)
                prefix = f"{layer.layer}/{layer.direction}/"
                for gate, array in payload["gates"].items():
                    tracks[prefix + gate] = array
                if payload["cell"] is not None:
                    tracks[prefix + "cell"] = payload["cell"]
                tracks[prefix + "hidden"] = payload["hidden"]
            prepared = traced.prepared
            kinds = prepared.token_kinds or ["word"] * prepared.steps
            self.docs.append(
                {
                    "id": corpus_id,
                    "tracks": tracks,
                    "kinds": kinds,
                    "tokens": prepared.tokens,
                    "values": prepared.values,
                }
            )

    def real(self, doc: dict[str, Any]) -> list[int]:
        return [step for step, kind in enumerate(doc["kinds"]) if kind != "pad"]

    def column(self, track: str, unit: int) -> np.ndarray:
        return np.array([d["tracks"][track][s, unit] for d in self.docs for s in self.real(d)])

    def places(self) -> list[tuple[dict[str, Any], int]]:
        return [(d, s) for d in self.docs for s in self.real(d)]

    def change(self, doc: dict[str, Any], track: str, unit: int, step: int) -> float:
        """The value (gates) or the change of the state when the step's word is read."""
        values = doc["tracks"][track][:, unit]
        if not (track.endswith("hidden") or track.endswith("cell")):
            return float(values[step])
        before = step - 1 if "/forward/" in track else step + 1
        previous = values[before] if 0 <= before < len(values) else 0.0
        return float(values[step]) - float(previous)


@pytest.fixture(scope="module")
def text_case(tmp_path_factory: pytest.TempPathFactory) -> tuple[AtlasIndex, Brute, LoadedModel]:
    model = text_model("lstm")
    index = open_index(
        build_index(model, Corpus("c", "text", CORPUS), tmp_path_factory.mktemp("atlas"))
    )
    return index, Brute(model, CORPUS), model


@pytest.fixture(scope="module")
def chain_case(tmp_path_factory: pytest.TempPathFactory) -> tuple[AtlasIndex, Brute, LoadedModel]:
    model = chain_model()
    index = open_index(
        build_index(model, Corpus("c", "text", CORPUS), tmp_path_factory.mktemp("atlas"))
    )
    return index, Brute(model, CORPUS), model


def _ranked(
    brute: Brute, track: str, unit: int, k: int, largest: bool
) -> list[tuple[int, int, float]]:
    rows = [(d["id"], s, float(d["tracks"][track][s, unit])) for d, s in brute.places()]
    order = sorted(range(len(rows)), key=lambda r: (-rows[r][2] if largest else rows[r][2], r))
    return [rows[r] for r in order[:k]]


@pytest.mark.parametrize("case", ["text_case", "chain_case"])
def test_card_top_bottom_quantiles_and_words_equal_brute_force(
    case: str, request: pytest.FixtureRequest
) -> None:
    index, brute, _ = request.getfixturevalue(case)
    for info in index.tracks:
        for unit in range(info.units):
            card = unit_card(index, info.ref, unit, k=7, window=2, min_count=2)
            name = info.ref.name
            for side, largest in (("top", True), ("bottom", False)):
                got = [(c["document"], c["step"], c["value"]) for c in card[side]]
                assert got == _ranked(brute, name, unit, 7, largest), (name, unit, side)
            column = brute.column(name, unit)
            expected_q = np.quantile(column, [q["q"] for q in card["quantiles"]], method="lower")
            assert [q["value"] for q in card["quantiles"]] == expected_q.tolist()
            assert card["mean"] == round(float(column.mean()), 4)
            assert card["std"] == round(float(column.std()), 4)
            if info.ref.track in ("forget", "update", "reset", "input", "output"):
                assert card["saturation"] == {
                    "low": round(float((column < 0.1).mean()), 4),
                    "high": round(float((column > 0.9).mean()), 4),
                }
            _check_words(card["words"], brute, name, unit, 2)
            # min_count 3, the default, is read from the tables ranked at build time
            cached = unit_card(index, info.ref, unit, k=1, window=0, words=100)["words"]
            _check_words(cached, brute, name, unit, 3)
    first = unit_card(index, index.tracks[0].ref, 0, k=1, window=2)["top"][0]
    doc = next(d for d in brute.docs if d["id"] == first["document"])
    real = brute.real(doc)
    window = [s for s in real if abs(s - first["step"]) <= 2]
    assert first["tokens"] == [doc["tokens"][s] for s in window]
    assert first["window_start"] == window[0]
    assert first["values"] == [float(doc["tracks"][index.tracks[0].ref.name][s, 0]) for s in window]


def _check_words(
    words: dict[str, Any], brute: Brute, track: str, unit: int, min_count: int
) -> None:
    sums: dict[str, list[float]] = {}
    for doc, step in brute.places():
        sums.setdefault(doc["tokens"][step], []).append(brute.change(doc, track, unit, step))
    # the mean of the rounded values, taken in integers (units of 1e-4) as the index holds them
    means = {
        w: float(np.round(sum(round(x * 1e4) for x in v) / len(v) / 1e4, 4))
        for w, v in sums.items()
        if len(v) >= min_count
    }
    ranked = sorted(means, key=lambda w: -means[w])
    got = words["highest"]
    assert [row["value"] for row in got] == [means[w] for w in ranked[: len(got)]]
    assert len(got) == min(len(ranked), 100 if min_count == 3 else 10)
    for row in got + words["lowest"]:
        assert math.isclose(row["value"], means[row["word"]], abs_tol=1e-9)
        assert row["count"] == len(sums[row["word"]])
    assert words["measure"] == ("change" if track.endswith(("hidden", "cell")) else "value")


def _brute_match(
    brute: Brute,
    units: list[tuple[str, int]],
    doc_id: int,
    start: int,
    end: int,
    percentile: float,
    need: int,
) -> list[tuple[int, int, int, float]]:
    thresholds = [
        np.quantile(brute.column(t, u), percentile / 100, method="lower") for t, u in units
    ]
    query = next(d for d in brute.docs if d["id"] == doc_id)
    length = end - start + 1
    template = [query["tracks"][t][start : end + 1, u] for t, u in units]
    found = []
    for doc in brute.docs:
        real = brute.real(doc)
        for s in range(real[0], real[-1] - length + 2):
            if doc["id"] == doc_id and s == start:
                continue
            shared, total = 0, 0.0
            for (t, u), limit, tv in zip(units, thresholds, template, strict=True):
                span = doc["tracks"][t][s : s + length, u]
                if np.array_equal(span > limit, tv > limit):
                    shared += 1
                    total += float(np.abs(np.rint(span * 1e4) - np.rint(tv * 1e4)).sum())
            if shared >= need:
                fit = round(total / (shared * length) / 1e4, 4)
                found.append((doc["id"], s, shared, fit))
    return sorted(found, key=lambda m: (-m[2], m[3]))


@pytest.mark.parametrize("shift_span", [8, 0], ids=["step-by-step", "prefix-sums"])
@pytest.mark.parametrize("case", ["text_case", "chain_case"])
def test_match_equals_brute_force_over_every_span(
    case: str, shift_span: int, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("app.atlas.match.SHIFT_SPAN", shift_span)
    index, brute, _ = request.getfixturevalue(case)
    doc = brute.docs[4]
    real = brute.real(doc)
    start, end = real[1], real[3]
    hidden = [info.ref for info in index.tracks if info.ref.track == "hidden"]
    units = [(hidden[0], 0), (hidden[-1], 1), (index.tracks[0].ref, 2)]
    names = [(ref.name, u) for ref, u in units]
    got = match(
        index, Query(doc["id"], start, end, units=units, percentile=60, min_shared=2, limit=1000)
    )
    expected = _brute_match(brute, names, doc["id"], start, end, 60, 2)
    assert got["candidates"] == len(expected)
    assert [(m["document"], m["start"], m["shared"], m["fit"]) for m in got["matches"]] == [
        (d, s, n, f)
        for d, s, n, f in sorted(expected, key=lambda m: (-m[2], m[3], _position(brute, m)))
    ]
    for m in got["matches"][:5]:
        assert m["end"] == m["start"] + 2 and len(m["tokens"]) == 3
        assert len(m["units"]) == m["shared"]


def _position(brute: Brute, m: tuple[int, int, int, float]) -> int:
    return [(d["id"], s) for d, s in brute.places()].index((m[0], m[1]))


def test_units_that_are_on_are_picked_by_their_own_percentile(text_case: Any) -> None:
    index, brute, _ = text_case
    doc = brute.docs[1]
    real = brute.real(doc)
    got = match(index, Query(doc["id"], real[0], real[1], percentile=50))
    expected = []
    for info in index.tracks:
        if info.ref.track != "hidden":
            continue
        for unit in range(info.units):
            limit = np.quantile(brute.column(info.ref.name, unit), 0.5, method="lower")
            if (doc["tracks"][info.ref.name][real[0] : real[1] + 1, unit] > limit).all():
                expected.append(f"{info.ref.name}/{unit}")
    assert got["units"] == expected


def test_a_match_outside_the_documents_real_steps_is_refused(text_case: Any) -> None:
    from app.atlas.match import MatchError

    index, brute, _ = text_case
    with pytest.raises(MatchError) as error:
        match(index, Query(brute.docs[0]["id"], 0, 1))  # padding
    assert error.value.code == "bad_step_range"


@pytest.mark.parametrize(
    "feature,holds",
    [
        pytest.param(
            Feature(words=["good", "great"]),
            lambda tok, kind: tok in ("good", "great"),
            id="word-list",
        ),
        pytest.param(Feature(regex="^(the|a)$"), lambda tok, kind: tok in ("the", "a"), id="regex"),
        pytest.param(Feature(is_oov=True), lambda tok, kind: kind == "oov", id="oov"),
    ],
)
def test_score_auroc_equals_sklearn_on_every_unit(
    feature: Feature, holds: Any, text_case: Any
) -> None:
    index, brute, _ = text_case
    labels = np.array([holds(d["tokens"][s], d["kinds"][s]) for d, s in brute.places()])
    got = score(index, feature, limit=1000)
    assert got["positive"] == int(labels.sum())
    by_unit = {row["unit"]: row for row in got["units"]}
    assert len(by_unit) == sum(info.units for info in index.tracks)
    for info in index.tracks:
        for unit in range(info.units):
            column = brute.column(info.ref.name, unit)
            row = by_unit[f"{info.ref.name}/{unit}"]
            assert row["auroc"] == pytest.approx(roc_auc_score(labels, column), abs=1e-6)
            assert row["mean_positive"] == round(float(column[labels].mean()), 4)
    distances = [abs(row["auroc"] - 0.5) for row in got["units"]]
    assert distances == sorted(distances, reverse=True)


def test_score_is_pad_counts_every_documents_padding(text_case: Any) -> None:
    index, brute, _ = text_case
    labels, columns = [], {}
    for info in index.tracks:
        columns[info.ref.name] = [
            np.concatenate([d["tracks"][info.ref.name][:, u] for d in brute.docs])
            for u in range(info.units)
        ]
    labels = np.concatenate([np.array(d["kinds"]) == "pad" for d in brute.docs])
    got = {
        row["unit"]: row["auroc"] for row in score(index, Feature(is_pad=True), limit=1000)["units"]
    }
    for name, units in columns.items():
        for unit, column in enumerate(units):
            assert got[f"{name}/{unit}"] == pytest.approx(roc_auc_score(labels, column), abs=1e-6)
    with pytest.raises(ScoreError):
        score(open_index(index.directory), Feature(words=["no-such-word"]))


def test_score_a_series_condition(tmp_path: Path) -> None:
    model = series_model()
    index = open_index(build_index(model, Corpus("s", "numbers", SERIES), tmp_path))
    brute = Brute(model, SERIES)
    labels = np.array([d["values"][s][0] > 0 for d, s in brute.places()])
    got = {
        row["unit"]: row["auroc"]
        for row in score(index, Feature(condition="precipitation > 0"), limit=1000)["units"]
    }
    for info in index.tracks:
        for unit in range(info.units):
            expected = roc_auc_score(labels, brute.column(info.ref.name, unit))
            assert got[f"{info.ref.name}/{unit}"] == pytest.approx(expected, abs=1e-6)
    with pytest.raises(ScoreError) as error:
        score(index, Feature(condition="snow > 1"))
    assert error.value.code == "bad_condition"


def _mean(values: list[float]) -> float:
    return float(np.round(sum(round(x * 1e4) for x in values) / len(values) / 1e4, 4))


def test_co_clusters_are_sklearns_on_the_brute_force_response_matrix(text_case: Any) -> None:
    index, brute, _ = text_case
    ref = TrackRef(0, "forward", "hidden")
    got = co_clusters(index, ref, clusters=2, words=8)
    counts: dict[str, int] = {}
    for d, s in brute.places():
        counts[d["tokens"][s]] = counts.get(d["tokens"][s], 0) + 1
    first_seen = list(dict.fromkeys(d["tokens"][s] for d, s in brute.places()))
    words = sorted(first_seen, key=lambda w: -counts[w])[:8]
    assert got["words"] == words
    matrix = np.array(
        [
            [
                _mean(
                    [
                        brute.change(d, ref.name, u, s)
                        for d, s in brute.places()
                        if d["tokens"][s] == w
                    ]
                )
                for w in words
            ]
            for u in range(4)
        ]
    )
    assert np.allclose(got["matrix"], matrix, atol=1e-9)
    expected = SpectralCoclustering(n_clusters=2, random_state=0).fit(np.abs(matrix) + 1e-6)
    for c, cluster in enumerate(got["clusters"]):
        assert cluster["units"] == np.flatnonzero(expected.row_labels_ == c).tolist()
        assert cluster["words"] == [words[w] for w in np.flatnonzero(expected.column_labels_ == c)]

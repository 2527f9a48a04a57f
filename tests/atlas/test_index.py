"""The corpus index: every real step of every track stored exactly as the trace endpoint
rounds it, reused while the weights stay, rebuilt when they change, built once under a lock,
and nothing left behind by an interrupted build."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from app.atlas import Corpus, build_index, open_index
from app.atlas.build import BuildLimits, atlas_status, index_key, lock_path
from app.atlas.corpus import CorpusError, read_corpus_file
from app.atlas.layout import TrackRef
from app.atlas.lock import BuildBusy
from app.zoo import LoadedModel
from tests.atlas.helpers import SERIES, TEXTS, brute_steps, chain_model, series_model, text_model


def _corpus(model: LoadedModel) -> Corpus:
    if model.config.preprocessing.kind == "text":
        return Corpus("tiny", "text", TEXTS)
    return Corpus("tiny", "numbers", SERIES)


MODELS = [
    pytest.param(lambda: text_model("lstm"), id="lstm-pre-padded"),
    pytest.param(lambda: text_model("gru", padding="post"), id="gru-post-padded"),
    pytest.param(lambda: text_model("rnn", mask_padding=True), id="rnn-masked"),
    pytest.param(chain_model, id="bilstm-gru-chain"),
    pytest.param(series_model, id="series-gru-2-layers"),
]


@pytest.mark.parametrize("make", MODELS)
def test_index_holds_every_real_step_as_the_trace_endpoint_rounds_it(
    make: Any, tmp_path: Path
) -> None:
    model = make()
    corpus = _corpus(model)
    index = open_index(build_index(model, corpus, tmp_path))
    steps = brute_steps(model, corpus.documents)
    assert index.steps == len(steps)
    assert [info.ref.name for info in index.tracks] == list(steps[0].values)
    for position, step in enumerate(steps):
        assert index.step_of(position) == (step.document, step.step)
        assert index.token(position) == step.token
    for info in index.tracks:
        stored = np.asarray(index.values(info.ref), dtype=np.float64) / 10**index.decimals
        expected = np.array([step.values[info.ref.name] for step in steps]).T
        assert np.array_equal(stored, expected), info.ref.name


@pytest.mark.parametrize(
    "make_model",
    [
        pytest.param(chain_model, id="post-padded-bidirectional-saved"),
        pytest.param(lambda: text_model("lstm"), id="pre-padded-from-shared-padding"),
    ],
)
def test_entries_are_the_state_before_the_first_word_in_reading_order(
    tmp_path: Path, make_model: Any
) -> None:
    model = make_model()
    index = open_index(build_index(model, _corpus(model), tmp_path))
    saved = {path.name for path in index.directory.glob("*.entry.npy")}
    states = [info for info in index.tracks if info.ref.is_state]
    if index.meta["pads"]:
        assert saved == set()
    else:
        assert saved == {f"{info.ref.file}.entry.npy" for info in states}
    for document in range(index.documents):
        corpus_id = int(index.doc_ids[document])
        traced = model.run_trace(TEXTS[corpus_id])
        start, end = index.document_range(document)
        first = int(index.first_step[document])
        last = first + end - start - 1
        for info in states:
            layer = traced.trace.layer(info.ref.layer, info.ref.direction)  # type: ignore[arg-type]
            values = (
                layer.hidden
                if info.ref.track == "hidden"
                else layer.gates.get(info.ref.track, layer.cell)
            )
            step = first - 1 if info.ref.direction == "forward" else last + 1
            expected = np.zeros(info.units)
            if 0 <= step < traced.prepared.steps:
                expected = torch.round(values[0, step].double(), decimals=4).numpy()
            assert np.array_equal(index.entry(info.ref)[:, document] / 1e4, expected), info.ref.name


def test_shared_padding_is_stored_once_for_a_pre_padded_left_to_right_model(tmp_path: Path) -> None:
    model = text_model("gru")
    index = open_index(build_index(model, _corpus(model), tmp_path))
    traced = model.run_trace("!!! good")  # one word: six pads first
    pads = index.pads(TrackRef(0, "forward", "update"))
    assert pads is not None
    expected = torch.round(traced.trace.layers[0].gates["update"][0, :6].double(), decimals=4)
    assert np.array_equal(pads[:, :6].T / 1e4, expected.numpy())
    assert (
        open_index(build_index(chain_model(), _corpus(model), tmp_path)).pads(
            TrackRef(2, "forward", "hidden")
        )
        is None
    )


def test_index_is_reused_while_the_weights_stay_and_rebuilt_when_they_change(
    tmp_path: Path,
) -> None:
    model = text_model("gru")
    corpus = _corpus(model)
    first = build_index(model, corpus, tmp_path)
    marker = first / "meta.json"
    written = marker.stat().st_mtime_ns
    calls: list[float] = []
    assert build_index(model, corpus, tmp_path, progress=calls.append) == first
    assert calls == [] and marker.stat().st_mtime_ns == written
    with torch.no_grad():
        model.network.blocks[0].weight_hh_l0[0, 0] += 0.5
    model = LoadedModel(model.config, model.network)  # a reloaded model: same object cache aside
    from app.atlas import build as build_module

    build_module._WEIGHT_DIGESTS.clear()
    second = build_index(model, corpus, tmp_path)
    assert second != first and (second / "meta.json").is_file()
    other = build_index(model, Corpus("tiny", "text", TEXTS[:5]), tmp_path)
    assert other not in (first, second)


def test_an_interrupted_build_leaves_nothing_behind(tmp_path: Path) -> None:
    model = text_model("lstm")
    corpus = _corpus(model)

    def interrupt(fraction: float) -> None:
        if fraction > 0.5:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        build_index(model, corpus, tmp_path, progress=interrupt)
    assert os.listdir(tmp_path) == []
    assert atlas_status(tmp_path, index_key(model, corpus, 4)).status == "missing"
    build_index(model, corpus, tmp_path)
    assert atlas_status(tmp_path, index_key(model, corpus, 4)).status == "ready"


def test_a_live_lock_refuses_a_second_builder_and_a_dead_ones_is_taken_over(tmp_path: Path) -> None:
    model = text_model("gru")
    corpus = _corpus(model)
    key = index_key(model, corpus, 4)
    lock = lock_path(tmp_path, key)
    lock.write_text(json.dumps({"host": os.uname().nodename, "pid": os.getpid()}))
    assert atlas_status(tmp_path, key).status == "building"
    with pytest.raises(BuildBusy):
        build_index(model, corpus, tmp_path)
    lock.write_text(json.dumps({"host": os.uname().nodename, "pid": 2**22 + 12345}))
    assert atlas_status(tmp_path, key).status == "missing"
    build_index(model, corpus, tmp_path)
    assert not lock.exists() and atlas_status(tmp_path, key).status == "ready"


def test_limits_bound_a_build_and_the_failure_is_reported(tmp_path: Path) -> None:
    model = text_model("gru")
    corpus = _corpus(model)
    with pytest.raises(CorpusError) as documents:
        build_index(model, corpus, tmp_path, limits=BuildLimits(documents=3))
    assert documents.value.code == "too_many_documents"
    with pytest.raises(CorpusError) as steps:
        build_index(model, corpus, tmp_path, limits=BuildLimits(steps=10))
    assert steps.value.code == "too_many_steps"
    status = atlas_status(tmp_path, index_key(model, corpus, 4))
    assert status.status == "missing" and status.error is not None
    assert status.error["code"] == "too_many_steps"


def test_user_corpora_text_lines_csv_column_and_numeric_windows() -> None:
    text = text_model("gru")
    assert read_corpus_file(b"good film\n\n bad film \n", "c", text.config).documents == [
        "good film",
        "bad film",
    ]
    table = b'id,review\n1,good film\n2,"bad, bad"\n'
    assert read_corpus_file(table, "c", text.config, column="review").documents == [
        "good film",
        "bad, bad",
    ]
    with pytest.raises(CorpusError) as unknown:
        read_corpus_file(table, "c", text.config, column="text")
    assert unknown.value.code == "unknown_column"
    series = series_model()
    rows = "wind,temp_min,temp_max,precipitation\n" + "\n".join(
        f"{k},{k + 1},{k + 2},{k + 3}" for k in range(5)
    )
    windows = read_corpus_file(rows.encode(), "c", series.config).documents
    assert len(windows) == 3 and windows[0][0] == [3.0, 2.0, 1.0, 0.0]

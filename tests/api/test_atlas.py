"""The atlas API on the tiny models: a corpus uploaded, built in the background (202 with
progress until ready), and every answer's values equal to the trace endpoint's."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from tests.api.conftest import tiny_settings

CORPUS = "\n".join(
    [
        "the movie was good",
        "a truly great film",
        "bad bad movie",
        "good acting, great story",
        "the film was boring and bad",
        "great great story",
        "a good film",
        "the acting was bad but the story was great",
    ]
)
BASE = "/api/v1/models/tiny-text-gru/atlas"


@pytest.fixture(scope="module")
def atlas_client(
    tiny_models_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    app = create_app(tiny_settings(tiny_models_dir, tmp_path_factory.mktemp("atlas-data")))
    with TestClient(app) as client:
        yield client


def _ready(client: TestClient) -> dict[str, Any]:
    for _ in range(300):
        status = client.get(BASE).json()
        if status["status"] == "ready":
            return status
        assert status["status"] == "building", status
        assert 0 <= status["progress"] <= 1
        time.sleep(0.1)
    raise AssertionError("the atlas was not built in 30 s")


def test_atlas_builds_an_uploaded_corpus_and_answers_like_the_trace(
    atlas_client: TestClient,
) -> None:
    client = atlas_client
    missing = client.get(BASE)
    assert missing.status_code == 200
    assert missing.json()["status"] == "missing" and missing.json()["corpus"] is None
    refused = client.get(f"{BASE}/units/0/forward/hidden/0")
    assert refused.status_code == 409 and refused.json()["detail"][0]["code"] == "atlas_no_corpus"

    started = client.post(BASE, files={"corpus": ("reviews.txt", CORPUS.encode(), "text/plain")})
    assert started.status_code in (200, 202), started.text
    status = _ready(client)
    assert status["corpus"] == {
        "name": "reviews.txt",
        "documents": 8,
        "steps": status["corpus"]["steps"],
    }
    assert {track["name"] for track in status["tracks"]} >= {"0/forward/update", "0/forward/hidden"}

    documents = client.get(f"{BASE}/corpus", params={"offset": 1, "limit": 2}).json()
    assert documents["total"] == 8 and [d["id"] for d in documents["documents"]] == [1, 2]
    assert documents["documents"][0]["document"] == "a truly great film"

    card = client.get(f"{BASE}/units/0/forward/update/1", params={"k": 3}).json()
    assert len(card["top"]) == 3 and len(card["bottom"]) == 3
    assert {"quantiles", "mean", "std", "saturation", "words"} <= set(card)
    text = CORPUS.splitlines()
    for context in card["top"] + card["bottom"]:
        trace = client.post(
            "/api/v1/models/tiny-text-gru/trace", json={"input": text[context["document"]]}
        ).json()
        assert trace["layers"][0]["gates"]["update"][context["step"]][1] == context["value"]
        assert trace["tokens"][context["step"]] == context["tokens"][context["focus"]]


def test_match_score_clusters_and_their_refusals(atlas_client: TestClient) -> None:
    client = atlas_client
    if client.get(BASE).json()["status"] != "ready":
        client.post(BASE, files={"corpus": ("reviews.txt", CORPUS.encode(), "text/plain")})
        _ready(client)
    corpus = client.get(f"{BASE}/corpus").json()["documents"]
    last = corpus[-1]
    body = {
        "document": last["id"],
        "start": last["first_step"],
        "end": last["first_step"] + 1,
        "percentile": 60,
    }
    matched = client.post(f"{BASE}/match", json=body)
    assert matched.status_code == 200, matched.text
    for item in matched.json()["matches"]:
        assert {"document", "start", "end", "units", "score"} <= set(item)
    scored = client.post(f"{BASE}/score", json={"words": ["bad", "boring"]}).json()
    assert scored["positive"] == 5 and 0 <= scored["units"][0]["auroc"] <= 1
    clusters = client.get(f"{BASE}/clusters", params={"clusters": 2, "words": 6}).json()
    assert sum(len(c["units"]) for c in clusters["clusters"]) == 3  # every unit in one cluster

    def code(response: Any) -> str:
        return response.json()["detail"][0]["code"]

    assert code(client.post(f"{BASE}/score", json={"words": ["a"], "is_oov": True})) == "invalid"
    assert code(client.post(f"{BASE}/score", json={"regex": "("})) == "bad_regex"
    assert code(client.get(f"{BASE}/units/0/forward/forget/0")) == "unknown_track"
    assert code(client.get(f"{BASE}/units/0/forward/hidden/99")) == "unknown_track"
    assert (
        code(client.post(f"{BASE}/match", json={**body, "start": 5, "end": 9})) == "bad_step_range"
    )
    table = b"id,review\n1,good\n"
    bad = client.post(BASE, files={"corpus": ("r.csv", table, "text/csv")}, data={"column": "text"})
    assert bad.status_code == 422 and code(bad) == "unknown_column"


def test_unit_grid_one_document_and_a_pattern_from_any_input(atlas_client: TestClient) -> None:
    client = atlas_client
    if client.get(BASE).json()["status"] != "ready":
        client.post(BASE, files={"corpus": ("reviews.txt", CORPUS.encode(), "text/plain")})
        _ready(client)
    grid = client.get(f"{BASE}/units").json()["tracks"]
    hidden = next(track for track in grid if track["name"] == "0/forward/hidden")
    card = client.get(f"{BASE}/units/0/forward/hidden/2").json()
    row = hidden["units"][2]
    assert (row["mean"], row["std"]) == (card["mean"], card["std"])
    assert row["top_word"] == card["words"]["highest"][0]["word"]

    one = client.get(f"{BASE}/corpus", params={"document": 6}).json()["documents"]
    assert [(d["id"], d["document"]) for d in one] == [(6, "a good film")]
    assert client.get(f"{BASE}/corpus", params={"document": 99}).status_code == 422

    # the last document's first two steps as a document and as the same text typed in: the
    # same units, the same spans (the document itself is found too when given as input)
    last = client.get(f"{BASE}/corpus").json()["documents"][-1]
    span = {"start": last["first_step"], "end": last["first_step"] + 1, "percentile": 60}
    by_document = client.post(f"{BASE}/match", json={**span, "document": last["id"]}).json()
    by_input = client.post(f"{BASE}/match", json={**span, "input": last["document"]}).json()
    assert by_input["units"] == by_document["units"]
    own = (last["id"], span["start"])
    assert [m for m in by_input["matches"] if (m["document"], m["start"]) != own][
        : len(by_document["matches"]) - 1
    ] == by_document["matches"][: len(by_document["matches"]) - 1]
    both = client.post(f"{BASE}/match", json={**span, "document": 1, "input": "good"})
    assert both.status_code == 422
    assert client.post(
        f"{BASE}/match", json={**span, "input": "good", "start": 0, "end": 40}
    ).json()["detail"][0]["code"] in ("bad_step_range", "span_too_long")

"""The unit atlas page (/atlas) in real headless Chromium on a tiny GRU and a tiny corpus: the
page builds the index (a progress bar until it is ready), a unit's card shows the API's numbers,
a pattern match opens the explorer at its document and step, the hypothesis box ranks units as
the API does, and the explorer links back to both."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.browser.conftest import TIMEOUT_MS
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser

MODEL = "tiny-text-gru"
CORPUS = [
    "a great film",
    "a dull film",
    "great acting and a good plot",
    "bad plot, dull acting",
    "a good film and great acting",
    "dull dull plot",
    "a bad film",
    "good plot and good acting",
]


@pytest.fixture(scope="module")
def atlas_server(start_server: Callable[..., LiveServer], tiny_models_dir: Path) -> LiveServer:
    """A server of its own (its data dir holds the index this module builds)."""
    return start_server({"GATESCOPE_MODELS_DIR": str(tiny_models_dir)})


def _wait_ready(page: Any) -> None:
    page.page.wait_for_function(
        "() => document.body.dataset.atlas === 'ready'"
        " && document.querySelectorAll('.atlas-unit').length > 0"
        " && document.body.dataset.state === 'ready'",
        timeout=TIMEOUT_MS,
    )


def test_atlas_page_builds_shows_the_apis_card_ranks_units_and_opens_a_match(
    atlas_server: LiveServer, open_page: Any, tmp_path: Path
) -> None:
    page = open_page(atlas_server.url)
    page.page.goto(f"{atlas_server.url}/atlas?model={MODEL}")
    page.page.wait_for_function(
        "() => document.body.dataset.atlas === 'missing'", timeout=TIMEOUT_MS
    )
    corpus = tmp_path / "reviews.txt"
    corpus.write_text("\n".join(CORPUS), encoding="utf-8")
    page.testid("atlas-corpus-file").set_input_files(str(corpus))
    page.testid("atlas-build").click()
    _wait_ready(page)
    assert "8 documents" in page.testid("atlas-status-text").inner_text()
    base = f"{atlas_server.url}/api/v1/models/{MODEL}/atlas"
    with httpx.Client(timeout=30) as api:
        grid = api.get(f"{base}/units").json()["tracks"]
        names = [f"{track['name']}/{row['unit']}" for track in grid for row in track["units"]]
        shown = page.page.eval_on_selector_all(
            ".atlas-unit", "nodes => nodes.map(n => n.dataset.unit)"
        )
        assert shown == names

        # the card's numbers are the API's
        page.testid("atlas-unit-0/forward/hidden/1").click()
        page.page.wait_for_function(
            "() => document.querySelector('[data-testid=atlas-card]').dataset.unit"
            " === '0/forward/hidden/1'",
            timeout=TIMEOUT_MS,
        )
        card = api.get(f"{base}/units/0/forward/hidden/1", params={"k": 10}).json()
        assert float(page.testid("atlas-card-mean").get_attribute("data-value")) == card["mean"]
        assert float(page.testid("atlas-card-std").get_attribute("data-value")) == card["std"]
        quantiles = page.page.eval_on_selector_all(
            "[data-testid=atlas-card-quantiles] td",
            "cells => cells.map(c => Number(c.dataset.value))",
        )
        assert quantiles == [q["value"] for q in card["quantiles"]]
        for side in ("top", "bottom"):
            for index, context in enumerate(card[side]):
                row = page.testid(f"atlas-context-{side}-{index}")
                assert float(row.get_attribute("data-value")) == context["value"]
                assert int(row.get_attribute("data-document")) == context["document"]
                cells = row.locator(".atlas-token")
                assert cells.all_inner_texts() == context["tokens"]
                values = [
                    float(v) for v in cells.evaluate_all("cs => cs.map(c => c.dataset.value)")
                ]
                assert values == context["values"]
        highest = page.page.eval_on_selector_all(
            "[data-testid=atlas-card-words-highest] li", "items => items.map(i => i.dataset.word)"
        )
        assert highest == [row["word"] for row in card["words"]["highest"]]
        assert "unit=0%2Fforward%2Fhidden%2F1" in page.page.url

        # the hypothesis box ranks units as the API does
        page.testid("atlas-hypothesis-kind").select_option("words")
        page.testid("atlas-hypothesis-input").fill("dull bad")
        page.testid("atlas-hypothesis-run").click()
        page.testid("atlas-ranked-0").wait_for()
        scored = api.post(f"{base}/score", json={"words": ["dull", "bad"]}).json()
        ranked = page.page.eval_on_selector_all(
            "[data-testid=atlas-hypothesis-results] tbody tr",
            "rows => rows.map(r => [r.dataset.unit, Number(r.dataset.auroc)])",
        )
        assert ranked == [[row["unit"], row["auroc"]] for row in scored["units"]]

        # Korean: the card, the ranking and the grid are redrawn in the page's language
        page.testid("lang-toggle").click()
        page.page.wait_for_function(
            "() => document.querySelector('[data-testid=atlas-card-title]').textContent"
            " === '1층 정방향, h, 유닛 2'",
            timeout=TIMEOUT_MS,
        )
        assert page.testid("lang-toggle").inner_text() == "English"
        assert "순위" in page.testid("atlas-hypothesis-results").inner_text()
        assert "평균" in page.testid("atlas-unit-0/forward/hidden/1").inner_text()

        # a match opens the explorer at its document and step
        documents = api.get(f"{base}/corpus").json()["documents"]
        last = documents[2]  # "great acting and a good plot"
        page.testid("atlas-match-document").fill(str(last["id"]))
        page.testid("atlas-match-start").fill(str(last["first_step"]))
        page.testid("atlas-match-end").fill(str(last["first_step"] + 1))
        page.testid("atlas-match-percentile").fill("60")
        page.testid("atlas-match-run").click()
        page.testid("atlas-match-open-0").wait_for()
        found = api.post(
            f"{base}/match",
            json={
                "document": last["id"],
                "start": last["first_step"],
                "end": last["first_step"] + 1,
                "percentile": 60,
                "limit": 10,
            },
        ).json()
        first = found["matches"][0]
        row = page.testid("atlas-match-0")
        assert int(row.get_attribute("data-document")) == first["document"]
        assert int(row.get_attribute("data-start")) == first["start"]
    page.testid("atlas-match-open-0").click()
    page.page.wait_for_url(f"{atlas_server.url}/?*", timeout=TIMEOUT_MS)
    page.wait_idle()
    page.wait_shown(step=first["start"] + 1)
    assert page.state()["input"] == CORPUS[first["document"]]
    page.assert_clean()


def test_the_explorer_links_to_the_units_card_and_to_its_pattern(
    atlas_server: LiveServer, open_page: Any
) -> None:
    with httpx.Client(timeout=30) as api:
        base = f"{atlas_server.url}/api/v1/models/{MODEL}/atlas"
        if api.get(base).json()["status"] != "ready":
            pytest.skip("needs the index the page test builds")
    page = open_page(atlas_server.url)
    page.open(f"?model={MODEL}&input=a+good+film&step=5&unit=2")
    page.wait_shown(step=5, unit=2)
    unit_href = page.testid("link-atlas-unit").get_attribute("href")
    assert unit_href == f"/atlas?model={MODEL}&unit=0%2Fforward%2Fhidden%2F1"
    page.testid("atlas-span").fill("2")
    page.testid("link-atlas-pattern").click()
    page.page.wait_for_url("**/atlas?*", timeout=TIMEOUT_MS)
    assert "start=3" in page.page.url and "end=4" in page.page.url
    page.testid("atlas-match-open-0").or_(page.page.get_by_text("No unit is on")).first.wait_for()
    assert "a good film" in page.testid("atlas-match-source").inner_text()
    page.assert_clean()

"""The gradient page points to the playground's long-dependency tasks (issue 14), in both
languages (the text module has the sentence in English and Korean)."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

TEXT = Path(__file__).resolve().parents[2] / "static" / "js" / "teaching" / "text.js"


def test_gradient_page_links_to_the_playground(client: TestClient) -> None:
    html = client.get("/gradient").text
    assert 'href="/playground?task=adding&amp;size=50&amp;cell=all"' in html
    assert 'data-teaching-i18n="gradient.playground.link"' in html
    text = TEXT.read_text(encoding="utf-8")
    assert text.count('"gradient.playground":') == 2  # en and ko
    assert text.count('"gradient.playground.link":') == 2

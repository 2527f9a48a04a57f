"""The view pages are same-origin shells; the teaching API keeps the access token."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app

TEACHING_PAGES = ["compare", "gradient", "saturation", "padding", "state", "whatif"]
HOOKS = {
    "compare": "compare-result",
    "gradient": "gradient-plot",
    "saturation": "saturation-plot",
    "padding": "padding-result",
    "state": "state-result",
    "whatif": "whatif-result",
}


@pytest.mark.parametrize("view", TEACHING_PAGES)
def test_view_page_is_a_same_origin_shell_with_its_module_and_links(
    client: TestClient, view: str
) -> None:
    response = client.get(f"/{view}", params={"model": "tiny-en-gru", "input": "a great film"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    html = response.text
    assert f'data-testid="{HOOKS[view]}"' in html
    assert f"/static/js/teaching/{view}.js?v=" in html
    assert 'data-testid="teaching-links"' in html and 'data-teaching-link="explorer"' in html
    assert "/vendor/plotly.min.js" in html and "https://" not in html


def test_explorer_carries_the_links_row(client: TestClient) -> None:
    html = client.get("/").text
    assert 'data-testid="teaching-links"' in html
    assert "/static/js/teaching/forming.js?v=" in html


def test_view_pages_stay_out_of_the_api_schema(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert not any(path.lstrip("/") in TEACHING_PAGES for path in paths)


def test_teaching_series_need_the_token_when_the_server_sets_one(
    tiny_zoo_dir: Path, tmp_path: Path
) -> None:
    settings = Settings(models_dir=tiny_zoo_dir, data_dir=tmp_path, token="classroom-secret")
    with TestClient(create_app(settings)) as client:
        body = {"input": "a great film"}
        refused = client.post("/api/v1/models/tiny-en-gru/compare", json=body)
        assert refused.status_code == 401
        assert refused.json()["detail"][0]["type"] == "unauthorized"
        assert client.get("/compare").status_code == 200  # the shell holds no data
        headers = {"Authorization": "Bearer classroom-secret"}
        allowed = client.post("/api/v1/models/tiny-en-gru/compare", json=body, headers=headers)
        assert allowed.status_code == 200

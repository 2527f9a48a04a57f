"""What the explorer page is served with (no browser needed): the HTML, its policy, its assets."""

from __future__ import annotations

import json
import re

import httpx
import plotly

TEST_IDS = [
    "model-select",
    "sequence-input",
    "run-trace",
    "play-toggle",
    "step-back",
    "step-forward",
    "step-slider",
    "step-label",
    "token-strip",
    "prediction",
    "prediction-by-step",
    "equation-panel",
    "lang-toggle",
    "error-message",
    "layer-select",
    "speed-select",
    "token-box",
]


def test_explorer_page_has_every_control_and_a_same_origin_policy(api: httpx.Client) -> None:
    response = api.get("/")
    assert response.status_code == 200
    html = response.text
    for test_id in TEST_IDS:
        assert f'data-testid="{test_id}"' in html, test_id
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy
    assert "connect-src 'self'" in policy
    assert "http" not in policy  # no other origin is allowed anything
    assert not re.search(r'(src|href)="(https?:)?//', html), "the page links another origin"


def test_plotly_comes_from_the_installed_package_cached_for_a_year(api: httpx.Client) -> None:
    html = api.get("/").text
    url = re.search(r'<script defer src="(/vendor/plotly\.min\.js\?v=[^"]+)"', html)
    assert url and plotly.__version__ in url.group(1)
    packed = api.get(url.group(1), headers={"Accept-Encoding": "gzip"})
    assert packed.status_code == 200
    assert packed.headers["content-type"].startswith("text/javascript")
    assert "max-age=31536000" in packed.headers["cache-control"]
    assert packed.headers["content-encoding"] == "gzip"
    assert packed.content.startswith(b"/**\n* plotly.js")  # httpx has un-gzipped it
    plain = httpx.get(
        f"{api.base_url}{url.group(1)}", headers={"Accept-Encoding": "identity"}, timeout=30
    )
    assert "content-encoding" not in plain.headers
    assert plain.content == packed.content


def test_every_module_in_the_import_map_is_served(api: httpx.Client) -> None:
    html = api.get("/").text
    import_map = re.search(r'<script type="importmap">(.*?)</script>', html, re.S)
    assert import_map is not None
    modules = json.loads(import_map.group(1))["imports"]
    assert "/static/js/explorer.js" in modules
    for versioned in modules.values():
        response = api.get(versioned)
        assert response.status_code == 200, versioned
        assert "javascript" in response.headers["content-type"]

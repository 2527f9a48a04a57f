"""`gatescope bench --page` runs end to end (one cold visit; no timing asserted), and the page's
Plotly is the cartesian bundle when installed, else the Python package's full one."""

from __future__ import annotations

from pathlib import Path

import pytest

from app import pages
from app.bench_page import CHROMIUM
from app.cli import main


@pytest.mark.browser
@pytest.mark.slow
def test_bench_page_times_a_cold_shared_link(capsys: pytest.CaptureFixture[str]) -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"needs Chromium at {CHROMIUM}")
    assert main(["bench", "--page", "--page-repeats", "1", "--no-fail"]) == 0
    table = capsys.readouterr().out
    assert "page ready" in table and "first plot" in table and "median of 1" in table


def test_plotly_falls_back_to_the_full_bundle_without_npm(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(pages, "PLOTLY_PARTIAL_JS", tmp_path / "absent.js")
    assert pages.plotly_js_path() == pages.PLOTLY_FULL_JS
    partial = tmp_path / "plotly-cartesian.min.js"
    partial.write_text("/* cartesian */")
    monkeypatch.setattr(pages, "PLOTLY_PARTIAL_JS", partial)
    assert pages.plotly_js_path() == partial

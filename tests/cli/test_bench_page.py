"""`gatescope bench --page` runs end to end (one cold visit; no timing asserted), and the page's
Plotly is the cartesian bundle when installed, else the Python package's full one."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from app import pages
from app.bench_page import CHROMIUM


@pytest.mark.browser
@pytest.mark.slow
def test_bench_page_times_a_cold_shared_link() -> None:
    """Run as a user would, in its own process: the browser tests' Playwright already runs an
    event loop in this one, and Playwright's sync API cannot start inside it."""
    if not CHROMIUM.exists():
        pytest.skip(f"needs Chromium at {CHROMIUM}")
    command = [sys.executable, "-m", "app.cli", "bench", "--page", "--page-repeats", "1"]
    done = subprocess.run(
        [*command, "--no-fail"], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    table = done.stdout
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

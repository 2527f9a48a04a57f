"""Start-up: what the lifespan pays for once so that no request has to."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from tests.conftest import REPO


@pytest.mark.parametrize(
    ("shipped", "builds"),
    [
        pytest.param(True, 1, id="korean-morpheme-models"),
        pytest.param(False, 0, id="whitespace-models-only"),
    ],
)
def test_lifespan_builds_kiwi_only_when_a_shipped_model_reads_morphemes(
    shipped: bool,
    builds: int,
    tiny_models_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[None] = []
    monkeypatch.setattr("app.main.get_kiwi", lambda: calls.append(None))
    models_dir = REPO / "models" if shipped else tiny_models_dir
    with TestClient(create_app(Settings(models_dir=models_dir, data_dir=tmp_path))):
        pass
    assert len(calls) == builds

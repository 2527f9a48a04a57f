"""An app on the tiny zoo (sibling text models of every cell, two stacked weather models)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from teaching.tiny_zoo import write_zoo

from app.config import Settings
from app.main import create_app
from app.zoo import LoadedModel


@pytest.fixture(scope="session")
def tiny_zoo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_zoo(tmp_path_factory.mktemp("tiny-zoo"))


@pytest.fixture(scope="module")
def client(tiny_zoo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = Settings(models_dir=tiny_zoo_dir, data_dir=tmp_path_factory.mktemp("data"))
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.fixture
def model_of(client: TestClient) -> object:
    """model_of(id) -> the LoadedModel the server itself holds."""

    def get(model_id: str) -> LoadedModel:
        model = client.app.state.registry.get(model_id)  # type: ignore[attr-defined]
        assert model is not None
        return model

    return get

"""API fixtures: an in-process TestClient and httpx clients on real servers, all on tiny models."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.apibench import UvicornProcess as LiveServer
from app.config import Settings
from app.main import create_app
from app.zoo import LoadedModel


def tiny_settings(models_dir: Path, data_dir: Path, **overrides: Any) -> Settings:
    return Settings(models_dir=models_dir, data_dir=data_dir, **overrides)


@pytest.fixture(scope="session")
def tiny_app(tiny_models_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    return create_app(tiny_settings(tiny_models_dir, tmp_path_factory.mktemp("app-data")))


@pytest.fixture(scope="session")
def client(tiny_app: FastAPI) -> Iterator[TestClient]:
    """In-process client (lifespan run) on the tiny models; for tests where the network is moot."""
    with TestClient(tiny_app) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def model_of(client: TestClient, tiny_app: FastAPI) -> Any:
    """model_of(id) -> the LoadedModel the in-process app serves."""

    def lookup(model_id: str) -> LoadedModel:
        model = tiny_app.state.registry.get(model_id)
        assert model is not None
        return model

    return lookup


@pytest.fixture(scope="session")
def http(tiny_server: LiveServer) -> Iterator[httpx.Client]:
    """httpx on a real uvicorn serving the tiny models."""
    with httpx.Client(base_url=tiny_server.url, timeout=30) as session:
        yield session


@pytest.fixture(scope="session")
def shipped(live_server: LiveServer) -> Iterator[httpx.Client]:
    """httpx on a real uvicorn serving the repository's models/."""
    with httpx.Client(base_url=live_server.url, timeout=60) as session:
        yield session

"""The FastAPI application: the lifespan loads the model registry once; routers do the rest."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from app import __version__
from app.api import router as api_router
from app.config import PROJECT_ROOT, Settings, get_settings
from app.pages import router as pages_router
from app.zoo import ModelRegistry


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.registry = ModelRegistry(settings.models_dir, settings.data_dir / "models")
        yield

    app = FastAPI(title="gatescope", version=__version__, lifespan=lifespan)
    app.state.settings = settings
    app.dependency_overrides[get_settings] = lambda: settings
    app.mount("/static", StaticFiles(directory=PROJECT_ROOT / "static"), name="static")
    app.include_router(api_router)
    app.include_router(pages_router)
    return app


app = create_app()

"""The FastAPI application: the lifespan loads the model registry once; routers do the rest."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import torch
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES, GZipMiddleware

from app import __version__
from app.api import router as api_router
from app.api.cache import ResponseCache
from app.api.docs import DOCS_ASSETS_DIR, DOCS_ASSETS_URL
from app.api.errors import install_error_handlers
from app.api.methods import MethodsMiddleware
from app.api.middleware import BodyLimitMiddleware, BodyTimeoutMiddleware
from app.api.observe import ObserveMiddleware
from app.api.observe import router as metrics_router
from app.api.security import OriginMiddleware, SecurityHeadersMiddleware, TokenMiddleware
from app.api.workers import ModelWorkers
from app.atlas_pages import router as atlas_pages_router
from app.config import PROJECT_ROOT, Settings, get_settings
from app.importers.storage import sweep_stale, uploads_dir
from app.metrics import process_exiting
from app.pages import router as pages_router
from app.preprocessing.korean import get_kiwi
from app.recurrent.seeded import warm_up
from app.teaching_pages import router as teaching_pages_router
from app.zoo import LoadedModel, ModelRegistry
from app.zoo.spec import TextPreprocessing

log = logging.getLogger("gatescope")

DESCRIPTION = """
See inside recurrent networks: every gate of a trained RNN, LSTM or GRU, step by step.

**Errors** all share one shape: `{"detail": [{"loc", "field", "msg", "type"}], "message"}`, where
`loc` is FastAPI's location list, `field` the same as a path (`input[3][1]`), `msg` a sentence
naming the field, and `message` all of them on one line. 401 missing token, 404 unknown model,
413 body too large, 422 invalid input.

**Token**: when the server sets `GATESCOPE_TOKEN`, every `/api` call needs
`Authorization: Bearer <token>`.
"""

OPENAPI_TAGS = [
    {"name": "models", "description": "Shipped and uploaded models: describe, trace, predict."},
    {"name": "ad-hoc networks", "description": "Random networks of any shape, for exploring."},
    {
        "name": "teaching",
        "description": "What the teaching views plot: cells compared, sensitivity and retention, "
        "saturation, padding variants, stacking and carried state (issue 6).",
    },
    {
        "name": "playground",
        "description": "Train an RNN, LSTM or GRU live on toy tasks and watch its gates learn "
        "(issue 14): tasks, runs, checkpoint traces, saving as a model, a live event stream.",
    },
    {"name": "health", "description": "Liveness."},
]


def _reads_morphemes(model: LoadedModel) -> bool:
    spec = model.config.preprocessing
    return isinstance(spec, TextPreprocessing) and spec.analyzer == "morpheme"


def sweep_leftovers(settings: Settings) -> None:
    """Remove half-written uploads of processes that died (kill -9) before serving."""
    try:
        sweep_stale(uploads_dir(settings.data_dir))
    except OSError as error:  # a read-only data dir still serves; uploads will say why not
        log.warning("could not sweep %s: %s", uploads_dir(settings.data_dir), error)


def _lifespan(settings: Settings) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Start-up: cap torch's threads, load every model once."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        torch.set_num_threads(settings.torch_threads)
        registry = ModelRegistry(settings.models_dir, settings.data_dir / "models")
        if any(_reads_morphemes(model) for model in registry.shipped.values()):
            get_kiwi()  # about a second, paid here rather than by the first request
        warm_up()
        sweep_leftovers(settings)
        app.state.registry = registry
        app.state.workers = ModelWorkers(
            settings.model_threads,
            heavy_threads=settings.heavy_threads,
            heavy_cost=settings.heavy_cost,
            heavy_queue=settings.heavy_queue,
            light_queue=settings.light_queue,
        )
        app.state.cache = ResponseCache(settings.cache_bytes)
        yield
        app.state.workers.shutdown()
        process_exiting()

    return lifespan


def _add_middleware(app: FastAPI, settings: Settings) -> None:
    """gzip inside, the guards (token, origin, body limit) before anything reads the body, and
    outermost the metrics and access log, which see every answer, the guards' too."""
    app.add_middleware(
        GZipMiddleware,
        minimum_size=settings.gzip_min_bytes,
        compresslevel=settings.gzip_level,
        exclude_content_types=(*DEFAULT_EXCLUDED_CONTENT_TYPES, "application/x-npz"),
    )
    app.add_middleware(BodyTimeoutMiddleware, seconds=settings.body_timeout)
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        max_upload_bytes=settings.max_upload_bytes,
    )
    app.add_middleware(MethodsMiddleware)
    app.add_middleware(OriginMiddleware, allowed_origins=settings.origins)
    app.add_middleware(TokenMiddleware, token=settings.token)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(ObserveMiddleware, access_log=settings.access_log == "json")


def _openapi_for(app: FastAPI, settings: Settings) -> Callable[[], dict[str, Any]]:
    """The schema, with bearer auth only when the server has a token (so clients and fuzzers
    generated from it do not send one, or fail for want of one, when none is needed)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        if settings.token is None:
            for path in schema.get("paths", {}).values():
                for operation in path.values():
                    operation.pop("security", None)
            schema.get("components", {}).pop("securitySchemes", None)
        app.openapi_schema = schema
        return schema

    return openapi


def create_app(settings: Settings | None = None) -> FastAPI:
    """The application for `settings` (default: from the environment)."""
    settings = settings or get_settings()
    app = FastAPI(
        title="gatescope",
        version=__version__,
        description=DESCRIPTION,
        openapi_tags=OPENAPI_TAGS,
        lifespan=_lifespan(settings),
        docs_url=None,  # served by app.api.docs from local assets
        redoc_url=None,  # ReDoc needs a CDN script: off
    )
    app.state.settings = settings
    install_error_handlers(app)
    _add_middleware(app, settings)
    app.openapi = _openapi_for(app, settings)  # type: ignore[method-assign]
    app.mount("/static", StaticFiles(directory=PROJECT_ROOT / "static"), name="static")
    app.mount(DOCS_ASSETS_URL, StaticFiles(directory=DOCS_ASSETS_DIR), name="docs-assets")
    app.include_router(api_router)
    app.include_router(metrics_router)
    app.include_router(pages_router)
    app.include_router(teaching_pages_router)  # teaching pages (issue 6): app/teaching_pages.py
    app.include_router(atlas_pages_router)  # the unit atlas page (issue 12)
    return app


app = create_app()

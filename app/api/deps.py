"""Dependencies and their aliases: settings, registry, model (404 inside), token, export options.

The cheap ones are `async def`: FastAPI runs a plain `def` dependency in the thread pool, and
six thread hops per request cost more than the trace of a short sentence.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Literal, NamedTuple

from fastapi import Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.api.errors import ApiError
from app.config import Settings
from app.serialize import ExportFormat
from app.zoo import LoadedModel, ModelRegistry
from app.zoo.spec import MODEL_ID_PATTERN


async def app_settings(request: Request) -> Settings:
    """The settings the app was created with (create_app(settings); default get_settings()).

    Read from app.state rather than overriding get_settings: with any dependency override in
    place, FastAPI re-inspects every dependency's signature on every request.
    """
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(app_settings)]
# Documented, not enforced: an id outside the pattern cannot exist, so it stays a 404 that names
# the known ids rather than a 422 about its characters.
MODEL_ID_SCHEMA = {"pattern": MODEL_ID_PATTERN, "maxLength": 64}

_bearer = HTTPBearer(
    auto_error=False,
    description="Needed only when the server sets GATESCOPE_TOKEN.",
)


async def get_registry(request: Request) -> ModelRegistry:
    """The registry the lifespan loaded."""
    registry: ModelRegistry = request.app.state.registry
    return registry


RegistryDep = Annotated[ModelRegistry, Depends(get_registry)]


async def get_model(
    model_id: Annotated[
        str,
        Path(
            description="A model id from GET /api/v1/models; any other id is a 404.",
            json_schema_extra=MODEL_ID_SCHEMA,
        ),
    ],
    registry: RegistryDep,
) -> LoadedModel:
    """The model with this id, or a 404 naming the known ids.

    Shipped models are a dict lookup on the event loop; anything else may mean reading an
    upload from disk, which runs in the thread pool.
    """
    model = registry.shipped.get(model_id)
    if model is None:
        model = await run_in_threadpool(registry.get, model_id)
    if model is None:
        known = await run_in_threadpool(_known_ids, registry)
        raise ApiError(
            404,
            ["path", "model_id"],
            f"{model_id[:80]!r} is not a known model; the known models are: {known}",
            "not_found",
            code="unknown_model",
            params={"model_id": model_id[:80], "known": known},
        )
    return model


def _known_ids(registry: ModelRegistry) -> str:
    return ", ".join(sorted(item.id for item in registry.all())) or "none"


ModelDep = Annotated[LoadedModel, Depends(get_model)]


async def require_token(
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """When GATESCOPE_TOKEN is set, the request must carry `Authorization: Bearer <token>`."""
    if settings.token is None:
        return
    given = credentials.credentials if credentials is not None else ""
    if not secrets.compare_digest(given.encode(), settings.token.encode()):
        raise ApiError(
            401,
            ["header", "authorization"],
            "a valid 'Authorization: Bearer <token>' header is required",
            "unauthorized",
            headers={"WWW-Authenticate": 'Bearer realm="gatescope"'},
        )


async def get_export_format(
    request: Request,
    format: Annotated[
        Literal["json", "csv", "npz"] | None,
        Query(description="json (default), csv or npz; or ask with the Accept header."),
    ] = None,
) -> ExportFormat:
    """?format= wins; otherwise Accept: text/csv or application/x-npz; otherwise JSON."""
    if format is not None:
        return format
    accept = request.headers.get("accept", "").lower()
    if "text/csv" in accept:
        return "csv"
    if "application/x-npz" in accept:
        return "npz"
    return "json"


async def get_precision(
    settings: SettingsDep,
    precision: Annotated[
        str | None,
        Query(
            pattern=r"^(full|[0-9]|1[0-7])$",
            description="Decimals of trace floats (0-17), or `full`; default GATESCOPE_PRECISION.",
        ),
    ] = None,
) -> int | None:
    """Decimals to round to; None means full precision."""
    if precision is None:
        return settings.precision
    return None if precision == "full" else int(precision)


ExportDep = Annotated[ExportFormat, Depends(get_export_format)]
PrecisionDep = Annotated[int | None, Depends(get_precision)]


class Gzip(NamedTuple):
    """How to compress a response in its handler: zlib level, and the smallest body worth it."""

    level: int
    min_bytes: int


async def get_gzip(request: Request, settings: SettingsDep) -> Gzip | None:
    """Compression settings when the client accepts gzip, else None."""
    accepted = request.headers.get("accept-encoding", "").lower()
    return Gzip(settings.gzip_level, settings.gzip_min_bytes) if "gzip" in accepted else None


GzipDep = Annotated[Gzip | None, Depends(get_gzip)]

"""Dependencies and their aliases: settings, registry, model (404 inside), token, export options."""

from __future__ import annotations

import secrets
from typing import Annotated, Literal

from fastapi import Depends, Path, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.api.errors import ApiError
from app.config import Settings, get_settings
from app.serialize import ExportFormat
from app.zoo import LoadedModel, ModelRegistry

SettingsDep = Annotated[Settings, Depends(get_settings)]

_bearer = HTTPBearer(
    auto_error=False,
    description="Needed only when the server sets GATESCOPE_TOKEN.",
)


def get_registry(request: Request) -> ModelRegistry:
    """The registry the lifespan loaded."""
    registry: ModelRegistry = request.app.state.registry
    return registry


RegistryDep = Annotated[ModelRegistry, Depends(get_registry)]


def get_model(
    model_id: Annotated[str, Path(description="A model id from GET /api/v1/models.")],
    registry: RegistryDep,
) -> LoadedModel:
    """The model with this id, or a 404 naming the known ids."""
    model = registry.get(model_id)
    if model is None:
        known = ", ".join(sorted(item.id for item in registry.all())) or "none"
        raise ApiError(
            404,
            ["path", "model_id"],
            f"{model_id[:80]!r} is not a known model; the known models are: {known}",
            "not_found",
        )
    return model


ModelDep = Annotated[LoadedModel, Depends(get_model)]


def require_token(
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


def get_export_format(
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


def get_precision(
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

"""Observability: every request counted and timed by route template, an optional JSON access
log line per request, and `GET /metrics` in the Prometheus text format (app/metrics.py).

Routes are labelled by their template (`/api/v1/models/{model_id}/trace`), never the raw path,
so a scan of random URLs cannot grow the metrics; a path no route serves is `unmatched`.
`/metrics` needs a bearer token when one is configured: GATESCOPE_METRICS_TOKEN, else
GATESCOPE_TOKEN (a scraper can get its own token that opens nothing else).
"""

from __future__ import annotations

import logging
import re
import sys
import time
from typing import Any

import orjson
from fastapi import APIRouter, Request, Response
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.errors import error_item
from app.api.security import UNAUTHORIZED_HEADERS, header, token_matches
from app.metrics import LATENCY, REQUESTS, exposition

UNMATCHED = "unmatched"
access_log = logging.getLogger("gatescope.access")


class RouteTemplates:
    """Full route templates from the app's OpenAPI paths, to name a request's route.

    FastAPI's routers are included lazily: the route in `scope["route"]` knows only its own
    router's part (`/models/{model_id}/trace`); the schema knows the whole. A request the
    router served is named by the schema's template that ends with its route's and matches the
    path (usually the only one); a request answered before routing (401, 403, 413) by the first
    template that matches; a path no template matches is `unmatched`.
    """

    def __init__(self) -> None:
        self._all: list[tuple[re.Pattern[str], str]] | None = None
        self._by_suffix: dict[str, list[tuple[re.Pattern[str], str]]] = {}

    def name(self, scope: Scope) -> str:
        suffix = getattr(scope.get("route"), "path_format", None)
        candidates = self._candidates(scope, suffix)
        for pattern, template in candidates:
            if pattern.match(scope["path"]):
                return template
        return str(suffix) if suffix else UNMATCHED

    def _candidates(self, scope: Scope, suffix: str | None) -> list[tuple[re.Pattern[str], str]]:
        if self._all is None:
            self._all = self._compile(scope.get("app"))
        if suffix is None:
            return self._all
        if suffix not in self._by_suffix:
            self._by_suffix[suffix] = [item for item in self._all if item[1].endswith(suffix)]
        return self._by_suffix[suffix]

    @staticmethod
    def _compile(app: Any) -> list[tuple[re.Pattern[str], str]]:
        paths = list(app.openapi().get("paths", {})) if hasattr(app, "openapi") else []
        paths += [getattr(route, "path_format", "") for route in getattr(app, "routes", ())]
        # Fewest parameters first: /api/v1/models/upload before /api/v1/models/{model_id}.
        ordered = sorted({path for path in paths if path}, key=lambda path: path.count("{"))
        return [(compile_path(path)[0], path) for path in ordered]


def log_to_stderr() -> None:
    """Access lines go to stderr on their own, one JSON object per line, whatever uvicorn logs."""
    if not access_log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        access_log.addHandler(handler)
    access_log.setLevel(logging.INFO)
    access_log.propagate = False


class ObserveMiddleware:
    """Outermost: counts and times every HTTP request; with `access_log`, logs it as JSON."""

    def __init__(self, app: ASGIApp, access_log: bool = False) -> None:
        self.app = app
        self.access_log = access_log
        self.routes = RouteTemplates()
        if access_log:
            log_to_stderr()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client gets if the application fails before answering
        sent = 0
        recorded = False

        def record_once() -> None:
            nonlocal recorded
            if not recorded:
                recorded = True
                self.record(scope, status, sent, time.perf_counter() - started)

        async def observed_send(message: Message) -> None:
            nonlocal status, sent
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                sent += len(message.get("body", b""))
                if not message.get("more_body", False):
                    record_once()  # before the last byte leaves: a client that has it is counted
            await send(message)

        try:
            await self.app(scope, receive, observed_send)
        finally:
            record_once()

    def record(self, scope: Scope, status: int, sent: int, seconds: float) -> None:
        method, route = scope["method"], self.routes.name(scope)
        REQUESTS.labels(method, route, str(status)).inc()
        LATENCY.labels(method, route).observe(seconds)
        if self.access_log:
            access_log.info(
                orjson.dumps(access_entry(scope, route, status, sent, seconds)).decode()
            )


def access_entry(
    scope: Scope, route: str, status: int, sent: int, seconds: float
) -> dict[str, Any]:
    """One access-log line: no query string, no headers but a proxy's X-Forwarded-For."""
    client = scope.get("client")
    entry: dict[str, Any] = {
        "time": round(time.time(), 3),
        "method": scope["method"],
        "path": scope["path"][:200],
        "route": route,
        "status": status,
        "duration_ms": round(seconds * 1000, 2),
        "bytes": sent,
        "client": client[0] if client else None,
    }
    forwarded = header(scope, b"x-forwarded-for")
    if forwarded:
        entry["forwarded_for"] = forwarded[:200]
    return entry


router = APIRouter()


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    """Every worker's metrics in the Prometheus text format (a bearer token when one is set)."""
    settings = request.app.state.settings
    token = settings.metrics_token or settings.token
    if token is not None and not token_matches(request.headers.get("authorization"), token):
        item = error_item(
            ["header", "authorization"],
            "a valid 'Authorization: Bearer <token>' header is required for /metrics",
            "unauthorized",
        )
        body = orjson.dumps({"detail": [item], "message": item["msg"]})
        return Response(body, 401, UNAUTHORIZED_HEADERS, media_type="application/json")
    body, content_type = exposition()
    return Response(body, media_type=content_type)

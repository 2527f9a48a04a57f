"""Guards that act before a request is read: the token, the origin, and the security headers.

All three are pure ASGI middleware, so they answer from the request line and headers alone:

- **Token first.** With GATESCOPE_TOKEN set, an /api request without the right
  `Authorization: Bearer` header gets its 401 before a byte of its body is read (a 45 MB upload
  is not received to be refused). `require_token` stays as the OpenAPI record and a second check.
- **Same origin for changes.** A browser marks a request another site's page made with `Origin`
  and `Sec-Fetch-Site`; a POST, PUT, PATCH or DELETE from an origin that is neither the server's
  own nor in GATESCOPE_ALLOWED_ORIGINS is refused with a 403 (a multipart upload needs no CORS
  preflight, so without this any page could make a visitor's browser upload a model). Clients
  that send neither header (curl, scripts) are not browsers and pass.
- **Headers on every response**: nosniff, no framing by other sites, no referrer to other sites.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from urllib.parse import urlsplit

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.errors import error_item

CHANGING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
]
FRAME_ANCESTORS = b"frame-ancestors 'none'"
TOKEN_MESSAGE = "a valid 'Authorization: Bearer <token>' header is required"
UNAUTHORIZED_HEADERS = {"WWW-Authenticate": 'Bearer realm="gatescope"'}


def header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


async def send_error(
    send: Send, status: int, item: dict[str, object], extra: Iterable[tuple[str, str]] = ()
) -> None:
    """The one error shape, and `Connection: close`: whatever body follows is never read."""
    body = orjson.dumps({"detail": [item], "message": item["msg"]})
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
        *((name.lower().encode(), value.encode()) for name, value in extra),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def token_matches(authorization: str | None, token: str) -> bool:
    """`Bearer <token>` (scheme in any case) with exactly this token, compared in constant time."""
    scheme, _, given = (authorization or "").partition(" ")
    if scheme.lower() != "bearer":
        given = ""
    return secrets.compare_digest(given.strip().encode(), token.encode())


class TokenMiddleware:
    """401 for /api requests without the bearer token, before their body is read."""

    def __init__(self, app: ASGIApp, token: str | None) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            self.token is not None
            and scope["type"] == "http"
            and scope["path"].startswith("/api/")
            and scope["method"] != "OPTIONS"  # names the path's methods, as the schema does
            and not token_matches(header(scope, b"authorization"), self.token)
        ):
            item = error_item(["header", "authorization"], TOKEN_MESSAGE, "unauthorized")
            await send_error(send, 401, item, UNAUTHORIZED_HEADERS.items())
            return
        await self.app(scope, receive, send)


def origin_of(url: str) -> str:
    """`https://Host:443/x` -> `https://host:443`; what a browser sends as Origin."""
    parts = urlsplit(url.strip())
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}" if parts.netloc else url.strip()


class OriginMiddleware:
    """403 for a state-changing request a browser sent from another origin."""

    def __init__(self, app: ASGIApp, allowed_origins: Iterable[str]) -> None:
        self.app = app
        self.allowed = {origin_of(origin) for origin in allowed_origins if origin.strip()}

    def allows(self, scope: Scope) -> bool:
        origin = header(scope, b"origin")
        site = (header(scope, b"sec-fetch-site") or "").lower()
        if site == "same-origin":  # set by the browser itself; a page cannot forge it
            return True
        if origin is None:
            return site in ("", "same-origin", "none")
        if origin_of(origin) in self.allowed:
            return True
        host = (header(scope, b"host") or "").lower()
        # The server's own origin, whatever scheme a proxy in front of it terminates.
        return bool(host) and urlsplit(origin.lower()).netloc == host

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] in CHANGING_METHODS
            and not self.allows(scope)
        ):
            origin = (header(scope, b"origin") or header(scope, b"sec-fetch-site") or "")[:100]
            item = error_item(
                ["header", "origin"],
                f"a {scope['method']} from another site ({origin}) is not allowed; the server "
                "takes changes from its own pages and from GATESCOPE_ALLOWED_ORIGINS",
                "cross_origin",
                params={"origin": origin},
            )
            await send_error(send, 403, item)
            return
        await self.app(scope, receive, send)


class SecurityHeadersMiddleware:
    """nosniff, X-Frame-Options and frame-ancestors, and Referrer-Policy on every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": secured(message.get("headers", []))}
            await send(message)

        await self.app(scope, receive, with_headers)


def secured(headers: Iterable[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """The headers plus the security headers they lack; a page's own CSP gains frame-ancestors."""
    result: list[tuple[bytes, bytes]] = []
    has_policy = False
    for name, value in headers:
        if name.lower() == b"content-security-policy":
            has_policy = True
            if b"frame-ancestors" not in value:
                value = value.rstrip(b"; ") + b"; " + FRAME_ANCESTORS
        result.append((name, value))
    names = {name.lower() for name, _ in result}
    result += [item for item in SECURITY_HEADERS if item[0] not in names]
    if not has_policy:
        result.append((b"content-security-policy", FRAME_ANCESTORS))
    return result

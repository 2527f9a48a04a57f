"""HEAD and OPTIONS for every route, and an Allow header that names all of a path's methods.

FastAPI routes answer only the methods they declare: HEAD on a GET route was a 405, and the
405's Allow header named only the first route matching the path (GET on /api/v1/models, which
also takes POST). This pure ASGI middleware looks the path up in every route: OPTIONS answers
204 with the full Allow, HEAD runs the GET and sends its headers without the body, and a 405's
Allow is replaced by the full list.
"""

from __future__ import annotations

from starlette.routing import Match, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CANDIDATES = ("GET", "POST", "PUT", "PATCH", "DELETE")


def allowed_methods(scope: Scope) -> set[str]:
    """Every method some route fully matches at this path (plus HEAD with GET, and OPTIONS).

    Asked of each top-level route with BaseRoute.matches only, so included routers, mounts and
    static files answer for themselves.
    """
    routes = scope["app"].router.routes
    methods = {
        method
        for method in CANDIDATES
        if any(
            route.matches({**scope, "method": method})[0] == Match.FULL
            and (method == "GET" or not isinstance(route, Mount))  # static files: GET only
            for route in routes
        )
    }
    if "GET" in methods:
        methods.add("HEAD")
    return methods | {"OPTIONS"} if methods else set()


def allow_header(methods: set[str]) -> bytes:
    return ", ".join(sorted(methods)).encode()


class MethodsMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        if method == "OPTIONS":
            methods = allowed_methods(scope)
            if methods:
                headers = [(b"allow", allow_header(methods)), (b"content-length", b"0")]
                await send({"type": "http.response.start", "status": 204, "headers": headers})
                await send({"type": "http.response.body", "body": b""})
                return
        if method == "HEAD":
            await self.app({**scope, "method": "GET"}, receive, _without_body(send))
            return
        await self.app(scope, receive, _full_allow(scope, send))


def _without_body(send: Send) -> Send:
    async def head_send(message: Message) -> None:
        if message["type"] == "http.response.body":
            message = {**message, "body": b"", "more_body": message.get("more_body", False)}
            if message["more_body"]:
                return
        await send(message)

    return head_send


def _full_allow(scope: Scope, send: Send) -> Send:
    async def allow_send(message: Message) -> None:
        if message["type"] == "http.response.start" and message["status"] == 405:
            headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"allow"]
            headers.append((b"allow", allow_header(allowed_methods(scope))))
            message = {**message, "headers": headers}
        await send(message)

    return allow_send

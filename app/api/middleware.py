"""A pure ASGI body-size limit: 413 before a large body is read, and while it streams in.

A declared Content-Length over the limit is refused at once, without reading. Otherwise every
received chunk is counted, so a chunked body or one whose Content-Length lies cannot get
through either: once the count passes the limit, `receive` raises, and whatever response the
application then tries to send is replaced by the 413 (FastAPI turns a failing body read into a
400; the client must still learn the real reason).
"""

from __future__ import annotations

import asyncio

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.errors import error_item


class BodyTooLarge(Exception):
    """Raised from `receive` when the body passes its limit."""


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value)
    return None


class BodyLimitMiddleware:
    """Refuse bodies over `max_bytes` (multipart uploads: over `max_upload_bytes`) with a 413."""

    def __init__(self, app: ASGIApp, max_bytes: int, max_upload_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_upload_bytes = max_upload_bytes

    def limit_for(self, scope: Scope) -> int:
        """Multipart form posts (model uploads) get the larger limit; everything else the small."""
        content_type = (_header(scope, b"content-type") or b"").lower()
        if content_type.startswith(b"multipart/form-data"):
            return self.max_upload_bytes
        return self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope)
        declared = _declared_length(scope)
        if declared is not None and declared > limit:
            await _send_413(send, limit)
            return
        await _LimitedExchange(self.app, limit)(scope, receive, send)


def _declared_length(scope: Scope) -> int | None:
    raw = _header(scope, b"content-length")
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        return None  # the server rejects a malformed Content-Length; counting still applies


class _LimitedExchange:
    """One request: counts received bytes and swaps the response for a 413 once over the limit."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit
        self.received = 0
        self.exceeded = False
        self.response_started = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def counting_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                self.received += len(message.get("body", b""))
                if self.received > self.limit:
                    self.exceeded = True
                    raise BodyTooLarge(f"body passed {self.limit} bytes")
            return message

        async def guarded_send(message: Message) -> None:
            if self.exceeded:
                if message["type"] == "http.response.start" and not self.response_started:
                    self.response_started = True
                    await _send_413(send, self.limit)
                return  # the application's own response to the failed read is dropped
            if message["type"] == "http.response.start":
                self.response_started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except BodyTooLarge:
            if not self.response_started:
                await _send_413(send, self.limit)


async def _send_413(send: Send, limit: int) -> None:
    item = error_item(
        ["body"],
        f"body is larger than the limit of {limit} bytes",
        "too_large",
        "body_too_large",
        {"limit": limit},
    )
    body = orjson.dumps({"detail": [item], "message": item["msg"]})
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyTimeoutMiddleware:
    """A client that stops sending its body for `seconds` gets a 408 and the connection closes.

    uvicorn closes idle keep-alive connections (--timeout-keep-alive) but waits for a body as
    long as the client likes; each chunk must now arrive within `seconds` of the last.
    """

    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = timed_out = False

        async def timed_receive() -> Message:
            nonlocal timed_out
            try:
                return await asyncio.wait_for(receive(), self.seconds)
            except TimeoutError as error:
                timed_out = True
                raise BodyTimeout from error

        async def guarded_send(message: Message) -> None:
            # FastAPI answers a failed body read with a 400; the client must learn the reason.
            nonlocal started
            if message["type"] == "http.response.start":
                if started:
                    return
                started = True
                if timed_out:
                    await _send_408(send, self.seconds)
                    return
            elif timed_out:
                return
            await send(message)

        try:
            await self.app(scope, timed_receive, guarded_send)
        except BodyTimeout:
            if not started:
                await _send_408(send, self.seconds)


class BodyTimeout(Exception):
    """The client sent no part of its body for too long."""


async def _send_408(send: Send, seconds: float) -> None:
    item = error_item(
        ["body"],
        f"body did not arrive: nothing was received for {seconds:g} s",
        "request_timeout",
        "request_timeout",
        {"seconds": seconds},
    )
    body = orjson.dumps({"detail": [item], "message": item["msg"]})
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": 408, "headers": headers})
    await send({"type": "http.response.body", "body": body})

"""A byte-bounded LRU of rendered trace responses.

A trace is a pure function of the model's weights, the input and the output options, and a
class tends to send the same request many times at once (the example sentence on the board).
A hit is answered on the event loop without touching the model threads. Entries remember the
LoadedModel object they were made with, so a re-uploaded model under the same id never gets
an old answer.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import Response

from app.metrics import RESPONSE_CACHE

HITS, MISSES = RESPONSE_CACHE.labels("hit"), RESPONSE_CACHE.labels("miss")

MAX_KEY_CHARS = 16_384  # inputs larger than this are not worth remembering


@dataclass(frozen=True)
class CachedResponse:
    owner: Any  # the LoadedModel (or None for ad-hoc networks) the response was made with
    body: bytes
    media_type: str
    headers: dict[str, str]

    def response(self) -> Response:
        return Response(self.body, media_type=self.media_type, headers=self.headers)


class ResponseCache:
    """LRU by total body bytes; `capacity` 0 turns it off. Safe to use from several threads."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.size = 0
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[Hashable, CachedResponse] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable | None, owner: Any = None) -> Response | None:
        """The cached response for key, if it was made with this owner."""
        if key is None or self.capacity == 0:
            return None
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry.owner is not owner:
                self.misses += 1
                MISSES.inc()
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            HITS.inc()
        return entry.response()

    async def answer(
        self, key: Hashable | None, make: Callable[[], Awaitable[Response]], owner: Any = None
    ) -> Response:
        """The cached response for key if it was made with this owner; else make()'s, remembered."""
        cached = self.get(key, owner)
        if cached is not None:
            return cached
        response = await make()
        self.put(key, response, owner)
        return response

    def put(self, key: Hashable | None, response: Response, owner: Any = None) -> None:
        """Remember a 200 response whose body fits in an eighth of the capacity."""
        body = bytes(response.body)
        if key is None or response.status_code != 200 or len(body) > self.capacity // 8:
            return
        headers = {
            name: value for name, value in response.headers.items() if name != "content-length"
        }
        entry = CachedResponse(owner, body, response.media_type or "", headers)
        with self._lock:
            previous = self._entries.pop(key, None)
            if previous is not None:
                self.size -= len(previous.body)
            self._entries[key] = entry
            self.size += len(body)
            while self.size > self.capacity:
                _, evicted = self._entries.popitem(last=False)
                self.size -= len(evicted.body)


def cache_key(*parts: Any) -> Hashable | None:
    """A key from hashable parts and the raw input, or None when the input is too large."""
    raw = parts[-1]
    text = raw if isinstance(raw, str) else repr(raw)
    if len(text) > MAX_KEY_CHARS:
        return None
    return (*parts[:-1], type(raw).__name__, text)


async def get_cache(request: Request) -> ResponseCache:
    cache: ResponseCache = request.app.state.cache
    return cache


CacheDep = Annotated[ResponseCache, Depends(get_cache)]

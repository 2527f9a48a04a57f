"""A small, fixed pool of threads for model work (tracing, predicting, rendering traces).

FastAPI would run a plain `def` handler in AnyIO's shared pool of up to 40 threads. Torch work
gains nothing from more threads than cores, and each fresh thread pays again for per-thread
caches (the tracer's module twins); idle AnyIO threads also retire after ten seconds, so a
class that pauses pays that again. A fixed pool sized to the cores keeps those threads warm
and queues the rest; the event loop stays free for I/O throughout.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated, ParamSpec, TypeVar

from fastapi import Depends, Request

P = ParamSpec("P")
T = TypeVar("T")


class ModelWorkers:
    """`await workers.run(function, *args)` runs function in the pool and returns its result."""

    def __init__(self, threads: int) -> None:
        self.executor = ThreadPoolExecutor(threads, thread_name_prefix="gatescope-model")

    async def run(self, function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self.executor, functools.partial(function, *args, **kwargs)
        )

    def shutdown(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)


async def get_workers(request: Request) -> ModelWorkers:
    """The pool the lifespan started."""
    workers: ModelWorkers = request.app.state.workers
    return workers


WorkersDep = Annotated[ModelWorkers, Depends(get_workers)]

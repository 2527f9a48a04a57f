"""Model work (tracing, predicting, rendering) in two bounded lanes of threads, by estimated cost.

FastAPI would run a plain `def` handler in AnyIO's shared pool of up to 40 threads. Torch work
gains nothing from more threads than cores, and each fresh thread pays again for per-thread
caches (the tracer's module twins); idle AnyIO threads also retire after ten seconds. So the
work runs in fixed pools that stay warm.

Every request's cost is estimated before torch runs (app.api.limits: the numbers its trace will
hold, the characters to analyse, the parameters to build). Requests from `heavy_cost` up run in
the heavy lane (GATESCOPE_HEAVY_THREADS threads), the rest in the light lane
(GATESCOPE_MODEL_THREADS), so a short sentence never waits behind a 1000-step trace. Each lane
lets a bounded number of requests wait; the next one is refused at once with a 503 `busy` and a
Retry-After header, so no queue grows without bound. The event loop stays free throughout.
"""

from __future__ import annotations

import asyncio
import functools
import math
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request

from app.api.errors import ApiError
from app.metrics import LANE_PENDING, LANE_REFUSED

T = TypeVar("T")


@dataclass
class Lane:
    """A pool of threads and how many requests it holds (running or waiting).

    `pending` is only touched on the event loop (done callbacks are sent back to it), so it
    needs no lock; a request whose client went away still counts until its work is done.
    """

    name: str
    threads: int
    max_waiting: int
    pending: int = 0
    seconds: float = 0.5  # a running mean of how long one request takes, for Retry-After
    executor: ThreadPoolExecutor = field(init=False)

    def __post_init__(self) -> None:
        self.executor = ThreadPoolExecutor(self.threads, f"gatescope-{self.name}")
        self.depth = LANE_PENDING.labels(self.name)
        self.depth.set(0)

    @property
    def full(self) -> bool:
        return self.pending >= self.threads + self.max_waiting

    def retry_after(self) -> int:
        """Whole seconds until the requests now held should be done."""
        return max(1, math.ceil(self.pending * self.seconds / self.threads))


class ModelWorkers:
    """`await workers.run(function, *args, cost=n)` runs function in the lane its cost picks."""

    def __init__(
        self,
        threads: int,
        heavy_threads: int = 1,
        heavy_cost: int = 250_000,
        heavy_queue: int = 2,
        light_queue: int = 256,
    ) -> None:
        self.light = Lane("light", threads, light_queue)
        self.heavy = Lane("heavy", heavy_threads, heavy_queue)
        self.heavy_cost = heavy_cost

    def lane_for(self, cost: int) -> Lane:
        return self.heavy if cost >= self.heavy_cost else self.light

    async def run(self, function: Callable[..., T], *args: Any, cost: int = 0, **kwargs: Any) -> T:
        lane = self.lane_for(cost)
        if lane.full:
            raise busy(lane)
        loop = asyncio.get_running_loop()
        started = loop.time()

        def finished(_: object) -> None:
            loop.call_soon_threadsafe(_release, lane, loop.time() - started)

        future = lane.executor.submit(functools.partial(function, *args, **kwargs))
        lane.pending += 1
        lane.depth.set(lane.pending)
        future.add_done_callback(finished)
        return await asyncio.wrap_future(future)

    def shutdown(self) -> None:
        for lane in (self.light, self.heavy):
            lane.executor.shutdown(wait=False, cancel_futures=True)


def _release(lane: Lane, seconds: float) -> None:
    lane.pending -= 1
    lane.depth.set(lane.pending)
    lane.seconds = 0.8 * lane.seconds + 0.2 * seconds


def busy(lane: Lane) -> ApiError:
    """503 with Retry-After: the lane holds as many requests as it may."""
    wait = lane.retry_after()
    LANE_REFUSED.labels(lane.name).inc()
    kind = "large requests" if lane.name == "heavy" else "requests"
    return ApiError(
        503,
        [],
        f"the server is busy with {lane.pending} {kind}; try again in {wait} s",
        "busy",
        headers={"Retry-After": str(wait)},
        params={"retry_after": wait},
    )


async def get_workers(request: Request) -> ModelWorkers:
    """The lanes the lifespan started."""
    workers: ModelWorkers = request.app.state.workers
    return workers


WorkersDep = Annotated[ModelWorkers, Depends(get_workers)]

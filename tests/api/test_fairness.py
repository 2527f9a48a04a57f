"""Fair under load: cheap traces keep their latency while expensive ones run.

Heavy clients keep asking for hidden-256, 500-step ad-hoc LSTM traces (each several hundred ms
of CPU) while one light client traces short Korean sentences, on one real uvicorn worker. Before
admission by cost, the light traces queued behind the heavy ones in the same two model threads
and took as long as they did. The test compares latencies within the one run (light against
heavy, and light under load against light alone), never against a clock.
"""

from __future__ import annotations

import random
import statistics
import threading
import time
from collections.abc import Callable

import httpx
import pytest

from app.apibench import UvicornProcess

HEAVY_CLIENTS = 4
HEAVY_SECONDS = 6.0
LIGHT_MODEL = "sentiment-ko-gru"


def heavy_body(rng: random.Random) -> dict[str, object]:
    """A 500-step, hidden-256 LSTM on new numbers each time (the response cache cannot help)."""
    steps = [[round(rng.uniform(-1, 1), 3) for _ in range(8)] for _ in range(500)]
    return {"cell": "lstm", "input_size": 8, "hidden_size": 256, "seed": 1, "input": steps}


def light_trace(client: httpx.Client, number: int) -> float:
    """Seconds for one new 20-morpheme sentence."""
    text = f"이 영화는 배우들의 연기가 정말 훌륭하고 {number}번 다시 보고 싶다"
    started = time.perf_counter()
    response = client.post(f"/api/v1/models/{LIGHT_MODEL}/trace", json={"input": text})
    assert response.status_code == 200, response.text
    return time.perf_counter() - started


@pytest.mark.slow
def test_light_traces_are_not_starved_by_heavy_ones(
    start_server: Callable[..., UvicornProcess],
) -> None:
    server = start_server({"GATESCOPE_HEAVY_QUEUE": "1"})
    heavy_seconds: list[float] = []
    refusals: list[httpx.Response] = []
    stop = threading.Event()

    def heavy_client(seed: int) -> None:
        rng = random.Random(seed)
        with httpx.Client(base_url=server.url, timeout=120) as client:
            while not stop.is_set():
                started = time.perf_counter()
                response = client.post("/api/v1/trace", json=heavy_body(rng))
                if response.status_code == 503:
                    refusals.append(response)
                    time.sleep(0.2)
                    continue
                assert response.status_code == 200, response.text
                heavy_seconds.append(time.perf_counter() - started)

    with httpx.Client(base_url=server.url, timeout=120) as light:
        alone = [light_trace(light, number) for number in range(20)]
        threads = [
            threading.Thread(target=heavy_client, args=(seed,)) for seed in range(HEAVY_CLIENTS)
        ]
        for thread in threads:
            thread.start()
        try:
            time.sleep(1.0)  # let the heavy requests fill the server
            loaded: list[float] = []
            deadline = time.monotonic() + HEAVY_SECONDS
            number = 100
            while time.monotonic() < deadline:
                loaded.append(light_trace(light, number))
                number += 1
                time.sleep(0.02)
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=120)

    assert heavy_seconds, "no heavy trace finished"
    light_under_load = statistics.median(loaded)
    summary = (
        f"light alone {statistics.median(alone) * 1000:.1f} ms, under load "
        f"{light_under_load * 1000:.1f} ms (max {max(loaded) * 1000:.0f} ms, {len(loaded)} "
        f"traces); heavy {statistics.median(heavy_seconds) * 1000:.0f} ms "
        f"({len(heavy_seconds)} done, {len(refusals)} refused)"
    )
    print(summary)
    assert light_under_load < statistics.median(heavy_seconds) / 5, summary
    assert light_under_load < 10 * statistics.median(alone), summary
    # The heavy lane is bounded: the surplus is refused at once with a time to come back.
    assert refusals, summary
    assert all(int(item.headers["retry-after"]) >= 1 for item in refusals)
    assert {item.json()["detail"][0]["code"] for item in refusals} == {"busy"}

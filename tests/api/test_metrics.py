"""/metrics in the Prometheus text format, pooled over workers, and the JSON access log.

Real uvicorn with two workers: a scrape of either reports every request both served (the
multiprocess files), routes by template, behind the token. In-process: the lanes' refusals,
the response cache, model loads and atlas builds are counted.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from app.api import WORKER_HEADER
from app.api.errors import ApiError
from app.api.workers import ModelWorkers
from app.apibench import UvicornProcess
from app.atlas import Corpus, build_index
from app.config import Settings
from app.main import create_app
from tests.atlas.helpers import TEXTS, text_model

TOKEN = "metrics-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def samples(text: str, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    """Every sample called `name` in a scrape, keyed by its sorted labels."""
    found: dict[tuple[tuple[str, str], ...], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                found[tuple(sorted(sample.labels.items()))] = sample.value
    return found


def value(text: str, name: str, **labels: str) -> float:
    return samples(text, name).get(tuple(sorted(labels.items())), 0.0)


def count(name: str, **labels: str) -> float:
    """A sample of this process's own registry (in-process tests)."""
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture(scope="module")
def two_workers(
    start_server: Callable[..., UvicornProcess], tiny_models_dir: Path
) -> UvicornProcess:
    env = {
        "GATESCOPE_MODELS_DIR": str(tiny_models_dir),
        "GATESCOPE_TOKEN": TOKEN,
        "GATESCOPE_ACCESS_LOG": "json",
    }
    return start_server(env, workers=2)


def both_answered(url: str, at_least: int) -> dict[str, int]:
    """/healthz on new connections until both workers answered and `at_least` requests were
    made; how many each answered."""
    served: dict[str, int] = {}
    deadline = time.monotonic() + 60
    while (len(served) < 2 or sum(served.values()) < at_least) and time.monotonic() < deadline:
        worker = httpx.get(f"{url}/healthz", timeout=30).headers[WORKER_HEADER]
        served[worker] = served.get(worker, 0) + 1
    assert len(served) == 2, f"only worker(s) {sorted(served)} answered"
    return served


def test_a_scrape_of_either_worker_counts_the_requests_both_served(
    two_workers: UvicornProcess,
) -> None:
    labels = {"method": "GET", "route": "/healthz"}
    both_answered(two_workers.url, at_least=2)  # both up (start-up polls are all answered)
    before = httpx.get(f"{two_workers.url}/metrics", headers=AUTH, timeout=30).text
    served = both_answered(two_workers.url, at_least=10)

    scrape = httpx.get(f"{two_workers.url}/metrics", headers=AUTH, timeout=30)
    assert scrape.status_code == 200
    assert scrape.headers["content-type"].startswith("text/plain")
    for name, extra in (
        ("gatescope_requests_total", {"status": "200"}),
        ("gatescope_request_duration_seconds_count", {}),
    ):
        counted = value(scrape.text, name, **labels, **extra) - value(
            before, name, **labels, **extra
        )
        assert counted == sum(served.values()), name
    lanes = {dict(key)["lane"] for key in samples(scrape.text, "gatescope_lane_pending")}
    assert lanes == {"light", "heavy"}


def test_routes_are_labelled_by_template_and_guards_answers_counted(
    two_workers: UvicornProcess,
) -> None:
    with httpx.Client(base_url=two_workers.url, headers=AUTH, timeout=30) as client:
        for model in ("tiny-text-gru", "tiny-text-bilstm", "no-such-model"):
            client.post(f"/api/v1/models/{model}/trace", json={"input": "a great film"})
        client.get("/no/such/page/12345")
        client.get("/api/v1/models", headers={"Authorization": "Bearer wrong"})
        text = client.get("/metrics").text
    route = "/api/v1/models/{model_id}/trace"
    assert value(text, "gatescope_requests_total", method="POST", route=route, status="200") == 2
    assert value(text, "gatescope_requests_total", method="POST", route=route, status="404") == 1
    assert (
        value(text, "gatescope_requests_total", method="GET", route="unmatched", status="404") == 1
    )
    assert (
        value(text, "gatescope_requests_total", method="GET", route="/api/v1/models", status="401")
        == 1
    )
    routes = {dict(key).get("route") for key in samples(text, "gatescope_requests_total")}
    assert not any("tiny-text" in str(name) or "12345" in str(name) for name in routes)


def test_metrics_need_the_token_when_one_is_set(two_workers: UvicornProcess) -> None:
    assert httpx.get(f"{two_workers.url}/metrics", timeout=30).status_code == 401
    wrong = {"Authorization": "Bearer nope"}
    assert httpx.get(f"{two_workers.url}/metrics", headers=wrong, timeout=30).status_code == 401


def test_a_separate_metrics_token_opens_metrics_only(tmp_path: Path, tiny_models_dir: Path) -> None:
    settings = Settings(
        models_dir=tiny_models_dir, data_dir=tmp_path, token=TOKEN, metrics_token="scraper"
    )
    with TestClient(create_app(settings)) as client:
        scraper = {"Authorization": "Bearer scraper"}
        assert client.get("/metrics", headers=scraper).status_code == 200
        assert client.get("/metrics", headers=AUTH).status_code == 401
        assert client.get("/api/v1/models", headers=scraper).status_code == 401


def test_the_json_access_log_has_one_line_per_request(two_workers: UvicornProcess) -> None:
    path = "/api/v1/models/tiny-text-gru/trace"
    response = httpx.post(
        f"{two_workers.url}{path}?precision=2", json={"input": "a dull film"}, headers=AUTH
    )
    assert response.status_code == 200
    lines = [json.loads(line) for line in two_workers.log().splitlines() if line.startswith("{")]
    mine = [entry for entry in lines if entry["path"] == path and entry["status"] == 200]
    assert mine, two_workers.log()[-2000:]
    entry = mine[-1]
    assert set(entry) >= {"time", "method", "route", "status", "duration_ms", "bytes", "client"}
    assert entry["method"] == "POST"
    assert entry["route"] == "/api/v1/models/{model_id}/trace"
    assert entry["client"] == "127.0.0.1"
    assert entry["bytes"] == len(response.content) or "gzip" in response.headers.get(
        "content-encoding", ""
    )
    assert entry["duration_ms"] > 0
    assert "precision" not in json.dumps(entry), "the query string stays out of the log"


def test_a_full_lane_counts_its_refusal() -> None:
    workers = ModelWorkers(1, heavy_threads=1, heavy_cost=10, heavy_queue=0)
    before = count("gatescope_lane_refused_total", lane="heavy")

    async def two_heavy() -> None:
        import asyncio

        first = asyncio.ensure_future(workers.run(time.sleep, 0.3, cost=100))
        await asyncio.sleep(0.05)
        assert count("gatescope_lane_pending", lane="heavy") == 1
        with pytest.raises(ApiError):
            await workers.run(time.sleep, 0, cost=100)
        await first

    import asyncio

    try:
        asyncio.run(two_heavy())
    finally:
        workers.shutdown()
    assert count("gatescope_lane_refused_total", lane="heavy") == before + 1
    assert count("gatescope_lane_pending", lane="heavy") == 0


def test_cache_hits_and_misses_and_model_loads_are_counted(
    tmp_path: Path, tiny_models_dir: Path
) -> None:
    loads = count("gatescope_model_loads_total", source="shipped")
    hits = count("gatescope_response_cache_total", result="hit")
    misses = count("gatescope_response_cache_total", result="miss")
    with TestClient(create_app(Settings(models_dir=tiny_models_dir, data_dir=tmp_path))) as client:
        for _ in range(3):
            body = {"input": "great acting and a good plot"}
            assert client.post("/api/v1/models/tiny-text-gru/trace", json=body).status_code == 200
    assert count("gatescope_model_loads_total", source="shipped") >= loads + 6
    assert count("gatescope_response_cache_total", result="miss") >= misses + 1
    assert count("gatescope_response_cache_total", result="hit") >= hits + 2


def test_atlas_builds_are_counted_and_timed(tmp_path: Path) -> None:
    built = count("gatescope_atlas_builds_total", outcome="built")
    timed = count("gatescope_atlas_build_duration_seconds_count")
    build_index(text_model("gru"), Corpus("tiny", "text", TEXTS), tmp_path)
    assert count("gatescope_atlas_builds_total", outcome="built") == built + 1
    assert count("gatescope_atlas_build_duration_seconds_count") == timed + 1

"""`gatescope bench --atlas`: the atlas's goals from issue 12, measured.

1. Index all 20k NSMC test reviews for sentiment-ko-gru (goal <= 60 s on 2 cores), from raw
   text (Kiwi morphemes included), into a fresh directory.
2. An index of >= 1M real steps (the test reviews, then training reviews until there are enough):
   p95 of a unit's top and bottom examples (goal <= 50 ms) and of a pattern match with the units
   that are on picked by their own percentile (goal <= 200 ms), each scanning every step, with
   no cached thresholds; its size on disk (goal <= 256 MB).
"""

from __future__ import annotations

import random
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np

from app.atlas.build import BuildLimits, build_index
from app.atlas.card import unit_card
from app.atlas.corpus import Corpus
from app.atlas.index import AtlasIndex, open_index
from app.atlas.match import Query, match
from app.zoo import LoadedModel
from app.zoo.training.datasets import DEFAULT_DATA_DIR, nsmc_rows

MODEL = "sentiment-ko-gru"
BIG_STEPS = 1_000_000
RUNS = 40


@dataclass(frozen=True)
class AtlasBenchRow:
    measure: str
    value: float
    unit: str
    goal: float

    @property
    def meets_goal(self) -> bool:
        return self.value <= self.goal


def directory_bytes(path: Path) -> int:
    return sum(item.stat().st_size for item in path.rglob("*") if item.is_file())


def p95(samples: list[float]) -> float:
    return float(np.percentile(samples, 95))


def _timed(run: Callable[[], object]) -> float:
    start = time.perf_counter()
    run()
    return (time.perf_counter() - start) * 1000


def bench_atlas(
    model: LoadedModel,
    data_dir: Path = DEFAULT_DATA_DIR,
    progress: Callable[[str, float], None] | None = None,
) -> list[AtlasBenchRow]:
    report = progress or (lambda stage, fraction: None)
    test = [text for text, _ in nsmc_rows(data_dir / "nsmc" / "ratings_test.tsv")]
    with tempfile.TemporaryDirectory(prefix="atlas-bench-") as scratch:
        root = Path(scratch)
        start = time.perf_counter()
        small = build_index(
            model,
            Corpus("nsmc test", "text", test),
            root,
            limits=BuildLimits(10**6, 10**8),
            progress=lambda f: report("index 20k", f),
        )
        seconds = time.perf_counter() - start
        small_index = open_index(small)
        per_document = small_index.steps / small_index.documents
        train = [text for text, _ in nsmc_rows(data_dir / "nsmc" / "ratings_train.tsv")]
        extra = int((BIG_STEPS * 1.01 - small_index.steps) / per_document)  # >= 1M, barely
        big_corpus = Corpus("nsmc test + train", "text", test + train[: max(extra, 0)])
        big_start = time.perf_counter()
        big = open_index(
            build_index(
                model,
                big_corpus,
                root,
                limits=BuildLimits(10**6, 10**8),
                progress=lambda f: report("index 1M", f),
            )
        )
        big_seconds = time.perf_counter() - big_start
        cards, matches = _query_times(big)
        return [
            AtlasBenchRow(
                f"index {small_index.documents} NSMC test reviews ({small_index.steps} steps)",
                seconds,
                "s",
                60,
            ),
            AtlasBenchRow("its size on disk", directory_bytes(small) / 2**20, "MiB", 256),
            AtlasBenchRow(
                f"index {big.documents} reviews ({big.steps} steps)", big_seconds, "s", float("inf")
            ),
            AtlasBenchRow(
                f"{big.steps}-step index size on disk",
                directory_bytes(big.directory) / 2**20,
                "MiB",
                256,
            ),
            AtlasBenchRow("p95 unit card top/bottom 20 (every step)", p95(cards), "ms", 50),
            AtlasBenchRow(
                "p95 pattern match, units that are on (every step)", p95(matches), "ms", 200
            ),
        ]


def _query_times(index: AtlasIndex) -> tuple[list[float], list[float]]:
    generator = random.Random(0)
    hidden = [info for info in index.tracks]
    cards, matches = [], []
    for _ in range(RUNS):
        info = generator.choice(hidden)
        unit = generator.randrange(info.units)
        cards.append(_timed(partial(unit_card, index, info.ref, unit, k=20, words=0)))
    hidden_refs = [info.ref for info in index.tracks if info.ref.track == "hidden"]
    for _ in range(RUNS):
        document = generator.randrange(index.documents)
        begin, end = index.document_range(document)
        length = min(3, end - begin)
        first = int(index.first_step[document])
        index.__dict__.pop("_thresholds", None)  # every threshold scanned again
        query = Query(
            int(index.doc_ids[document]),
            first,
            first + length - 1,
            tracks=hidden_refs,
            percentile=80,
        )
        matches.append(_timed(partial(match, index, query)))
    return cards, matches

"""Which corpus a model's atlas is built from, where indexes live, and the build limits: shared
by the command line and the API (no web imports)."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from app.atlas.build import BuildLimits, atlas_decimals, index_key, write_json
from app.atlas.corpus import Corpus, held_out_corpus
from app.config import Settings
from app.zoo import LoadedModel
from app.zoo.training.datasets import DEFAULT_DATA_DIR


def atlas_root(settings: Settings) -> Path:
    return settings.data_dir / "atlas"


def limits_of(settings: Settings) -> BuildLimits:
    return BuildLimits(documents=settings.atlas_max_documents, steps=settings.atlas_max_steps)


@lru_cache(maxsize=8)
def _held_out(model_id: str, data_dir: Path) -> Corpus | None:
    try:
        return held_out_corpus(model_id, data_dir)
    except FileNotFoundError:
        return None


def _pointer(root: Path, model_id: str) -> Path:
    return root / "models" / f"{model_id}.json"


@lru_cache(maxsize=8)
def _stored_corpus(path: Path, mtime: int) -> Corpus:
    payload = json.loads(path.read_text("utf-8"))
    return Corpus(payload["name"], payload["kind"], payload["documents"])


def current_corpus(
    model: LoadedModel, root: Path, data_dir: Path = DEFAULT_DATA_DIR
) -> Corpus | None:
    """The corpus last given for this model, else its own held-out data (None for an upload
    nobody gave a corpus yet)."""
    pointer = _pointer(root, model.id)
    try:
        digest = json.loads(pointer.read_text("utf-8"))["digest"]
        path = root / "corpora" / f"{digest}.json"
        return _stored_corpus(path, path.stat().st_mtime_ns)
    except (OSError, ValueError, KeyError):
        return _held_out(model.id, data_dir)


def set_corpus(model: LoadedModel, corpus: Corpus, root: Path) -> None:
    """Remember `corpus` as this model's atlas corpus (every worker and server reads it)."""
    (root / "corpora").mkdir(parents=True, exist_ok=True)
    (root / "models").mkdir(parents=True, exist_ok=True)
    path = root / "corpora" / f"{corpus.digest}.json"
    if not path.is_file():
        write_json(path, {"name": corpus.name, "kind": corpus.kind, "documents": corpus.documents})
    write_json(_pointer(root, model.id), {"digest": corpus.digest, "name": corpus.name})


def current_key(model: LoadedModel, corpus: Corpus, settings: Settings) -> str:
    return index_key(model, corpus, atlas_decimals(settings.precision))

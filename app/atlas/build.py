"""Build an index: trace every document of a corpus and store every track, atomically.

The index lives in `<root>/<key>/`, where the key hashes the weights, the config, the corpus and
the rounding; it is written in a temporary directory beside it and renamed when complete, so a
reader never sees half of one and an interrupted build leaves nothing behind. A lock file keeps
two builders (threads, workers or servers on one data dir) from building the same key.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import time
import uuid
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import torch

from app.atlas.corpus import Corpus, CorpusError
from app.atlas.index import AtlasIndex
from app.atlas.layout import (
    FORMAT,
    MAX_DECIMALS,
    TrackInfo,
    TrackRef,
    is_bounded,
    storage_dtype,
    to_stored,
)
from app.atlas.lock import BuildBusy, BuildLock, is_held
from app.atlas.responses import write_word_tables
from app.atlas.stats import track_stats
from app.atlas.steps import DocumentSteps, length_batches, network_inputs, prepare_corpus
from app.metrics import ATLAS_BUILD_SECONDS, ATLAS_BUILDS
from app.recurrent import LayerTrace, Trace, trace_chain
from app.zoo import LoadedModel
from app.zoo.spec import TextPreprocessing

BATCH = 512  # documents traced at once
PREPARE_SHARE = 0.3  # of the progress bar: cutting the texts into words
Progress = Callable[[float], None]

__all__ = ["BuildBusy", "BuildLimits", "BuildProgress", "atlas_status", "build_index", "index_key"]


@dataclass(frozen=True)
class BuildLimits:
    documents: int = 100_000
    steps: int = 2_000_000


@dataclass(frozen=True)
class BuildProgress:
    status: str  # "ready" | "building" | "missing"
    progress: float
    error: dict[str, Any] | None = None


# -- keys ---------------------------------------------------------------------------------------

_WEIGHT_DIGESTS: weakref.WeakKeyDictionary[torch.nn.Module, str] = weakref.WeakKeyDictionary()


def weights_digest(network: torch.nn.Module) -> str:
    """A hash of every parameter and buffer, by name (cached per loaded network)."""
    known = _WEIGHT_DIGESTS.get(network)
    if known is not None:
        return known
    digest = hashlib.sha256()
    for name, tensor in sorted(network.state_dict().items()):
        digest.update(name.encode())
        digest.update(str(tensor.dtype).encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    _WEIGHT_DIGESTS[network] = found = digest.hexdigest()
    return found


def index_key(model: LoadedModel, corpus: Corpus, decimals: int) -> str:
    """The index's name: the model's id and a hash of weights, config, corpus and rounding."""
    digest = hashlib.sha256()
    for part in (
        f"format {FORMAT} decimals {decimals}",
        model.config.model_dump_json(),
        weights_digest(model.network),
        corpus.digest,
    ):
        digest.update(part.encode("utf-8"))
    return f"{model.id}-{digest.hexdigest()[:20]}"


def atlas_decimals(precision: int) -> int:
    return min(precision, MAX_DECIMALS)


# -- status -------------------------------------------------------------------------------------


def lock_path(root: Path, key: str) -> Path:
    return root / f"{key}.lock"


def progress_path(root: Path, key: str) -> Path:
    return root / f"{key}.progress.json"


def atlas_status(root: Path, key: str) -> BuildProgress:
    """Ready (the index exists), building (a live builder holds its lock) or missing (with the
    last build's error, if it failed)."""
    if (root / key / "meta.json").is_file():
        return BuildProgress("ready", 1.0)
    recorded = _read_json(progress_path(root, key)) or {}
    if is_held(lock_path(root, key)):
        return BuildProgress("building", float(recorded.get("progress", 0.0)))
    return BuildProgress("missing", 0.0, recorded.get("error"))


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) else None


def write_json(path: Path, payload: Any) -> None:
    """Write beside, then rename over: a reader sees the old file or the new one."""
    partial = path.with_name(f".{path.name}.{uuid.uuid4().hex}.partial")
    partial.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    os.replace(partial, path)


# -- building -----------------------------------------------------------------------------------


def build_index(
    model: LoadedModel,
    corpus: Corpus,
    root: Path,
    decimals: int = 4,
    limits: BuildLimits = BuildLimits(),
    progress: Progress | None = None,
) -> Path:
    """The index of `corpus` for `model` under `root`, built unless it is there already.

    BuildBusy when another live builder is on it; CorpusError when the corpus is over the
    limits. Progress goes to `progress(fraction)` and to the key's progress file.
    """
    decimals = atlas_decimals(decimals)
    key = index_key(model, corpus, decimals)
    final = root / key
    if (final / "meta.json").is_file():
        return final
    root.mkdir(parents=True, exist_ok=True)
    if len(corpus.documents) > limits.documents:
        raise CorpusError(
            "too_many_documents",
            f"the corpus has {len(corpus.documents)} documents; the limit is {limits.documents}",
            {"documents": len(corpus.documents), "limit": limits.documents},
        )
    with BuildLock(lock_path(root, key)) as lock:
        if (final / "meta.json").is_file():
            return final
        _remove_partials(root, key)
        partial = root / f".{key}.{uuid.uuid4().hex}.partial"
        report = _reporter(root, key, lock, progress)
        started = time.perf_counter()
        try:
            partial.mkdir()
            _write_index(model, corpus, partial, decimals, limits, report)
            os.rename(partial, final)
        except CorpusError as error:
            ATLAS_BUILDS.labels("failed").inc()
            write_json(progress_path(root, key), {"progress": 0.0, "error": _error(error)})
            raise
        except BaseException:
            ATLAS_BUILDS.labels("failed").inc()
            progress_path(root, key).unlink(missing_ok=True)
            raise
        finally:
            shutil.rmtree(partial, ignore_errors=True)
        progress_path(root, key).unlink(missing_ok=True)
        ATLAS_BUILDS.labels("built").inc()
        ATLAS_BUILD_SECONDS.observe(time.perf_counter() - started)
    return final


def _error(error: CorpusError) -> dict[str, Any]:
    return {"code": error.code, "message": str(error), "params": error.params}


def _remove_partials(root: Path, key: str) -> None:
    """Leftovers of a builder that was killed before it could clean up."""
    for leftover in root.glob(f".{key}.*.partial"):
        shutil.rmtree(leftover, ignore_errors=True)


def _reporter(root: Path, key: str, lock: BuildLock, progress: Progress | None) -> Progress:
    last = [0.0]

    def report(fraction: float) -> None:
        if progress is not None:
            progress(fraction)
        now = time.monotonic()
        if now - last[0] > 0.5 or fraction >= 1.0:
            last[0] = now
            lock.touch()
            write_json(progress_path(root, key), {"progress": round(fraction, 4)})

    return report


def _write_index(
    model: LoadedModel,
    corpus: Corpus,
    directory: Path,
    decimals: int,
    limits: BuildLimits,
    report: Progress,
) -> None:
    report(0.0)
    prepared = prepare_corpus(
        model, corpus, limits.steps, lambda fraction: report(PREPARE_SHARE * fraction)
    )
    documents = prepared.documents
    if not documents:
        raise CorpusError("no_documents", "no document of the corpus is a valid input")
    offsets = np.zeros(len(documents) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([document.real_steps for document in documents])
    pads = _pad_trace(model)
    writer = _TrackWriter(
        model, directory, int(offsets[-1]), len(documents), decimals, entries=pads is None
    )
    done = 0
    with one_torch_thread():
        for positions in length_batches(documents, BATCH):
            batch = [documents[position] for position in positions]
            traced = trace_chain(list(model.network.blocks), network_inputs(model, batch))
            writer.write(traced, batch, positions, offsets)
            done += len(batch)
            report(PREPARE_SHARE + (1 - PREPARE_SHARE) * done / len(documents))
    _write_steps(directory, documents, offsets)
    tracks = writer.finish(pads)
    with gzip.open(directory / "corpus.json.gz", "wt", encoding="utf-8", compresslevel=6) as out:
        json.dump(_corpus_rows(corpus, documents), out, ensure_ascii=False)
    _write_json_file(directory / "stats.json", track_stats(directory, tracks, decimals))
    meta = {
        "format": FORMAT,
        "model": model.id,
        "kind": corpus.kind,
        "corpus": {"name": corpus.name, "documents": len(documents), "steps": int(offsets[-1])},
        "corpus_documents": len(corpus.documents),
        "skipped": prepared.skipped,
        "decimals": decimals,
        "pads": pads is not None,
        "features": _features(model),
        "tracks": [
            {**track.as_dict(), "dtype": track.dtype, "file": track.ref.file} for track in tracks
        ],
    }
    _write_json_file(directory / "meta.json", meta)
    if corpus.kind == "text":
        write_word_tables(AtlasIndex(directory))


@contextmanager
def one_torch_thread() -> Iterator[None]:
    """Trace with one torch thread: a recurrent step is a few small matrix products, and a
    second thread only waits at every step's barrier (on a busy 2-core machine torch.gru took
    0.9 s per batch with two threads against 0.04 s with one)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def _features(model: LoadedModel) -> list[str] | None:
    spec = model.config.preprocessing
    return None if isinstance(spec, TextPreprocessing) else list(spec.features)


def _write_json_file(path: Path, payload: Any) -> None:
    path.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")


def _corpus_rows(corpus: Corpus, documents: list[DocumentSteps]) -> list[Any]:
    return [corpus.documents[document.corpus_id] for document in documents]


def _pad_trace(model: LoadedModel) -> Trace | None:
    """The trace of a sentence of padding alone, when every document's padding is read the same
    way: pre-padding, read (not masked), and no block reads backwards (a backward direction's
    state at a pad depends on the words after it)."""
    spec = model.config.preprocessing
    if not isinstance(spec, TextPreprocessing) or spec.padding != "pre" or spec.mask_padding:
        return None
    if not model.reads_left_to_right:
        return None
    ids = torch.zeros((1, spec.maxlen), dtype=torch.long)
    with torch.no_grad():
        return trace_chain(list(model.network.blocks), model.network.embed(ids))


def _write_steps(
    directory: Path, documents: list[DocumentSteps], offsets: npt.NDArray[np.int64]
) -> None:
    np.save(directory / "offsets.npy", offsets)
    np.save(directory / "doc_ids.npy", np.array([d.corpus_id for d in documents], dtype=np.int64))
    np.save(directory / "first_step.npy", np.array([d.first for d in documents], dtype=np.int32))
    np.save(directory / "trace_steps.npy", np.array([d.steps for d in documents], dtype=np.int32))
    if documents[0].tokens is not None:
        _write_tokens(directory, documents)
    else:
        values = [row for document in documents for row in document.values or []]
        np.save(directory / "inputs.npy", np.asarray(values, dtype=np.float64))


def _write_tokens(directory: Path, documents: list[DocumentSteps]) -> None:
    """Each step's word as an id into words.json (uint16 while the words fit), and each word's
    kind (a word is in the vocabulary or OOV wherever it is read, so kinds go per word)."""
    words: dict[str, int] = {}
    kinds: list[int] = []
    word_ids: list[int] = []
    for document in documents:
        for token, kind in zip(document.tokens or [], document.kinds or [], strict=True):
            found = words.setdefault(token, len(words))
            if found == len(kinds):
                kinds.append(kind)
            word_ids.append(found)
    dtype = np.uint16 if len(words) <= 2**16 else np.int32
    np.save(directory / "word_ids.npy", np.asarray(word_ids, dtype=dtype))
    np.save(directory / "word_kinds.npy", np.asarray(kinds, dtype=np.int8))
    _write_json_file(directory / "words.json", list(words))


class _TrackWriter:
    """Memory-mapped (units, steps) files, one per track, filled batch by batch; beside each,
    the state every document starts from ("entry": the step before its first real step, in
    reading order; states only, and only when padding is not shared: shared padding's own
    trace, saved instead, holds every document's entry already)."""

    def __init__(
        self,
        model: LoadedModel,
        directory: Path,
        steps: int,
        documents: int,
        decimals: int,
        entries: bool,
    ) -> None:
        self.model = model
        self.directory = directory
        self.steps = steps
        self.documents = documents
        self.decimals = decimals
        self.keep_entries = entries
        self.tracks: list[TrackInfo] = []
        self.values: dict[TrackRef, np.memmap[Any, Any]] = {}
        self.entries: dict[TrackRef, npt.NDArray[Any]] = {}

    def write(
        self,
        traced: Trace,
        batch: list[DocumentSteps],
        positions: list[int],
        offsets: npt.NDArray[np.int64],
    ) -> None:
        if not self.tracks:
            self._open(traced)
        real = torch.from_numpy(np.stack([document.real for document in batch]))
        destination = np.concatenate([np.arange(offsets[p], offsets[p + 1]) for p in positions])
        contiguous = bool(np.all(np.diff(destination) == 1))
        for info, layer in self._layers(traced):
            values = track_values(layer, info.ref.track)
            stored = to_stored(values[real].numpy(), self.decimals, info.dtype).T
            if contiguous:
                self.values[info.ref][:, destination[0] : destination[-1] + 1] = stored
            else:
                self.values[info.ref][:, destination] = stored
            if info.ref in self.entries:
                self.entries[info.ref][:, positions] = self._entries(values, batch, info).T

    def _entries(self, values: torch.Tensor, batch: list[DocumentSteps], info: TrackInfo) -> Any:
        """Each document's value one step before its first real step in reading order (the
        state its first word changes), or 0 (the initial state) where there is none."""
        first = np.array([document.first for document in batch])
        if info.ref.direction == "forward":
            steps = first - 1
        else:
            steps = first + np.array([document.real_steps for document in batch])
        inside = (steps >= 0) & (steps < values.shape[1])
        rows = np.zeros((len(batch), info.units), dtype=info.dtype)
        picked = values[torch.from_numpy(np.flatnonzero(inside)), torch.from_numpy(steps[inside])]
        rows[inside] = to_stored(picked.numpy(), self.decimals, info.dtype)
        return rows

    def _open(self, traced: Trace) -> None:
        for layer in traced.layers:
            projected = layer.hidden.shape[-1] != (
                layer.cell.shape[-1] if layer.cell is not None else layer.hidden.shape[-1]
            )
            for track in (*layer.gate_names, "cell", "hidden"):
                values = (
                    track_values(layer, track)
                    if track != "cell" or layer.cell is not None
                    else None
                )
                if values is None:
                    continue
                ref = TrackRef(layer.layer, layer.direction, track)
                bounded = is_bounded(track, layer.kind, layer.nonlinearity, projected)
                info = TrackInfo(
                    ref, int(values.shape[-1]), storage_dtype(bounded, self.decimals), layer.kind
                )
                self.tracks.append(info)
                self.values[ref] = np.lib.format.open_memmap(
                    self.directory / f"{ref.file}.npy",
                    mode="w+",
                    dtype=info.dtype,
                    shape=(info.units, self.steps),
                )
                if self.keep_entries and ref.is_state:
                    self.entries[ref] = np.zeros((info.units, self.documents), dtype=info.dtype)

    def _layers(self, traced: Trace) -> list[tuple[TrackInfo, LayerTrace]]:
        return [
            (info, traced.layer(info.ref.layer, info.ref.direction))  # type: ignore[arg-type]
            for info in self.tracks
        ]

    def finish(self, pads: Trace | None) -> list[TrackInfo]:
        for info in self.tracks:
            self.values[info.ref].flush()
            if info.ref in self.entries:
                np.save(self.directory / f"{info.ref.file}.entry.npy", self.entries[info.ref])
            if pads is not None:
                layer = pads.layer(info.ref.layer, info.ref.direction)  # type: ignore[arg-type]
                values = track_values(layer, info.ref.track)[0].numpy()
                np.save(
                    self.directory / f"{info.ref.file}.pad.npy",
                    to_stored(values, self.decimals, info.dtype).T,
                )
        del self.values
        return self.tracks


def track_values(layer: LayerTrace, track: str) -> torch.Tensor:
    if track == "hidden":
        return layer.hidden.detach()
    if track == "cell":
        assert layer.cell is not None
        return layer.cell.detach()
    return layer.gates[track].detach()

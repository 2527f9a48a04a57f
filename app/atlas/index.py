"""An index opened for queries: memory-mapped tracks, document offsets and the tokens."""

from __future__ import annotations

import gzip
import json
import threading
from collections import OrderedDict
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from app.atlas.layout import TrackInfo, TrackRef

_OPEN: OrderedDict[Path, AtlasIndex] = OrderedDict()
_OPEN_LOCK = threading.Lock()
MAX_OPEN = 8


class AtlasIndex:
    """Every track of every layer-direction over every real step of a corpus.

    A position is a real step's place in the corpus (0 .. steps - 1); documents are contiguous
    runs of positions (`offsets`). `step_of` turns a position into the step the trace endpoint
    numbers it by (padding included)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.meta: dict[str, Any] = json.loads((directory / "meta.json").read_text("utf-8"))
        self.decimals: int = self.meta["decimals"]
        self.tracks: list[TrackInfo] = [
            TrackInfo(
                TrackRef(t["layer"], t["direction"], t["track"]), t["units"], t["dtype"], t["kind"]
            )
            for t in self.meta["tracks"]
        ]
        self._by_ref = {info.ref: info for info in self.tracks}
        self.offsets: npt.NDArray[np.int64] = np.load(directory / "offsets.npy")
        self.doc_ids: npt.NDArray[np.int64] = np.load(directory / "doc_ids.npy")
        self.first_step: npt.NDArray[np.int32] = np.load(directory / "first_step.npy")
        self._values: dict[TrackRef, npt.NDArray[Any]] = {}

    @property
    def key(self) -> str:
        return self.directory.name

    @property
    def steps(self) -> int:
        return int(self.offsets[-1])

    @property
    def documents(self) -> int:
        return len(self.doc_ids)

    @property
    def is_text(self) -> bool:
        return self.meta["kind"] == "text"

    def info(self, ref: TrackRef) -> TrackInfo:
        """KeyError when the index has no such track."""
        return self._by_ref[ref]

    def values(self, ref: TrackRef) -> npt.NDArray[Any]:
        """The track's stored values, (units, steps), memory-mapped."""
        found = self._values.get(ref)
        if found is None:
            self.info(ref)
            found = np.load(self.directory / f"{ref.file}.npy", mmap_mode="r")
            self._values[ref] = found
        return found

    def column(self, ref: TrackRef, unit: int) -> npt.NDArray[Any]:
        return self.values(ref)[unit]

    def entry(self, ref: TrackRef) -> npt.NDArray[Any]:
        """(units, documents): the state each document's first word (in reading order) changes:
        the padding's state one step before the first real step (0 without padding), or, when
        padding is not shared, as saved by the build."""
        pads = self.pads(ref)
        if pads is None:
            return np.load(self.directory / f"{ref.file}.entry.npy", mmap_mode="r")
        before = self.first_step.astype(np.int64) - 1
        found = np.zeros((pads.shape[0], self.documents), dtype=pads.dtype)
        padded = before >= 0
        found[:, padded] = pads[:, before[padded]]
        return found

    def pads(self, ref: TrackRef) -> npt.NDArray[Any] | None:
        """(units, maxlen): the trace of padding alone, when all documents share it."""
        if not self.meta["pads"]:
            return None
        return np.load(self.directory / f"{ref.file}.pad.npy")

    # -- positions ----------------------------------------------------------------------------

    def document_of(self, positions: npt.NDArray[Any]) -> npt.NDArray[np.int64]:
        """The index document (0 .. documents - 1) of each position."""
        return np.searchsorted(self.offsets, positions, side="right") - 1

    def step_of(self, position: int) -> tuple[int, int]:
        """(corpus document id, trace step) of a position."""
        document = int(self.document_of(np.asarray([position]))[0])
        step = int(self.first_step[document]) + position - int(self.offsets[document])
        return int(self.doc_ids[document]), step

    def document_range(self, document: int) -> tuple[int, int]:
        return int(self.offsets[document]), int(self.offsets[document + 1])

    def index_document(self, corpus_id: int) -> int | None:
        """The index document of a corpus document id (None when it was skipped)."""
        found = int(np.searchsorted(self.doc_ids, corpus_id))
        ok = found < len(self.doc_ids) and int(self.doc_ids[found]) == corpus_id
        return found if ok else None

    # -- tokens -------------------------------------------------------------------------------

    @cached_property
    def words(self) -> list[str]:
        return (
            json.loads((self.directory / "words.json").read_text("utf-8")) if self.is_text else []
        )

    @cached_property
    def word_ids(self) -> npt.NDArray[Any]:
        """Each step's id into `words` (uint16 or int32)."""
        return np.load(self.directory / "word_ids.npy")

    @cached_property
    def word_counts(self) -> npt.NDArray[np.int64]:
        return np.bincount(self.word_ids, minlength=len(self.words))

    @cached_property
    def kinds(self) -> npt.NDArray[np.int8]:
        """Each step's KIND_CODES (word or oov)."""
        return np.load(self.directory / "word_kinds.npy")[self.word_ids]

    def word_table(self, ref: TrackRef) -> dict[str, npt.NDArray[Any]] | None:
        """The words that move each unit of the track most, ranked at build time (see
        app.atlas.responses.write_word_tables); None when the index has none."""
        path = self.directory / f"{ref.file}.words.npz"
        if not path.is_file():
            return None
        with np.load(path) as found:
            return {name: found[name] for name in found.files}

    @cached_property
    def inputs(self) -> npt.NDArray[np.float64]:
        """Series: every real step's inputs in original units, (steps, features)."""
        return np.load(self.directory / "inputs.npy")

    def token(self, position: int) -> Any:
        if self.is_text:
            return self.words[int(self.word_ids[position])]
        return [float(value) for value in self.inputs[position]]

    @cached_property
    def corpus_rows(self) -> list[Any]:
        with gzip.open(self.directory / "corpus.json.gz", "rt", encoding="utf-8") as rows:
            found: list[Any] = json.load(rows)
        return found

    @cached_property
    def stats(self) -> dict[str, Any]:
        return json.loads((self.directory / "stats.json").read_text("utf-8"))


def open_index(directory: Path) -> AtlasIndex:
    """The index in `directory`, opened once per process (a few kept)."""
    with _OPEN_LOCK:
        found = _OPEN.get(directory)
        if found is None:
            found = AtlasIndex(directory)
            _OPEN[directory] = found
            while len(_OPEN) > MAX_OPEN:
                _OPEN.popitem(last=False)
        _OPEN.move_to_end(directory)
        return found

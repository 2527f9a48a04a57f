"""The unit atlas (issue 12): what each unit does across a whole corpus.

Pure torch/numpy, no web imports. `corpus` reads the documents, `build` traces every one of them
into a memory-mapped index (atomically, under a lock, with progress), `index` opens it, and
`card`, `match`, `score` and `clusters` answer the questions of the issue from it.
"""

from app.atlas.build import BuildProgress, atlas_status, build_index, index_key
from app.atlas.corpus import Corpus, held_out_corpus, read_corpus_file
from app.atlas.index import AtlasIndex, open_index
from app.atlas.layout import TrackRef, parse_unit

__all__ = [
    "AtlasIndex",
    "BuildProgress",
    "Corpus",
    "TrackRef",
    "atlas_status",
    "build_index",
    "held_out_corpus",
    "index_key",
    "open_index",
    "parse_unit",
    "read_corpus_file",
]

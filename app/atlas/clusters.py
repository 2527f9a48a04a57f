"""Unit-word co-clusters (RNNVis): spectral co-clustering of the units x frequent words matrix
of mean responses, so units and the words that move them come out in blocks."""

from __future__ import annotations

from typing import Any

import numpy as np

from app.atlas.index import AtlasIndex
from app.atlas.layout import TrackRef
from app.atlas.responses import word_response

CLUSTER_WORDS = 60
CLUSTERS = 4


def frequent_words(index: AtlasIndex, count: int) -> list[int]:
    """The `count` most frequent words (ties: first seen), as word-table ids."""
    counts = np.bincount(index.word_ids, minlength=len(index.words))
    order = np.lexsort((np.arange(counts.size), -counts))
    return [int(w) for w in order[:count] if counts[w] > 0]


def co_clusters(
    index: AtlasIndex, ref: TrackRef, clusters: int = CLUSTERS, words: int = CLUSTER_WORDS
) -> dict[str, Any]:
    """Clusters of the track's units and frequent words; `matrix` holds the signed mean
    responses (units x words), the clustering reads their magnitudes."""
    from sklearn.cluster import SpectralCoclustering

    info = index.info(ref)
    chosen = frequent_words(index, words)
    found = word_response(index, ref, list(range(info.units)))
    matrix = found.means(index.decimals)[:, chosen]
    n = max(1, min(clusters, info.units, len(chosen)))
    model = SpectralCoclustering(n_clusters=n, random_state=0)
    model.fit(np.abs(matrix) + 1e-6)
    return {
        "track": ref.name,
        "measure": found.measure,
        "units": list(range(info.units)),
        "words": [index.words[w] for w in chosen],
        "counts": [int(found.counts[w]) for w in chosen],
        "matrix": matrix.tolist(),
        "clusters": [
            {
                "units": [int(u) for u in np.flatnonzero(model.row_labels_ == c)],
                "words": [
                    index.words[chosen[w]] for w in np.flatnonzero(model.column_labels_ == c)
                ],
            }
            for c in range(n)
        ],
    }

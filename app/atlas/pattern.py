"""A pattern taken from any input (what the explorer shows), not only from an indexed
document: the input traced on its own, its values over a step range rounded and stored as the
index stores them, so pattern match compares like with like."""

from __future__ import annotations

from typing import Any

import numpy.typing as npt

from app.atlas.build import track_values
from app.atlas.index import AtlasIndex
from app.atlas.layout import TrackRef, to_stored
from app.atlas.match import MAX_SPAN, MatchError, Pattern
from app.zoo import LoadedModel


def input_pattern(model: LoadedModel, index: AtlasIndex, raw: Any, start: int, end: int) -> Pattern:
    """The input's stored values over trace steps start..end (real steps, at most MAX_SPAN);
    InputError for an input the model refuses, MatchError for a bad step range."""
    traced = model.run_trace(raw)
    kinds = traced.prepared.token_kinds or ["word"] * traced.prepared.steps
    real = [step for step, kind in enumerate(kinds) if kind != "pad"]
    if not (real and real[0] <= start <= end <= real[-1]):
        first, last = (real[0], real[-1]) if real else (0, -1)
        raise MatchError(
            "bad_step_range",
            f"steps {start}..{end} are not real steps of the input "
            f"(its real steps are {first}..{last})",
            {"first": first, "last": last},
        )
    if end - start + 1 > MAX_SPAN:
        raise MatchError(
            "span_too_long", f"a span has at most {MAX_SPAN} steps", {"limit": MAX_SPAN}
        )
    cache: dict[TrackRef, npt.NDArray[Any]] = {}

    def values(ref: TrackRef) -> npt.NDArray[Any]:
        if ref not in cache:
            info = index.info(ref)
            layer = traced.trace.layer(ref.layer, ref.direction)  # type: ignore[arg-type]
            found = track_values(layer, ref.track)[0, start : end + 1].numpy()
            cache[ref] = to_stored(found, index.decimals, info.dtype).T
        return cache[ref]

    return values

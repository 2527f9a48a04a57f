"""How an index is laid out: its tracks, how their values are stored, and its files.

Every value is stored as the integer round(v * 10**decimals), exactly the number the trace
endpoint prints at that precision (it rounds float32 through float64 the same way), so a value
the atlas reports for a document and step equals the trace's. Bounded tracks (sigmoid gates, tanh
candidates and states) fit int16 at 4 decimals; unbounded ones (the LSTM cell, a relu RNN's or a
projected LSTM's hidden state) take int32. Each track is one file of shape (units, steps), so a
unit's values over the whole corpus are contiguous.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from app.recurrent.cells import SIGMOID_GATES

FORMAT = 2  # 2: entries for states only, word kinds per word, cached word tables
MAX_DECIMALS = 6  # int32 holds +-2147 at 6 decimals
Direction = Literal["forward", "backward"]
STATE_TRACKS = ("cell", "hidden")


@dataclass(frozen=True, order=True)
class TrackRef:
    """One track of one layer-direction: a gate's name, "cell" or "hidden"."""

    layer: int
    direction: str
    track: str

    @property
    def name(self) -> str:
        return f"{self.layer}/{self.direction}/{self.track}"

    @property
    def file(self) -> str:
        return f"L{self.layer}-{self.direction}-{self.track}"

    @property
    def is_state(self) -> bool:
        return self.track in STATE_TRACKS


@dataclass(frozen=True)
class TrackInfo:
    ref: TrackRef
    units: int
    dtype: str  # "int16" | "int32"
    kind: str  # the layer's cell

    def as_dict(self) -> dict[str, Any]:
        return {
            "layer": self.ref.layer,
            "direction": self.ref.direction,
            "track": self.ref.track,
            "name": self.ref.name,
            "units": self.units,
            "kind": self.kind,
        }


def parse_unit(text: str) -> tuple[TrackRef, int]:
    """ "0/forward/update/7" (layer/direction/track/unit) as a track and a unit; ValueError."""
    parts = text.split("/")
    if len(parts) != 4 or not parts[0].isdigit() or not parts[3].isdigit():
        raise ValueError(f"a unit is layer/direction/track/unit, e.g. 0/forward/hidden/3: {text!r}")
    return TrackRef(int(parts[0]), parts[1], parts[2]), int(parts[3])


def is_bounded(track: str, kind: str, nonlinearity: str, projected: bool) -> bool:
    """Whether every value of the track lies in [-1, 1]."""
    if track in SIGMOID_GATES or track == "candidate":
        return True
    if track == "cell":
        return False
    return not projected and nonlinearity == "tanh"


def storage_dtype(bounded: bool, decimals: int) -> str:
    return "int16" if bounded and 10**decimals <= 32767 else "int32"


def limit_of(dtype: str) -> int:
    return int(np.iinfo(np.dtype(dtype)).max)


def to_stored(values: Any, decimals: int, dtype: str) -> npt.NDArray[Any]:
    """Float values (a float32 tensor or array) as stored integers; OverflowError when a value
    does not fit the track's dtype."""
    scaled = np.rint(np.asarray(values, dtype=np.float64) * 10.0**decimals)
    limit = limit_of(dtype)
    if scaled.size and float(np.abs(scaled).max()) > limit:
        raise OverflowError(f"a value beyond {limit / 10**decimals} cannot be indexed")
    return scaled.astype(dtype)


def to_float(stored: Any, decimals: int) -> Any:
    """Stored integers back to the rounded floats the trace endpoint prints."""
    return np.asarray(stored, dtype=np.float64) / 10.0**decimals

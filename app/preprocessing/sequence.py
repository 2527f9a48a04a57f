"""Padding of index sequences to a common length, as Keras's ``pad_sequences`` does."""

from collections.abc import Iterable
from typing import Any

import numpy as np
import numpy.typing as npt

_SIDES = ("pre", "post")


def pad_sequences(
    sequences: Iterable[npt.ArrayLike],
    maxlen: int | None = None,
    dtype: npt.DTypeLike = "int32",
    padding: str = "pre",
    truncating: str = "pre",
    value: float | str = 0,
) -> npt.NDArray[Any]:
    """Pad or truncate every sequence to ``maxlen`` and stack them into one array.

    ``maxlen=None`` uses the longest sequence. ``padding`` and ``truncating`` say at which
    end ("pre", Keras's default, or "post") values are added or removed, so by default the
    last ``maxlen`` steps are kept and sit right-aligned. Empty sequences become rows of
    ``value``. Elements may themselves be vectors; the result then has shape
    ``(len(sequences), maxlen, *element_shape)``.
    """
    _check_side("padding", padding)
    _check_side("truncating", truncating)
    if maxlen is not None and maxlen < 0:
        raise ValueError(f"maxlen must be None or a non-negative integer; got {maxlen}.")
    _check_value_fits_dtype(value, dtype)

    rows = [_as_sequence(position, sequence) for position, sequence in enumerate(sequences)]
    length = max((len(row) for row in rows), default=0) if maxlen is None else maxlen
    element_shape = next((row.shape[1:] for row in rows if len(row)), ())
    padded = np.full((len(rows), length, *element_shape), value, dtype=dtype)
    for position, row in enumerate(rows):
        kept = _truncate(row, length, truncating)
        if not len(kept):
            continue
        if kept.shape[1:] != element_shape:
            raise ValueError(
                f"Sequence {position} has elements of shape {kept.shape[1:]}, "
                f"but earlier sequences have elements of shape {element_shape}."
            )
        if padding == "pre":
            padded[position, length - len(kept) :] = kept
        else:
            padded[position, : len(kept)] = kept
    return padded


def _check_side(name: str, side: str) -> None:
    if side not in _SIDES:
        raise ValueError(f'{name} must be "pre" or "post"; got {side!r}.')


def _check_value_fits_dtype(value: float | str, dtype: npt.DTypeLike) -> None:
    # np.full would otherwise fail with an obscure conversion error.
    kind = np.dtype(dtype).kind
    if isinstance(value, str) and kind not in ("O", "U", "S"):
        raise ValueError(
            f"The padding value {value!r} is a string but dtype is {np.dtype(dtype)}; "
            "use dtype=object or a string dtype."
        )


def _as_sequence(position: int, sequence: npt.ArrayLike) -> npt.NDArray[Any]:
    # No dtype here: elements are cast when written into the result, as Keras casts them.
    array = np.asarray(sequence)
    if array.ndim == 0:
        raise ValueError(f"Sequence {position} is not a sequence: {sequence!r}.")
    return array


def _truncate(row: npt.NDArray[Any], maxlen: int, truncating: str) -> npt.NDArray[Any]:
    # Explicit bounds, because row[-0:] would keep everything when maxlen is 0.
    if truncating == "pre":
        return row[max(len(row) - maxlen, 0) :]
    return row[:maxlen]

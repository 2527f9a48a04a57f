"""Sliding windows over a time series, as Keras's ``TimeseriesGenerator`` yields them."""

from typing import Any

import numpy as np
import numpy.typing as npt


def timeseries_windows(
    data: npt.ArrayLike,
    targets: npt.ArrayLike,
    length: int,
    sampling_rate: int = 1,
    stride: int = 1,
    start_index: int = 0,
    end_index: int | None = None,
) -> tuple[npt.NDArray[Any], npt.NDArray[Any]]:
    """Return every window ``TimeseriesGenerator`` would yield, unbatched, as ``(X, y)``.

    For each target row ``j`` from ``start_index + length`` to ``end_index`` (inclusive,
    default the last row), stepping by ``stride``, the sample is
    ``data[j - length : j : sampling_rate]`` and its target is ``targets[j]``: a window of
    the ``length`` past steps predicts the step right after it. ``X`` has shape
    ``(n, ceil(length / sampling_rate), *data.shape[1:])``.
    """
    data_array = np.asarray(data)
    target_array = np.asarray(targets)
    _check_series(data_array, target_array)
    _check_positive(length=length, sampling_rate=sampling_rate, stride=stride)
    if start_index < 0:
        raise ValueError(f"start_index must be non-negative; got {start_index}.")
    last = _last_row(len(data_array), end_index)
    first = start_index + length
    if first > last:
        raise ValueError(_too_short_message(len(data_array), length, start_index, end_index))

    rows = np.arange(first, last + 1, stride)
    # Every window's row indices at once: row - length, row - length + sampling_rate, ... < row.
    offsets = np.arange(-length, 0, sampling_rate)
    return data_array[rows[:, None] + offsets], target_array[rows]


def _check_series(data: npt.NDArray[Any], targets: npt.NDArray[Any]) -> None:
    if data.ndim == 0 or targets.ndim == 0:
        raise ValueError("data and targets must be sequences of time steps, not scalars.")
    if len(data) != len(targets):
        raise ValueError(
            f"data and targets must have the same length; got {len(data)} and {len(targets)}."
        )


def _check_positive(**values: int) -> None:
    for name, value in values.items():
        if value < 1:
            raise ValueError(f"{name} must be a positive integer; got {value}.")


def _last_row(n_rows: int, end_index: int | None) -> int:
    if end_index is None:
        return n_rows - 1
    if not 0 <= end_index < n_rows:
        raise ValueError(
            f"end_index must be a row of the series (0 to {n_rows - 1}); got {end_index}."
        )
    return end_index


def _too_short_message(n_rows: int, length: int, start_index: int, end_index: int | None) -> str:
    needed = start_index + length + 1
    if end_index is None:
        return (
            f"The series has {n_rows} rows, too few for windows of length {length}: each "
            f"sample needs {length} input rows plus the target row after them, so at least "
            f"{needed} rows are needed (start_index={start_index})."
        )
    return (
        f"No window fits between start_index={start_index} and end_index={end_index}: the "
        f"first target row would be start_index + length = {start_index + length}, "
        f"after end_index."
    )

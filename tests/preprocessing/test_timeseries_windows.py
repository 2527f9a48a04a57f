"""timeseries_windows: the samples Keras's TimeseriesGenerator yields, unbatched."""

from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.preprocessing import timeseries_windows


def keras_generator_batches(
    data: npt.NDArray[Any],
    targets: npt.NDArray[Any],
    length: int,
    sampling_rate: int,
    stride: int,
    start_index: int,
    end_index: int | None,
    batch_size: int,
) -> list[tuple[npt.NDArray[Any], npt.NDArray[Any]]]:
    """TimeseriesGenerator's documented algorithm (shuffle=False, reverse=False), batch by batch."""
    first = start_index + length
    last = len(data) - 1 if end_index is None else end_index
    n_batches = (last - first + batch_size * stride) // (batch_size * stride)
    batches = []
    for batch in range(n_batches):
        i = first + batch_size * stride * batch
        rows = np.arange(i, min(i + batch_size * stride, last + 1), stride)
        samples = np.array([data[row - length : row : sampling_rate] for row in rows])
        batches.append((samples, np.array([targets[row] for row in rows])))
    return batches


def test_keras_documentation_example() -> None:
    # The TimeseriesGenerator docstring: 50 rows, length=10, sampling_rate=2.
    data = np.array([[i] for i in range(50)])
    x, y = timeseries_windows(data, data, length=10, sampling_rate=2)
    assert x.shape == (40, 5, 1)
    np.testing.assert_array_equal(x[0].ravel(), [0, 2, 4, 6, 8])
    np.testing.assert_array_equal(x[1].ravel(), [1, 3, 5, 7, 9])
    np.testing.assert_array_equal(y[:2], [[10], [11]])


def test_each_window_predicts_the_row_after_it() -> None:
    x, y = timeseries_windows(np.arange(5), np.arange(5) * 10, length=2)
    np.testing.assert_array_equal(x, [[0, 1], [1, 2], [2, 3]])
    np.testing.assert_array_equal(y, [20, 30, 40])


def test_notes_setting_seq_length_2_with_4_features() -> None:
    data = np.arange(40, dtype=np.float32).reshape(10, 4)
    x, y = timeseries_windows(data, data[:, 3], length=2)
    assert x.shape == (8, 2, 4)
    assert x.dtype == np.float32
    np.testing.assert_array_equal(x[0], data[0:2])
    assert y[0] == data[2, 3]


def test_stride_skips_target_rows() -> None:
    x, y = timeseries_windows(np.arange(7), np.arange(7), length=2, stride=2)
    np.testing.assert_array_equal(x, [[0, 1], [2, 3], [4, 5]])
    np.testing.assert_array_equal(y, [2, 4, 6])


def test_sampling_rate_that_does_not_divide_length_rounds_up() -> None:
    x, y = timeseries_windows(np.arange(8), np.arange(8), length=5, sampling_rate=2)
    np.testing.assert_array_equal(x, [[0, 2, 4], [1, 3, 5], [2, 4, 6]])
    np.testing.assert_array_equal(y, [5, 6, 7])


def test_start_and_end_index_bound_the_target_rows_inclusively() -> None:
    x, y = timeseries_windows(np.arange(10), np.arange(10), length=2, start_index=1, end_index=4)
    np.testing.assert_array_equal(x, [[1, 2], [2, 3]])
    np.testing.assert_array_equal(y, [3, 4])


@pytest.mark.parametrize("n_rows", [0, 1, 3, 4], ids=lambda n: f"{n}-rows")
def test_series_not_longer_than_the_window_is_refused(n_rows: int) -> None:
    with pytest.raises(
        ValueError, match=f"The series has {n_rows} rows, too few for windows of length 4"
    ):
        timeseries_windows(np.arange(n_rows), np.arange(n_rows), length=4)


def test_message_names_the_rows_needed() -> None:
    with pytest.raises(ValueError, match="at least 7 rows are needed"):
        timeseries_windows(np.arange(6), np.arange(6), length=4, start_index=2)


def test_window_past_end_index_is_refused() -> None:
    with pytest.raises(ValueError, match="No window fits between start_index=0 and end_index=2"):
        timeseries_windows(np.arange(10), np.arange(10), length=3, end_index=2)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        pytest.param({"length": 0}, "length must be a positive integer; got 0", id="length"),
        pytest.param({"sampling_rate": 0}, "sampling_rate must be a positive", id="sampling-rate"),
        pytest.param({"stride": -1}, "stride must be a positive integer; got -1", id="stride"),
        pytest.param({"start_index": -1}, "start_index must be non-negative", id="start-index"),
        pytest.param(
            {"end_index": 10}, r"end_index must be a row of the series \(0 to 9\)", id="end"
        ),
    ],
)
def test_bad_options_are_refused(options: dict[str, int], message: str) -> None:
    settings = {"length": 2, **options}
    with pytest.raises(ValueError, match=message):
        timeseries_windows(np.arange(10), np.arange(10), **settings)


def test_data_and_targets_of_different_lengths_are_refused() -> None:
    with pytest.raises(ValueError, match="same length; got 10 and 9"):
        timeseries_windows(np.arange(10), np.arange(9), length=2)


def test_scalar_data_is_refused() -> None:
    with pytest.raises(ValueError, match="not scalars"):
        timeseries_windows(5, 5, length=1)  # type: ignore[arg-type]


@st.composite
def generator_settings(draw: st.DrawFn) -> dict[str, Any]:
    length = draw(st.integers(1, 6))
    start_index = draw(st.integers(0, 3))
    n_rows = draw(st.integers(start_index + length + 1, 30))
    end_index = draw(st.none() | st.integers(start_index + length, n_rows - 1))
    return {
        "n_rows": n_rows,
        "length": length,
        "sampling_rate": draw(st.integers(1, 4)),
        "stride": draw(st.integers(1, 4)),
        "start_index": start_index,
        "end_index": end_index,
    }


@given(generator_settings(), st.integers(1, 5))
def test_windows_equal_the_generator_batches_concatenated(
    settings: dict[str, Any], batch_size: int
) -> None:
    n_rows = settings.pop("n_rows")
    data = np.arange(n_rows * 2).reshape(n_rows, 2)
    targets = np.arange(n_rows) * 10
    x, y = timeseries_windows(data, targets, **settings)
    batches = keras_generator_batches(data, targets, batch_size=batch_size, **settings)
    np.testing.assert_array_equal(x, np.concatenate([batch[0] for batch in batches]))
    np.testing.assert_array_equal(y, np.concatenate([batch[1] for batch in batches]))

"""MinMaxScaler: per-feature scaling fitted on training data, stored in config.json."""

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from app.preprocessing import MinMaxScaler

TRAIN = np.array([[1.0, 10.0, 7.0], [3.0, 30.0, 7.0], [2.0, 20.0, 7.0]])


def test_each_feature_is_scaled_to_its_own_range() -> None:
    scaled = MinMaxScaler().fit_transform(TRAIN)
    np.testing.assert_allclose(scaled, [[0.0, 0.0, 0.0], [1.0, 1.0, 0.0], [0.5, 0.5, 0.0]])


def test_constant_feature_maps_to_zero_without_dividing_by_zero() -> None:
    # filterwarnings=error turns a numpy divide-by-zero RuntimeWarning into a failure.
    scaler = MinMaxScaler().fit(TRAIN)
    np.testing.assert_array_equal(scaler.transform([[2.0, 20.0, 7.0]])[:, 2], [0.0])
    np.testing.assert_array_equal(scaler.inverse_transform([[0.5, 0.5, 0.0]]), [[2.0, 20.0, 7.0]])


def test_test_data_uses_the_training_range_without_clipping() -> None:
    scaler = MinMaxScaler().fit(TRAIN)
    np.testing.assert_allclose(scaler.transform([[5.0, 0.0, 8.0]]), [[2.0, -0.5, 1.0]])


def test_inverse_transform_restores_the_original_values() -> None:
    scaler = MinMaxScaler().fit(TRAIN)
    np.testing.assert_allclose(scaler.inverse_transform(scaler.transform(TRAIN)), TRAIN)


def test_inverse_transform_column_maps_predictions_of_one_feature_back() -> None:
    scaler = MinMaxScaler().fit(TRAIN)
    predictions = np.array([[0.0], [0.25], [1.0]])
    np.testing.assert_allclose(
        scaler.inverse_transform_column(predictions, 1), [[10.0], [15.0], [30.0]]
    )
    # A constant feature has scale 1, so scaled values map back as offsets from the constant.
    np.testing.assert_allclose(scaler.inverse_transform_column([0.0, 0.5], 2), [7.0, 7.5])


@pytest.mark.parametrize("column_index", [-1, 3])
def test_inverse_transform_column_refuses_a_missing_column(column_index: int) -> None:
    with pytest.raises(
        ValueError, match=f"column_index must be between 0 and 2; got {column_index}"
    ):
        MinMaxScaler().fit(TRAIN).inverse_transform_column([0.5], column_index)


def test_one_dimensional_data_is_a_single_feature() -> None:
    scaler = MinMaxScaler().fit([2.0, 4.0, 6.0])
    assert scaler.n_features == 1
    np.testing.assert_allclose(scaler.transform([4.0, 8.0]), [0.5, 1.5])
    np.testing.assert_allclose(scaler.transform([[4.0]]), [[0.5]])


def test_windows_with_features_on_the_last_axis_are_transformed() -> None:
    scaler = MinMaxScaler().fit(TRAIN)
    windows = np.stack([TRAIN[:2], TRAIN[1:]])
    np.testing.assert_allclose(scaler.transform(windows)[1], scaler.transform(TRAIN[1:]))


@pytest.mark.parametrize(
    "data",
    [pytest.param([[1.0, 2.0]], id="too-few-features"), pytest.param([1.0, 2.0, 3.0], id="1d")],
)
def test_data_with_another_feature_count_is_refused(data: list[object]) -> None:
    with pytest.raises(ValueError, match=r"Expected data with 3 features on the last axis"):
        MinMaxScaler().fit(TRAIN).transform(data)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param([[1.0, np.nan]], "NaN or infinite", id="nan"),
        pytest.param([[1.0], [np.inf]], "NaN or infinite", id="inf"),
        pytest.param(np.empty((0, 2)), "non-empty", id="empty"),
        pytest.param(np.zeros((2, 2, 2)), "got shape", id="3d"),
    ],
)
def test_fit_refuses_unusable_data(data: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        MinMaxScaler().fit(data)  # type: ignore[arg-type]


@pytest.mark.parametrize("method", ["transform", "inverse_transform", "to_dict"])
def test_an_unfitted_scaler_refuses_to_work(method: str) -> None:
    arguments = [] if method == "to_dict" else [[1.0]]
    with pytest.raises(RuntimeError, match="not fitted yet"):
        getattr(MinMaxScaler(), method)(*arguments)


def test_constants_survive_a_json_round_trip() -> None:
    scaler = MinMaxScaler().fit(TRAIN)
    constants = json.loads(json.dumps(scaler.to_dict()))
    assert constants == {"data_min": [1.0, 10.0, 7.0], "data_max": [3.0, 30.0, 7.0]}
    restored = MinMaxScaler.from_dict(constants)
    np.testing.assert_array_equal(restored.transform(TRAIN), scaler.transform(TRAIN))


@pytest.mark.parametrize(
    ("constants", "message"),
    [
        pytest.param({"data_min": [0.0]}, "lack the 'data_max' field", id="missing"),
        pytest.param({"data_min": [0.0], "data_max": [1.0, 2.0]}, "same length", id="lengths"),
        pytest.param({"data_min": [], "data_max": []}, "non-empty", id="empty"),
        pytest.param({"data_min": [2.0], "data_max": [1.0]}, "less than or equal", id="reversed"),
        pytest.param({"data_min": [None], "data_max": [1.0]}, "NaN or infinite", id="null"),
    ],
)
def test_from_dict_refuses_inconsistent_constants(
    constants: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        MinMaxScaler.from_dict(constants)


finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
feature_tables = hnp.arrays(
    np.float64, hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=8), elements=finite
)


@given(feature_tables)
def test_inverse_of_transform_is_the_identity(data: np.ndarray) -> None:
    scaler = MinMaxScaler().fit(data)
    scaled = scaler.transform(data)
    assert scaled.min() >= 0.0
    assert scaled.max() <= 1.0 + 1e-12
    np.testing.assert_allclose(scaler.inverse_transform(scaled), data, rtol=1e-9, atol=1e-6)

"""Per-feature min-max scaling whose constants can be stored in a model's config.json."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


class MinMaxScaler:
    """Scale each feature to [0, 1] with the minimum and maximum seen by ``fit``.

    Features lie on the last axis, so a fitted scaler also transforms windows shaped
    ``(samples, steps, features)``; 1-D data is a single feature. Fit on the training part
    only, so that no information from the test part leaks into training. A constant feature
    has no range; it is scaled by 1 (mapping it to 0) instead of dividing by zero. Results
    are float64.
    """

    def __init__(self) -> None:
        self.data_min: FloatArray | None = None
        self.data_max: FloatArray | None = None

    @property
    def n_features(self) -> int:
        return len(self._constants()[0])

    def fit(self, data: npt.ArrayLike) -> MinMaxScaler:
        """Learn each feature's minimum and maximum from ``data`` (samples, features)."""
        array = np.asarray(data, dtype=np.float64)
        if array.ndim == 1:
            array = array[:, None]
        if array.ndim != 2 or array.shape[0] == 0:
            raise ValueError(
                "fit needs a non-empty 1-D series or a 2-D (samples, features) array; "
                f"got shape {array.shape}."
            )
        if not np.isfinite(array).all():
            raise ValueError("fit data contains NaN or infinite values.")
        self.data_min = array.min(axis=0)
        self.data_max = array.max(axis=0)
        return self

    def transform(self, data: npt.ArrayLike) -> FloatArray:
        """Map ``data`` into the fitted [0, 1] ranges (values outside the fit data fall outside)."""
        data_min, scale = self._constants()
        return (self._features_last(data) - data_min) / scale

    def fit_transform(self, data: npt.ArrayLike) -> FloatArray:
        return self.fit(data).transform(data)

    def inverse_transform(self, data: npt.ArrayLike) -> FloatArray:
        """Map scaled values back to the original units."""
        data_min, scale = self._constants()
        return self._features_last(data) * scale + data_min

    def inverse_transform_column(self, values: npt.ArrayLike, column_index: int) -> FloatArray:
        """Map scaled values of one feature back, e.g. a model's predictions of the target."""
        data_min, scale = self._constants()
        if not 0 <= column_index < len(data_min):
            raise ValueError(
                f"column_index must be between 0 and {len(data_min) - 1}; got {column_index}."
            )
        return np.asarray(values, dtype=np.float64) * scale[column_index] + data_min[column_index]

    def to_dict(self) -> dict[str, list[float]]:
        """Return the fitted constants as plain lists, ready for JSON."""
        data_min, data_max = self._fitted_range()
        return {"data_min": data_min.tolist(), "data_max": data_max.tolist()}

    @classmethod
    def from_dict(cls, constants: dict[str, Any]) -> MinMaxScaler:
        """Rebuild a fitted scaler from ``to_dict`` output, checking it is consistent."""
        try:
            data_min = np.asarray(constants["data_min"], dtype=np.float64)
            data_max = np.asarray(constants["data_max"], dtype=np.float64)
        except KeyError as error:
            raise ValueError(f"Scaler constants lack the {error.args[0]!r} field.") from None
        if data_min.ndim != 1 or data_min.shape != data_max.shape or not len(data_min):
            raise ValueError(
                "data_min and data_max must be non-empty lists of the same length; "
                f"got shapes {data_min.shape} and {data_max.shape}."
            )
        if not (np.isfinite(data_min).all() and np.isfinite(data_max).all()):
            raise ValueError("Scaler constants contain NaN or infinite values.")
        if (data_min > data_max).any():
            raise ValueError("Every data_min must be less than or equal to its data_max.")
        scaler = cls()
        scaler.data_min, scaler.data_max = data_min, data_max
        return scaler

    def _fitted_range(self) -> tuple[FloatArray, FloatArray]:
        if self.data_min is None or self.data_max is None:
            raise RuntimeError("This MinMaxScaler is not fitted yet; call fit() first.")
        return self.data_min, self.data_max

    def _constants(self) -> tuple[FloatArray, FloatArray]:
        """Return (data_min, scale), where a constant feature's zero range becomes 1."""
        data_min, data_max = self._fitted_range()
        scale = data_max - data_min
        return data_min, np.where(scale == 0, 1.0, scale)

    def _features_last(self, data: npt.ArrayLike) -> FloatArray:
        array = np.asarray(data, dtype=np.float64)
        n_features = self.n_features
        if array.ndim == 1 and n_features == 1:
            return array
        if array.ndim < 2 or array.shape[-1] != n_features:
            raise ValueError(
                f"Expected data with {n_features} features on the last axis; "
                f"got shape {array.shape}."
            )
        return array

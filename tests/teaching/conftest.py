"""Fixtures of tiny in-memory models (see tiny_zoo)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from app.zoo import LoadedModel
from teaching.tiny_zoo import WEATHER_ROWS, numbers_model, text_model


@pytest.fixture
def make_text_model() -> Callable[..., LoadedModel]:
    return text_model


@pytest.fixture
def make_numbers_model() -> Callable[..., LoadedModel]:
    return numbers_model


@pytest.fixture
def weather_rows() -> list[list[float]]:
    return [list(row) for row in WEATHER_ROWS]

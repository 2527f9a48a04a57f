"""Errors the zoo raises for bad input; web code turns them into 4xx responses."""

from __future__ import annotations


class InputError(ValueError):
    """An input a model cannot read. `field` names where (e.g. "input[3][1]")."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class ModelFormatError(ValueError):
    """A model directory or file that is not a valid gatescope model."""

"""Errors the zoo raises for bad input; web code turns them into 4xx responses."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

Params = dict[str, Any]


class InputError(ValueError):
    """An input a model cannot read.

    `field` names where (`input[3][1]`; relative paths such as `[3][1]` when the caller adds the
    field), `code` is a stable snake_case key a page can translate (`not_finite`), `message` the
    English sentence without the field (`must be a finite number, got nan`), and `params` the
    values the message quotes (`{"got": "nan"}`), so a translation can say the same.
    """

    def __init__(
        self, field: str, code: str, message: str, params: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.code = code
        self.message = message
        self.params: Params = dict(params or {})

    @property
    def errors(self) -> list[InputError]:
        """Every problem this error reports (one; several for InputErrors)."""
        return [self]

    def under(self, field: str) -> InputError:
        """The same error with `field` put in front of its (relative) field."""
        return InputError(field + self.field, self.code, self.message, self.params)


class InputErrors(InputError):
    """Several problems of one input, reported together; it reads as its first problem."""

    def __init__(self, errors: Sequence[InputError]) -> None:
        if not errors:
            raise ValueError("InputErrors needs at least one error")
        first = errors[0]
        super().__init__(first.field, first.code, first.message, first.params)
        self._errors = list(errors)

    def __str__(self) -> str:
        return "; ".join(ValueError.__str__(error) for error in self._errors)

    @property
    def errors(self) -> list[InputError]:
        return list(self._errors)

    def under(self, field: str) -> InputError:
        return InputErrors([error.under(field) for error in self._errors])


class ModelFormatError(ValueError):
    """A model directory or file that is not a valid gatescope model."""

"""The one error an import raises: which upload field is at fault, why, and the HTTP status."""

from __future__ import annotations


class ModelImportError(ValueError):
    """A file or option that cannot become a gatescope model.

    ``field`` names the upload field at fault ("file", "tokenizer", "config", "id", "maxlen"...),
    ``message`` is a full sentence for a person, ``status_code`` the HTTP status the API answers
    with (422 by default; 413 for sizes, 409 for a taken id) and ``problems`` lists each
    unsupported part when there are several.
    """

    def __init__(
        self,
        field: str,
        message: str,
        status_code: int = 422,
        problems: list[str] | None = None,
    ) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.status_code = status_code
        self.problems = problems or []


def too_large(field: str, message: str) -> ModelImportError:
    """A size limit was hit (HTTP 413)."""
    return ModelImportError(field, message, status_code=413)

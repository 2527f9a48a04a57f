"""Lists of names typed into one text field (upload form, command line): feature and class names.

One rule for both: a JSON list of strings; else one name per line when there are several lines
(so a class name may hold a comma); else names separated by commas.
"""

from __future__ import annotations

import json

from app.importers.errors import ModelImportError


def split_names(raw: str | None, field: str) -> list[str] | None:
    """The names in ``raw`` (None when it is empty), refusing a malformed JSON list."""
    if raw is None or not raw.strip():
        return None
    text = raw.strip()
    if text.startswith("["):
        return _json_names(text, field)
    separator = "\n" if "\n" in text else ","
    return [name.strip() for name in text.split(separator)]


def _json_names(text: str, field: str) -> list[str]:
    try:
        names = json.loads(text)
    except json.JSONDecodeError as error:
        raise ModelImportError(field, f"is not a valid JSON list: {error}") from error
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        raise ModelImportError(field, "must be a JSON list of names (strings).")
    return names

"""Small helpers shared by the import tests (plain functions, no fixtures)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


class WritesMarker:
    """Unpickling this object would create a file: proof that code ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (Path.write_text, (self.marker, "code ran during unpickling"))


def save_both(model: Any, folder: Path, name: str) -> dict[str, Path]:
    """The Keras model saved as .keras and as legacy .h5."""
    paths = {suffix: folder / f"{name}{suffix}" for suffix in (".keras", ".h5")}
    for path in paths.values():
        model.save(path)
    return paths


def stored_entries(data_dir: Path) -> list[str]:
    """Everything under the uploads folder (hidden staging folders included)."""
    root = data_dir / "models"
    return sorted(path.name for path in root.iterdir()) if root.exists() else []

"""Size and shape limits for imports, and a byte budget counted while unpacking."""

from __future__ import annotations

from dataclasses import dataclass

from app.config import Settings
from app.importers.errors import too_large


@dataclass(frozen=True)
class ImportLimits:
    """What one import may weigh, unpack to and build.

    The defaults suit the command line (a teacher's own files); the API builds its limits from
    Settings with ``from_settings``. ``None`` means no limit on that model dimension.
    """

    max_file_bytes: int = 50_000_000
    max_unpacked_bytes: int = 200_000_000
    max_archive_members: int = 1024
    max_hidden_size: int | None = None
    max_layers: int | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> ImportLimits:
        """The server's limits: uploads up to max_upload_bytes, unpacking to four times that."""
        return cls(
            max_file_bytes=settings.max_upload_bytes,
            max_unpacked_bytes=4 * settings.max_upload_bytes,
            max_hidden_size=settings.max_hidden_size,
            max_layers=settings.max_layers,
        )


class ByteBudget:
    """Counts bytes as they are unpacked and stops (HTTP 413) past the cap."""

    def __init__(self, cap: int, what: str = "the upload") -> None:
        self.cap = cap
        self.what = what
        self.used = 0

    def take(self, count: int, field: str = "file") -> None:
        """Account for ``count`` more bytes; raise once the total passes the cap."""
        self.used += count
        if self.used > self.cap:
            raise too_large(
                field,
                f"{self.what} unpacks to more than {self.cap:,} bytes, the limit on this server "
                "(a zip bomb or a model far too large to trace).",
            )

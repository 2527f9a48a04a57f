"""Reading zip archives (.keras files, PyTorch state dicts) from memory without trusting them.

Sizes are checked twice: first as the central directory declares them, then by counting the
bytes actually inflated, so neither a lying directory nor a zip bomb gets past the cap.
"""

from __future__ import annotations

import io
import zipfile

from app.importers.errors import ModelImportError, too_large
from app.importers.limits import ByteBudget, ImportLimits

ZIP_MAGIC = b"PK\x03\x04"
_CHUNK = 1 << 20


def is_zip(data: bytes) -> bool:
    return data[:4] == ZIP_MAGIC


def open_zip(data: bytes, limits: ImportLimits, field: str = "file") -> zipfile.ZipFile:
    """Open ``data`` as a zip whose declared members fit the limits (count and total size)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as error:
        raise ModelImportError(
            field, f"is not a readable zip archive (truncated or damaged?): {error}"
        ) from error
    members = archive.infolist()
    if len(members) > limits.max_archive_members:
        raise ModelImportError(
            field,
            f"holds {len(members)} archive members; at most {limits.max_archive_members} are read.",
        )
    declared = sum(member.file_size for member in members)
    if declared > limits.max_unpacked_bytes:
        raise too_large(
            field,
            f"declares {declared:,} unpacked bytes, more than this server's limit of "
            f"{limits.max_unpacked_bytes:,} (a zip bomb or a model far too large to trace).",
        )
    return archive


def names(archive: zipfile.ZipFile) -> set[str]:
    return {member.filename for member in archive.infolist()}


def read_member(
    archive: zipfile.ZipFile, name: str, budget: ByteBudget, field: str = "file"
) -> bytes:
    """One member's bytes, counted against ``budget`` and its own declared size as they inflate."""
    try:
        info = archive.getinfo(name)
    except KeyError as error:
        raise ModelImportError(field, f"has no {name!r} inside the archive.") from error
    if info.flag_bits & 0x1:
        raise ModelImportError(field, f"has an encrypted {name!r}; gatescope reads plain archives.")
    chunks: list[bytes] = []
    read = 0
    try:
        with archive.open(info) as stream:
            while chunk := stream.read(_CHUNK):
                read += len(chunk)
                budget.take(len(chunk), field)
                if read > info.file_size:
                    raise too_large(field, f"{name!r} inflates past the size its archive declares.")
                chunks.append(chunk)
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, NotImplementedError) as error:
        raise ModelImportError(
            field, f"has a damaged {name!r} inside the archive (truncated?): {error}"
        ) from error
    return b"".join(chunks)

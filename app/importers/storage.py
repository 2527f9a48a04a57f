"""Where uploaded models live (``<data_dir>/models/<id>``), and how ids are checked and chosen.

A model is written by the zoo's ``save_model`` into a hidden staging folder, then moved into
place with one ``rename`` that fails if the id is already there: two uploads racing for one id
(in two workers) cannot overwrite each other, and a reader sees a whole model or none.
Deleting renames the folder out of sight before removing it, for the same reason.

Staging and retired folders are named ``.incoming-<host>~<pid>~<random>``: a process that
starts on the same host removes those of processes that no longer run (a kill -9 mid-write),
and anything older than an hour is removed whoever left it (servers on other machines).

A full disk is a 507 and a read-only or unwritable data directory a 503, each saying so.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import socket
import tempfile
import time
import unicodedata
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from pathlib import Path

from app.importers.errors import ModelImportError
from app.zoo import GateNet, ModelConfig, save_model
from app.zoo.spec import MODEL_ID_PATTERN
from app.zoo.store import CONFIG_FILE

UPLOADS_FOLDER = "models"
STAGING_PREFIX = ".incoming-"
RETIRED_PREFIX = ".deleted-"
STALE_AFTER_SECONDS = 3600
MAX_ID_LENGTH = 64
FULL_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
READ_ONLY_ERRNOS = (errno.EROFS, errno.EACCES, errno.EPERM)


def uploads_dir(data_dir: Path) -> Path:
    """The folder uploaded models live in: ``<data_dir>/models``."""
    return Path(data_dir) / UPLOADS_FOLDER


def check_model_id(model_id: str) -> str:
    """``model_id`` when it is a plain id (lower-case ASCII letters, digits, inner dashes)."""
    if not isinstance(model_id, str) or not re.fullmatch(MODEL_ID_PATTERN, model_id):
        raise ModelImportError(
            "id",
            f"must be 1 to {MAX_ID_LENGTH} lower-case letters a-z, digits and dashes, starting "
            f"and ending with a letter or digit; got {ascii(model_id)}.",
        )
    return model_id


def id_from_filename(filename: str) -> str:
    """A readable id from an upload's file name: "My GRU (v2).keras" -> "my-gru-v2"."""
    stem = Path(filename.replace("\\", "/")).name.split(".", 1)[0]
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_stem.lower()).strip("-")
    return slug[: MAX_ID_LENGTH - 4].strip("-") or "model"


def free_id(base: str, data_dir: Path, reserved: Collection[str]) -> str:
    """``base``, or ``base-2``, ``base-3``... whichever is neither reserved, uploaded, nor being
    written by another upload right now."""
    root = uploads_dir(data_dir)
    staged = _staged_ids(root)
    for number in range(1, 10_000):
        candidate = base if number == 1 else f"{base}-{number}"
        if (
            candidate not in reserved
            and candidate not in staged
            and not (root / candidate).exists()
        ):
            return candidate
    raise ModelImportError("id", f"has no free variant of {base!r}; choose an id.", 409)


def check_free(model_id: str, data_dir: Path, reserved: Collection[str]) -> None:
    """409 when ``model_id`` names a shipped model or an upload already stored."""
    if model_id in reserved:
        raise ModelImportError(
            "id",
            f"{model_id!r} is the id of a model shipped with gatescope; choose another id.",
            409,
        )
    if (uploads_dir(data_dir) / model_id).exists():
        raise ModelImportError(
            "id", f"{model_id!r} is already taken by an uploaded model; choose another id.", 409
        )


def _staged_ids(root: Path) -> set[str]:
    """Ids other uploads are writing now (``.incoming-*/<id>``)."""
    try:
        return {path.name for path in root.glob(f"{STAGING_PREFIX}*/*")}
    except OSError:
        return set()


@contextmanager
def storage_errors(action: str) -> Iterator[None]:
    """OSErrors of the data directory as a 507 (disk full) or 503 (read-only) that say so."""
    try:
        yield
    except OSError as error:
        if error.errno in FULL_ERRNOS:
            raise ModelImportError(
                "file",
                f"cannot be {action}: the server's disk is full (no space left in its data "
                "directory); ask the operator to free space, then try again.",
                507,
            ) from error
        if error.errno in READ_ONLY_ERRNOS:
            raise ModelImportError(
                "file",
                f"cannot be {action}: the server's data directory is read-only or not "
                "writable; ask the operator to make it writable.",
                503,
            ) from error
        raise


def store_model(network: GateNet, config: ModelConfig, card: str, data_dir: Path) -> Path:
    """Write the model to ``<data_dir>/models/<id>`` atomically, never replacing another."""
    with storage_errors("stored"):
        return _store(network, config, card, data_dir)


def _owner_prefix(prefix: str) -> str:
    return f"{prefix}{socket.gethostname()}~{os.getpid()}~"


def _store(network: GateNet, config: ModelConfig, card: str, data_dir: Path) -> Path:
    root = uploads_dir(data_dir)
    root.mkdir(parents=True, exist_ok=True)
    sweep_stale(root)
    staging = Path(tempfile.mkdtemp(prefix=_owner_prefix(STAGING_PREFIX), dir=root))
    try:
        written = save_model(network, config, card, staging / config.id)
        target = root / config.id
        try:
            os.rename(written, target)
        except OSError as error:
            if error.errno in (errno.EEXIST, errno.ENOTEMPTY):
                raise ModelImportError(
                    "id", f"{config.id!r} was just taken by another upload; choose another id.", 409
                ) from error
            raise
        return target
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def delete_model(model_id: str, data_dir: Path) -> bool:
    """Remove an uploaded model; False when there is none by that id."""
    root = uploads_dir(data_dir)
    target = root / check_model_id(model_id)
    if not (target / CONFIG_FILE).is_file():
        return False
    with storage_errors("deleted"):
        return _retire(root, target, model_id)


def _retire(root: Path, target: Path, model_id: str) -> bool:
    retired = Path(tempfile.mkdtemp(prefix=_owner_prefix(RETIRED_PREFIX), dir=root))
    try:
        os.rename(target, retired / model_id)
    except FileNotFoundError:
        shutil.rmtree(retired, ignore_errors=True)
        return False  # another worker deleted it first
    shutil.rmtree(retired, ignore_errors=True)
    return True


def sweep_stale(root: Path, older_than: float = STALE_AFTER_SECONDS) -> None:
    """Remove staging and retired folders left behind by a process killed mid-write: those of
    processes on this host that no longer run, and any older than `older_than` seconds."""
    now = time.time()
    try:
        paths = list(root.iterdir())
    except FileNotFoundError:
        return
    for path in paths:
        if not path.name.startswith((STAGING_PREFIX, RETIRED_PREFIX)):
            continue
        try:
            if _owner_gone(path.name) or now - path.stat().st_mtime > older_than:
                shutil.rmtree(path, ignore_errors=True)
        except FileNotFoundError:
            continue


def _owner_gone(name: str) -> bool:
    """True when the folder was made by a process on this host that no longer runs."""
    parts = name.split("-", 1)[1].split("~") if "-" in name else []
    if len(parts) != 3 or parts[0] != socket.gethostname() or not parts[1].isdigit():
        return False
    try:
        os.kill(int(parts[1]), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False

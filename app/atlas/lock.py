"""One builder per index across threads, worker processes and servers sharing a data dir.

The lock is a file created with O_CREAT | O_EXCL naming its holder (host, pid). A builder
touches it as it goes; a lock whose holder is gone (same host, dead pid) or that nobody touched
for STALE_SECONDS is stale and may be taken over.
"""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path
from types import TracebackType

STALE_SECONDS = 600.0


class BuildBusy(RuntimeError):
    """Another live builder holds the lock."""


class BuildLock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.held = False

    def __enter__(self) -> BuildLock:
        self.acquire()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()

    def acquire(self) -> None:
        """Take the lock, or take over a stale one; BuildBusy when a live builder has it."""
        for _ in range(2):
            try:
                handle = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                if not is_stale(self.path):
                    raise BuildBusy(f"{self.path.name} is being built by another process") from None
                self.path.unlink(missing_ok=True)
                continue
            with os.fdopen(handle, "w") as file:
                json.dump(_holder(), file)
            self.held = True
            return
        raise BuildBusy(f"{self.path.name} is being built by another process")

    def touch(self) -> None:
        """Say the builder is still alive."""
        if self.held:
            os.utime(self.path)

    def release(self) -> None:
        if self.held:
            self.path.unlink(missing_ok=True)
            self.held = False


def _holder() -> dict[str, object]:
    return {"host": socket.gethostname(), "pid": os.getpid(), "started": time.time()}


def is_held(path: Path) -> bool:
    """A lock exists and its holder looks alive."""
    return path.exists() and not is_stale(path)


def is_stale(path: Path) -> bool:
    try:
        age = time.time() - path.stat().st_mtime
        holder = json.loads(path.read_text(encoding="utf-8") or "{}")
    except FileNotFoundError:
        return False
    except (OSError, ValueError):
        return True  # unreadable: half-written by a holder that died at once
    if age > STALE_SECONDS:
        return True
    if holder.get("host") == socket.gethostname():
        return not _alive(int(holder.get("pid", -1)))
    return False


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True

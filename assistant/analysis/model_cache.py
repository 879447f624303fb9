"""Files that spare expensive set-up (seed centroids, the trained Chinese NB): keyed by a digest of what they
were built from, written atomically, and never fatal when the cache folder cannot be written."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path


def digest(parts: list[bytes]) -> str:
    """A short hex key for what a cached file was built from (each part length-prefixed: parts never run together)."""
    h = hashlib.sha256()
    for part in parts:
        h.update(len(part).to_bytes(8, "little") + part)
    return h.hexdigest()[:16]


def atomic_write(path: Path, write) -> None:
    """Write `path` through `write(binary file)` into a temporary file, then rename it: a parallel reader sees
    the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def try_cache(write) -> None:
    """Call `write()`; a cache that cannot be written is skipped."""
    try:
        write()
    except OSError:
        pass  # a read-only or full cache folder costs start-up time, never a result

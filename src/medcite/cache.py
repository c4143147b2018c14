"""Derived data cached on disk, so that a cold start opens it instead of rebuilding it.

A cache file holds a key and a value. The key says what the value was built from (package
versions, the builder's source, the store's content stamp); a file whose key differs is stale and
is rebuilt. Writes are atomic (temporary file, then rename) and best effort: a read-only or full
disk costs speed, never an answer. Values are pickled: the files are written by medcite into the
user's own directories, so they are trusted like medcite's code.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

FORMAT = 1  # bump when the file layout (not a value's shape) changes


def source_digest(*paths: Path | str) -> str:
    """A short digest of source files, for keys that must change when the builder's code does."""
    h = hashlib.sha256()
    for path in paths:
        h.update(Path(path).read_bytes())
    return h.hexdigest()[:16]


def cache_path(directory: Path, stem: str, *origin: object) -> Path:
    """The file for ``stem`` built from files at ``origin`` (their paths): two installations
    sharing one cache directory (a project's virtualenv and a wheel install) keep a file each
    instead of rebuilding each other's at every start."""
    where = hashlib.sha256("\0".join(str(o) for o in origin).encode()).hexdigest()[:10]
    return directory / f"{stem}-{where}.pickle"


def load(path: Path, key: str) -> object | None:
    """The cached value at ``path`` when its key is ``key``; None when missing, stale or unreadable."""
    try:
        with path.open("rb") as fh:
            stored_format, stored_key, value = pickle.load(fh)
    except (OSError, EOFError, ValueError, TypeError, pickle.UnpicklingError, AttributeError):
        return None
    if stored_format != FORMAT or stored_key != key:
        return None
    found: object = value
    return found


def save(path: Path, key: str, value: object) -> bool:
    """Write ``value`` under ``key`` atomically; False (and nothing written) when it cannot."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                pickle.dump((FORMAT, key, value), fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError:
        return False
    return True


def cached(path: Path | None, key: str, build: Callable[[], T]) -> T:
    """The value cached at ``path`` for ``key``, built (and cached) when missing or stale.
    With ``path`` None, nothing is cached: the value is built."""
    if path is not None:
        value = load(path, key)
        if value is not None:
            return value  # type: ignore[return-value]
    value_built = build()
    if path is not None:
        save(path, key, value_built)
    return value_built

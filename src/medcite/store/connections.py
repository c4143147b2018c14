"""One SQLite connection per thread, for a store that server threads share.

Threads never share a cursor or a transaction, and WAL readers run in parallel (they block
neither each other nor a writer). A thread's connection is made on first use and dropped when the
thread ends (server worker threads come and go); :meth:`ThreadConnections.close` closes them all.
"""

from __future__ import annotations

import sqlite3
import threading
import weakref
from pathlib import Path


class _Connection(sqlite3.Connection):
    """A connection that can be weakly referenced (sqlite3.Connection cannot)."""


class ThreadConnections:
    def __init__(self, path: Path, *, readonly: bool) -> None:
        self.path = path
        self.readonly = readonly
        self._local = threading.local()
        self._open: weakref.WeakSet[_Connection] = weakref.WeakSet()
        self._lock = threading.Lock()
        self._closed = False

    def get(self) -> sqlite3.Connection:
        """This thread's connection."""
        conn: _Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            if self._closed:
                raise sqlite3.ProgrammingError("the store is closed")
            conn = self._local.conn = self._connect()
            with self._lock:
                self._open.add(conn)
        return conn

    def _connect(self) -> _Connection:
        if self.readonly:
            target, uri = self.path.resolve().as_uri() + "?mode=ro", True
        else:
            target, uri = str(self.path), False
        # check_same_thread off: close() closes every thread's connection from one thread.
        conn = sqlite3.connect(
            target, uri=uri, isolation_level=None, check_same_thread=False, factory=_Connection
        )
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA busy_timeout = 10000")
        conn.execute("PRAGMA foreign_keys = ON")
        if not self.readonly:
            # NORMAL is durable against a killed process in WAL mode (only power loss can drop
            # the last commits), and much faster than FULL.
            conn.execute("PRAGMA synchronous = NORMAL")
        return conn

    def close(self, *, final: bool = True) -> None:
        """Close every thread's connection; unless ``final``, threads open fresh ones on use."""
        self._closed = self._closed or final
        with self._lock:
            connections = list(self._open)
            self._open.clear()
        for conn in connections:
            conn.close()
        self._local = threading.local()

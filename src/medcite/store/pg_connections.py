"""Connections of the PostgreSQL store: one per thread, as SQLite's (medcite.store.connections).

A server's threads answer at once: each gets its own connection on first use (its own
transactions, never a cursor shared with another thread), closed when the thread ends or the
store closes. A read-only store's connections refuse writes (``default_transaction_read_only``),
so the search path provably writes nothing, and can be pointed at a streaming replica.
Needs the ``postgres`` extra (psycopg).
"""

from __future__ import annotations

import contextlib
import hashlib
import tempfile
import threading
import weakref
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import urlsplit, urlunsplit

from medcite.errors import StoreError
from medcite.store.migrate import available_migrations

if TYPE_CHECKING:
    import psycopg

Row = dict[str, Any]


def redact(url: str) -> str:
    """``url`` without its password (for messages, logs and `medcite stats`)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def open_connection(url: str, *, readonly: bool = False) -> psycopg.Connection[Row]:
    """A connection to ``url``, autocommit (transactions are explicit), rows as dicts."""
    import psycopg
    from psycopg.rows import dict_row

    extra: dict[str, Any] = {"options": "-c default_transaction_read_only=on"} if readonly else {}
    try:
        return psycopg.connect(url, autocommit=True, row_factory=dict_row, **extra)
    except psycopg.Error as exc:
        raise StoreError(
            f"cannot connect to PostgreSQL at {redact(url)}: {exc}".strip(),
            hint="Is the server running (`medcite db status`)? Check MEDCITE_DATABASE_URL.",
        ) from exc


def pending_migrations(conn: psycopg.Connection[Row]) -> bool:
    """Whether the database lacks a migration this version ships (or has none yet)."""
    row = conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL AS made").fetchone()
    if row is None or not row["made"]:
        return True
    done = {r["version"] for r in conn.execute("SELECT version FROM schema_migrations")}
    return any(m.version not in done for m in available_migrations("pg_migrations"))


class _Held:
    """A thread's connection: closed when the thread ends (its thread-local goes away)."""

    def __init__(self, conn: psycopg.Connection[Row]) -> None:
        self.conn = conn

    def __del__(self) -> None:
        # At interpreter shutdown there may be nothing left to close it with.
        with contextlib.suppress(Exception):
            self.conn.close()


class PostgresBase:
    """Connection handling shared by the PostgreSQL store's parts (documents, reads, search).

    ``home`` is where files derived from the database are cached (the corpus vocabulary): the
    store's ``path`` is a name there, distinct per database, as SQLite's is its file."""

    def __init__(self, url: str, *, readonly: bool = False, home: Path | None = None) -> None:
        from medcite.store.review_pg import migrate

        self.url = url
        self.readonly = readonly
        digest = hashlib.sha256(redact(url).encode()).hexdigest()[:12]
        base = home if home is not None else Path(tempfile.gettempdir()) / "medcite"
        self.path = base / f"postgresql-{digest}.db"
        self._local = threading.local()
        self._held: weakref.WeakSet[_Held] = weakref.WeakSet()
        self._lock = threading.Lock()
        self._closed = False
        self._review_conn: psycopg.Connection[Row] | None = None
        # Migrate once, on a writable connection (a read-only open of an older or empty
        # database upgrades it first, as SQLiteStore.for_reading does).
        first = open_connection(url, readonly=readonly)
        try:
            if pending_migrations(first):
                if readonly:
                    with open_connection(url) as writer:
                        migrate(writer)
                else:
                    migrate(first)
        except BaseException:
            first.close()
            raise
        self._adopt(first)

    def _adopt(self, conn: psycopg.Connection[Row]) -> psycopg.Connection[Row]:
        held = _Held(conn)
        self._local.held = held
        with self._lock:
            self._held.add(held)
        return conn

    @property
    def conn(self) -> psycopg.Connection[Row]:
        """This thread's connection."""
        held: _Held | None = getattr(self._local, "held", None)
        if held is not None and not held.conn.closed:
            return held.conn
        if self._closed:
            raise StoreError("the store is closed")
        return self._adopt(open_connection(self.url, readonly=self.readonly))

    def _shared_connection(self) -> psycopg.Connection[Row]:
        """One connection kept for the store's life, whatever thread uses it (the review
        repository, whose callers serialise their use)."""
        with self._lock:
            if self._review_conn is None or self._review_conn.closed:
                self._review_conn = open_connection(self.url, readonly=self.readonly)
            return self._review_conn

    # -- lifecycle -------------------------------------------------------------------------
    def close(self) -> None:
        """Close every thread's connection."""
        with self._lock:
            self._closed = True
            held = list(self._held)
            self._held.clear()
            review, self._review_conn = self._review_conn, None
        for h in held:
            h.conn.close()
        if review is not None:
            review.close()
        self._local = threading.local()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- helpers ---------------------------------------------------------------------------
    def _one(self, sql: str, args: Sequence[Any] | dict[str, Any] = ()) -> Row | None:
        return self.conn.execute(sql, args if isinstance(args, dict) else tuple(args)).fetchone()

    def _all(self, sql: str, args: Sequence[Any] | dict[str, Any] = ()) -> list[Row]:
        return self.conn.execute(sql, args if isinstance(args, dict) else tuple(args)).fetchall()

    def _count(self, sql: str, args: Sequence[Any] = ()) -> int:
        row = self._one(sql, args)
        assert row is not None
        return int(next(iter(row.values())))

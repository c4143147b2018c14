"""Connections of the PostgreSQL store: a pool (psycopg_pool), each connection lent to one
thread at a time.

A server's threads answer at once. Each request borrows a connection for its length
(:meth:`PostgresBase.connection`) and gives it back, so a few connections serve any number of
threads: the pool holds at most ``database_pool_size`` (``MEDCITE_DATABASE_POOL_SIZE``), and a
thread that finds them all lent waits up to ``database_pool_timeout`` seconds, then gets a
StoreError. Outside such a scope (the CLI, ingest) a thread keeps the connection it borrowed
until it ends or the store closes, as when each thread had its own. A connection is never used
by two threads at once (its own transactions and cursors). The pool is made on first use in
each process, so server workers forked after loading (``medcite serve --workers N``) each make
their own. A read-only store's connections refuse writes (``default_transaction_read_only``),
so the search path provably writes nothing, and can be pointed at a streaming replica.
Needs the ``postgres`` extra (psycopg, psycopg_pool).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import threading
import weakref
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import urlsplit, urlunsplit

from medcite.errors import StoreError
from medcite.store.migrate import available_migrations

if TYPE_CHECKING:
    import psycopg
    from psycopg_pool import ConnectionPool

Row = dict[str, Any]
POOL_SIZE = 10  # Settings.database_pool_size's default
POOL_TIMEOUT = 30.0  # Settings.database_pool_timeout's default


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


def _session_options(readonly: bool) -> dict[str, Any]:
    return {"options": "-c default_transaction_read_only=on"} if readonly else {}


def open_connection(url: str, *, readonly: bool = False) -> psycopg.Connection[Row]:
    """A connection to ``url``, autocommit (transactions are explicit), rows as dicts."""
    import psycopg
    from psycopg.rows import dict_row

    extra = _session_options(readonly)
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
    """A connection a thread holds: given back to its pool when the thread lets it go or ends
    (its thread-local goes away); closed when the pool is gone."""

    def __init__(self, conn: psycopg.Connection[Row], pool: ConnectionPool[Any] | None) -> None:
        self.conn = conn
        self.pool = pool
        self.pid = os.getpid()
        self.released = False

    def usable(self) -> bool:
        return self.pool is not None and self.pid == os.getpid() and not self.conn.closed

    def release(self) -> None:
        """Give the connection back, once (later calls do nothing)."""
        if self.released:
            return
        self.released = True
        pool, self.pool = self.pool, None
        if self.pid != os.getpid():
            return  # inherited over fork: the parent's, never touched here
        if pool is not None and not pool.closed and not self.conn.closed:
            pool.putconn(self.conn)
        else:
            self.conn.close()

    def __del__(self) -> None:
        # At interpreter shutdown there may be nothing left to close it with.
        with contextlib.suppress(Exception):
            self.release()


class PostgresBase:
    """Connection handling shared by the PostgreSQL store's parts (documents, reads, search).

    ``home`` is where files derived from the database are cached (the corpus vocabulary): the
    store's ``path`` is a name there, distinct per database, as SQLite's is its file.
    ``pool_size``: the most connections this store holds at once in one process."""

    def __init__(
        self,
        url: str,
        *,
        readonly: bool = False,
        home: Path | None = None,
        pool_size: int = POOL_SIZE,
        pool_timeout: float = POOL_TIMEOUT,
    ) -> None:
        from medcite.store.review_pg import migrate

        self.url = url
        self.readonly = readonly
        self.pool_size = max(1, pool_size)
        self.pool_timeout = pool_timeout
        digest = hashlib.sha256(redact(url).encode()).hexdigest()[:12]
        base = home if home is not None else Path(tempfile.gettempdir()) / "medcite"
        self.path = base / f"postgresql-{digest}.db"
        self._local = threading.local()
        self._held: weakref.WeakSet[_Held] = weakref.WeakSet()
        self._lock = threading.Lock()
        self._closed = False
        self._pool: ConnectionPool[Any] | None = None
        self._pool_pid = 0
        self._review_conn: psycopg.Connection[Row] | None = None
        # Migrate once, on a writable connection (a read-only open of an older or empty
        # database upgrades it first, as SQLiteStore.for_reading does). This first connection
        # also proves the server answers before any pool is made.
        with open_connection(url, readonly=readonly) as first:
            if pending_migrations(first):
                if readonly:
                    with open_connection(url) as writer:
                        migrate(writer)
                else:
                    migrate(first)

    # -- the pool --------------------------------------------------------------------------
    def _the_pool(self) -> ConnectionPool[Any]:
        """This process's pool, made on first use (a forked worker makes its own)."""
        with self._lock:
            if self._closed:
                raise StoreError("the store is closed")
            if self._pool is None or self._pool_pid != os.getpid():
                from psycopg.rows import dict_row
                from psycopg_pool import ConnectionPool

                self._pool = ConnectionPool(
                    self.url,
                    min_size=1,
                    max_size=self.pool_size,
                    timeout=self.pool_timeout,
                    kwargs={
                        "autocommit": True,
                        "row_factory": dict_row,
                        **_session_options(self.readonly),
                    },
                    name=f"medcite-{'ro' if self.readonly else 'rw'}",
                    open=True,
                )
                self._pool_pid = os.getpid()
            return self._pool

    def _borrow(self) -> _Held:
        from psycopg_pool import PoolTimeout

        pool = self._the_pool()
        try:
            conn = pool.getconn()
        except PoolTimeout as exc:
            raise StoreError(
                f"no PostgreSQL connection free after {self.pool_timeout:g} s "
                f"({self.pool_size} in the pool, all in use)",
                hint="Raise MEDCITE_DATABASE_POOL_SIZE (and the server's max_connections).",
            ) from exc
        held = _Held(conn, pool)
        with self._lock:
            self._held.add(held)
        return held

    @contextlib.contextmanager
    def connection(self) -> Iterator[psycopg.Connection[Row]]:
        """A connection lent to this thread for the block, given back after it (one request
        of a server); inside, :attr:`conn` is it. Nested blocks, or a thread that already
        holds one, use the same connection."""
        held: _Held | None = getattr(self._local, "held", None)
        if held is not None and held.usable():
            yield held.conn
            return
        held = self._local.held = self._borrow()
        try:
            yield held.conn
        finally:
            self._local.held = None
            held.release()

    @property
    def conn(self) -> psycopg.Connection[Row]:
        """This thread's connection: the one lent by :meth:`connection`, or one it keeps."""
        held: _Held | None = getattr(self._local, "held", None)
        if held is not None and held.usable():
            return held.conn
        if held is not None:
            held.release()  # closed under it (a server restart): a fresh one from the pool
        held = self._local.held = self._borrow()
        return held.conn

    def pool_stats(self) -> dict[str, int]:
        """The pool's counters (psycopg_pool's ``get_stats``), or {} before it is made."""
        pool = self._pool
        return dict(pool.get_stats()) if pool is not None and not pool.closed else {}

    def _shared_connection(self) -> psycopg.Connection[Row]:
        """One connection kept for the store's life, whatever thread uses it (the review
        repository, whose callers serialise their use). Outside the pool."""
        with self._lock:
            if self._review_conn is None or self._review_conn.closed:
                self._review_conn = open_connection(self.url, readonly=self.readonly)
            return self._review_conn

    # -- lifecycle -------------------------------------------------------------------------
    def close(self) -> None:
        """Give back every thread's connection and close the pool."""
        self.close_connections(final=True)

    def close_connections(self, *, final: bool = False) -> None:
        """Close the pool and every connection; unless ``final`` the store stays usable and
        makes a fresh pool on next use (before a server forks its workers)."""
        with self._lock:
            self._closed = self._closed or final
            held = list(self._held)
            self._held.clear()
            review, self._review_conn = self._review_conn, None
            pool, self._pool = self._pool, None
            mine = self._pool_pid == os.getpid()
        for h in held:
            h.release()
        if review is not None:
            review.close()
        if pool is not None and mine:
            pool.close()
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

"""The PostgreSQL store's connection pool: requests borrow and give back, never more than the
pool's size at once, a clear error when none frees up in time, read-only where asked."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from medcite.errors import StoreError
from tests.conftest import fresh_database


def test_threads_share_a_small_pool(postgres_server: str, tmp_path: Path) -> None:
    from medcite.store.pg_documents import PostgresStore

    with (
        fresh_database(postgres_server) as url,
        PostgresStore(url, home=tmp_path, pool_size=2) as store,
    ):
        seen: set[int] = set()
        lock = threading.Lock()

        def request(_: int) -> int:
            with store.connection() as conn:
                assert store.conn is conn  # inside the block, the store's queries use it
                with lock:
                    seen.add(id(conn))
                time.sleep(0.02)
                return store.count_documents()

        with ThreadPoolExecutor(max_workers=8) as pool:
            assert list(pool.map(request, range(40))) == [0] * 40
        assert len(seen) <= 2
        stats = store.pool_stats()
        assert stats["pool_max"] == 2 and stats["pool_size"] <= 2
        # Given back: every connection is free again.
        assert stats.get("pool_available", 0) == stats["pool_size"]

        # After closing its connections (before a fork) the store opens a fresh pool.
        store.close_connections()
        assert store.pool_stats() == {}
        with store.connection():
            assert store.count_documents() == 0


def test_a_request_waits_then_fails_clearly_when_the_pool_stays_lent(
    postgres_server: str, tmp_path: Path
) -> None:
    from medcite.store.pg_documents import PostgresStore

    with (
        fresh_database(postgres_server) as url,
        PostgresStore(url, home=tmp_path, pool_size=1, pool_timeout=0.5) as store,
    ):
        held, done = threading.Event(), threading.Event()

        def hold() -> None:
            with store.connection():
                held.set()
                done.wait(10)

        holder = threading.Thread(target=hold)
        holder.start()
        try:
            assert held.wait(10)
            with ThreadPoolExecutor(max_workers=1) as pool:
                future = pool.submit(lambda: store.connection().__enter__())
                with pytest.raises(StoreError, match="no PostgreSQL connection free"):
                    future.result(timeout=10)
        finally:
            done.set()
            holder.join()


def test_the_read_only_pool_refuses_writes(postgres_server: str, tmp_path: Path) -> None:
    import psycopg

    from medcite.store.pg_documents import PostgresStore

    with fresh_database(postgres_server) as url:
        with PostgresStore(url, home=tmp_path):
            pass  # migrated
        reader = PostgresStore(url, readonly=True, home=tmp_path)
        try:
            with reader.connection() as conn, pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
                conn.execute("CREATE TABLE nope (id int)")
        finally:
            reader.close()

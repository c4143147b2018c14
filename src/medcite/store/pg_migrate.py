"""``medcite migrate --to postgresql://...``: copy an SQLite install (MEDCITE_HOME's medcite.db)
into a PostgreSQL database, keeping every id, so that the product answers the same from both.

What is copied: ingest runs, files and errors; documents and passages (their BM25 postings and
tsvectors derived on the way, with medcite's analyser, as an ingest into PostgreSQL writes them);
dense vectors (float16 bytes to pgvector); answers; the review workflow's users, API tokens,
sessions, articles, versions, events and comments. Not copied: the tantivy index's bookkeeping
(``index_state``, ``passage_tombstones``): PostgreSQL searches keywords itself.

Resumable: tables keyed by an integer id are copied from the target's largest id on (a re-run
adds only what is missing), other tables whole in one transaction each, documents in batches
(each batch with its passages, postings and vectors, and the migration's progress, in one
transaction), so a migration killed at any moment continues where it stopped, without
duplicates. The target records which store it is a copy of (``migrated_from``): a database that
holds anything else is refused. The source should not be written to during the migration.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from medcite.errors import StoreError
from medcite.index.analysis import analyze
from medcite.store.pg_bulk import about_text, copy_passages, copy_rows
from medcite.store.pg_connections import redact
from medcite.store.pg_vectors import vector_literal

if TYPE_CHECKING:
    import psycopg

MIGRATE_LOCK = 0x6D656D67  # session advisory lock held while a migration runs ("memg")
VECTOR_BYTES = 384 * 2  # pgvector column vector(384); SQLite keeps float16
# Copied before the documents (documents.run_id and the review tables reference them) and after.
BEFORE = ("ingest_runs", "users")
AFTER = (
    "ingest_files",
    "ingest_errors",
    "answers",
    "api_tokens",
    "web_sessions",
    "articles",
    "article_versions",
    "review_events",
    "review_comments",
)
# Tables with an integer id (an identity in PostgreSQL): copied from the target's largest id on.
BY_ID = {
    "ingest_runs",
    "users",
    "ingest_errors",
    "api_tokens",
    "review_events",
    "review_comments",
}
COUNTED = (*BEFORE, "documents", "passages", "passage_vectors", *AFTER)
# A target with rows in any of these holds data of its own.
_CONTENT = ("documents", "ingest_runs", "users", "answers", "articles")


@dataclass
class MigrationReport:
    source: str
    target: str
    resumed: bool = False
    documents_copied: int = 0
    vectors_skipped: int = (
        0  # damaged (wrong length) vectors left behind: `index --dense` redoes them
    )
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return all(c["source"] == c["target"] for c in self.counts.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "target": self.target,
            "resumed": self.resumed,
            "documents_copied": self.documents_copied,
            "vectors_skipped": self.vectors_skipped,
            "counts": self.counts,
            "ok": self.ok,
            "seconds": round(self.seconds, 3),
        }


def source_identity(src: sqlite3.Connection) -> str:
    """What identifies an SQLite store across runs (not its path, which may move): its first
    ingest run, document and user, which later writes do not change."""
    first = [
        src.execute(sql).fetchone()
        for sql in (
            "SELECT id, started_at FROM ingest_runs ORDER BY id LIMIT 1",
            "SELECT id, source, source_id, created_at FROM documents ORDER BY id LIMIT 1",
            "SELECT id, name, created_at FROM users ORDER BY id LIMIT 1",
        )
    ]
    marks = [tuple(row) if row is not None else None for row in first]
    return hashlib.sha256(json.dumps(marks).encode()).hexdigest()[:32]


def migrate_to_postgres(
    sqlite_path: Path,
    url: str,
    *,
    batch: int = 500,
    on_start: Callable[[int], None] | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> MigrationReport:
    """Copy the SQLite store at ``sqlite_path`` into the PostgreSQL database at ``url``
    (migrated first); ``on_start(documents to copy)`` and ``on_progress(documents copied)``
    follow the document batches. Raises StoreError for a target that holds other data or a
    migration already running into it."""
    from medcite.store.pg_documents import PostgresStore
    from medcite.store.sqlite import SQLiteStore

    if not sqlite_path.exists():
        raise StoreError(
            f"no SQLite store at {sqlite_path}",
            hint="Set MEDCITE_HOME to the install to move (its medcite.db).",
        )
    started = time.perf_counter()
    report = MigrationReport(source=str(sqlite_path), target=redact(url))
    with SQLiteStore.for_reading(sqlite_path) as source, PostgresStore(url) as target:
        src, conn = source.conn, target.conn
        locked = conn.execute("SELECT pg_try_advisory_lock(%s) AS ok", (MIGRATE_LOCK,)).fetchone()
        if not locked or not locked["ok"]:
            raise StoreError(f"another migration into {redact(url)} is running")
        try:
            state = _claim(conn, source_identity(src), str(sqlite_path))
            report.resumed = state["resumed"]
            for table in BEFORE:
                _copy_table(src, conn, table, state)
            _copy_documents(src, conn, state, batch, report, on_start, on_progress)
            for table in AFTER:
                _copy_table(src, conn, table, state)
            report.counts = _counts(src, conn)
            keywords = _count(conn, "passage_keywords")
            if keywords != report.counts["passages"]["target"]:
                report.counts["passage_keywords"] = {
                    "source": report.counts["passages"]["target"],
                    "target": keywords,
                }
            if report.ok:
                conn.execute("UPDATE migrated_from SET finished_at = medcite_now()")
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATE_LOCK,))
    report.seconds = time.perf_counter() - started
    return report


def _claim(conn: psycopg.Connection[Any], identity: str, label: str) -> dict[str, Any]:
    """This migration's row in ``migrated_from`` (made on the first run); refuses a target that
    holds another store's copy or data of its own."""
    row = conn.execute("SELECT * FROM migrated_from").fetchone()
    if row is not None:
        if row["source"] != identity:
            raise StoreError(
                f"the target database holds a migration of another store ({row['label']})",
                hint="Migrate into an empty database.",
            )
        return {**row, "tables_done": json.loads(row["tables_done"]), "resumed": True}
    for table in _CONTENT:
        if conn.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone() is not None:
            raise StoreError(
                f"the target database is not empty ({table} has rows)",
                hint="Migrate into an empty database (or resume a migration of this same store).",
            )
    conn.execute("INSERT INTO migrated_from(source, label) VALUES (%s, %s)", (identity, label))
    return {"source": identity, "tables_done": [], "last_document": 0, "resumed": False}


def _columns(src: sqlite3.Connection, conn: psycopg.Connection[Any], table: str) -> list[str]:
    """The columns both sides have, in SQLite's order."""
    theirs = {
        r["column_name"]
        for r in conn.execute(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name = %s",
            (table,),
        )
    }
    return [r[1] for r in src.execute(f"PRAGMA table_info({table})") if r[1] in theirs]


def _copy_table(
    src: sqlite3.Connection, conn: psycopg.Connection[Any], table: str, state: dict[str, Any]
) -> None:
    """Copy ``table``: rows past the target's largest id (integer-keyed tables), or the whole
    table once (the others), in one transaction."""
    if table in state["tables_done"]:
        return
    columns = _columns(src, conn, table)
    names = ", ".join(columns)
    with conn.transaction():
        if table in BY_ID:
            top = _scalar(conn, f"SELECT coalesce(max(id), 0) FROM {table}")
            rows = src.execute(f"SELECT {names} FROM {table} WHERE id > ? ORDER BY id", (top,))
            copy_rows(conn, f"COPY {table}({names}) FROM STDIN", (tuple(r) for r in rows))
            _move_identity(conn, table)
        else:
            rows = src.execute(f"SELECT {names} FROM {table}")
            copy_rows(conn, f"COPY {table}({names}) FROM STDIN", (tuple(r) for r in rows))
            state["tables_done"].append(table)
            conn.execute(
                "UPDATE migrated_from SET tables_done = %s", (json.dumps(state["tables_done"]),)
            )


def _copy_documents(
    src: sqlite3.Connection,
    conn: psycopg.Connection[Any],
    state: dict[str, Any],
    batch: int,
    report: MigrationReport,
    on_start: Callable[[int], None] | None,
    on_progress: Callable[[int], None] | None,
) -> None:
    """Documents past the last batch copied, ``batch`` at a time, each batch with its passages,
    their keyword rows and vectors, and the progress mark, in one transaction."""
    columns = _columns(src, conn, "documents")
    names = ", ".join(columns)
    last = int(state["last_document"])
    if on_start:
        on_start(
            int(src.execute("SELECT count(*) FROM documents WHERE id > ?", (last,)).fetchone()[0])
        )
    while True:
        docs = [
            dict(zip(columns, r, strict=True))
            for r in src.execute(
                f"SELECT {names} FROM documents WHERE id > ? ORDER BY id LIMIT ?", (last, batch)
            )
        ]
        if not docs:
            break
        top = int(docs[-1]["id"])
        passages = [
            tuple(r)
            for r in src.execute(
                "SELECT id, document_id, ord, section, text, char_start, char_end, meta"
                " FROM passages WHERE document_id > ? AND document_id <= ? ORDER BY id",
                (last, top),
            )
        ]
        vectors = _vectors(src, last, top, report)
        about = {
            int(d["id"]): analyze(about_text(d["title"], d["focus"], json.loads(d["synonyms"])))
            for d in docs
        }
        with conn.transaction():
            copy_rows(
                conn, f"COPY documents({names}) FROM STDIN", (tuple(d.values()) for d in docs)
            )
            copy_passages(conn, passages, about)
            copy_rows(
                conn,
                "COPY passage_vectors(document_id, passage_id, model, vector) FROM STDIN",
                vectors,
            )
            conn.execute("UPDATE migrated_from SET last_document = %s", (top,))
            _move_identity(conn, "documents")
            _move_identity(conn, "passages")
        last = top
        report.documents_copied += len(docs)
        if on_progress:
            on_progress(len(docs))


def _vectors(
    src: sqlite3.Connection, after: int, upto: int, report: MigrationReport
) -> list[tuple[int, int, str, str]]:
    rows = src.execute(
        "SELECT p.document_id, v.passage_id, v.model, v.vector FROM passage_vectors v"
        " JOIN passages p ON p.id = v.passage_id"
        " WHERE p.document_id > ? AND p.document_id <= ? ORDER BY v.passage_id, v.model",
        (after, upto),
    )
    kept: list[tuple[int, int, str, str]] = []
    for did, pid, model, blob in rows:
        if isinstance(blob, bytes) and len(blob) == VECTOR_BYTES:
            kept.append((did, pid, model, vector_literal(blob)))
        else:
            report.vectors_skipped += 1
    return kept


def _move_identity(conn: psycopg.Connection[Any], table: str) -> None:
    """Move ``table``'s identity past the ids copied into it, so new rows get fresh ids."""
    conn.execute(
        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), m)"
        f" FROM (SELECT max(id) AS m FROM {table}) AS top WHERE m IS NOT NULL"
    )


def _counts(src: sqlite3.Connection, conn: psycopg.Connection[Any]) -> dict[str, dict[str, int]]:
    """Rows per table on both sides (the source's vectors: those that can be copied)."""
    counts = {}
    for table in COUNTED:
        where = f" WHERE length(vector) = {VECTOR_BYTES}" if table == "passage_vectors" else ""
        mine = int(src.execute(f"SELECT count(*) FROM {table}{where}").fetchone()[0])
        counts[table] = {"source": mine, "target": _count(conn, table)}
    return counts


def _count(conn: psycopg.Connection[Any], table: str) -> int:
    return _scalar(conn, f"SELECT count(*) FROM {table}")


def _scalar(conn: psycopg.Connection[Any], sql: str, args: Sequence[Any] = ()) -> int:
    row = conn.execute(sql, tuple(args)).fetchone()
    assert row is not None
    return int(next(iter(row.values())))

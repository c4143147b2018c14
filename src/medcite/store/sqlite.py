"""SQLite (WAL) implementation of :class:`~medcite.store.base.DocumentStore`.

Every batch of documents is written in one transaction together with the
"file finished" mark of the file it completes, so an ingest killed at any
moment leaves whole documents only, and a re-run knows where to pick up.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from medcite.errors import StoreError
from medcite.store.base import (
    FileMark,
    IndexRow,
    IndexState,
    PreparedDocument,
    SourceStats,
    WriteOutcome,
    document_fields,
    document_from_row,
    passage_from_row,
    passage_rows,
)
from medcite.store.connections import ThreadConnections
from medcite.store.migrate import migrate, pending_migrations
from medcite.store.review_sqlite import SQLiteReviewRepository
from medcite.store.vectors import SQLiteVectors
from medcite.types import (
    Answer,
    Passage,
    StoredDocument,
    stable_json,
)

# A streamed body is stored as UTF-8 bytes (store/streamed.py): every body is read as text.
_DOC_COLUMNS = (
    "id, source, source_id, title, url, doc_type, evidence_level, year, organisation, journal, "
    "licence, language, focus, synonyms, mesh_terms, cuis, meta, CAST(body AS TEXT) AS body, "
    "content_hash"
)
# The passage row, shared with the streamed writer (store/streamed.py).
PASSAGE_INSERT = (
    "INSERT INTO passages(document_id, ord, section, text, char_start, char_end, meta) "
    "VALUES (?,?,?,?,?,?,?)"
)


class SQLiteStore:
    """The medcite store: one SQLite file in WAL mode, one connection per thread
    (medcite.store.connections). ``readonly`` opens them read-only: the search path never
    writes."""

    def __init__(
        self, path: Path | str, *, readonly: bool = False, migrate_until: int | None = None
    ) -> None:
        self.path = Path(path)
        self.readonly = readonly
        self._connections = ThreadConnections(self.path, readonly=readonly)
        try:
            if not readonly:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = self.conn
            if not readonly:
                conn.execute("PRAGMA journal_mode = WAL")
                # `until`: tests build a store of an older schema to upgrade.
                migrate(conn, until=migrate_until)
        except sqlite3.DatabaseError as exc:
            self.close()
            raise StoreError(
                f"cannot open store {self.path}: {exc}",
                hint="Is it a medcite database? Move it aside to start a fresh store.",
            ) from exc

    @classmethod
    def for_reading(cls, path: Path | str) -> SQLiteStore:
        """A read-only store for searching; a missing or older store is created or upgraded
        first (once), as a read-write open would."""
        path = Path(path)
        if not path.exists() or _pending_migrations(path):
            cls(path).close()
        return cls(path, readonly=True)

    @property
    def conn(self) -> sqlite3.Connection:
        """This thread's connection."""
        return self._connections.get()

    # -- lifecycle -------------------------------------------------------------------------
    def close(self) -> None:
        """Close every thread's connection."""
        self._connections.close()

    def close_connections(self) -> None:
        """Close every thread's connection, the store staying usable (each thread opens a
        fresh one on next use): before a server forks its workers, which must not share them."""
        self._connections.close(final=False)

    def __enter__(self) -> SQLiteStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- writing ---------------------------------------------------------------------------
    def write_documents(
        self,
        items: Sequence[PreparedDocument],
        *,
        run_id: int | None = None,
        done_file: FileMark | None = None,
    ) -> list[WriteOutcome]:
        """Write a batch atomically; ``done_file`` marks the file it completes, in the same transaction."""
        outcomes: list[WriteOutcome] = []
        cur = self.conn.cursor()
        try:
            cur.execute("BEGIN IMMEDIATE")
            for item in items:
                outcomes.append(self._write_one(cur, item, run_id))
            if done_file is not None:
                cur.execute(
                    "INSERT INTO ingest_files(path, fingerprint, format, documents, run_id) "
                    "VALUES (?, ?, ?, ?, ?) ON CONFLICT(path) DO UPDATE SET "
                    "fingerprint=excluded.fingerprint, format=excluded.format, "
                    "documents=excluded.documents, run_id=excluded.run_id, "
                    "finished_at=strftime('%Y-%m-%dT%H:%M:%fZ','now')",
                    (
                        done_file.path,
                        done_file.fingerprint,
                        done_file.format,
                        done_file.documents,
                        run_id,
                    ),
                )
            cur.execute("COMMIT")
        except BaseException:
            if self.conn.in_transaction:
                cur.execute("ROLLBACK")
            raise
        return outcomes

    def _write_one(
        self, cur: sqlite3.Cursor, item: PreparedDocument, run_id: int | None
    ) -> WriteOutcome:
        doc = item.document
        row = cur.execute(
            "SELECT id, record_hash FROM documents WHERE source = ? AND source_id = ?",
            (doc.source, doc.source_id),
        ).fetchone()
        if row is not None and row["record_hash"] == item.record_hash:
            return WriteOutcome.UNCHANGED
        if row is None:
            dup = cur.execute(
                "SELECT 1 FROM documents WHERE content_hash = ? LIMIT 1", (item.content_hash,)
            ).fetchone()
            if dup is not None:
                return WriteOutcome.DUPLICATE
        values = (
            *document_fields(doc),
            item.body,
            item.content_hash,
            item.record_hash,
            item.file_path,
            run_id,
        )
        if row is None:
            cur.execute(
                "INSERT INTO documents(title, url, doc_type, evidence_level, year, organisation, "
                "journal, licence, language, focus, synonyms, mesh_terms, cuis, meta, body, "
                "content_hash, record_hash, file_path, run_id, source, source_id) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (*values, doc.source, doc.source_id),
            )
            document_id = cur.lastrowid
            outcome = WriteOutcome.ADDED
        else:
            document_id = row["id"]
            cur.execute("DELETE FROM passages WHERE document_id = ?", (document_id,))
            cur.execute(
                "UPDATE documents SET title=?, url=?, doc_type=?, evidence_level=?, year=?, "
                "organisation=?, journal=?, licence=?, language=?, focus=?, synonyms=?, "
                "mesh_terms=?, cuis=?, meta=?, body=?, content_hash=?, record_hash=?, "
                "file_path=?, run_id=?, updated_at=strftime('%Y-%m-%dT%H:%M:%fZ','now') "
                "WHERE id = ?",
                (*values, document_id),
            )
            outcome = WriteOutcome.UPDATED
        cur.executemany(PASSAGE_INSERT, passage_rows(document_id, item.passages))
        return outcome

    # -- ingest bookkeeping ----------------------------------------------------------------
    def start_run(self, args: dict[str, Any]) -> int:
        cur = self.conn.execute("INSERT INTO ingest_runs(args) VALUES (?)", (stable_json(args),))
        assert cur.lastrowid is not None
        return cur.lastrowid

    def finish_run(self, run_id: int, status: str, stats: dict[str, Any]) -> None:
        self.conn.execute(
            "UPDATE ingest_runs SET status=?, stats=?, "
            "finished_at=strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE id=?",
            (status, stable_json(stats), run_id),
        )

    def record_error(self, run_id: int | None, path: str, reason: str) -> None:
        self.conn.execute(
            "INSERT INTO ingest_errors(run_id, path, reason) VALUES (?, ?, ?)",
            (run_id, path, reason),
        )

    def file_done(self, path: str, fingerprint: str) -> bool:
        row = self.conn.execute(
            "SELECT fingerprint FROM ingest_files WHERE path = ?", (path,)
        ).fetchone()
        return row is not None and row[0] == fingerprint

    def runs(self, limit: int = 20) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            "SELECT id, started_at, finished_at, status, args, stats FROM ingest_runs "
            "ORDER BY id DESC LIMIT ?",
            (limit,),
        ).fetchall()
        return [
            {**dict(r), "args": json.loads(r["args"]), "stats": json.loads(r["stats"])}
            for r in rows
        ]

    # -- answers ---------------------------------------------------------------------------
    def save_answer(self, answer: Answer) -> None:
        """Keep a composed answer (its id must be set) so follow-ups and articles can refer to it."""
        self.conn.execute(
            "INSERT OR REPLACE INTO answers(id, question, audience, follow_up_of, abstained, json)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                answer.id,
                answer.question,
                answer.audience.value,
                answer.follow_up_of,
                int(answer.abstained),
                answer.model_dump_json(),
            ),
        )

    def get_answer(self, answer_id: str) -> Answer | None:
        row = self.conn.execute("SELECT json FROM answers WHERE id = ?", (answer_id,)).fetchone()
        return Answer.model_validate_json(row[0]) if row else None

    def definition_passage(self, topic: str) -> Passage | None:
        """The opening passage of a document whose topic is ``topic`` and that defines it
        (a MedQuAD "What is X?" answer), for glosses."""
        row = self.conn.execute(
            "SELECT p.* FROM documents d JOIN passages p ON p.document_id = d.id AND p.ord = 0"
            " WHERE d.focus = ? COLLATE NOCASE AND json_extract(p.meta, '$.qtype') = 'information'"
            " ORDER BY d.evidence_level DESC, d.id LIMIT 1",
            (topic,),
        ).fetchone()
        return passage_from_row(row) if row else None

    # -- reading ---------------------------------------------------------------------------
    def count_documents(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM documents").fetchone()[0])

    def count_passages(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM passages").fetchone()[0])

    def count_vectors(self, model: str) -> int:
        """Passages with a dense vector of ``model``."""
        row = self.conn.execute("SELECT count(*) FROM passage_vectors WHERE model = ?", (model,))
        return int(row.fetchone()[0])

    def reviews(self) -> SQLiteReviewRepository:
        """The review workflow's tables (medcite.store.review_sqlite), on this connection."""
        return SQLiteReviewRepository(self.conn)

    @property
    def vectors(self) -> SQLiteVectors:
        """The dense vectors table (medcite.store.vectors)."""
        return SQLiteVectors(self.conn)

    def mark_interrupted_runs(self) -> None:
        """Ingest runs left 'running' by a process killed mid-way were interrupted."""
        self.conn.execute("UPDATE ingest_runs SET status='interrupted' WHERE status='running'")

    def has_vectors(self, model: str | None = None) -> bool:
        """Whether any passage has a dense vector (of ``model``, when given)."""
        if model is None:
            row = self.conn.execute("SELECT 1 FROM passage_vectors LIMIT 1").fetchone()
        else:
            row = self.conn.execute(
                "SELECT 1 FROM passage_vectors WHERE model = ? LIMIT 1", (model,)
            ).fetchone()
        return row is not None

    def answer_passages(self, source: str) -> list[tuple[int, str, str, str, str, str, str]]:
        """(document id, source id, focus, question, question id, question type, text) of the
        passages of ``source`` that answer a stated question (MedQuAD: the section is the
        question), in passage order: what medcite.learn.train learns from."""
        rows = self.conn.execute(
            "SELECT d.id, d.source_id, coalesce(d.focus, d.title), p.section, "
            "json_extract(p.meta, '$.qid'), json_extract(p.meta, '$.qtype'), p.text "
            "FROM passages p JOIN documents d ON d.id = p.document_id "
            "WHERE d.source = ? AND json_extract(p.meta, '$.qid') IS NOT NULL ORDER BY p.id",
            (source,),
        ).fetchall()
        return [
            (int(r[0]), str(r[1]), str(r[2]), str(r[3] or ""), str(r[4]), str(r[5]), str(r[6]))
            for r in rows
        ]

    def topic_names(self) -> list[tuple[str, list[str]]]:
        """(focus, synonyms) of every distinct topic the documents are about."""
        rows = self.conn.execute(
            "SELECT DISTINCT focus, synonyms FROM documents WHERE focus IS NOT NULL"
        ).fetchall()
        return [(str(r[0]), list(json.loads(r[1]))) for r in rows]

    def content_stamp(self) -> str:
        """A value that changes whenever documents are added, changed or removed (a changed
        document gets new passages; a removed one leaves passage tombstones): the key of caches
        derived from the documents."""
        row = self.conn.execute(
            "SELECT (SELECT count(*) FROM documents), (SELECT coalesce(max(id), 0) FROM passages), "
            "(SELECT coalesce(max(seq), 0) FROM sqlite_sequence WHERE name = 'passage_tombstones')"
        ).fetchone()
        return f"{row[0]}-{row[1]}-{row[2]}"

    def document_ids_with_focus(self, focus: str) -> set[int]:
        """Documents whose topic is ``focus`` (a MedQuAD focus, a guideline's condition)."""
        rows = self.conn.execute("SELECT id FROM documents WHERE focus = ?", (focus,))
        return {int(r[0]) for r in rows}

    def get_document(self, document_id: int) -> StoredDocument | None:
        row = self.conn.execute(
            f"SELECT {_DOC_COLUMNS} FROM documents WHERE id = ?", (document_id,)
        ).fetchone()
        return document_from_row(row) if row else None

    def get_documents(
        self, ids: Sequence[int], *, with_body: bool = True
    ) -> dict[int, StoredDocument]:
        """Documents by id; ``with_body=False`` skips the (large) body text, as ranking needs only metadata."""
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        columns = (
            _DOC_COLUMNS
            if with_body
            else _DOC_COLUMNS.replace(" CAST(body AS TEXT) AS body,", " '' AS body,")
        )
        rows = self.conn.execute(
            f"SELECT {columns} FROM documents WHERE id IN ({marks})", list(ids)
        ).fetchall()
        return {r["id"]: document_from_row(r) for r in rows}

    def find_document(self, source: str, source_id: str) -> StoredDocument | None:
        row = self.conn.execute(
            f"SELECT {_DOC_COLUMNS} FROM documents WHERE source = ? AND source_id = ?",
            (source, source_id),
        ).fetchone()
        return document_from_row(row) if row else None

    def get_passages(self, document_id: int) -> list[Passage]:
        rows = self.conn.execute(
            "SELECT * FROM passages WHERE document_id = ? ORDER BY ord", (document_id,)
        ).fetchall()
        return [passage_from_row(r) for r in rows]

    def get_passages_by_id(self, ids: Sequence[int]) -> dict[int, Passage]:
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = self.conn.execute(
            f"SELECT * FROM passages WHERE id IN ({marks})", list(ids)
        ).fetchall()
        return {r["id"]: passage_from_row(r) for r in rows}

    def rank_info(
        self, passage_ids: Sequence[int]
    ) -> dict[int, tuple[int, int, int | None, str | None]]:
        """passage id -> (document id, evidence level, year, qtype): what ranking needs, cheaply."""
        if not passage_ids:
            return {}
        marks = ",".join("?" * len(passage_ids))
        rows = self.conn.execute(
            "SELECT p.id, p.document_id, d.evidence_level, d.year, json_extract(p.meta, '$.qtype') "
            f"FROM passages p JOIN documents d ON d.id = p.document_id WHERE p.id IN ({marks})",
            list(passage_ids),
        ).fetchall()
        return {int(r[0]): (int(r[1]), int(r[2]), r[3], r[4]) for r in rows}

    def iter_passages(self, *, after_id: int = 0, batch: int = 2000) -> Iterator[Passage]:
        """All passages with id > ``after_id`` in id order (for incremental indexing)."""
        last = after_id
        while True:
            rows = self.conn.execute(
                "SELECT * FROM passages WHERE id > ? ORDER BY id LIMIT ?", (last, batch)
            ).fetchall()
            if not rows:
                return
            for r in rows:
                yield passage_from_row(r)
            last = rows[-1]["id"]

    def stats(self) -> list[SourceStats]:
        rows = self.conn.execute(
            "SELECT d.source, d.doc_type, count(DISTINCT d.id) AS documents, "
            "(SELECT count(*) FROM passages p JOIN documents d2 ON p.document_id = d2.id "
            " WHERE d2.source = d.source AND d2.doc_type = d.doc_type) AS passages "
            "FROM documents d GROUP BY d.source, d.doc_type ORDER BY d.source, d.doc_type"
        ).fetchall()
        return [
            SourceStats(r["source"], r["doc_type"], r["documents"], r["passages"]) for r in rows
        ]

    def errors(self, run_id: int) -> list[tuple[str, str]]:
        rows = self.conn.execute(
            "SELECT path, reason FROM ingest_errors WHERE run_id = ? ORDER BY id", (run_id,)
        ).fetchall()
        return [(r["path"], r["reason"]) for r in rows]

    # -- index bookkeeping -----------------------------------------------------------------
    def index_state(self, name: str) -> IndexState:
        row = self.conn.execute(
            "SELECT last_passage_id, last_tombstone, passages FROM index_state WHERE name = ?",
            (name,),
        ).fetchone()
        if row is None:
            return IndexState(name, 0, 0, 0)
        return IndexState(name, row[0], row[1], row[2])

    def set_index_state(self, state: IndexState, meta: dict[str, Any] | None = None) -> None:
        self.conn.execute(
            "INSERT INTO index_state(name, last_passage_id, last_tombstone, passages, meta) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET "
            "last_passage_id=excluded.last_passage_id, last_tombstone=excluded.last_tombstone, "
            "passages=excluded.passages, meta=excluded.meta, "
            "updated_at=strftime('%Y-%m-%dT%H:%M:%fZ','now')",
            (
                state.name,
                state.last_passage_id,
                state.last_tombstone,
                state.passages,
                stable_json(meta or {}),
            ),
        )
        # Tombstones every index has applied are no longer needed.
        self.conn.execute(
            "DELETE FROM passage_tombstones WHERE seq <= "
            "(SELECT coalesce(min(last_tombstone), 0) FROM index_state)"
        )

    def index_frontier(self) -> tuple[int, int]:
        """(largest passage id, largest tombstone seq) ever handed out: an index at both is up
        to date. The counters, not the tables' largest rows: applied tombstones are pruned, and
        the newest passages may be deleted, yet an index that saw them is not behind."""
        row = self.conn.execute(
            "SELECT (SELECT coalesce(max(id), 0) FROM passages), "
            "(SELECT coalesce(max(seq), 0) FROM sqlite_sequence WHERE name = 'passages'), "
            "(SELECT coalesce(max(seq), 0) FROM sqlite_sequence WHERE name = 'passage_tombstones')"
        ).fetchone()
        return max(int(row[0]), int(row[1])), int(row[2])

    def tombstones_after(self, seq: int) -> list[tuple[int, int]]:
        rows = self.conn.execute(
            "SELECT seq, passage_id FROM passage_tombstones WHERE seq > ? ORDER BY seq", (seq,)
        ).fetchall()
        return [(int(r[0]), int(r[1])) for r in rows]

    def count_passages_after(self, passage_id: int) -> int:
        return int(
            self.conn.execute(
                "SELECT count(*) FROM passages WHERE id > ?", (passage_id,)
            ).fetchone()[0]
        )

    def iter_index_rows(
        self, *, after_id: int = 0, until_id: int | None = None, batch: int = 2000
    ) -> Iterator[IndexRow]:
        """Passages with ``after_id`` < id <= ``until_id`` and their document fields, in id order."""
        last = after_id
        until = until_id if until_id is not None else 2**62
        while True:
            rows = self.conn.execute(
                "SELECT p.id, p.document_id, p.section, p.text, d.title, d.focus, d.synonyms "
                "FROM passages p JOIN documents d ON d.id = p.document_id "
                "WHERE p.id > ? AND p.id <= ? ORDER BY p.id LIMIT ?",
                (last, until, batch),
            ).fetchall()
            if not rows:
                return
            for r in rows:
                about = [r[4], r[5] or "", *json.loads(r[6])]
                yield IndexRow(r[0], r[1], r[2] or "", r[3], " ; ".join(a for a in about if a))
            last = rows[-1][0]


def _pending_migrations(path: Path) -> bool:
    """Whether the store at ``path`` lacks a migration this version ships."""
    conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
    try:
        return bool(pending_migrations(conn))
    finally:
        conn.close()

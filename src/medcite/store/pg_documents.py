"""PostgreSQL implementation of :class:`~medcite.store.base.DocumentStore`: the same behaviour as
:class:`~medcite.store.sqlite.SQLiteStore` (proved by tests/store/test_document_store.py), plus
search inside the database: BM25 in SQL over postings written with the passages, Postgres's own
``ts_rank_cd`` beside it, and pgvector HNSW for dense vectors.

Schema: ``pg_migrations/002_documents.sql``. Writes of documents are serialised by a
transaction-level advisory lock, as SQLite's ``BEGIN IMMEDIATE`` serialises them: a batch reads
(is this document known, is its content a duplicate), decides and writes under it. Terms come
from medcite's analyser (medcite.index.analysis), at write time for passages and at query time
for questions, so PostgreSQL and the embedded tantivy index tokenise identically.
Needs the ``postgres`` extra (psycopg).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Literal

from medcite.index.analysis import analyze
from medcite.index.embed import MODEL_NAME as DEFAULT_MODEL
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
from medcite.store.pg_bulk import (
    about_text,
    allocate_ids,
    copy_passages,
    write_batch,
)
from medcite.store.pg_reads import PostgresReads, lexeme as _lexeme
from medcite.store.review_pg import PostgresReviewRepository
from medcite.types import Passage, StoredDocument, stable_json

Row = dict[str, Any]
DOCUMENT_LOCK = 0x6D656464  # advisory lock key of document writes ("medd")
# BM25 as the embedded index (tantivy) computes it, field boosts as medcite.index.keyword's.
K1, B = 1.2, 0.75
FIELDS = ("text", "section", "about")
FIELD_BOOSTS = (1.0, 0.6, 0.8)
# ts_rank_cd weights {D, C, B, A}: section is C, about B, text A (D unused): the same boosts.
TS_RANK_WEIGHTS = [0.0, 0.6, 0.8, 1.0]

_DOC_COLUMNS = (
    "id, source, source_id, title, url, doc_type, evidence_level, year, organisation, journal, "
    "licence, language, focus, synonyms, mesh_terms, cuis, meta, body, content_hash"
)
_PASSAGE_COLUMNS = "id, document_id, ord, section, text, char_start, char_end, meta"


def tsquery_literal(terms: Sequence[str]) -> str:
    """Any of ``terms`` (analysed), in PostgreSQL's tsquery input syntax."""
    return " | ".join(_lexeme(t) for t in terms)


def _vector_literal(vector: Iterable[float]) -> str:
    return "[" + ",".join(repr(float(x)) for x in vector) + "]"


class PostgresStore(PostgresReads):
    """The medcite store in one PostgreSQL database, connections from a pool lent per thread
    (medcite.store.pg_connections); ``readonly`` connections refuse writes. ``home``: where
    files derived from it are cached."""

    # -- writing ---------------------------------------------------------------------------
    def write_documents(
        self,
        items: Sequence[PreparedDocument],
        *,
        run_id: int | None = None,
        done_file: FileMark | None = None,
    ) -> list[WriteOutcome]:
        """Write a batch atomically; ``done_file`` marks the file it completes, in the same transaction."""
        with self.conn.transaction():
            self.conn.execute("SELECT pg_advisory_xact_lock(%s)", (DOCUMENT_LOCK,))
            # New documents by COPY, a few statements for the batch (medcite.store.pg_bulk).
            outcomes = write_batch(self.conn, items, run_id, self._write_one)
            if done_file is not None:
                self.conn.execute(
                    "INSERT INTO ingest_files(path, fingerprint, format, documents, run_id) "
                    "VALUES (%s, %s, %s, %s, %s) ON CONFLICT(path) DO UPDATE SET "
                    "fingerprint=excluded.fingerprint, format=excluded.format, "
                    "documents=excluded.documents, run_id=excluded.run_id, "
                    "finished_at=medcite_now()",
                    (
                        done_file.path,
                        done_file.fingerprint,
                        done_file.format,
                        done_file.documents,
                        run_id,
                    ),
                )
        return outcomes

    def _write_one(self, item: PreparedDocument, run_id: int | None) -> WriteOutcome:
        doc = item.document
        row = self._one(
            "SELECT id, record_hash FROM documents WHERE source = %s AND source_id = %s",
            (doc.source, doc.source_id),
        )
        if row is not None and row["record_hash"] == item.record_hash:
            return WriteOutcome.UNCHANGED
        if row is None and self._one(
            "SELECT 1 FROM documents WHERE content_hash = %s LIMIT 1", (item.content_hash,)
        ):
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
            added = self._one(
                "INSERT INTO documents(title, url, doc_type, evidence_level, year, organisation, "
                "journal, licence, language, focus, synonyms, mesh_terms, cuis, meta, body, "
                "content_hash, record_hash, file_path, run_id, source, source_id) VALUES "
                "(%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s) RETURNING id",
                (*values, doc.source, doc.source_id),
            )
            assert added is not None
            document_id = int(added["id"])
            outcome = WriteOutcome.ADDED
        else:
            document_id = int(row["id"])
            # Cascades to the passages' postings and vectors; a trigger leaves tombstones.
            self.conn.execute("DELETE FROM passages WHERE document_id = %s", (document_id,))
            self.conn.execute(
                "UPDATE documents SET title=%s, url=%s, doc_type=%s, evidence_level=%s, year=%s, "
                "organisation=%s, journal=%s, licence=%s, language=%s, focus=%s, synonyms=%s, "
                "mesh_terms=%s, cuis=%s, meta=%s, body=%s, content_hash=%s, record_hash=%s, "
                "file_path=%s, run_id=%s, updated_at=medcite_now() WHERE id = %s",
                (*values, document_id),
            )
            outcome = WriteOutcome.UPDATED
        about = about_text(doc.title, doc.focus, doc.synonyms)
        self._insert_passages(document_id, item.passages, about)
        return outcome

    def _insert_passages(self, document_id: int, passages: Sequence[Passage], about: str) -> None:
        ids = allocate_ids(self.conn, "passages", len(passages))
        rows = [
            (pid, did, ord_, section, text, start, end, meta)
            for pid, (did, ord_, section, text, start, end, meta) in zip(
                ids, passage_rows(document_id, passages), strict=True
            )
        ]
        copy_passages(self.conn, rows, {document_id: analyze(about)})

    # -- ingest bookkeeping ----------------------------------------------------------------
    def start_run(self, args: dict[str, Any]) -> int:
        row = self._one(
            "INSERT INTO ingest_runs(args) VALUES (%s) RETURNING id", (stable_json(args),)
        )
        assert row is not None
        return int(row["id"])

    def finish_run(self, run_id: int, status: str, stats: dict[str, Any]) -> None:
        self.conn.execute(
            "UPDATE ingest_runs SET status=%s, stats=%s, finished_at=medcite_now() WHERE id=%s",
            (status, stable_json(stats), run_id),
        )

    def record_error(self, run_id: int | None, path: str, reason: str) -> None:
        self.conn.execute(
            "INSERT INTO ingest_errors(run_id, path, reason) VALUES (%s, %s, %s)",
            (run_id, path, reason),
        )

    def file_done(self, path: str, fingerprint: str) -> bool:
        row = self._one("SELECT fingerprint FROM ingest_files WHERE path = %s", (path,))
        return row is not None and row["fingerprint"] == fingerprint

    def errors(self, run_id: int) -> list[tuple[str, str]]:
        rows = self._all(
            "SELECT path, reason FROM ingest_errors WHERE run_id = %s ORDER BY id", (run_id,)
        )
        return [(r["path"], r["reason"]) for r in rows]

    def runs(self, limit: int = 20) -> list[dict[str, Any]]:
        rows = self._all(
            "SELECT id, started_at, finished_at, status, args, stats FROM ingest_runs "
            "ORDER BY id DESC LIMIT %s",
            (limit,),
        )
        return [{**r, "args": json.loads(r["args"]), "stats": json.loads(r["stats"])} for r in rows]

    def reviews(self) -> PostgresReviewRepository:
        """The review workflow's tables (medcite.store.review_pg), on a connection of their own
        that lives as long as the store (its callers serialise their use)."""
        return PostgresReviewRepository(self._shared_connection())

    # -- reading ---------------------------------------------------------------------------
    def count_documents(self) -> int:
        return self._count("SELECT count(*) FROM documents")

    def count_passages(self) -> int:
        return self._count("SELECT count(*) FROM passages")

    def get_document(self, document_id: int) -> StoredDocument | None:
        row = self._one(f"SELECT {_DOC_COLUMNS} FROM documents WHERE id = %s", (document_id,))
        return document_from_row(row) if row else None

    def get_documents(
        self, ids: Sequence[int], *, with_body: bool = True
    ) -> dict[int, StoredDocument]:
        """Documents by id; ``with_body=False`` skips the (large) body text, as ranking needs only metadata."""
        if not ids:
            return {}
        columns = _DOC_COLUMNS if with_body else _DOC_COLUMNS.replace(" body,", " '' AS body,")
        rows = self._all(f"SELECT {columns} FROM documents WHERE id = ANY(%s)", (list(ids),))
        return {int(r["id"]): document_from_row(r) for r in rows}

    def find_document(self, source: str, source_id: str) -> StoredDocument | None:
        row = self._one(
            f"SELECT {_DOC_COLUMNS} FROM documents WHERE source = %s AND source_id = %s",
            (source, source_id),
        )
        return document_from_row(row) if row else None

    def get_passages(self, document_id: int) -> list[Passage]:
        rows = self._all(
            f"SELECT {_PASSAGE_COLUMNS} FROM passages WHERE document_id = %s ORDER BY ord",
            (document_id,),
        )
        return [passage_from_row(r) for r in rows]

    def get_passages_by_id(self, ids: Sequence[int]) -> dict[int, Passage]:
        if not ids:
            return {}
        rows = self._all(
            f"SELECT {_PASSAGE_COLUMNS} FROM passages WHERE id = ANY(%s)", (list(ids),)
        )
        return {int(r["id"]): passage_from_row(r) for r in rows}

    def iter_passages(self, *, after_id: int = 0, batch: int = 2000) -> Iterator[Passage]:
        """All passages with id > ``after_id`` in id order (for incremental indexing)."""
        last = after_id
        while True:
            rows = self._all(
                f"SELECT {_PASSAGE_COLUMNS} FROM passages WHERE id > %s ORDER BY id LIMIT %s",
                (last, batch),
            )
            if not rows:
                return
            for r in rows:
                yield passage_from_row(r)
            last = int(rows[-1]["id"])

    def stats(self) -> list[SourceStats]:
        rows = self._all(
            "SELECT d.source, d.doc_type, count(DISTINCT d.id) AS documents, count(p.id) AS passages"
            " FROM documents d LEFT JOIN passages p ON p.document_id = d.id"
            " GROUP BY d.source, d.doc_type ORDER BY d.source, d.doc_type"
        )
        return [
            SourceStats(r["source"], r["doc_type"], int(r["documents"]), int(r["passages"]))
            for r in rows
        ]

    # -- index bookkeeping -----------------------------------------------------------------
    def index_state(self, name: str) -> IndexState:
        row = self._one(
            "SELECT last_passage_id, last_tombstone, passages FROM index_state WHERE name = %s",
            (name,),
        )
        if row is None:
            return IndexState(name, 0, 0, 0)
        return IndexState(
            name, int(row["last_passage_id"]), int(row["last_tombstone"]), int(row["passages"])
        )

    def set_index_state(self, state: IndexState, meta: dict[str, Any] | None = None) -> None:
        with self.conn.transaction():
            self.conn.execute(
                "INSERT INTO index_state(name, last_passage_id, last_tombstone, passages, meta) "
                "VALUES (%s, %s, %s, %s, %s) ON CONFLICT(name) DO UPDATE SET "
                "last_passage_id=excluded.last_passage_id, "
                "last_tombstone=excluded.last_tombstone, passages=excluded.passages, "
                "meta=excluded.meta, updated_at=medcite_now()",
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
        """(largest passage id, largest tombstone seq): an index at both is up to date."""
        pid = self._count("SELECT coalesce(max(id), 0) FROM passages")
        return pid, self._count("SELECT coalesce(max(seq), 0) FROM passage_tombstones")

    def tombstones_after(self, seq: int) -> list[tuple[int, int]]:
        rows = self._all(
            "SELECT seq, passage_id FROM passage_tombstones WHERE seq > %s ORDER BY seq", (seq,)
        )
        return [(int(r["seq"]), int(r["passage_id"])) for r in rows]

    def count_passages_after(self, passage_id: int) -> int:
        return self._count("SELECT count(*) FROM passages WHERE id > %s", (passage_id,))

    def iter_index_rows(
        self, *, after_id: int = 0, until_id: int | None = None, batch: int = 2000
    ) -> Iterator[IndexRow]:
        """Passages with ``after_id`` < id <= ``until_id`` and their document fields, in id order."""
        last = after_id
        until = until_id if until_id is not None else 2**62
        while True:
            rows = self._all(
                "SELECT p.id, p.document_id, p.section, p.text, d.title, d.focus, d.synonyms "
                "FROM passages p JOIN documents d ON d.id = p.document_id "
                "WHERE p.id > %s AND p.id <= %s ORDER BY p.id LIMIT %s",
                (last, until, batch),
            )
            if not rows:
                return
            for r in rows:
                about = about_text(r["title"], r["focus"], json.loads(r["synonyms"]))
                yield IndexRow(
                    int(r["id"]), int(r["document_id"]), r["section"] or "", r["text"], about
                )
            last = int(rows[-1]["id"])

    # -- search ----------------------------------------------------------------------------
    def keyword_search(
        self,
        query_terms: Sequence[str],
        k: int = 10,
        *,
        method: Literal["bm25", "ts_rank_cd"] = "bm25",
    ) -> list[tuple[int, float]]:
        """Top ``k`` (passage id, score) for index terms (as medcite.index.analysis.analyze
        gives them; repeats count once), best first, ties by passage id.

        ``bm25``: the embedded index's scoring (k1 1.2, b 0.75, field boosts text 1.0, section
        0.6, about 0.8, tantivy's field-length rounding), summed over the terms each passage
        holds. ``ts_rank_cd``: PostgreSQL's cover density ranking of the same terms, the same
        boosts as tsvector weights, no length normalisation.
        """
        terms = list(dict.fromkeys(t for t in query_terms if t))
        if not terms or k <= 0:
            return []
        if method == "ts_rank_cd":
            rows = self._all(
                "SELECT passage_id, ts_rank_cd(%s::float4[], tsv, q) AS score"
                " FROM passage_keywords, CAST(%s AS tsquery) AS q WHERE tsv @@ q"
                " ORDER BY score DESC, passage_id LIMIT %s",
                (TS_RANK_WEIGHTS, tsquery_literal(terms), k),
            )
        elif method == "bm25":
            return [
                (pid, score) for pid, _, score in self.keyword_hits([(t, 1.0) for t in terms], k)
            ]
        else:
            raise ValueError(f"unknown keyword search method {method!r}")
        return [(int(r["passage_id"]), float(r["score"])) for r in rows]

    def keyword_hits(
        self, weighted_terms: Sequence[tuple[str, float]], k: int = 10
    ) -> list[tuple[int, int, float]]:
        """Top ``k`` (passage id, document id, BM25 score) for (index term, weight) pairs, best
        first, ties by passage id: each term's BM25 (as :meth:`keyword_search`'s) times its
        weight, summed, as the embedded index scores a query with weaker expansion terms."""
        weights: dict[str, float] = {}
        for term, weight in weighted_terms:
            if term and term not in weights:
                weights[term] = float(weight)
        if not weights or k <= 0:
            return []
        rows = self._all(
            "WITH q AS (SELECT * FROM unnest(%(terms)s::text[], %(weights)s::float8[])"
            "  AS q(term, weight)),"
            " hits AS (SELECT pt.document_id, pt.passage_id, pt.field, pt.term, pt.tf, pt.norm,"
            "  q.weight FROM passage_terms pt JOIN q USING (term)),"
            " df AS (SELECT field, term, count(*) AS n FROM hits GROUP BY field, term)"
            " SELECT h.passage_id, h.document_id, sum(h.weight"
            "  * (%(boosts)s::float8[])[h.field + 1]"
            "  * ln(1 + (t.passages - df.n + 0.5)::float8 / (df.n + 0.5))"
            "  * h.tf * (%(k1)s + 1) / (h.tf + %(k1)s * (1 - %(b)s + %(b)s * h.norm"
            "    / (t.tokens::float8 / t.passages)))) AS score"
            " FROM hits h JOIN df USING (field, term) JOIN keyword_totals t USING (field)"
            " GROUP BY h.document_id, h.passage_id ORDER BY score DESC, h.passage_id"
            " LIMIT %(k)s",
            {
                "terms": list(weights),
                "weights": list(weights.values()),
                "boosts": list(FIELD_BOOSTS),
                "k1": K1,
                "b": B,
                "k": k,
            },
        )
        return [(int(r["passage_id"]), int(r["document_id"]), float(r["score"])) for r in rows]

    def write_vectors(
        self, pairs: Iterable[tuple[int, Iterable[float]]], *, model: str = DEFAULT_MODEL
    ) -> int:
        """Store (passage id, unit vector) pairs of ``model`` in one transaction, replacing any
        it had; returns how many were stored (passages that no longer exist are skipped)."""
        ids: list[int] = []
        vectors: list[str] = []
        for pid, vector in pairs:
            ids.append(int(pid))
            vectors.append(_vector_literal(vector))
        if not ids:
            return 0
        with self.conn.transaction():
            cur = self.conn.execute(
                "INSERT INTO passage_vectors(document_id, passage_id, model, vector)"
                " SELECT p.document_id, p.id, %s, v.vec::vector"
                " FROM unnest(%s::bigint[], %s::text[]) AS v(pid, vec)"
                " JOIN passages p ON p.id = v.pid"
                " ON CONFLICT (document_id, passage_id, model) DO UPDATE SET vector = excluded.vector",
                (model, ids, vectors),
            )
            return cur.rowcount

    def vector_search(
        self, vector: Iterable[float], k: int = 10, *, model: str = DEFAULT_MODEL
    ) -> list[tuple[int, float]]:
        """The ``k`` passages nearest ``vector`` (cosine) among ``model``'s, as (passage id,
        cosine similarity), nearest first: an approximate (HNSW) search."""
        if k <= 0:
            return []
        with self.conn.transaction():
            # The model filter is applied during the index scan: iterative scans keep going
            # until k rows pass it (pgvector >= 0.8); ef_search at least k keeps recall up.
            self.conn.execute("SET LOCAL hnsw.iterative_scan = strict_order")
            self.conn.execute(f"SET LOCAL hnsw.ef_search = {max(40, min(int(k), 1000))}")
            rows = self._all(
                "SELECT passage_id, vector <=> %s::vector AS distance FROM passage_vectors"
                " WHERE model = %s ORDER BY distance LIMIT %s",
                (_vector_literal(vector), model, k),
            )
        return [(int(r["passage_id"]), 1.0 - float(r["distance"])) for r in rows]

    def count_vectors(self, model: str = DEFAULT_MODEL) -> int:
        """Passages with a dense vector of ``model``."""
        return self._count("SELECT count(*) FROM passage_vectors WHERE model = %s", (model,))

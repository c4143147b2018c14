"""Dense passage vectors in PostgreSQL (pgvector), behind the interface of
:class:`medcite.store.vectors.SQLiteVectors`: the dense index (medcite.index.dense) embeds and
stores vectors the same way on both backends. Its values are float16 bytes, as SQLite stores
them; here they are converted to and from pgvector's ``vector`` (searched by HNSW in
:meth:`medcite.store.pg_documents.PostgresStore.vector_search`).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import TYPE_CHECKING

from medcite.store.vectors import VectorSource

if TYPE_CHECKING:
    from medcite.store.pg_connections import PostgresBase


def vector_literal(blob: bytes) -> str:
    """float16 bytes (little-endian) as pgvector's text input."""
    values = struct.unpack(f"<{len(blob) // 2}e", blob)
    return "[" + ",".join(repr(float(v)) for v in values) + "]"


def vector_bytes(text: str) -> bytes:
    """pgvector's text output as float16 bytes (little-endian)."""
    values = [float(v) for v in text.strip("[]").split(",") if v]
    return struct.pack(f"<{len(values)}e", *values)


class PostgresVectors:
    """The ``passage_vectors`` table of one PostgreSQL store (its connection per thread)."""

    def __init__(self, store: PostgresBase) -> None:
        self.store = store

    def pending(self, model: str) -> int:
        """Passages with no vector of ``model``."""
        return self.store._count(
            "SELECT count(*) FROM passages p WHERE NOT EXISTS (SELECT 1 FROM passage_vectors v"
            " WHERE v.document_id = p.document_id AND v.passage_id = p.id AND v.model = %s)",
            (model,),
        )

    def drop_other_models(self, model: str) -> None:
        """Delete the vectors of every model but ``model`` (search never reads them)."""
        self.store.conn.execute("DELETE FROM passage_vectors WHERE model != %s", (model,))

    def without_vector(self, model: str, limit: int) -> list[VectorSource]:
        """Up to ``limit`` passages with no vector of ``model``, in id order."""
        rows = self.store._all(
            "SELECT p.id, p.section, p.text, d.title, d.focus FROM passages p"
            " JOIN documents d ON d.id = p.document_id WHERE NOT EXISTS"
            " (SELECT 1 FROM passage_vectors v WHERE v.document_id = p.document_id"
            " AND v.passage_id = p.id AND v.model = %s) ORDER BY p.id LIMIT %s",
            (model, limit),
        )
        return [
            VectorSource(int(r["id"]), r["section"] or "", r["text"], r["title"], r["focus"])
            for r in rows
        ]

    def put(self, model: str, vectors: Sequence[tuple[int, bytes]]) -> None:
        """Store (passage id, float16 vector bytes) pairs of ``model`` in one transaction."""
        if not vectors:
            return
        conn = self.store.conn
        with conn.transaction():
            conn.execute(
                "INSERT INTO passage_vectors(document_id, passage_id, model, vector)"
                " SELECT p.document_id, p.id, %s, v.vec::vector"
                " FROM unnest(%s::bigint[], %s::text[]) AS v(pid, vec)"
                " JOIN passages p ON p.id = v.pid"
                " ON CONFLICT (document_id, passage_id, model)"
                " DO UPDATE SET vector = excluded.vector",
                (model, [pid for pid, _ in vectors], [vector_literal(b) for _, b in vectors]),
            )

    def state(self, model: str) -> tuple[int, int]:
        """(count, highest passage id) of ``model``'s vectors: changes when they do."""
        row = self.store._one(
            "SELECT count(*) AS n, coalesce(max(passage_id), 0) AS top FROM passage_vectors"
            " WHERE model = %s",
            (model,),
        )
        assert row is not None
        return int(row["n"]), int(row["top"])

    def all(self, model: str) -> list[tuple[int, object]]:
        """Every (passage id, float16 bytes) of ``model``, by passage id."""
        rows = self.store._all(
            "SELECT passage_id, vector::text AS vec FROM passage_vectors WHERE model = %s"
            " ORDER BY passage_id",
            (model,),
        )
        return [(int(r["passage_id"]), vector_bytes(r["vec"])) for r in rows]

    def delete(self, model: str, passage_ids: Sequence[int]) -> None:
        """Delete ``model``'s vectors of ``passage_ids`` in one transaction."""
        self.store.conn.execute(
            "DELETE FROM passage_vectors WHERE model = %s AND passage_id = ANY(%s)",
            (model, list(passage_ids)),
        )

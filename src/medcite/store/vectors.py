"""Dense passage vectors in SQLite (``passage_vectors``, float16 bytes per model): the SQL the
dense index needs, so that the index holds none (it sees only rows and bytes)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class VectorSource:
    """What gets embedded for one passage that has no vector yet."""

    passage_id: int
    section: str
    text: str
    title: str
    focus: str | None


class SQLiteVectors:
    """The ``passage_vectors`` table of one SQLite store (its connection, its transactions)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def pending(self, model: str) -> int:
        """Passages with no vector of ``model``."""
        row = self.conn.execute(
            "SELECT count(*) FROM passages p WHERE NOT EXISTS "
            "(SELECT 1 FROM passage_vectors v WHERE v.passage_id = p.id AND v.model = ?)",
            (model,),
        ).fetchone()
        return int(row[0])

    def drop_other_models(self, model: str) -> None:
        """Delete the vectors of every model but ``model`` (search never reads them)."""
        with self.conn:
            self.conn.execute("DELETE FROM passage_vectors WHERE model != ?", (model,))

    def without_vector(self, model: str, limit: int) -> list[VectorSource]:
        """Up to ``limit`` passages with no vector of ``model``, in id order."""
        rows = self.conn.execute(
            "SELECT p.id, p.section, p.text, d.title, d.focus FROM passages p "
            "JOIN documents d ON d.id = p.document_id WHERE NOT EXISTS "
            "(SELECT 1 FROM passage_vectors v WHERE v.passage_id = p.id AND v.model = ?) "
            "ORDER BY p.id LIMIT ?",
            (model, limit),
        ).fetchall()
        return [VectorSource(int(r[0]), r[1] or "", r[2], r[3], r[4]) for r in rows]

    def put(self, model: str, vectors: Sequence[tuple[int, bytes]]) -> None:
        """Store (passage id, vector bytes) pairs of ``model`` in one transaction."""
        with self.conn:
            self.conn.executemany(
                "INSERT OR REPLACE INTO passage_vectors(passage_id, model, vector) VALUES (?, ?, ?)",
                [(pid, model, blob) for pid, blob in vectors],
            )

    def state(self, model: str) -> tuple[int, int]:
        """(count, highest passage id) of ``model``'s vectors: changes when they do."""
        row = self.conn.execute(
            "SELECT count(*), coalesce(max(passage_id), 0) FROM passage_vectors WHERE model = ?",
            (model,),
        ).fetchone()
        return int(row[0]), int(row[1])

    def all(self, model: str) -> list[tuple[int, object]]:
        """Every (passage id, stored value) of ``model``, by passage id (values unchecked)."""
        rows = self.conn.execute(
            "SELECT passage_id, vector FROM passage_vectors WHERE model = ? ORDER BY passage_id",
            (model,),
        ).fetchall()
        return [(int(r[0]), r[1]) for r in rows]

    def delete(self, model: str, passage_ids: Sequence[int]) -> None:
        """Delete ``model``'s vectors of ``passage_ids`` in one transaction."""
        with self.conn:
            self.conn.executemany(
                "DELETE FROM passage_vectors WHERE passage_id = ? AND model = ?",
                [(pid, model) for pid in passage_ids],
            )

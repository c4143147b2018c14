"""Dense passage vectors, kept in the store and searched exactly in memory.

Vectors live in SQLite (``passage_vectors``, float16) so they survive restarts without
re-embedding, follow document updates through ``ON DELETE CASCADE``, and an interrupted build
resumes where it stopped (each batch commits). Search is an exact dot product over the loaded
matrix: 64k x 384 float32 takes a few milliseconds, so no approximate index is needed at this size.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np
import numpy.typing as npt

from medcite.store.sqlite import SQLiteStore


class Embedder(Protocol):
    name: str
    dimensions: int

    def embed(
        self, texts: list[str], on_batch: Callable[[int], None] | None = None
    ) -> npt.NDArray[np.float32]: ...


def passage_text(section: str, text: str, about: str) -> str:
    """What gets embedded: what the document is about, the heading, then the passage."""
    return " | ".join(part for part in (about, section, text) if part)


class DenseIndex:
    def __init__(self, store: SQLiteStore, embedder: Embedder) -> None:
        self.store = store
        self.embedder = embedder
        self._matrix: npt.NDArray[np.float32] | None = None
        self._ids: npt.NDArray[np.int64] | None = None
        self._loaded_key: tuple[int, int] | None = None
        self.dropped = 0  # damaged vectors found and removed (re-embedded by the next update)

    def pending(self) -> int:
        row = self.store.conn.execute(
            "SELECT count(*) FROM passages p WHERE NOT EXISTS "
            "(SELECT 1 FROM passage_vectors v WHERE v.passage_id = p.id AND v.model = ?)",
            (self.embedder.name,),
        ).fetchone()
        return int(row[0])

    def update(self, *, batch: int = 256, on_progress: Callable[[int], None] | None = None) -> int:
        """Embed every passage that has no vector yet; commits per batch. Returns how many.

        Vectors of other models (an earlier embedder) are deleted first: search never reads them.
        """
        with self.store.conn:
            self.store.conn.execute(
                "DELETE FROM passage_vectors WHERE model != ?", (self.embedder.name,)
            )
        done = 0
        while True:
            rows = self.store.conn.execute(
                "SELECT p.id, p.section, p.text, d.title, d.focus FROM passages p "
                "JOIN documents d ON d.id = p.document_id WHERE NOT EXISTS "
                "(SELECT 1 FROM passage_vectors v WHERE v.passage_id = p.id AND v.model = ?) "
                "ORDER BY p.id LIMIT ?",
                (self.embedder.name, batch),
            ).fetchall()
            if not rows:
                return done
            texts = [
                passage_text(
                    r[1] or "", r[2], r[3] if not r[4] or r[4] == r[3] else f"{r[3]}; {r[4]}"
                )
                for r in rows
            ]
            vectors = self.embedder.embed(texts).astype("<f2")
            with self.store.conn:
                self.store.conn.executemany(
                    "INSERT OR REPLACE INTO passage_vectors(passage_id, model, vector) VALUES (?, ?, ?)",
                    [(r[0], self.embedder.name, vectors[i].tobytes()) for i, r in enumerate(rows)],
                )
            done += len(rows)
            if on_progress:
                on_progress(len(rows))

    def _load(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        key_row = self.store.conn.execute(
            "SELECT count(*), coalesce(max(passage_id), 0) FROM passage_vectors WHERE model = ?",
            (self.embedder.name,),
        ).fetchone()
        key = (int(key_row[0]), int(key_row[1]))
        if self._loaded_key != key or self._matrix is None or self._ids is None:
            rows = self.store.conn.execute(
                "SELECT passage_id, vector FROM passage_vectors WHERE model = ? ORDER BY passage_id",
                (self.embedder.name,),
            ).fetchall()
            dims = self.embedder.dimensions
            bad = [r[0] for r in rows if not isinstance(r[1], bytes) or len(r[1]) != dims * 2]
            if bad:
                # Damaged rows are dropped so that the next update re-embeds those passages.
                with self.store.conn:
                    self.store.conn.executemany(
                        "DELETE FROM passage_vectors WHERE passage_id = ? AND model = ?",
                        [(pid, self.embedder.name) for pid in bad],
                    )
                self.dropped += len(bad)
                damaged = set(bad)
                rows = [r for r in rows if r[0] not in damaged]
                key = (len(rows), max((r[0] for r in rows), default=0))
            self._ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
            blob = b"".join(r[1] for r in rows)
            self._matrix = (
                np.frombuffer(blob, dtype="<f2").reshape(len(rows), dims).astype(np.float32)
            )
            self._loaded_key = key
        return self._ids, self._matrix

    def search(self, query: str, k: int = 10) -> list[tuple[int, float]]:
        ids, matrix = self._load()
        if len(ids) == 0:
            return []
        sims = matrix @ self.embedder.embed([query])[0]
        k = min(k, len(ids))
        top = np.argpartition(-sims, k - 1)[:k]
        top = top[np.argsort(-sims[top])]
        return [(int(ids[i]), float(sims[i])) for i in top]

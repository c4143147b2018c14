"""Dense passage vectors, kept in the store and searched exactly in memory.

Vectors live in the store (``passage_vectors``, float16; its SQL in medcite.store.vectors) so
they survive restarts without
re-embedding, follow document updates through ``ON DELETE CASCADE``, and an interrupted build
resumes where it stopped (each batch commits). Search is an exact dot product over the loaded
matrix: 64k x 384 float32 takes a few milliseconds, so no approximate index is needed at this size.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Protocol

import numpy as np
import numpy.typing as npt

from medcite.store.base import Store


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
    def __init__(self, store: Store, embedder: Embedder) -> None:
        self.store = store
        self.embedder = embedder
        self._matrix: npt.NDArray[np.float32] | None = None
        self._ids: npt.NDArray[np.int64] | None = None
        self._loaded_key: tuple[int, int] | None = None
        # Server threads search at once: one reloads the matrix, the others wait for it.
        self._load_lock = threading.Lock()
        self.dropped = 0  # damaged vectors found and removed (re-embedded by the next update)

    def pending(self) -> int:
        return self.store.vectors.pending(self.embedder.name)

    def update(self, *, batch: int = 256, on_progress: Callable[[int], None] | None = None) -> int:
        """Embed every passage that has no vector yet; commits per batch. Returns how many.

        Vectors of other models (an earlier embedder) are deleted first: search never reads them.
        """
        vectors, model = self.store.vectors, self.embedder.name
        vectors.drop_other_models(model)
        done = 0
        while True:
            rows = vectors.without_vector(model, batch)
            if not rows:
                return done
            texts = [
                passage_text(
                    r.section,
                    r.text,
                    r.title if not r.focus or r.focus == r.title else f"{r.title}; {r.focus}",
                )
                for r in rows
            ]
            embedded = self.embedder.embed(texts).astype("<f2")
            vectors.put(model, [(r.passage_id, embedded[i].tobytes()) for i, r in enumerate(rows)])
            done += len(rows)
            if on_progress:
                on_progress(len(rows))

    def _load(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        with self._load_lock:
            return self._load_unlocked()

    def _load_unlocked(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        vectors, model = self.store.vectors, self.embedder.name
        key = vectors.state(model)
        if self._loaded_key != key or self._matrix is None or self._ids is None:
            rows = vectors.all(model)
            dims = self.embedder.dimensions
            bad = [
                pid for pid, blob in rows if not isinstance(blob, bytes) or len(blob) != dims * 2
            ]
            if bad:
                # Damaged rows are dropped so that the next update re-embeds those passages.
                vectors.delete(model, bad)
                self.dropped += len(bad)
                damaged = set(bad)
                rows = [r for r in rows if r[0] not in damaged]
                key = (len(rows), max((r[0] for r in rows), default=0))
            self._ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
            blob = b"".join(b for _, b in rows if isinstance(b, bytes))
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

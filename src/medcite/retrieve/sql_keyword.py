"""The second keyword backend: BM25 computed by the store itself (PostgreSQL: postings written
with the passages, scored in SQL as tantivy scores them), so servers sharing one database need
no keyword index on disk, and an ingest into it needs none built.

:func:`open_keyword_reader` is how retrieval opens keyword search: the store's own search when
it has one (:class:`~medcite.store.base.DatabaseKeywords`), the tantivy index otherwise
(medcite.index.updater.keyword_reader, unchanged).
"""

from __future__ import annotations

from collections.abc import Sequence

from medcite.config import Settings
from medcite.index.analysis import analyze
from medcite.index.keyword import weighted_terms
from medcite.index.updater import keyword_reader
from medcite.retrieve.base import KeywordReader
from medcite.store.base import DatabaseKeywords, Store


class DatabaseKeywordIndex:
    """:class:`~medcite.retrieve.base.KeywordReader` over a store that searches keywords itself.
    Reads only; always current (the postings are written in the documents' transaction)."""

    def __init__(self, store: DatabaseKeywords, frontier: tuple[int, int] | None = None) -> None:
        self.store = store
        self.frontier = frontier

    def num_docs(self) -> int:
        return self.store.keyword_passages()

    def doc_freq(self, term: str) -> int:
        """Passages holding the index term ``term`` (already analysed), in its most used field."""
        return self.store.keyword_doc_freq(term)

    def knows(self, word: str) -> bool:
        """Whether any passage contains ``word`` (after analysis) in any field."""
        terms = analyze(word)
        if not terms:
            return True  # a stop word or punctuation: nothing to correct
        return all(self.doc_freq(t) > 0 for t in terms)

    def search_with_documents(
        self,
        text: str,
        k: int = 10,
        expansion: str = "",
        expansion_weight: float = 0.3,
        extra_terms: Sequence[str] = (),
    ) -> list[tuple[int, int, float]]:
        """Top ``k`` (passage id, document id, BM25 score) for free text (+ weaker expansion
        terms), as the tantivy index's method of the same name."""
        weighted = weighted_terms(text, expansion, expansion_weight, extra_terms)
        return self.store.keyword_hits(weighted, k) if weighted else []

    def has_phrase(self, phrases: Sequence[Sequence[tuple[int, str]]]) -> bool:
        """Whether any passage holds one of ``phrases``: their terms adjacent and in order (the
        database keeps no gaps where stop words were, so positions count only as order)."""
        return self.store.keyword_has_phrase([[term for _, term in p] for p in phrases])


def open_keyword_reader(
    store: Store, settings: Settings, reader: KeywordReader | None = None
) -> KeywordReader:
    """Keyword search over ``store``: ``reader`` (an earlier call's) while the store is where it
    was, a fresh one after documents changed."""
    if isinstance(store, DatabaseKeywords):
        frontier = store.index_frontier()
        if reader is not None and reader.frontier == frontier:
            return reader
        return DatabaseKeywordIndex(store, frontier)
    from medcite.index.keyword import KeywordIndex

    assert reader is None or isinstance(reader, KeywordIndex)
    return keyword_reader(store, settings, reader)

"""The retrieval contract: a question in, ranked evidence and the analysis it was ranked by out.

Two implementations keep it honest: :class:`medcite.retrieve.hybrid.HybridRetriever` (BM25 +
optional dense vectors, fused, with an evidence prior and per-document diversity) and
:class:`medcite.retrieve.keyword.KeywordRetriever` (BM25 alone). tests/retrieve/
test_retriever_contract.py runs one conformance suite against both.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple, Protocol

from medcite.retrieve.query import QueryAnalysis
from medcite.types import Evidence


class Retrieval(NamedTuple):
    """What a search returns: the hits, best first, and how the query was understood (intent,
    focus concept, spelling correction) -- no side channel on the retriever.
    ``hits, analysis = retriever.search(q)`` unpacks it."""

    hits: list[Evidence]
    analysis: QueryAnalysis


class Retriever(Protocol):
    def search(self, query: str, k: int = 10) -> Retrieval:
        """The ``k`` best passages for ``query`` (fewer when fewer match); raises QueryError for
        an empty or oversized query."""
        ...


class KeywordReader(Protocol):
    """BM25 keyword search as retrieval reads it, from one of two backends: the tantivy index on
    disk (medcite.index.keyword.KeywordIndex, the embedded default) or the store's own search
    (medcite.retrieve.sql_keyword.DatabaseKeywordIndex, PostgreSQL). Both score the same
    analysed terms with the same BM25 and field boosts."""

    # (last passage id, last tombstone) of the store the reader reflects: a reader is reopened
    # (and the vocabulary rebuilt) when the store's moves on.
    frontier: tuple[int, int] | None

    def num_docs(self) -> int: ...

    def doc_freq(self, term: str) -> int: ...

    def knows(self, word: str) -> bool: ...

    def search_with_documents(
        self,
        text: str,
        k: int = 10,
        expansion: str = "",
        expansion_weight: float = 0.3,
        extra_terms: Sequence[str] = (),
    ) -> list[tuple[int, int, float]]: ...

    def has_phrase(self, phrases: Sequence[Sequence[tuple[int, str]]]) -> bool: ...

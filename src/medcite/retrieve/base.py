"""The retrieval contract: a question in, ranked evidence and the analysis it was ranked by out.

Two implementations keep it honest: :class:`medcite.retrieve.hybrid.HybridRetriever` (BM25 +
optional dense vectors, fused, with an evidence prior and per-document diversity) and
:class:`medcite.retrieve.keyword.KeywordRetriever` (BM25 alone). tests/retrieve/
test_retriever_contract.py runs one conformance suite against both.
"""

from __future__ import annotations

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

"""Keyword retrieval: BM25 over the tantivy keyword index, opened read-only (or the store's own
BM25 in SQL, for PostgreSQL: medcite.retrieve.sql_keyword).

Returns :class:`~medcite.types.Evidence` (passage + cited document + score).
:class:`KeywordRetriever` is the second implementation of the retrieval contract
(medcite.retrieve.base): BM25 alone, no fusion, prior or query expansion.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from medcite.config import Settings
from medcite.errors import QueryError
from medcite.retrieve.base import Retrieval
from medcite.retrieve.fusion import diversify
from medcite.retrieve.query import analyse
from medcite.retrieve.sql_keyword import open_keyword_reader
from medcite.retrieve.vocabulary import Vocabulary
from medcite.store.base import Store
from medcite.types import Evidence

MAX_QUERY_CHARS = 1000
OVERFETCH = 4
MAX_PER_DOCUMENT = 2


def validate_query(query: str) -> str:
    """Strip control characters; refuse empty or oversized queries with a clear message."""
    cleaned = "".join(ch if ch.isprintable() else " " for ch in query).strip()
    if not cleaned:
        raise QueryError("the query is empty")
    if len(cleaned) > MAX_QUERY_CHARS:
        raise QueryError(
            f"the query is too long ({len(cleaned)} characters; at most {MAX_QUERY_CHARS})"
        )
    return cleaned


def keyword_search(store: Store, settings: Settings, query: str, k: int = 10) -> list[Evidence]:
    """Top ``k`` passages by BM25, each with its document."""
    query = validate_query(query)
    index = open_keyword_reader(store, settings)
    # Over-fetch, then cap passages per document so one long page cannot fill the list.
    hits = index.search_with_documents(query, k * OVERFETCH)
    ranked = diversify(
        [(pid, score) for pid, _, score in hits],
        {pid: did for pid, did, _ in hits},
        max_per_group=MAX_PER_DOCUMENT,
        limit=k,
    )
    return evidence_for(store, ranked, "bm25")


def evidence_for(store: Store, hits: list[tuple[int, float]], part: str) -> list[Evidence]:
    """Turn (passage id, score) hits into Evidence, dropping ids the store no longer has."""
    passages = store.get_passages_by_id([pid for pid, _ in hits])
    docs = store.get_documents(
        sorted({p.document_id for p in passages.values() if p.document_id}), with_body=False
    )
    out: list[Evidence] = []
    for pid, score in hits:
        passage = passages.get(pid)
        if passage is None or passage.document_id not in docs:
            continue
        out.append(
            Evidence(
                passage=passage,
                document=docs[passage.document_id],
                score=score,
                score_parts={part: score},
            )
        )
    return out


@dataclass(slots=True)
class KeywordRetriever:
    """BM25 over the keyword index; the query is analysed (intent, focus) but searched as
    written."""

    store: Store
    settings: Settings
    vocabulary: Vocabulary = field(init=False)

    def __post_init__(self) -> None:
        self.vocabulary = Vocabulary(self.store)

    def search(self, query: str, k: int = 10) -> Retrieval:
        hits = keyword_search(self.store, self.settings, query, k)
        return Retrieval(hits, analyse(validate_query(query), self.vocabulary))

"""Keyword retrieval over the store's FTS5 index: the first, simple retriever.

Returns :class:`~medcite.types.Evidence` (passage + cited document + score).
"""

from __future__ import annotations

from medcite.errors import QueryError
from medcite.store.sqlite import SQLiteStore
from medcite.types import Evidence

MAX_QUERY_CHARS = 1000


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


def keyword_search(store: SQLiteStore, query: str, k: int = 10) -> list[Evidence]:
    """Top ``k`` passages by BM25 (FTS5), each with its document."""
    query = validate_query(query)
    hits = store.keyword_search(query, k)
    passages = store.get_passages_by_id([pid for pid, _ in hits])
    docs = store.get_documents(sorted({p.document_id for p in passages.values() if p.document_id}))
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
                score_parts={"bm25": score},
            )
        )
    return out

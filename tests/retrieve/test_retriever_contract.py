"""One conformance suite for the retrieval contract (medcite.retrieve.base.Retriever), run
against every implementation: the hybrid retriever and the keyword-only one."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from medcite.config import Settings
from medcite.errors import QueryError
from medcite.retrieve.base import Retrieval, Retriever
from medcite.retrieve.hybrid import HybridRetriever
from medcite.retrieve.keyword import KeywordRetriever
from medcite.store.sqlite import SQLiteStore
from tests.conftest import copy_fixtures, ingest_folder

IMPLEMENTATIONS: dict[str, Callable[[SQLiteStore, Settings], Retriever]] = {
    "hybrid": HybridRetriever.open,
    "keyword": KeywordRetriever,
}


@pytest.fixture(params=sorted(IMPLEMENTATIONS))
def retriever(
    request: pytest.FixtureRequest, tmp_path: Path, store: SQLiteStore, settings: Settings
) -> Retriever:
    ingest_folder(store, settings, copy_fixtures(tmp_path / "corpus"))
    return IMPLEMENTATIONS[request.param](store, settings)


def test_hits_are_ranked_evidence_with_their_documents(retriever: Retriever) -> None:
    result = retriever.search("zorblax syndrome", 4)
    assert isinstance(result, Retrieval)
    hits, analysis = result
    assert 0 < len(hits) <= 4
    assert all(h.passage.document_id == h.document.id for h in hits)
    assert "zorblax" in hits[0].passage.text.lower()
    assert analysis.text == "zorblax syndrome"


def test_one_document_never_crowds_out_the_others(retriever: Retriever) -> None:
    """A document's third passage comes only after every document has shown up to two."""
    hits = retriever.search("zorblax syndrome placeholder", 10).hits
    seen: dict[int, int] = {}
    overflow = []
    for h in hits:
        seen[h.document.id] = seen.get(h.document.id, 0) + 1
        overflow.append(seen[h.document.id] > 2)
    assert overflow == sorted(overflow)  # all the extra passages at the end


def test_the_analysis_says_what_is_asked(retriever: Retriever) -> None:
    analysis = retriever.search("What causes Zorblax syndrome?", 3).analysis
    assert analysis.intent.value == "cause"


def test_nothing_matching_is_an_empty_list_not_an_error(retriever: Retriever) -> None:
    assert retriever.search("qwxyzzy plorbnak", 5).hits == []


@pytest.mark.parametrize("query", ["", "   ", "\x00\x01", "x" * 1001])
def test_an_empty_or_oversized_query_is_refused(retriever: Retriever, query: str) -> None:
    with pytest.raises(QueryError):
        retriever.search(query, 5)

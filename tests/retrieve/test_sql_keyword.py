"""The second keyword backend (medcite.retrieve.sql_keyword: BM25 computed by PostgreSQL)
against the first (the tantivy index) on the same synthetic corpus: the same hits with the same
scores, expansion terms weighted alike, the same document frequencies, phrases found alike.
Skipped where the postgres extra is not installed."""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from medcite.config import Settings
from medcite.index.analysis import analyze
from medcite.index.keyword import KeywordIndex
from medcite.retrieve.sql_keyword import DatabaseKeywordIndex, open_keyword_reader
from tests.conftest import fresh_database
from tests.store.test_document_store import QUERIES, _prepared, _synthetic_corpus

if TYPE_CHECKING:
    from medcite.store.pg_documents import PostgresStore


@pytest.fixture
def pg(postgres_server: str, tmp_path: Path) -> Iterator[PostgresStore]:
    from medcite.store.pg_documents import PostgresStore

    with fresh_database(postgres_server) as url, PostgresStore(url, home=tmp_path) as store:
        yield store


def _same(sql: list[tuple[int, int, float]], embedded: list[tuple[int, int, float]]) -> None:
    assert len(sql) == len(embedded)
    wanted = {pid: (did, score) for pid, did, score in embedded}
    assert {pid for pid, _, _ in sql} == set(wanted)
    for pid, did, score in sql:
        assert did == wanted[pid][0]
        assert math.isclose(score, wanted[pid][1], rel_tol=1e-4), (pid, score, wanted[pid])


def test_database_keywords_score_as_the_embedded_index(pg: PostgresStore, tmp_path: Path) -> None:
    pg.write_documents(_synthetic_corpus())
    index = KeywordIndex.create(tmp_path / "keyword")
    index.update(pg.iter_index_rows(), [])
    database = DatabaseKeywordIndex(pg)
    n = pg.count_passages()
    assert database.num_docs() == index.num_docs() == n
    for query in QUERIES:
        _same(database.search_with_documents(query, n), index.search_with_documents(query, n))
        # Weaker expansion terms and extra (feedback) terms count as the tantivy query's do.
        args = (query, n, "vantric spleen", 0.3, ["plinth", "zorbitis"])
        _same(database.search_with_documents(*args), index.search_with_documents(*args))
    for word in ("zorbitis", "Quillan", "fever", "unknownword", "the"):
        assert database.knows(word) == index.knows(word)
        for term in analyze(word):
            assert database.doc_freq(term) == index.doc_freq(term)
    assert database.search_with_documents("the of", 5) == []


def test_phrases_are_found_in_order(pg: PostgresStore, tmp_path: Path) -> None:
    pg.write_documents(
        [
            _prepared("a", "Flembic drovax tablets calm the vantric tremor."),
            _prepared("b", "Drovax without flembic.", title="Quillan notes"),
        ]
    )
    index = KeywordIndex.create(tmp_path / "keyword")
    index.update(pg.iter_index_rows(), [])
    database = DatabaseKeywordIndex(pg)
    phrase = [(i, analyze(w)[0]) for i, w in enumerate(["flembic", "drovax"])]
    backwards = [(i, analyze(w)[0]) for i, w in enumerate(["tremor", "vantric"])]
    title = [(i, analyze(w)[0]) for i, w in enumerate(["quillan", "notes"])]
    for reader in (index, database):
        assert reader.has_phrase([phrase])
        assert not reader.has_phrase([backwards])
        assert reader.has_phrase([backwards, title])  # any of them
        assert not reader.has_phrase([])


def test_readers_follow_the_store(pg: PostgresStore, tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, mirror=None)
    reader = open_keyword_reader(pg, settings)
    assert isinstance(reader, DatabaseKeywordIndex) and reader.num_docs() == 0
    assert open_keyword_reader(pg, settings, reader) is reader  # nothing changed
    pg.write_documents([_prepared("a", "Zorbitis alpha.")])
    fresh = open_keyword_reader(pg, settings, reader)
    assert fresh is not reader and fresh.search_with_documents("zorbitis", 3)
    assert not (tmp_path / "index").exists()  # no keyword index on disk


def test_each_thread_has_its_own_connection(pg: PostgresStore) -> None:
    mine = pg.conn
    seen: list[object] = []
    thread = threading.Thread(target=lambda: seen.append(pg.conn))
    thread.start()
    thread.join()
    assert seen and seen[0] is not mine and pg.conn is mine

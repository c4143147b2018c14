"""The read path never writes: searches open the keyword index and the store read-only, do not
wait for (or take) tantivy's writer lock, and see what a writer indexed once it recorded it."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from medcite.config import Settings
from medcite.errors import StoreError
from medcite.index.keyword import KeywordIndex
from medcite.index.updater import keyword_index_path, keyword_index_status, update_keyword_index
from medcite.ingest.chunking import build_passages
from medcite.retrieve.hybrid import HybridRetriever
from medcite.retrieve.keyword import keyword_search
from medcite.retrieve.vocabulary import prepare_vocabulary
from medcite.store.base import PreparedDocument
from medcite.store.sqlite import SQLiteStore
from medcite.types import DocType, Document, Section
from tests.conftest import FIXTURES, ingest_folder

NEW_WORD = "quorvantine"


def _new_document() -> PreparedDocument:
    doc = Document(
        source="test",
        source_id="late",
        title="Synthetic late arrival",
        doc_type=DocType.CONSUMER,
        sections=[Section(heading="Late", text=f"The {NEW_WORD} sign came after the index.")],
    )
    body, passages = build_passages(doc.sections)
    return PreparedDocument(doc, body, passages)


@pytest.fixture
def stale_home(tmp_path: Path) -> Iterator[Settings]:
    """A home whose index holds the compose fixtures but not one document written after it
    (as while an ingest runs beside searches)."""
    settings = Settings(home=tmp_path / "home", mirror=None)
    with SQLiteStore(settings.db_path) as store:
        ingest_folder(store, settings, FIXTURES / "compose")
        prepare_vocabulary(store)
        store.write_documents([_new_document()])
    yield settings


def _files(home: Path) -> dict[str, tuple[int, int]]:
    """(mtime, size) of every file under ``home`` but SQLite's WAL and shared-memory files,
    which any reader of a WAL database maps."""
    return {
        str(p.relative_to(home)): (p.stat().st_mtime_ns, p.stat().st_size)
        for p in sorted(home.rglob("*"))
        if p.is_file() and not p.name.endswith(("-wal", "-shm"))
    }


def test_a_search_modifies_no_file_and_leaves_a_stale_index_stale(stale_home: Settings) -> None:
    settings = stale_home
    before = _files(settings.home)
    assert any(name.startswith("index/") for name in before)
    with SQLiteStore.for_reading(settings.db_path) as store:
        assert store.readonly
        hits = HybridRetriever.open(store, settings).search("What causes glimmerpox?", 5).hits
        assert hits
        assert keyword_search(store, settings, NEW_WORD, 5) == []  # not indexed yet
        status = keyword_index_status(store, settings)
    assert status["stale"] and status["pending_passages"] == 1
    assert _files(settings.home) == before


def test_a_search_beside_a_held_writer_neither_waits_nor_fails(stale_home: Settings) -> None:
    """Another process holds tantivy's writer lock (an ingest indexing): a search answers from
    the index as it is, at once; once the writer recorded its update, the same retriever sees
    the new passages."""
    settings = stale_home
    path = keyword_index_path(settings)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time, tantivy\n"
            "writer = tantivy.Index.open(sys.argv[1]).writer(heap_size=15_000_000)\n"
            "print('held', flush=True)\n"
            "time.sleep(60)\n",
            str(path),
        ],
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == b"held"
        with pytest.raises(ValueError, match=r"(?i)lock"):  # the lock really is held
            KeywordIndex.open(path).index.writer(heap_size=15_000_000)
        with SQLiteStore(settings.db_path) as store:
            retriever = HybridRetriever.open(store, settings)
            started = time.monotonic()
            assert retriever.search("What causes glimmerpox?", 5).hits
            assert retriever.search(NEW_WORD, 5).hits == []
            assert time.monotonic() - started < 5
    finally:
        holder.kill()
        holder.wait()
    with SQLiteStore(settings.db_path) as store:
        retriever = HybridRetriever.open(store, settings)
        assert retriever.search(NEW_WORD, 5).hits == []
        update_keyword_index(store, settings)  # what the ingest does at its end
        hits = retriever.search(NEW_WORD, 5).hits
        assert hits and hits[0].document.source_id == "late"
        assert not keyword_index_status(store, settings)["stale"]


def test_a_store_with_passages_and_no_index_says_to_build_it(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home", mirror=None)
    with SQLiteStore(settings.db_path) as store:
        store.write_documents([_new_document()])
        with pytest.raises(StoreError, match="keyword index") as caught:
            keyword_search(store, settings, NEW_WORD, 5)
        assert caught.value.hint and "medcite index" in caught.value.hint
        assert not keyword_index_path(settings).exists()
    empty = Settings(home=tmp_path / "empty", mirror=None)
    with SQLiteStore.for_reading(empty.db_path) as store:  # a new store: created, then read
        assert keyword_search(store, empty, NEW_WORD, 5) == []

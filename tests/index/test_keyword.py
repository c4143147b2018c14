from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from medcite.config import Settings
from medcite.index.analysis import analyze
from medcite.index.keyword import CorruptIndexError, KeywordIndex
from medcite.index.updater import keyword_index_path, update_keyword_index
from medcite.ingest.base import LoadOptions
from medcite.ingest.formats import walk_files
from medcite.ingest.runner import IngestJob, run_ingest
from medcite.retrieve.keyword import keyword_search
from medcite.store.base import IndexState
from medcite.store.sqlite import SQLiteStore
from tests.conftest import copy_fixtures, ingest_folder


def test_analyzer_handles_medical_tokens() -> None:
    assert analyze("What causes Beta-blocker spasms at 2.5 mg of HbA1c?") == [
        "caus",
        "beta",
        "blocker",
        "spasm",
        "2.5",
        "mg",
        "hba1c",
    ]
    assert analyze("what is the") == []


@pytest.fixture
def corpus(fixtures: Path, tmp_path: Path) -> Path:
    return copy_fixtures(tmp_path / "corpus")


def test_incremental_update_adds_and_deletes(
    corpus: Path, store: SQLiteStore, settings: Settings
) -> None:
    ingest_folder(store, settings, corpus)  # indexes too, as `medcite ingest` does
    shutil.rmtree(keyword_index_path(settings))
    store.set_index_state(IndexState("keyword", 0, 0, 0))
    index, first = update_keyword_index(store, settings)
    assert first.added == store.count_passages() == index.num_docs()
    assert first.rebuilt is None

    # Nothing new: a no-op.
    _, again = update_keyword_index(store, settings)
    assert (again.added, again.deleted) == (0, 0)

    # Editing a document replaces its passages: old text disappears from search, new appears.
    target = corpus / "medquad/1_Synthetic_QA/0000002.xml"
    target.write_text(target.read_text().replace("imaginary illness", "fictitious wobblewort"))
    job = IngestJob(str(corpus), list(walk_files(corpus)), None, LoadOptions(root=corpus))
    run_ingest(store, [job], settings)
    index, update = update_keyword_index(store, settings)
    assert update.deleted >= 1 and update.added >= 1
    assert index.num_docs() == store.count_passages()
    hits = keyword_search(store, settings, "fictitious wobblewort", 3)
    assert hits and hits[0].document.source_id == "NINDS/0000002"
    assert all(
        "imaginary illness" not in h.passage.text
        for h in keyword_search(store, settings, "imaginary illness", 10)
    )


def test_title_and_synonyms_are_searchable(
    corpus: Path, store: SQLiteStore, settings: Settings
) -> None:
    ingest_folder(store, settings, corpus)
    # "Wobbly widget syndrome" is only a synonym of the Zorblax topic, never in its text.
    hits = keyword_search(store, settings, "wobbly widget", 5)
    assert hits and hits[0].document.title == "Zorblax Syndrome"
    assert hits[0].score_parts.keys() == {"bm25"}


def test_missing_or_corrupt_index_is_rebuilt(
    corpus: Path, store: SQLiteStore, settings: Settings
) -> None:
    ingest_folder(store, settings, corpus)
    update_keyword_index(store, settings)
    path = keyword_index_path(settings)

    (path / "meta.json").write_text("{ not json", encoding="utf-8")
    with pytest.raises(CorruptIndexError):
        KeywordIndex.open(path)
    index, update = update_keyword_index(store, settings)
    assert update.rebuilt and "rebuilding" in update.rebuilt
    assert index.num_docs() == store.count_passages()

    shutil.rmtree(path)
    index, update = update_keyword_index(store, settings)
    assert update.rebuilt and index.num_docs() == store.count_passages()


def test_index_out_of_step_with_its_state_is_rebuilt(
    corpus: Path, store: SQLiteStore, settings: Settings
) -> None:
    ingest_folder(store, settings, corpus)
    index, _ = update_keyword_index(store, settings)
    # Simulate a crash after the index commit but before the state write: extra documents.
    rows = list(store.iter_index_rows())
    index.update(rows[:2], [])
    index, update = update_keyword_index(store, settings)
    assert update.rebuilt and "holds" in update.rebuilt
    assert index.num_docs() == store.count_passages()


@pytest.mark.parametrize("query", ["日本語の質問", "the of and what", "zzqqxx", "💊💊"])
def test_odd_queries_give_empty_results(
    corpus: Path, store: SQLiteStore, settings: Settings, query: str
) -> None:
    ingest_folder(store, settings, corpus)
    assert keyword_search(store, settings, query, 5) == []


def test_knows_the_words_of_indexed_passages_only(
    corpus: Path, store: SQLiteStore, settings: Settings
) -> None:
    ingest_folder(store, settings, corpus)
    index, _ = update_keyword_index(store, settings)
    assert index.knows("Zorblax") and index.knows("zorblax")
    assert index.knows("widgets")  # a synonym in the 'about' field, plural stemmed
    assert not index.knows("zorbalx")  # a misspelling: nothing indexed has it
    assert index.knows("the")  # a stop word: nothing to correct
    assert index.doc_freq("zorblax") >= 1 and index.doc_freq("zorbalx") == 0
    assert index.doc_freq("zorblax") <= index.num_docs()

"""The vocabulary's on-disk caches: the same tables as a fresh build, rebuilt when the store
changes, and opened instead of rebuilt while it does not."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from medcite.config import Settings
from medcite.retrieve import vocabulary as vocabulary_module
from medcite.retrieve.vocabulary import EntryTable, Vocabulary, _Entry, prepare_vocabulary
from medcite.store.sqlite import SQLiteStore
from tests.conftest import copy_fixtures, ingest_folder


def _cache_file(store: SQLiteStore) -> Path:
    return store.path.parent / "cache" / f"{store.path.stem}-corpus-vocabulary.pickle"


def test_entry_table_shares_rows_and_pickles_without_the_objects_it_made() -> None:
    shared = _Entry("Zorblax Syndrome", "mesh", "D000001", ["C99.1"], ["ZBX"])
    table = EntryTable.of({"zorblax syndrome": shared, "zbx syndrome": shared})
    size_before_lookups = len(pickle.dumps(table))
    found = table.get("zbx syndrome")
    assert found == shared and found is not shared  # made from its row
    assert table.get("zorblax syndrome") is found  # one object per row
    assert table.get("nothing") is None and "nothing" not in table
    assert sorted(table) == ["zbx syndrome", "zorblax syndrome"] and len(table) == 2
    assert list(table.values()) == [shared]  # each entry once
    with pytest.raises(KeyError):
        table["nothing"]
    copy = pickle.loads(pickle.dumps(table))
    assert copy.get("zbx syndrome") == shared
    assert len(pickle.dumps(table)) == size_before_lookups


def test_the_cached_corpus_vocabulary_is_the_built_one_and_follows_the_store(
    store: SQLiteStore, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest_folder(store, settings, copy_fixtures(tmp_path / "a", "medquad"))
    prepare_vocabulary(store)
    assert _cache_file(store).exists()
    built = vocabulary_module._corpus_vocabulary(store)
    assert "zorblax syndrome" in built

    # While the store is unchanged the cache is opened: the topics are not read again.
    def no_reading() -> list[tuple[str, list[str]]]:
        raise AssertionError("the topics were read again instead of opening the cache")

    with monkeypatch.context() as patch:
        patch.setattr(store, "topic_names", no_reading)
        cached = Vocabulary(store).corpus
    assert sorted(cached) == sorted(built)
    assert all(cached[key] == built[key] for key in built)

    # A new document with a new topic changes the store: the next vocabulary knows it.
    generic = tmp_path / "b"
    generic.mkdir()
    (tmp_path / "b" / "notes.md").write_text(
        "---\nfocus: Quibble Fever\n---\n# Quibble Fever\n\nQuibble fever is a made-up "
        "condition of test robots, invented for this test only.\n",
        encoding="utf-8",
    )
    ingest_folder(store, settings, generic)
    assert "quibble fever" in Vocabulary(store).corpus


def test_a_damaged_cache_is_rebuilt(store: SQLiteStore, settings: Settings, tmp_path: Path) -> None:
    ingest_folder(store, settings, copy_fixtures(tmp_path / "a", "medquad"))
    prepare_vocabulary(store)
    _cache_file(store).write_bytes(b"\x00garbage")
    assert "zorblax syndrome" in Vocabulary(store).corpus
    assert pickle.loads(_cache_file(store).read_bytes())[0] == 1  # rewritten, readable again

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from medcite.errors import StoreError
from medcite.ingest.chunking import build_passages
from medcite.store.base import FileMark, PreparedDocument, WriteOutcome
from medcite.store.migrate import available_migrations
from medcite.store.sqlite import SQLiteStore
from medcite.types import DocType, Document, Section


def _prepared(
    source_id: str, text: str, *, title: str = "Synthetic title", year: int | None = None
) -> PreparedDocument:
    doc = Document(
        source="test",
        source_id=source_id,
        title=title,
        doc_type=DocType.RESEARCH,
        year=year,
        sections=[Section(heading="H", text=text)],
    )
    body, passages = build_passages(doc.sections)
    return PreparedDocument(doc, body, passages)


def test_migrations_apply_once_and_wal(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    with SQLiteStore(path) as s:
        versions = [
            r[0] for r in s.conn.execute("SELECT version FROM schema_migrations ORDER BY 1")
        ]
        assert versions == [m.version for m in available_migrations()]
        assert s.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with SQLiteStore(path) as s:  # re-open: nothing re-applied, no error
        assert s.conn.execute("SELECT count(*) FROM schema_migrations").fetchone()[0] == len(
            versions
        )


def test_write_outcomes(store: SQLiteStore) -> None:
    a = _prepared("a", "Synthetic alpha text.")
    assert store.write_documents([a]) == [WriteOutcome.ADDED]
    assert store.write_documents([_prepared("a", "Synthetic alpha text.")]) == [
        WriteOutcome.UNCHANGED
    ]
    # Same content under another key is a duplicate and is not stored twice.
    assert store.write_documents([_prepared("b", "Synthetic alpha text.")]) == [
        WriteOutcome.DUPLICATE
    ]
    assert store.count_documents() == 1
    # Changed content under the same key replaces the document and its passages.
    changed = _prepared("a", "Synthetic alpha text, revised. A second sentence.")
    assert store.write_documents([changed]) == [WriteOutcome.UPDATED]
    doc = store.find_document("test", "a")
    assert doc is not None and doc.body == changed.body
    passages = store.get_passages(doc.id)
    assert [p.text for p in passages] == [p.text for p in changed.passages]
    assert store.count_passages() == len(changed.passages)
    # Metadata-only change is an update too.
    assert store.write_documents([_prepared("a", changed.body, year=2001)]) == [
        WriteOutcome.UPDATED
    ]
    doc = store.find_document("test", "a")
    assert doc is not None and doc.year == 2001


def test_batch_is_atomic_with_file_mark(store: SQLiteStore) -> None:
    good = _prepared("g", "Synthetic good text.")
    bad = _prepared("x", "Synthetic other text.")
    bad.passages[0].char_end = -5  # violates CHECK (char_end >= char_start)
    with pytest.raises(sqlite3.IntegrityError):
        store.write_documents([good, bad], done_file=FileMark("/f", "1-2", "test", 2))
    assert store.count_documents() == 0
    assert not store.file_done("/f", "1-2")
    store.write_documents([good], done_file=FileMark("/f", "1-2", "test", 1))
    assert store.file_done("/f", "1-2") and not store.file_done("/f", "9-9")


def test_stats_per_source_and_type(store: SQLiteStore) -> None:
    store.write_documents([_prepared("s1", "One synthetic."), _prepared("s2", "Two synthetic.")])
    (row,) = store.stats()
    assert (row.source, row.doc_type, row.documents, row.passages) == ("test", "research", 2, 2)


def test_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="cannot open store"):
        SQLiteStore(path)


def test_old_store_upgrades_keeping_ids_and_retiring_deleted_ones(tmp_path: Path) -> None:
    """A store made before migration 008 (passages without AUTOINCREMENT) keeps its rows, ids,
    vectors and tombstone trigger; ids deleted before the upgrade are never handed out again."""
    path = tmp_path / "old.db"
    with SQLiteStore(path, migrate_until=7) as old:  # the old schema, written through the store
        old.write_documents(
            [_prepared(k, f"Synthetic {k} vorpalia. Second {k} line.") for k in "abc"]
        )
        old.vectors.put("m", [(pid, b"\x01\x02") for pid in (1, 2, 3)])
        old.write_documents([_prepared("c", "Synthetic c vorpalia, revised.")])  # tombstones
        assert "AUTOINCREMENT" not in _table_sql(old, "passages")
        before = {p.id: p.text for p in old.iter_passages()}
        vectors = old.vectors.state("m")
        deleted = [pid for _, pid in old.tombstones_after(0)]
    assert deleted and max(deleted) >= max(before)  # the old schema reused the newest ids
    with SQLiteStore(path) as s:
        assert "AUTOINCREMENT" in _table_sql(s, "passages")
        assert {p.id: p.text for p in s.iter_passages()} == before
        assert s.vectors.state("m") == vectors and vectors[0] == 2
        s.write_documents([_prepared("c", "Synthetic c vorpalia, revised twice.")])
        after = {p.id for p in s.iter_passages()} - set(before)
        assert after and min(after) > max(max(before), *deleted)
        # The trigger survived: the replaced passages were tombstoned.
        assert len(s.tombstones_after(0)) > len(deleted)
        assert s.conn.execute("PRAGMA foreign_key_check").fetchall() == []


def _table_sql(store: SQLiteStore, table: str) -> str:
    row = store.conn.execute("SELECT sql FROM sqlite_master WHERE name = ?", (table,)).fetchone()
    return str(row[0])

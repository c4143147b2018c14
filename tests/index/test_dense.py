"""Dense vectors stored in SQLite: incremental, resumable, follow document updates."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("onnxruntime")

from medcite.config import Settings
from medcite.index.dense import DenseIndex
from medcite.index.embed import MiniLMEmbedder
from medcite.store.sqlite import SQLiteStore
from tests.conftest import copy_fixtures, ingest_folder


@pytest.fixture(scope="module")
def embedder() -> MiniLMEmbedder:
    return MiniLMEmbedder()


def test_build_search_and_follow_updates(
    fixtures: Path, tmp_path: Path, store: SQLiteStore, settings: Settings, embedder: MiniLMEmbedder
) -> None:
    root = copy_fixtures(tmp_path / "corpus", "medquad")
    ingest_folder(store, settings, root)
    dense = DenseIndex(store, embedder)
    assert dense.pending() == store.count_passages() > 0
    progress: list[int] = []
    assert dense.update(batch=1, on_progress=progress.append) == store.count_passages()
    assert sum(progress) == store.count_passages() and dense.pending() == 0
    assert dense.update() == 0  # nothing left: a no-op
    # Vectors of an earlier model are removed by the next update (search never reads them).
    some_passage = store.conn.execute("SELECT id FROM passages LIMIT 1").fetchone()[0]
    store.conn.execute(
        "INSERT INTO passage_vectors(passage_id, model, vector) VALUES (?, 'older-model', x'00')",
        (some_passage,),
    )
    assert dense.update() == 0
    models = {r[0] for r in store.conn.execute("SELECT DISTINCT model FROM passage_vectors")}
    assert models == {embedder.name}

    hits = dense.search("an imaginary illness in an older file layout", 2)
    top = store.get_passages_by_id([hits[0][0]])[hits[0][0]]
    assert "Quibble fever" in top.text
    assert -1.0 <= hits[-1][1] <= hits[0][1] <= 1.0

    # Re-ingesting a changed document deletes its old vectors (cascade); only it is re-embedded.
    target = root / "medquad/1_Synthetic_QA/0000002.xml"
    target.write_text(target.read_text().replace("imaginary illness", "fictitious malady"))
    ingest_folder(store, settings, root)
    assert dense.pending() == 1
    assert dense.update() == 1
    stored = store.conn.execute("SELECT count(*) FROM passage_vectors").fetchone()[0]
    assert stored == store.count_passages()


def test_vectors_survive_reopen_without_reembedding(
    fixtures: Path, tmp_path: Path, settings: Settings, embedder: MiniLMEmbedder
) -> None:
    root = copy_fixtures(tmp_path / "corpus", "medquad")
    with SQLiteStore(settings.db_path) as store:
        ingest_folder(store, settings, root)
        first = DenseIndex(store, embedder)
        first.update()
        before = first.search("synthetic widgets", 3)
    with SQLiteStore(settings.db_path) as store:
        again = DenseIndex(store, embedder)
        assert again.pending() == 0
        after = again.search("synthetic widgets", 3)
    assert [p for p, _ in before] == [p for p, _ in after]
    assert np.allclose([s for _, s in before], [s for _, s in after], atol=1e-6)


def test_damaged_vectors_are_dropped_and_reembedded(
    fixtures: Path, tmp_path: Path, store: SQLiteStore, settings: Settings, embedder: MiniLMEmbedder
) -> None:
    root = copy_fixtures(tmp_path / "corpus", "medquad")
    ingest_folder(store, settings, root)
    dense = DenseIndex(store, embedder)
    dense.update()
    victim = store.conn.execute("SELECT passage_id FROM passage_vectors LIMIT 1").fetchone()[0]
    store.conn.execute(
        "UPDATE passage_vectors SET vector = x'00ff' WHERE passage_id = ?", (victim,)
    )
    hits = dense.search("synthetic", 5)
    assert dense.dropped == 1 and victim not in [pid for pid, _ in hits]
    assert dense.pending() == 1 and dense.update() == 1
    assert victim in [pid for pid, _ in dense.search("synthetic", 5)]

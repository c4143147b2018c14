from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from medcite.cli import app
from medcite.config import Settings
from medcite.retrieve.hybrid import HybridRetriever
from medcite.store.sqlite import SQLiteStore
from tests.conftest import copy_fixtures, ingest_folder


@pytest.fixture
def filled(fixtures: Path, tmp_path: Path, store: SQLiteStore, settings: Settings) -> SQLiteStore:
    ingest_folder(store, settings, copy_fixtures(tmp_path / "corpus"))
    return store


def test_keyword_only_when_no_vectors(filled: SQLiteStore, settings: Settings) -> None:
    retriever = HybridRetriever.open(filled, settings)
    assert retriever.dense is None
    hits = retriever.search("zorblax syndrome placeholder intervention", 5).hits
    assert hits and all("dense" not in h.score_parts for h in hits)
    assert {"bm25", "rrf", "prior"} <= set(hits[0].score_parts)
    # The guideline (level 1) carries a larger prior than the consumer page (level 5).
    priors = {h.document.doc_type.value: h.score_parts["prior"] for h in hits}
    assert priors["guideline"] > priors["consumer"]


def test_vectors_of_an_earlier_model_are_ignored(filled: SQLiteStore, settings: Settings) -> None:
    pytest.importorskip("onnxruntime")
    passage = filled.conn.execute("SELECT id FROM passages LIMIT 1").fetchone()[0]
    filled.conn.execute(
        "INSERT INTO passage_vectors(passage_id, model, vector) VALUES (?, 'older-model', ?)",
        (passage, bytes(768)),
    )
    retriever = HybridRetriever.open(filled, settings)
    assert retriever.dense is None  # keyword only until `medcite index --dense` re-embeds
    assert retriever.search("zorblax", 3).hits


def test_prior_can_be_turned_off(filled: SQLiteStore, settings: Settings) -> None:
    off = settings.model_copy(update={"evidence_prior": 0.0})
    hits = HybridRetriever.open(filled, off).search("zorblax", 5).hits
    assert hits and all(h.score_parts["prior"] == 1.0 for h in hits)


def test_diversity_cap(filled: SQLiteStore, settings: Settings) -> None:
    one = settings.model_copy(update={"max_passages_per_document": 1})
    hits = HybridRetriever.open(filled, one).search("synthetic", 3).hits
    doc_ids = [h.document.id for h in hits]
    assert len(doc_ids) == len(set(doc_ids))


def test_dense_joins_after_index_dense(fixtures: Path, tmp_path: Path, cli_env: Path) -> None:
    pytest.importorskip("onnxruntime")
    runner = CliRunner()
    root = copy_fixtures(tmp_path / "corpus", "medquad")
    assert runner.invoke(app, ["ingest", str(root)]).exit_code == 1  # the truncated fixture file
    result = runner.invoke(app, ["index", "--dense", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["embedded"] == 3
    stats = json.loads(runner.invoke(app, ["stats", "--json"]).stdout)
    assert stats["dense_vectors"] == stats["passages"] == 3
    # A paraphrase with no shared keyword is still found through the dense list.
    result = runner.invoke(
        app, ["search", "made-up sickness described for a software check", "--json"]
    )
    hits = json.loads(result.stdout)["results"]
    assert hits and any("dense" in h["score_parts"] for h in hits)


def test_a_long_lived_retriever_sees_new_documents(
    fixtures: Path, tmp_path: Path, store: SQLiteStore, settings: Settings
) -> None:
    ingest_folder(store, settings, copy_fixtures(tmp_path / "first", "medquad"))
    retriever = HybridRetriever.open(store, settings)
    assert retriever.search("zorblax", 3).hits
    assert not retriever.search("pretend meta-analysis", 3).hits
    ingest_folder(store, settings, copy_fixtures(tmp_path / "second", "pubmedqa"))
    hits = retriever.search("pretend meta-analysis", 3).hits
    assert hits and hits[0].document.source == "pubmedqa"


@pytest.mark.parametrize("query", ["日本語の質問", "\x00\x01 zorblax \x7f", "💊💊💊", "the of and"])
def test_odd_queries_never_crash(filled: SQLiteStore, settings: Settings, query: str) -> None:
    hits = HybridRetriever.open(filled, settings).search(query, 5).hits
    assert isinstance(hits, list)
    if "zorblax" in query:
        assert hits  # control characters are stripped, the word still counts

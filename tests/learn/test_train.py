"""`make train` end to end on a store of synthetic MedQuAD pages (the real run reads the default
corpus; its held-out figures are in docs/answers.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from medcite.config import Settings
from medcite.learn.features import FEATURES
from medcite.learn.intent import CLASSES
from medcite.learn.train import held_out, medquad_questions, train_intent, train_relevance
from medcite.store.sqlite import SQLiteStore
from tests.conftest import FIXTURES, ingest_folder


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SQLiteStore:
    settings = Settings(home=tmp_path / "home", mirror=None)
    monkeypatch.setenv("MEDCITE_HOME", str(settings.home))
    from medcite.config import get_settings

    get_settings.cache_clear()
    s = SQLiteStore(settings.db_path)
    assert ingest_folder(s, settings, FIXTURES / "compose").ok
    yield s
    s.close()
    get_settings.cache_clear()


def test_questions_come_from_the_pages_and_are_split_by_page(store: SQLiteStore) -> None:
    questions = medquad_questions(store)
    assert questions and all(q.text.endswith("?") for q in questions)
    assert {q.group for q in questions} <= set(CLASSES)
    # A page is held out whole: its questions all fall on one side.
    sides: dict[str, set[bool]] = {}
    for q in questions:
        sides.setdefault(q.source_id, set()).add(held_out(q.source_id))
    assert all(len(s) == 1 for s in sides.values())


def test_both_models_train_on_synthetic_pages(store: SQLiteStore) -> None:
    intent, report = train_intent(store)
    assert intent.classes == CLASSES and intent.weights
    assert report["sentences_train"] > 0
    relevance, rel_report = train_relevance(store, intent, 10, embed=False)
    assert relevance.features == FEATURES
    assert rel_report["positives_train"] > 0
    assert rel_report["minilm_cosine"] is False

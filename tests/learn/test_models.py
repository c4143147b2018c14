"""The intent and relevance models: what make train writes reads back and explains itself, and
the shipped intent model has learned what its classes mean."""

from __future__ import annotations

from pathlib import Path

import pytest

from medcite.learn.intent import CLASSES, GROUPS, IntentModel, default_model
from medcite.learn.relevance import RelevanceModel


def test_intent_model_round_trips_and_names_its_evidence(tmp_path: Path) -> None:
    model = IntentModel(
        ("cause", "treatment"), (0.0, 0.0), {"caus": (2.0, -1.0), "treat": (-1.0, 2.0)}
    )
    model.save(tmp_path / "intent.json", {"note": "synthetic"})
    again = IntentModel.load(tmp_path / "intent.json")
    probs = again.probabilities("What causes glimmerpox?")
    assert probs["cause"] > 0.9 and abs(sum(probs.values()) - 1) < 1e-9
    assert again.evidence("Robots are treated with polish.", "treatment") == [("treat", 2.0)]


def test_every_question_type_maps_to_a_class() -> None:
    assert set(GROUPS.values()) == set(CLASSES)


def test_the_shipped_intent_model_reads_what_a_sentence_speaks_of() -> None:
    model = default_model()
    if model is None:
        pytest.skip("no trained intent model (make train)")
    # Synthetic sentences: the words, not the invented condition, carry the intent.
    examples = {
        "Glimmerpox is caused by a mutation in the sparkle gene.": "cause",
        "Treatment of glimmerpox includes medication and surgery.": "treatment",
        "Signs and symptoms of glimmerpox include fever and a rash.": "symptom",
        "Glimmerpox is diagnosed with a blood test.": "diagnosis",
    }
    for sentence, intent in examples.items():
        probs = model.probabilities(sentence)
        assert max(probs, key=lambda c: probs[c]) == intent, (sentence, probs)


def test_relevance_model_explains_its_log_odds(tmp_path: Path) -> None:
    model = RelevanceModel(("cos", "words"), (0.5, 0.5), (0.1, 0.5), (2.0, -1.0), -0.25)
    model.save(tmp_path / "relevance.json", {})
    again = RelevanceModel.load(tmp_path / "relevance.json")
    row = [0.7, 1.0]
    assert again.contributions(row) == pytest.approx([4.0, -1.0])
    assert again.log_odds(row) == pytest.approx(2.75)
    assert 0.9 < again.probability(row) < 1.0
    assert again.explain(row, limit=1) == [("cos", 4.0)]

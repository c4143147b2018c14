from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from medcite.retrieve.fusion import diversify, evidence_multiplier, reciprocal_rank_fusion
from medcite.types import EvidenceLevel


def test_rrf_rewards_agreement() -> None:
    fused = reciprocal_rank_fusion([["a", "b", "c"], ["b", "d", "a"]], k=60)
    assert [item for item, _ in fused] == ["b", "a", "d", "c"]
    assert fused[0][1] == pytest.approx(1 / 62 + 1 / 61)


def test_rrf_weights_and_validation() -> None:
    fused = reciprocal_rank_fusion([["a"], ["b"]], weights=[1.0, 2.0])
    assert [item for item, _ in fused] == ["b", "a"]
    with pytest.raises(ValueError):
        reciprocal_rank_fusion([["a"]], weights=[1.0, 2.0])


@given(st.lists(st.lists(st.integers(0, 30), unique=True, max_size=15), max_size=4))
def test_rrf_properties(rankings: list[list[int]]) -> None:
    fused = reciprocal_rank_fusion(rankings)
    items = [item for item, _ in fused]
    assert sorted(items) == sorted({i for r in rankings for i in r})  # every item once
    scores = [score for _, score in fused]
    assert scores == sorted(scores, reverse=True)
    assert fused == reciprocal_rank_fusion(rankings)  # deterministic


def test_evidence_prior_orders_levels_and_ages() -> None:
    now = 2026
    guideline_new = evidence_multiplier(EvidenceLevel.SYNTHESIS, 2024, current_year=now)
    guideline_old = evidence_multiplier(EvidenceLevel.SYNTHESIS, 1990, current_year=now)
    consumer_new = evidence_multiplier(EvidenceLevel.CONSUMER, 2024, current_year=now)
    assert guideline_new > guideline_old and guideline_new > consumer_new
    assert guideline_old >= 0.9 and guideline_new <= 1.1
    assert evidence_multiplier(EvidenceLevel.CONSUMER, None, strength=0, current_year=now) == 1.0
    assert evidence_multiplier(EvidenceLevel.SYNTHESIS, 1950, strength=0, current_year=now) == 1.0


def test_diversify_caps_per_document_and_backfills() -> None:
    ranked = [("p1", 9.0), ("p2", 8.0), ("p3", 7.0), ("q1", 6.0), ("p4", 5.0)]
    doc = {"p1": "P", "p2": "P", "p3": "P", "p4": "P", "q1": "Q"}
    assert diversify(ranked, doc, max_per_group=2) == [
        ("p1", 9.0),
        ("p2", 8.0),
        ("q1", 6.0),
        ("p3", 7.0),
        ("p4", 5.0),
    ]
    assert diversify(ranked, doc, max_per_group=1, limit=3) == [
        ("p1", 9.0),
        ("q1", 6.0),
        ("p2", 8.0),
    ]

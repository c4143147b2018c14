"""The key-fact judge: pure rule on scores, units, agreement statistics, and the real MiniLM."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from medcite.eval.keyfacts import (
    DEFAULT_THRESHOLDS,
    KeyFactJudge,
    Thresholds,
    agreement,
    answer_units,
    content_words,
    decide,
    grid_search,
    judge_fact,
    overlap,
)


def _scores(*pairs: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    return np.array([c for c, _ in pairs]), np.array([o for _, o in pairs])


def test_content_words_stem_and_drop_generic_words() -> None:
    words = content_words("The glimmer bugs may also cause Zorblax fevers in other people.")
    assert words == {"glimmer", "bug", "caus", "zorblax", "fever"}
    assert overlap(words, content_words("A glimmer bug causes fever")) == pytest.approx(4 / 5)
    assert overlap(frozenset(), words) == 0.0


def test_rule_needs_both_scores_unless_overlap_is_near_total() -> None:
    t = Thresholds(cos_min=0.65, overlap_min=0.4, overlap_alone=0.9, min_words_alone=5)
    assert decide(*_scores((0.7, 0.5)), 6, t).covered
    assert not decide(*_scores((0.9, 0.3)), 6, t).covered  # similar topic, other content
    assert not decide(*_scores((0.5, 0.8)), 6, t).covered  # shared words, other meaning
    assert decide(*_scores((0.1, 0.95)), 6, t).covered  # overlap alone, long enough fact
    assert not decide(*_scores((0.1, 1.0)), 4, t).covered  # ... but not for a short fact
    match = decide(*_scores((0.2, 0.1), (0.8, 0.6), (0.9, 0.2)), 6, t)
    assert match.covered and match.unit == 1 and match.cos == pytest.approx(0.8)
    missed = decide(*_scores((0.2, 0.1), (0.9, 0.2)), 6, t)
    assert not missed.covered and missed.unit == 1  # the best-scoring unit, for inspection


def test_empty_answer_covers_nothing() -> None:
    fact = np.ones(4, dtype=np.float32) / 2
    empty = judge_fact(fact, frozenset({"a", "b"}), np.zeros((0, 4), np.float32), [])
    assert not empty.covered and empty.unit is None
    assert not decide(np.zeros(0), np.zeros(0), 5).covered


def test_judge_fact_on_precomputed_vectors() -> None:
    fact_vec = np.array([1.0, 0.0], dtype=np.float32)
    units = np.array([[0.0, 1.0], [0.8, 0.6]], dtype=np.float32)
    fact_words = frozenset({"glimmer", "bug", "caus"})
    words = [frozenset({"glimmer", "bug", "caus"}), frozenset({"glimmer", "caus"})]
    match = judge_fact(fact_vec, fact_words, units, words)
    assert match.covered and match.unit == 1  # unit 0 shares words but not meaning
    assert not judge_fact(fact_vec, fact_words, units[:1], words[:1]).covered


def test_answer_units_pair_adjacent_sentences_within_a_block() -> None:
    units = answer_units([["Zorblax fever is rare. It glows green."], ["Quibble pox itches."], []])
    assert units == [
        "Zorblax fever is rare.",
        "It glows green.",
        "Zorblax fever is rare. It glows green.",
        "Quibble pox itches.",
    ]
    assert answer_units([["Ok.", "- A", ""]]) == []  # too short to state anything


def test_agreement_statistics() -> None:
    gold = [True, True, False, False, True, False]
    pred = [True, False, False, True, True, False]
    a = agreement(gold, pred)
    assert (a.n, a.positives) == (6, 3)
    assert a.accuracy == pytest.approx(4 / 6)
    assert a.precision == pytest.approx(2 / 3) and a.recall == pytest.approx(2 / 3)
    assert a.kappa == pytest.approx((4 / 6 - 0.5) / 0.5)  # chance 0.5 with both rates 1/2
    assert agreement(gold, gold).kappa == 1.0
    assert agreement([True] * 3, [True] * 3).kappa == 1.0
    with pytest.raises(ValueError):
        agreement(gold, pred[:2])


def test_grid_search_prefers_the_first_best() -> None:
    best, score = grid_search(lambda t: -abs(t.cos_min - 0.6), [0.5, 0.6, 0.7], [0.2, 0.4], [0.9])
    assert best.cos_min == 0.6 and best.overlap_min == 0.2 and score == 0.0


class CountingEmbedder:
    """Deterministic bag-of-letters vectors; counts how many texts were embedded."""

    def __init__(self) -> None:
        self.embedded: list[str] = []

    def embed(self, texts: list[str]) -> np.ndarray:
        self.embedded.extend(texts)
        out = np.zeros((len(texts), 26), dtype=np.float32)
        for i, t in enumerate(texts):
            for ch in t.lower():
                if "a" <= ch <= "z":
                    out[i, ord(ch) - 97] += 1
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)


def test_judge_caches_vectors_per_run() -> None:
    embedder = CountingEmbedder()
    judge = KeyFactJudge(embedder)
    facts = ["Zorblax fever is caused by the glimmer bug."]
    blocks = [["Zorblax fever is caused by the glimmer bug. It is rare."]]
    assert judge.coverage(facts, blocks) == 1.0
    first = len(embedder.embedded)
    assert judge.coverage(facts, blocks) == 1.0
    assert len(embedder.embedded) == first  # nothing embedded twice
    assert judge.coverage([], blocks) == 0.0
    assert judge.coverage(facts, []) == 0.0


@pytest.fixture(scope="module")
def minilm_judge() -> KeyFactJudge:
    pytest.importorskip("onnxruntime")
    return KeyFactJudge()


def test_minilm_judge_paraphrase_and_unrelated(minilm_judge: KeyFactJudge) -> None:
    fact = "Zorblax fever is caused by the glimmer bug."
    paraphrase = [["The glimmer bug causes Zorblax fever in people who swim in purple ponds."]]
    unrelated = [["Wash your hands before meals and after using the toilet."]]
    other_claim = [["Zorblax fever is treated by resting under a blue lamp."]]
    assert minilm_judge.coverage([fact], paraphrase) == 1.0
    assert minilm_judge.coverage([fact], unrelated) == 0.0
    assert minilm_judge.coverage([fact], other_claim) == 0.0
    # The fact spread over two adjacent sentences is found through the pair unit.
    split = [["The glimmer bug is a tiny beetle. It is the cause of Zorblax fever."]]
    assert minilm_judge.coverage([fact], split) == 1.0


def test_default_thresholds_are_the_documented_ones() -> None:
    assert Thresholds(0.65, 0.4, 0.9, 5) == DEFAULT_THRESHOLDS
    doc = (Path(__file__).parents[2] / "src/medcite/eval/keyfacts.py").read_text()
    assert "cos >= 0.65 and overlap >= 0.4, or overlap >= 0.9" in doc

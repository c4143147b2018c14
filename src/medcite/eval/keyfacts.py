"""Key-fact judge: does an answer state a reference fact?

Long-form medical QA sets (MedLFQA) give, per question, a few *must-have* statements. An
extractive answer never repeats them word for word, so exact match is useless and an LLM judge
is not available offline. The judge here is deterministic and cheap, and its agreement with
hand labels is measured (``medcite eval answers --agreement``, ``keyfact_labels.jsonl``):

- the answer is cut into **units**: each sentence, and each pair of adjacent sentences of the
  same block (a fact often spans two short sentences);
- for each unit, **cos**: cosine similarity of MiniLM embeddings (the model of the dense index)
  of fact and unit; **overlap**: share of the fact's content words found in the unit (the
  keyword index's analyzer: lower-cased, English-stemmed, stop words and a few generic words
  removed);
- a fact is **covered** when some unit has ``cos >= cos_min and overlap >= overlap_min``, or
  ``overlap >= overlap_alone`` with at least ``min_words_alone`` content words in the fact (a
  near-verbatim statement that embeds poorly, e.g. a list of drug names).

The hand-labelled sample (``data/keyfact_labels.jsonl``, ids and a reason only): MedLFQA
questions 30+ of both test sets (the first 30, the usual ``--limit``, stay unseen); for each
must-have fact, the passage of the question's hybrid top 20 sharing most of its content words
(the judge's hardest candidate); 110 drawn from four overlap bins with a fixed seed, one
duplicate dropped; each labelled 1 when the passage states the fact's essential claim.

The thresholds (:data:`DEFAULT_THRESHOLDS`: cos >= 0.65 and overlap >= 0.4, or overlap >= 0.9
with at least 5 content words) come from a coarse grid search for Cohen's kappa on those 109
pairs, 29 positive. They sit in the flat
part of the grid (every overlap_min from 0.2 to 0.5 gives kappa 0.76-0.78 at cos 0.65) rather
than at its single best cell. On that sample: accuracy 0.91, precision 0.83, recall 0.83,
kappa 0.77; re-tuned inside 5-fold cross-validation (20 shuffles) kappa is 0.71 (0.65-0.76), the
figure to expect on new pairs. The overlap-only rule decides no pair of the sample; it is a
safety net for near-verbatim list facts. Neither score sees negation ("does not contain" matches
"contains"), the judge's main blind spot.

Decisions are pure functions of precomputed vectors and word sets (:func:`decide`,
:func:`judge_fact`); :class:`KeyFactJudge` adds batched embedding with a per-run cache.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from medcite.index.analysis import analyze
from medcite.ingest.chunking import sentences

Vector = npt.NDArray[np.float32]

# Stems of words that say nothing about the content of a fact, on top of the analyzer's stop
# words ("may", "include", "other" would otherwise count as evidence of coverage).
GENERIC_STEMS = frozenset(
    """
    may might must also often usual typic includ other such use well one can like common
    general certain sever variou import crucial essenti recommend consid help person peopl
    """.split()  # noqa: SIM905 (a word list reads better as text)
)
MIN_UNIT_CHARS = 12  # shorter "sentences" (headings, list markers) are no evidence


class Embedder(Protocol):
    def embed(self, texts: Sequence[str]) -> Vector: ...


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Decision rule of the judge (see the module docstring)."""

    cos_min: float = 0.65
    overlap_min: float = 0.4
    overlap_alone: float = 0.9
    min_words_alone: int = 5


DEFAULT_THRESHOLDS = Thresholds()
# The second judge: content-word overlap alone, no embedding model. Overlap >= 0.6 sits in the
# middle of the flat part of the grid on the hand labels (kappa 0.58-0.60 for 0.5-0.65; the
# MiniLM judge reaches 0.77). It exists because the MiniLM judge shares its model with the
# zero-shot sentence ranker, which it could flatter.
LEXICAL_THRESHOLDS = Thresholds(
    cos_min=float("inf"), overlap_min=1.0, overlap_alone=0.6, min_words_alone=1
)


@dataclass(frozen=True, slots=True)
class FactMatch:
    """The judge's decision for one fact, with the best unit's scores (for inspection)."""

    covered: bool
    cos: float
    overlap: float
    unit: int | None  # index of the deciding (or best-scoring) unit; None for an empty answer


def content_words(text: str) -> frozenset[str]:
    """Stemmed content words of ``text`` (the keyword analyzer, generic words removed)."""
    return frozenset(w for w in analyze(text) if w not in GENERIC_STEMS and len(w) > 1)


def overlap(fact_words: frozenset[str], unit_words: frozenset[str]) -> float:
    """Share of the fact's content words present in the unit (0 for a fact without any)."""
    if not fact_words:
        return 0.0
    return len(fact_words & unit_words) / len(fact_words)


def answer_units(blocks: Sequence[Sequence[str]]) -> list[str]:
    """Units of an answer given as blocks of text pieces (a passage, the list of statements).

    Every piece is split into sentences; units are each sentence and each adjacent pair
    within a block. Pairs never cross blocks: two passages shown side by side do not make one
    statement.
    """
    units: list[str] = []
    for block in blocks:
        sents = [
            s.strip()
            for piece in block
            for s in sentences(piece)
            if len(s.strip()) >= MIN_UNIT_CHARS
        ]
        units.extend(sents)
        units.extend(f"{a} {b}" for a, b in pairwise(sents))
    return units


def decide(
    cos: npt.NDArray[np.floating[Any]],
    ovl: npt.NDArray[np.floating[Any]],
    fact_word_count: int,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
) -> FactMatch:
    """The rule on per-unit scores (cosine and overlap of the fact with each unit)."""
    if cos.size == 0:
        return FactMatch(False, 0.0, 0.0, None)
    t = thresholds
    by_both = (cos >= t.cos_min) & (ovl >= t.overlap_min)
    by_words = (ovl >= t.overlap_alone) & (fact_word_count >= t.min_words_alone)
    hits = np.flatnonzero(by_both | by_words)
    pool = hits if hits.size else np.arange(cos.size)
    best = int(pool[np.argmax(cos[pool] + ovl[pool])])
    return FactMatch(bool(hits.size), float(cos[best]), float(ovl[best]), best)


def judge_fact(
    fact_vec: Vector,
    fact_words: frozenset[str],
    unit_vecs: Vector,
    unit_words: Sequence[frozenset[str]],
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
) -> FactMatch:
    """Pure decision for one fact against the units of one answer (vectors are unit length)."""
    if len(unit_words) == 0:
        return FactMatch(False, 0.0, 0.0, None)
    cos = unit_vecs @ fact_vec
    ovl = np.array([overlap(fact_words, w) for w in unit_words], dtype=np.float32)
    return decide(cos, ovl, len(fact_words), thresholds)


class NoEmbedder:
    """Vectors of zeros: the lexical judge never looks at them."""

    def embed(self, texts: Sequence[str]) -> Vector:
        return np.zeros((len(texts), 1), dtype=np.float32)


class KeyFactJudge:
    """Embeds facts and answer units in batches, caching vectors and word sets for the run."""

    def __init__(
        self,
        embedder: Embedder | None = None,
        thresholds: Thresholds = DEFAULT_THRESHOLDS,
    ) -> None:
        if embedder is None:
            from medcite.index.embed import MiniLMEmbedder

            # The packaged float model: the judge's thresholds were fixed on its vectors.
            embedder = MiniLMEmbedder(quantized=False)
        self.embedder = embedder
        self.thresholds = thresholds
        self._vectors: dict[str, Vector] = {}
        self._words: dict[str, frozenset[str]] = {}

    def vectors(self, texts: Sequence[str]) -> Vector:
        """Unit vectors of ``texts`` (one batched call for the ones not seen yet this run)."""
        missing = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        if missing:
            for text, vec in zip(missing, self.embedder.embed(missing), strict=True):
                self._vectors[text] = vec
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack([self._vectors[t] for t in texts])

    def words(self, text: str) -> frozenset[str]:
        if text not in self._words:
            self._words[text] = content_words(text)
        return self._words[text]

    def judge(self, facts: Sequence[str], units: Sequence[str]) -> list[FactMatch]:
        """One decision per fact, against the given answer units."""
        if not facts:
            return []
        fact_vecs = self.vectors(facts)
        unit_vecs = self.vectors(units)
        unit_words = [self.words(u) for u in units]
        return [
            judge_fact(fact_vecs[i], self.words(f), unit_vecs, unit_words, self.thresholds)
            for i, f in enumerate(facts)
        ]

    def coverage(self, facts: Sequence[str], blocks: Sequence[Sequence[str]]) -> float:
        """Share of ``facts`` the answer (given as blocks) covers; 0 for no facts."""
        if not facts:
            return 0.0
        matches = self.judge(facts, answer_units(blocks))
        return sum(m.covered for m in matches) / len(facts)


# --- Agreement with hand labels ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Agreement:
    n: int
    positives: int
    accuracy: float
    precision: float
    recall: float
    kappa: float

    def to_dict(self) -> dict[str, float | int]:
        return {
            "n": self.n,
            "positives": self.positives,
            "accuracy": round(self.accuracy, 4),
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "kappa": round(self.kappa, 4),
        }


def agreement(gold: Sequence[bool], predicted: Sequence[bool]) -> Agreement:
    """Accuracy, precision and recall (positive = covered) and Cohen's kappa of two labelings."""
    if len(gold) != len(predicted):
        raise ValueError("gold and predicted differ in length")
    n = len(gold)
    tp = sum(g and p for g, p in zip(gold, predicted, strict=True))
    fp = sum(p and not g for g, p in zip(gold, predicted, strict=True))
    fn = sum(g and not p for g, p in zip(gold, predicted, strict=True))
    tn = n - tp - fp - fn
    acc = (tp + tn) / n if n else 0.0
    # Chance agreement from each rater's marginal rate of "covered".
    pg, pp = (tp + fn) / n if n else 0.0, (tp + fp) / n if n else 0.0
    chance = pg * pp + (1 - pg) * (1 - pp)
    kappa = (acc - chance) / (1 - chance) if chance < 1 else (1.0 if acc == 1 else 0.0)
    return Agreement(
        n=n,
        positives=tp + fn,
        accuracy=acc,
        precision=tp / (tp + fp) if tp + fp else 0.0,
        recall=tp / (tp + fn) if tp + fn else 0.0,
        kappa=kappa,
    )


def grid_search(
    score: Callable[[Thresholds], float],
    cos_values: Sequence[float],
    overlap_values: Sequence[float],
    alone_values: Sequence[float],
    min_words_values: Sequence[int] = (DEFAULT_THRESHOLDS.min_words_alone,),
) -> tuple[Thresholds, float]:
    """Best thresholds by ``score`` (first best in grid order: ties go to the smaller values)."""
    best, best_score = DEFAULT_THRESHOLDS, -np.inf
    for a in cos_values:
        for b in overlap_values:
            for c in alone_values:
                for m in min_words_values:
                    t = Thresholds(a, b, c, m)
                    s = score(t)
                    if s > best_score:
                        best, best_score = t, s
    return best, float(best_score)


def lexical_judge() -> KeyFactJudge:
    """The second judge (:data:`LEXICAL_THRESHOLDS`): shares no model with any selector."""
    return KeyFactJudge(embedder=NoEmbedder(), thresholds=LEXICAL_THRESHOLDS)

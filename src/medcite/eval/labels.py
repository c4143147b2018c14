"""The key-fact judge's agreement with the hand labels (``data/keyfact_labels.jsonl``): the
labelled (fact, passage) pairs are resolved against a store of the default corpus, scored by
the judge, and compared (``medcite eval answers --agreement``; see medcite.eval.keyfacts)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from medcite.errors import MedciteError
from medcite.eval.answers import DATASETS, BenchmarkDataError, dataset_file, medlfqa_rows
from medcite.eval.keyfacts import (
    DEFAULT_THRESHOLDS,
    Agreement,
    KeyFactJudge,
    Thresholds,
    agreement,
    answer_units,
    decide,
    grid_search,
    overlap,
)
from medcite.store.sqlite import SQLiteStore

LABELS_FILE = "keyfact_labels.jsonl"


# --- Agreement with the hand labels ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LabelledPair:
    """A (fact, passage) pair labelled by hand: ids only, texts are resolved at run time."""

    dataset: str
    question: int
    fact: int
    source: str
    source_id: str
    ord: int
    label: bool
    reason: str


def load_labels(path: Path | None = None) -> list[LabelledPair]:
    """The shipped hand labels (``medcite/eval/data/keyfact_labels.jsonl``) or another file."""
    if path is None:
        text = resources.files("medcite.eval").joinpath("data", LABELS_FILE).read_text("utf-8")
    else:
        text = path.read_text(encoding="utf-8")
    pairs = []
    for line in text.splitlines():
        if line.strip():
            row = json.loads(line)
            row["label"] = bool(row["label"])
            pairs.append(LabelledPair(**row))
    return pairs


@dataclass(slots=True)
class ScoredPair:
    pair: LabelledPair
    fact: str
    passage: str
    cos: np.ndarray = field(repr=False)  # per unit
    overlap: np.ndarray = field(repr=False)  # per unit
    fact_words: int = 0


@dataclass(slots=True)
class AgreementReport:
    thresholds: Thresholds
    agreement: Agreement
    missing: int  # labelled pairs whose passage is not in this store
    pairs: list[tuple[ScoredPair, bool]] = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        t = self.thresholds
        return {
            **self.agreement.to_dict(),
            "missing_passages": self.missing,
            "thresholds": {
                "cos_min": t.cos_min,
                "overlap_min": t.overlap_min,
                "overlap_alone": t.overlap_alone,
                "min_words_alone": t.min_words_alone,
            },
        }


def score_labelled_pairs(
    pairs: Sequence[LabelledPair], store: SQLiteStore, medlfqa_folder: Path, judge: KeyFactJudge
) -> tuple[list[ScoredPair], int]:
    """Resolve facts and passages, embed once; returns the scored pairs and the missing count."""
    facts_by_dataset = {
        name: [row["Must_have"] for row in medlfqa_rows(dataset_file(name, medlfqa_folder))]
        for name in sorted({p.dataset for p in pairs})
    }
    scored, missing = [], 0
    for p in pairs:
        doc = store.find_document(p.source, p.source_id)
        passage = (
            next((x for x in store.get_passages(doc.id) if x.ord == p.ord), None) if doc else None
        )
        if passage is None:
            missing += 1
            continue
        rows = facts_by_dataset[p.dataset]
        if p.question >= len(rows) or p.fact >= len(rows[p.question]):
            raise BenchmarkDataError(
                f"a label refers to {p.dataset} question {p.question} fact {p.fact}, "
                f"which {DATASETS[p.dataset]} does not have",
                hint="--data must be the MedLFQA test folder the labels were made on.",
            )
        fact = rows[p.question][p.fact]
        units = answer_units([[passage.text]])
        unit_words = [judge.words(u) for u in units]
        fw = judge.words(fact)
        cos = judge.vectors(units) @ judge.vectors([fact])[0]
        ovl = np.array([overlap(fw, w) for w in unit_words], dtype=np.float32)
        scored.append(ScoredPair(p, fact, passage.text, cos, ovl, len(fw)))
    return scored, missing


def _decide(sp: ScoredPair, t: Thresholds) -> bool:
    return decide(sp.cos, sp.overlap, sp.fact_words, t).covered


def label_agreement(
    store: SQLiteStore,
    medlfqa_folder: Path,
    *,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    judge: KeyFactJudge | None = None,
    labels: Sequence[LabelledPair] | None = None,
) -> AgreementReport:
    """Agreement of the judge with the hand labels on this store's passages."""
    judge = judge or KeyFactJudge(thresholds=thresholds)
    scored, missing = score_labelled_pairs(labels or load_labels(), store, medlfqa_folder, judge)
    if not scored:
        raise MedciteError(
            "none of the labelled passages is in this store",
            hint="The labels refer to the default corpus: run `medcite ingest --default`.",
        )
    decisions = [(sp, _decide(sp, thresholds)) for sp in scored]
    result = agreement([sp.pair.label for sp in scored], [d for _, d in decisions])
    return AgreementReport(thresholds, result, missing, decisions)


def tune_thresholds(scored: Sequence[ScoredPair]) -> tuple[Thresholds, float]:
    """Coarse grid search for Cohen's kappa (how :data:`DEFAULT_THRESHOLDS` was chosen)."""
    gold = [sp.pair.label for sp in scored]

    def kappa(t: Thresholds) -> float:
        return agreement(gold, [_decide(sp, t) for sp in scored]).kappa

    return grid_search(
        kappa,
        cos_values=[0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8],
        overlap_values=[0.2, 0.3, 0.4, 0.5],
        alone_values=[0.8, 0.9, 1.0],
        min_words_values=[3, 5, 8],
    )

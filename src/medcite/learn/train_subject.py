"""`make train` (part): learn the subject model (medcite.learn.subject) from hand labels.

Labels: statements medcite showed for the tuning half (odd questions) of the answer benchmark
(MedLFQA LiveQA, TREC LiveQA, MedLFQA MedicationQA 1-100), each labelled answers / on_subject /
off_subject (``learn/data/subject_tuning_labels.jsonl``). Each labelled question is asked
again with the rules alone (the model off), and each labelled statement gets the features the
rule scorer computed for it.
The model learns off_subject against the rest. The threshold is chosen on the tuning half out of
fold: each tuning question is answered with the model fitted on the folds (by question) it is
not in, at each of ``THRESHOLDS``, and of the thresholds that abstain on no more questions
than the most permissive, the one whose answers show the smallest share of labelled statements
off the subject is kept. Reported: out-of-fold AUC on the tuning half, the
off-subject share by threshold, and on the report half's labels
(src/medcite/eval/data/subject_labels.jsonl, never trained on) its AUC and what the threshold
keeps and drops there.

Usage: python -m medcite.learn.train_subject [--out src/medcite/learn/data/subject.json]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from medcite.learn.linear import auc, train_logistic
from medcite.learn.relevance import RelevanceModel
from medcite.learn.subject import FEATURES, MODEL_FILE, TRAINING_LABELS, SubjectModel

if TYPE_CHECKING:
    from medcite.compose.candidates import Candidate
    from medcite.compose.scoring import ScoringContext
    from medcite.config import Settings
    from medcite.store.sqlite import SQLiteStore

# The threshold is the one of these whose out-of-fold answers to the tuning questions show the
# smallest share of labelled statements off the subject.
THRESHOLDS = (0.05, 0.075, 0.1, 0.125, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6, 0.7)
FOLDS = 5
Row = tuple[str, list[float], bool]  # question, features, off the subject


def _labels(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


class _Capture:
    """The rule scorer with the subject model off, remembering what it kept."""

    name = "rule"
    ranks_globally = False

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.kept: list[Candidate] = []

    def score(self, candidates: list[Candidate], context: ScoringContext) -> list[Candidate]:
        self.kept = self.inner.score(candidates, context)  # type: ignore[attr-defined]
        return self.kept


def examples(
    store: SQLiteStore, settings: Settings, labels: Sequence[dict[str, object]]
) -> list[Row]:
    """(question, features, off) for each labelled statement the rules keep again."""
    from medcite.compose import Composer
    from medcite.compose.rule_scorer import RuleScorer

    composer = Composer.open(store, settings)
    capture = _Capture(RuleScorer(composer.vocabulary, subject_model=False, capture=True))
    composer.scorer = capture
    by_question: dict[str, dict[str, bool]] = {}
    for row in labels:
        by_question.setdefault(str(row["question"]), {})[str(row["statement"])] = (
            row["label"] == "off_subject"
        )
    out: list[Row] = []
    for question, statements in by_question.items():
        composer.ask(question, save=False)
        features: dict[str, dict[str, float]] = {}
        for c in capture.kept:
            features.setdefault(c.text, c.subject)
        for text, off in statements.items():
            if text in features:
                out.append((question, [features[text][f] for f in FEATURES], off))
    return out


def _fit(rows: Sequence[Row]) -> RelevanceModel:
    x = np.array([r[1] for r in rows], dtype=np.float64)
    y = np.array([float(r[2]) for r in rows])
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    weights, bias = train_logistic((x - mean) / scale, y, l2=1e-2, epochs=800)
    return RelevanceModel(
        FEATURES,
        tuple(float(v) for v in mean),
        tuple(float(v) for v in scale),
        tuple(float(v) for v in weights),
        bias,
    )


def _fold(question: str) -> int:
    return int(hashlib.sha1(question.encode()).hexdigest(), 16) % FOLDS


def choose_threshold(rates: Sequence[dict[str, float]]) -> float:
    """The threshold whose answers show the smallest share of labelled statements off the
    subject (to a tenth of a point; the more permissive on a tie: it shows more), among those
    that abstain on no more questions than the most permissive one: a model that drops every
    sentence of a question makes medcite abstain, and abstaining more must not be how it
    stays on the subject."""
    least = min(r["abstained"] for r in rates)
    allowed = [r for r in rates if r["abstained"] <= least]
    best = min(allowed, key=lambda r: (round(r["off_subject"], 3), -r["threshold"]))
    return best["threshold"]


def shown_off_rates(
    store: SQLiteStore,
    settings: Settings,
    labels: Sequence[dict[str, object]],
    fold_models: Sequence[RelevanceModel],
    thresholds: Sequence[float],
) -> list[dict[str, float]]:
    """For each threshold, the answers to the labelled tuning questions, each question
    composed with the model of the folds it is not in: the share of labelled shown statements
    off the subject, and how many shown statements no label covers."""
    from medcite.compose import Composer
    from medcite.compose.rule_scorer import RuleScorer
    from medcite.eval.subject import Shown, SubjectLabel, composer_statements, subject_report

    rows = [
        SubjectLabel(
            str(r["set"]),
            int(str(r["number"])),
            str(r["question"]),
            str(r["statement"]),
            str(r.get("source") or ""),
            str(r["label"]),
        )
        for r in labels
    ]
    composer = Composer.open(store, settings)
    scorer = composer.scorer
    assert isinstance(scorer, RuleScorer)
    shown = composer_statements(store, settings, composer=composer)
    out = []
    for threshold in thresholds:
        answered: dict[str, Sequence[Shown]] = {}

        def answer(
            question: str,
            threshold: float = threshold,
            answered: dict[str, Sequence[Shown]] = answered,
        ) -> Sequence[Shown]:
            scorer.subject_model = SubjectModel(fold_models[_fold(question)], threshold)
            answered[question] = shown(question)
            return answered[question]

        report = subject_report(answer, rows)
        out.append(
            {
                "threshold": threshold,
                "abstained": sum(not texts for texts in answered.values()),
                "off_subject": report.rate("off_subject") or 0.0,
                "labelled": report.labelled,
                "unlabelled": report.shown - report.labelled,
            }
        )
    return out


def _kept_report(model: SubjectModel, rows: Sequence[Row]) -> dict[str, object]:
    probs = [model.linear.probability(r[1]) for r in rows]
    kept = [r for r, p in zip(rows, probs, strict=True) if p <= model.threshold]
    return {
        "statements": len(rows),
        "off_subject_before": round(sum(r[2] for r in rows) / max(len(rows), 1), 4),
        "kept": len(kept),
        "off_subject_kept": round(sum(r[2] for r in kept) / max(len(kept), 1), 4),
        "on_subject_dropped": sum(not r[2] for r in rows) - sum(not r[2] for r in kept),
        "auc": round(auc(probs, [r[2] for r in rows]), 4),
    }


def train_subject(
    store: SQLiteStore, settings: Settings, report_labels: Path
) -> tuple[SubjectModel, dict[str, object]]:
    started = time.perf_counter()
    tuning = examples(store, settings, _labels(TRAINING_LABELS))
    oof: list[float] = [0.0] * len(tuning)
    for k in range(FOLDS):
        fitted = _fit([r for r in tuning if _fold(r[0]) != k])
        for i, r in enumerate(tuning):
            if _fold(r[0]) == k:
                oof[i] = fitted.probability(r[1])
    folds = [_fit([r for r in tuning if _fold(r[0]) != k]) for k in range(FOLDS)]
    rates = shown_off_rates(store, settings, _labels(TRAINING_LABELS), folds, THRESHOLDS)
    threshold = choose_threshold(rates)
    model = SubjectModel(_fit(tuning), threshold)
    held = examples(store, settings, _labels(report_labels))
    report: dict[str, object] = {
        "tuning_statements": len(tuning),
        "tuning_off_subject": int(sum(r[2] for r in tuning)),
        "tuning_out_of_fold_auc": round(auc(oof, [r[2] for r in tuning]), 4),
        "threshold": round(threshold, 4),
        "tuning_shown_by_threshold": [{k: round(v, 4) for k, v in r.items()} for r in rates],
        "report_half": _kept_report(model, held),
        "weights": dict(zip(FEATURES, (round(w, 3) for w in model.linear.weights), strict=True)),
        "seconds": round(time.perf_counter() - started, 1),
    }
    return model, report


def main() -> None:
    from medcite.config import get_settings
    from medcite.store.sqlite import SQLiteStore

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=MODEL_FILE)
    parser.add_argument(
        "--report-labels",
        type=Path,
        default=Path(__file__).parents[1] / "eval" / "data" / "subject_labels.jsonl",
    )
    args = parser.parse_args()
    settings = get_settings()
    with SQLiteStore(settings.db_path) as store:
        model, report = train_subject(store, settings, args.report_labels)
    print(json.dumps({"subject": report}, indent=1))
    model.save(args.out, {k: v for k, v in report.items() if k != "seconds"})


if __name__ == "__main__":
    main()

"""The answer benchmark for `make bench` (imported by scripts/bench.py).

Per set, medcite and three baselines answer every question once: `top5` (the top five
passages, about twice medcite's length), `order` and `zeroshot` (the top 20 passages'
sentences in retrieval order, or ranked by MiniLM cosine with the question, cut to medcite's
length for that question). Each answer is judged by the MiniLM judge and again by the lexical
judge (the MiniLM judge shares its model with `zeroshot`). Questions are split by number: odd
ones are for tuning, even ones for reporting (a MedLFQA LiveQA question by its TREC twin's
number, so that both LiveQA sets tune and report on the same questions); MedicationQA's 101-666
were never used to tune.
"""

from __future__ import annotations

import statistics
from pathlib import Path

import numpy as np

from medcite.config import Settings
from medcite.eval.answers import (
    SystemReport,
    answered_questions,
    build_systems,
    evaluate_answers,
    load_answer_dataset,
    rejudge,
    select_questions,
    subset,
)
from medcite.eval.keyfacts import KeyFactJudge, lexical_judge
from medcite.eval.subject import composer_statements, load_subject_labels, subject_report
from medcite.retrieve.drugs import corpus_has_source, uncovered_drugs
from medcite.retrieve.hybrid import HybridRetriever
from medcite.store.sqlite import SQLiteStore

SYSTEMS = ["medcite", "top5", "order", "zeroshot", "gated"]
# (dataset, folder under bench/, splits: (label, parity, numbers))
SETS: list[tuple[str, str, list[tuple[str, str, tuple[int, int] | None]]]] = [
    (
        "medlfqa-liveqa",
        "medlfqa",
        [("TREC-odd: tune", "odd", None), ("TREC-even: report", "even", None)],
    ),
    (
        "medlfqa-medication",
        "medlfqa",
        [
            ("1-100 odd: tune", "odd", (1, 100)),
            ("1-100 even: report", "even", (1, 100)),
            ("101-666: never tuned on", "all", (101, 666)),
        ],
    ),
    (
        "liveqa-trec2017",
        "liveqa-trec2017",
        [("odd: tune", "odd", None), ("even: report", "even", None)],
    ),
]


def _recall(report: SystemReport, qids: set[str] | None = None) -> float:
    rows = [r.recall for r in report.results if qids is None or r.qid in qids]
    return statistics.fmean(rows) if rows else 0.0


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b else "-"


def bench_answers(
    store_home: Path, mirror: Path, shared: Path, header: str, limit: int | None
) -> str:
    settings = Settings(home=store_home, mirror=mirror)
    judges = {"MiniLM": KeyFactJudge(), "lexical": lexical_judge()}
    recall_rows: dict[str, list[str]] = {name: [] for name in judges}
    quality_rows: list[str] = []
    latencies: list[float] = []
    uncovered: dict[str, bool] = {}  # question naming a drug no passage names -> abstained
    with SQLiteStore(settings.db_path) as store:
        systems = build_systems(SYSTEMS, store, settings)  # loaded once: warm for every set
        has_source = corpus_has_source(HybridRetriever.open(store, settings))
        for dataset, folder, splits in SETS:
            questions = load_answer_dataset(dataset, shared / "bench" / folder)
            if limit:
                questions = questions[:limit]
            base = evaluate_answers(questions, systems, judge=judges["MiniLM"])
            latencies += [r.answer.latency_ms for r in base[0].results]
            texts = {q.qid: q.question for q in questions}
            for r in base[0].results:
                if uncovered_drugs(texts[r.qid], has_source):
                    uncovered[texts[r.qid]] = r.answer.abstained
            by_judge = {
                "MiniLM": base,
                "lexical": [rejudge(questions, r, judges["lexical"]) for r in base],
            }
            for label, parity, numbers in splits:
                chosen = {q.qid for q in select_questions(questions, split=parity, numbers=numbers)}
                if not chosen:
                    continue
                for judge_name, reports in by_judge.items():
                    parts = {r.system: subset(r, chosen) for r in reports}
                    answered = answered_questions(list(parts.values()))
                    med, top, order, zero, gated = (parts[s] for s in SYSTEMS)
                    recall_rows[judge_name].append(
                        f"| {dataset} | {label} | {len(chosen)} | "
                        f"{1 - len(answered) / len(chosen):.0%} | "
                        f"{_recall(med):.3f} / {_recall(med, answered):.3f} | "
                        f"{_recall(top):.3f} / {_recall(top, answered):.3f} | "
                        f"{_recall(order):.3f} | {_recall(zero):.3f} | {_recall(gated):.3f} | "
                        f"{_ratio(_recall(med, answered), _recall(top, answered))} | "
                        f"{_ratio(_recall(med), _recall(order))} | "
                        f"{_ratio(_recall(med), _recall(zero))} | "
                        f"{_ratio(_recall(med), _recall(gated))} |"
                    )
                med_summary = subset(base[0], chosen).summary()
                quality_rows.append(
                    f"| {dataset} | {label} | {med_summary['words'] or 0:.0f} | "
                    f"{med_summary['reading_grade'] or 0:.1f} / "
                    f"{med_summary['plain_grade'] or 0:.1f} / "
                    f"{med_summary['summary_grade'] or 0:.1f} | "
                    f"{(med_summary['support_rate'] or 0):.0%} | "
                    f"{med_summary['p50_ms']:.0f} / {med_summary['p95_ms']:.0f} |"
                )
        subject = [
            subject_report(composer_statements(store, settings, name), labels, scorer=name)
            for labels in [load_subject_labels()]
            for name in ("rule", "ranked")
        ]
    lat = np.array(latencies)
    lines = [
        f"{header}; default corpus, patient audience, warm, in-process. Recall is the mean share "
        "of each question's key facts an answer covers (an abstention covers none), over all "
        "questions of the split / over the questions medcite answered. `top5`: the top five "
        "passages (about twice medcite's length); `order`, `zeroshot`: the top 20 passages' "
        "sentences in retrieval order / by MiniLM cosine with the question, cut to medcite's "
        "length for each question; `gated`: the same ranker over the sentences medcite's subject "
        "gate kept (shown or not), cut to medcite's length: whether the composer chooses as well "
        "as zero-shot among what it allows itself to say. Targets: on answered questions "
        "medcite ≥ top5; on all, medcite ≥ 1.3x order and ≥ zeroshot.",
    ]
    for judge_name, rows in recall_rows.items():
        lines += [
            "",
            f"### Judge: {judge_name}"
            + (
                " (shares its model with zeroshot)"
                if judge_name == "MiniLM"
                else " (word overlap only)"
            ),
            "",
            "| set | questions | n | medcite abstained | medcite all / answered | top5 all / answered "
            "| order | zeroshot | gated | medcite / top5, answered | medcite / order "
            "| medcite / zeroshot | medcite / gated |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
            *rows,
        ]
    lines += [
        "",
        "### medcite's answers",
        "",
        "| set | questions | words | reading grade: all / unfolded / bottom line | support "
        "| p50 / p95 ms |",
        "|---|---|---|---|---|---|",
        *quality_rows,
        "",
        "Off-subject statements over the hand-labelled report-half questions "
        "(src/medcite/eval/data/subject_labels.jsonl; target ≤ 3%): "
        + "; ".join(
            f"scorer {r.scorer}: {r.counts.get('off_subject', 0)} of {r.labelled} labelled "
            f"({(r.rate('off_subject') or 0):.1%}; {len(r.unlabelled)} unlabelled), "
            f"answering {(r.rate('answers') or 0):.1%}"
            for r in subject
        )
        + ".",
        "",
        f"Questions naming a drug that no passage of the corpus names (all three sets, "
        f"distinct questions): {len(uncovered)}; medcite abstained on "
        f"{sum(uncovered.values())} ({sum(uncovered.values()) / max(len(uncovered), 1):.0%}; "
        "target ≥ 95%).",
        "",
        f"`medcite ask` composer over all {len(lat)} questions, warm: p50 "
        f"{np.percentile(lat, 50):.0f} ms, p95 {np.percentile(lat, 95):.0f} ms "
        "(retrieve + compose + verify; targets 300 ms / 1 s).",
    ]
    return "\n".join(lines)

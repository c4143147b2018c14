"""Off-subject statements: the share of an answer's statements that are about another
condition, drug or topic than the question's, by hand labels (``medcite eval subject``).

The labels (``data/subject_labels.jsonl``; who labelled, the rules and the counts in
``data/subject_labels.md``) cover the statements medcite's scorers showed for report-half
questions (never tuned on; see :func:`medcite.eval.answers.select_questions`) of
medlfqa-liveqa, liveqa-trec2017 and medlfqa-medication 1-100: ``answers`` (on the question's
subject and answers what is asked), ``on_subject`` (about the subject, a kind of it, or on a
page about it, but does not answer) and ``off_subject``. A scorer is asked those questions
again, each question text once (the two LiveQA sets share their questions); its statements are
looked up by (question, text), rates are over the labelled ones, and the statements no label
covers are listed so that a new scorer's new statements can be labelled.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from medcite.eval.answers import (
    BenchmarkDataError,
    load_answer_dataset,
    question_number,
    select_questions,
)

if TYPE_CHECKING:
    from medcite.compose import Composer
    from medcite.config import Settings
    from medcite.store.sqlite import SQLiteStore

LABELS_FILE = "subject_labels.jsonl"
LABELS = ("answers", "on_subject", "off_subject")
# The report halves the labels come from: dataset -> (folder under the bench folder, numbers).
SETS: dict[str, tuple[str, tuple[int, int] | None]] = {
    "medlfqa-liveqa": ("medlfqa", None),
    "liveqa-trec2017": ("liveqa-trec2017", None),
    "medlfqa-medication": ("medlfqa", (1, 100)),
}
FIELDS = ("set", "number", "question", "statement", "source", "label", "note")


@dataclass(frozen=True, slots=True)
class SubjectLabel:
    """One shown statement of one question, labelled by hand."""

    set: str
    number: int
    question: str
    statement: str
    source: str | None
    label: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class Shown:
    """A statement as an answer shows it, with the title of the document it quotes."""

    text: str
    source: str | None = None


@dataclass(frozen=True, slots=True)
class LabelledQuestion:
    set: str
    number: int
    question: str


ShownFn = Callable[[str], Sequence[Shown]]  # question -> the statements shown


def load_subject_labels(path: Path | None = None) -> list[SubjectLabel]:
    """The shipped labels (``medcite/eval/data/subject_labels.jsonl``) or another file."""
    if path is None:
        text = resources.files("medcite.eval").joinpath("data", LABELS_FILE).read_text("utf-8")
        name = LABELS_FILE
    else:
        text, name = path.read_text(encoding="utf-8"), path.name
    labels = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            label = SubjectLabel(**{k: row[k] for k in FIELDS})
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise BenchmarkDataError(
                f"{name} line {n}: not a label row ({exc})", hint="Fields: " + ", ".join(FIELDS)
            ) from None
        if label.label not in LABELS:
            raise BenchmarkDataError(
                f"{name} line {n}: label {label.label!r}", hint="One of: " + ", ".join(LABELS)
            )
        labels.append(label)
    return labels


def labelled_questions(labels: Sequence[SubjectLabel]) -> list[LabelledQuestion]:
    """The questions the labels cover, in file order."""
    seen = {(lb.set, lb.number): lb.question for lb in labels}
    return [LabelledQuestion(s, n, q) for (s, n), q in seen.items()]


def report_questions(data: Path) -> list[LabelledQuestion]:
    """Every report-half question of the three sets (``data``: the bench folder, holding
    ``medlfqa/`` and ``liveqa-trec2017/``)."""
    out = []
    for name, (folder, numbers) in SETS.items():
        where = data / folder if (data / folder).is_dir() else data
        for q in select_questions(load_answer_dataset(name, where), split="even", numbers=numbers):
            out.append(LabelledQuestion(name, question_number(q), q.question))
    return out


def check_questions(labels: Sequence[LabelledQuestion], data: Path) -> None:
    """Each labelled question is a report-half question with the same text in ``data``."""
    known = {(q.set, q.number): q.question for q in report_questions(data)}
    for q in labels:
        if known.get((q.set, q.number)) != q.question:
            raise BenchmarkDataError(
                f"labelled question {q.set} #{q.number} is not in the report half of {data}",
                hint="Point --data at the bench folder (medlfqa/, liveqa-trec2017/).",
            )


@dataclass(slots=True)
class SubjectReport:
    scorer: str
    questions: int
    shown: int  # distinct statements per question, summed
    counts: dict[str, int]  # labelled statements by label
    by_set: dict[str, dict[str, int]]
    unlabelled: list[dict[str, Any]] = field(default_factory=list)

    @property
    def labelled(self) -> int:
        return sum(self.counts.values())

    def rate(self, label: str) -> float | None:
        """Share of the labelled statements shown that carry ``label``."""
        return self.counts.get(label, 0) / self.labelled if self.labelled else None

    def to_dict(self) -> dict[str, Any]:
        def share(x: float | None) -> float | None:
            return None if x is None else round(x, 4)

        return {
            "scorer": self.scorer,
            "questions": self.questions,
            "shown": self.shown,
            "labelled": self.labelled,
            "unlabelled": len(self.unlabelled),
            "off_subject_rate": share(self.rate("off_subject")),
            "answers_rate": share(self.rate("answers")),
            "on_subject_rate": share(self.rate("on_subject")),
            "counts": {k: self.counts.get(k, 0) for k in LABELS},
            "by_set": self.by_set,
            "unlabelled_statements": self.unlabelled,
        }


def subject_report(
    answer: ShownFn,
    labels: Sequence[SubjectLabel],
    *,
    scorer: str = "",
    questions: Sequence[LabelledQuestion] | None = None,
) -> SubjectReport:
    """Ask each question (by default the labelled ones) once and look its statements up.

    A question asked in two sets (every MedLFQA LiveQA question is a TREC LiveQA question) is
    asked and counted once, under the first; a label given under either applies."""
    index: dict[tuple[str, str], str] = {}
    for lb in labels:
        index.setdefault((lb.question, lb.statement), lb.label)
    asked: dict[str, Sequence[Shown]] = {}
    counts: Counter[str] = Counter()
    by_set: dict[str, Counter[str]] = {}
    shown = 0
    unlabelled: list[dict[str, Any]] = []
    chosen = labelled_questions(labels) if questions is None else questions
    chosen = [q for i, q in enumerate(chosen) if q.question not in {c.question for c in chosen[:i]}]
    for q in chosen:
        asked[q.question] = answer(q.question)
        per_set = by_set.setdefault(q.set, Counter())
        texts: set[str] = set()
        for item in asked[q.question]:
            if item.text in texts:
                continue
            texts.add(item.text)
            shown += 1
            label = index.get((q.question, item.text))
            if label is None:
                row = {"set": q.set, "number": q.number, "question": q.question}
                unlabelled.append(row | {"statement": item.text, "source": item.source})
                per_set["unlabelled"] += 1
            else:
                counts[label] += 1
                per_set[label] += 1
    return SubjectReport(
        scorer=scorer,
        questions=len(chosen),
        shown=shown,
        counts=dict(counts),
        by_set={s: dict(c) for s, c in by_set.items()},
        unlabelled=unlabelled,
    )


def composer_statements(
    store: SQLiteStore, settings: Settings, scorer: str = "rule", composer: Composer | None = None
) -> ShownFn:
    """The composer's shown statements (bottom line, sections, evidence notes; lead-ins are
    context, not statements), each with the title of the document it quotes."""
    from medcite.compose import Composer

    if composer is None:
        composer = Composer.open(store, settings, scorer=scorer)

    def answer(question: str) -> list[Shown]:
        result = composer.ask(question, save=False)  # not user history
        if result.abstained:
            return []
        titles = {r.n: r.title for r in result.references}
        return [
            Shown(item.text, titles.get(item.citations[0]) if item.citations else None)
            for item in result.statements()
        ]

    return answer


def unlabelled_rows(reports: Sequence[SubjectReport]) -> list[dict[str, Any]]:
    """The statements no label covers, over all reports, once each, ready to label (label
    null, note empty)."""
    rows: dict[tuple[str, int, str], dict[str, Any]] = {}
    for report in reports:
        for row in report.unlabelled:
            key = (row["set"], row["number"], row["statement"])
            rows.setdefault(key, row | {"label": None, "note": "", "scorer": report.scorer})
    return list(rows.values())

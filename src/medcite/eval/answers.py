"""`medcite eval answers`: key-fact recall of composed answers against a naive RAG baseline.

Datasets (read from their published files, never shipped):

- ``medlfqa-liveqa``, ``medlfqa-medication``: MedLFQA test sets (Jeong M, Hwang H, Yoon C, Lee T,
  Kang J. OLAPH: Improving Factuality in Biomedical Long-form Question Answering. 2024), built
  on the TREC 2017 LiveQA questions below and on MedicationQA (Ben Abacha A et al. Bridging the
  gap between consumers' medication questions and trusted answers. MedInfo 2019); JSONL with
  ``Question`` and ``Must_have`` statements: the key facts are the must-have statements;
- ``liveqa-trec2017``: TREC 2017 LiveQA medical test questions (Ben Abacha A, Agichtein E,
  Pinter Y, Demner-Fushman D. Overview of the Medical Question Answering Task at TREC 2017
  LiveQA. TREC 2017); the question is the NIST paraphrase. It has
  no must-have statements, so the key facts are sentences of the reference answers: whitespace
  normalised, split with the ingest sentence splitter, sentences under
  :data:`MIN_FACT_WORDS` words dropped (headings like "Genitourinary."), duplicates dropped,
  taken round-robin over the reference answers (one long answer does not crowd out the others)
  and capped at :data:`MAX_TREC_FACTS` per question. Reference answers are long and partly
  off-topic, so recall on this set is lower and noisier than on MedLFQA.

Systems: ``medcite`` (the composer, :class:`medcite.compose.Composer`) and ``top5`` (the top-5
passages of the hybrid retriever, concatenated: what a naive RAG pipeline shows). Each answer is
judged by :class:`medcite.eval.keyfacts.KeyFactJudge`; an abstention covers no fact.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from defusedxml import ElementTree

from medcite.config import Settings
from medcite.errors import MedciteError
from medcite.eval.baselines import (
    LengthBudget,
    SentenceRanker,
    gated_system,
    length_matched_system,
    minilm_ranker,
    retrieval_order,
)
from medcite.eval.keyfacts import (
    KeyFactJudge,
    answer_units,
)
from medcite.ingest.chunking import sentences
from medcite.store.sqlite import SQLiteStore
from medcite.types import Audience

DATASETS: dict[str, str] = {
    "medlfqa-liveqa": "live_qa_test_MedLFQA.jsonl",
    "medlfqa-medication": "medication_qa_test_MedLFQA.jsonl",
    "liveqa-trec2017": "TestDataset/TREC-2017-LiveQA-Medical-Test-Questions-w-summaries.xml",
}
SYSTEMS = ("medcite", "top5", "order", "zeroshot", "gated")
MIN_FACT_WORDS = 6
MAX_TREC_FACTS = 8
TOP_K = 5

Progress = Callable[[str, int, int], None]  # (system, done, total)


class BenchmarkDataError(MedciteError):
    """A benchmark file is missing or not in the expected format."""

    code = "bad_benchmark"
    exit_code = 2


@dataclass(frozen=True, slots=True)
class AnswerQuestion:
    """One benchmark question; ``qid`` is the 0-based line number for MedLFQA, TREC's qid else."""

    qid: str
    question: str
    key_facts: list[str]
    # The number whose parity decides the question's half, when not its own: a MedLFQA LiveQA
    # question is a TREC LiveQA question and takes its TREC twin's number (liveqa_twins.json),
    # so that one question is never tuned on in one set and reported in the other.
    split_number: int | None = None


def question_number(q: AnswerQuestion) -> int:
    """The question's 1-based number in its set: MedLFQA's line, TREC's qid ("TQ12" -> 12)."""
    digits = "".join(ch for ch in q.qid if ch.isdigit())
    return int(digits) if q.qid.startswith("TQ") else int(digits) + 1


def select_questions(
    questions: Sequence[AnswerQuestion],
    *,
    split: str = "all",
    numbers: tuple[int, int] | None = None,
) -> list[AnswerQuestion]:
    """Questions by number: ``split`` odd (tuning), even (reporting) or all, within the
    inclusive range ``numbers``. The half goes by ``split_number`` where a question has one
    (MedLFQA LiveQA: its TREC twin's number); a question whose text is also a reported
    question's is reported."""
    if split not in ("all", "odd", "even"):
        raise MedciteError(f"unknown split {split!r}", hint="odd, even or all")

    def tuning(q: AnswerQuestion) -> bool:
        half = q.split_number if q.split_number is not None else question_number(q)
        return half % 2 == 1

    # A question asked twice in a set (MedicationQA has such pairs, numbered one after the
    # other) is reported, never tuned on, whatever the number of its other copy.
    reported = {_normal(q.question) for q in questions if not tuning(q)}
    out = []
    for q in questions:
        n = question_number(q)
        if numbers and not numbers[0] <= n <= numbers[1]:
            continue
        odd = tuning(q) and _normal(q.question) not in reported
        if split == "all" or odd == (split == "odd"):
            out.append(q)
    return out


def _normal(question: str) -> str:
    return " ".join(question.lower().split())


# --- Loaders -------------------------------------------------------------------------------


def dataset_file(name: str, data_folder: Path) -> Path:
    """The dataset's file under ``data_folder`` (or ``data_folder`` itself when it is that file)."""
    if name not in DATASETS:
        raise BenchmarkDataError(
            f"unknown answer dataset {name!r}", hint="Known: " + ", ".join(DATASETS)
        )
    relative = Path(DATASETS[name])
    candidates = [data_folder / relative, data_folder / relative.name]
    if data_folder.is_file() and data_folder.name == relative.name:
        candidates.insert(0, data_folder)
    for path in candidates:
        if path.is_file():
            return path
    raise BenchmarkDataError(
        f"{relative.name} not found under {data_folder}",
        hint="Point --data at the dataset folder (e.g. ../shared/bench/medlfqa).",
    )


def load_answer_dataset(name: str, data_folder: Path) -> list[AnswerQuestion]:
    """Questions with key facts; questions without any key fact are left out."""
    path = dataset_file(name, data_folder)
    if name == "liveqa-trec2017":
        return load_trec_liveqa(path)
    questions = load_medlfqa(path)
    if name == "medlfqa-liveqa":
        twins = trec_numbers()
        questions = [
            dataclasses.replace(q, split_number=twins.get(question_key(q.question)))
            for q in questions
        ]
    return questions


def question_key(question: str) -> str:
    """A question's key in liveqa_twins.json (the texts themselves are not shipped)."""
    return hashlib.sha1(_normal(question).encode()).hexdigest()[:16]


@functools.cache
def trec_numbers() -> dict[str, int]:
    """TREC LiveQA question key -> its number (qid)."""
    data = json.loads((Path(__file__).parent / "data" / "liveqa_twins.json").read_text("utf-8"))
    return {str(k): int(v) for k, v in data["numbers"].items()}


def medlfqa_rows(path: Path) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise BenchmarkDataError(f"{path.name} line {n}: not JSON ({exc.msg})") from None
        question, facts = (
            (row.get("Question"), row.get("Must_have")) if isinstance(row, dict) else (None, None)
        )
        if not isinstance(question, str) or not isinstance(facts, list):
            raise BenchmarkDataError(
                f"{path.name} line {n}: expected an object with Question and Must_have",
                hint="MedLFQA files have Question, Free_form_answer, Must_have, Nice_to_have.",
            )
        rows.append(row)
    return rows


def load_medlfqa(path: Path) -> list[AnswerQuestion]:
    out = []
    for i, row in enumerate(medlfqa_rows(path)):
        facts = [f.strip() for f in row["Must_have"] if isinstance(f, str) and f.strip()]
        if facts:
            out.append(AnswerQuestion(str(i), row["Question"].strip(), facts))
    return out


def _text(element: Any) -> str:
    return " ".join("".join(element.itertext()).split()) if element is not None else ""


def trec_key_facts(answers: Sequence[str]) -> list[str]:
    """Key facts from reference answers (see the module docstring for the rule)."""
    per_answer = [
        [s for s in sentences(" ".join(a.split())) if len(s.split()) >= MIN_FACT_WORDS]
        for a in answers
    ]
    facts: list[str] = []
    seen: set[str] = set()
    for depth in range(max((len(s) for s in per_answer), default=0)):
        for sents in per_answer:
            if depth < len(sents) and sents[depth].lower() not in seen:
                seen.add(sents[depth].lower())
                facts.append(sents[depth])
    return facts[:MAX_TREC_FACTS]


def load_trec_liveqa(path: Path) -> list[AnswerQuestion]:
    try:
        root = ElementTree.parse(str(path)).getroot()
    except ElementTree.ParseError as exc:
        raise BenchmarkDataError(f"{path.name}: not well-formed XML ({exc})") from None
    out: list[AnswerQuestion] = []
    questions = root.findall("NLM-QUESTION")
    if not questions:
        raise BenchmarkDataError(f"{path.name}: no NLM-QUESTION elements")
    for q in questions:
        text = _text(q.find("NIST-PARAPHRASE")) or _text(q.find("NLM-Summary"))
        if not text:
            original = q.find("Original-Question")
            if original is not None:
                text = (
                    f"{_text(original.find('SUBJECT'))} {_text(original.find('MESSAGE'))}".strip()
                )
        answers = [_text(a) for a in q.iter("ANSWER")]
        facts = trec_key_facts([a for a in answers if a])
        if text and facts:
            out.append(AnswerQuestion(q.get("qid", str(len(out))), text, facts))
    return out


# --- Systems -------------------------------------------------------------------------------


@dataclass(slots=True)
class SystemAnswer:
    """What one system showed for one question, reduced to what the metrics need."""

    blocks: list[list[str]]  # text pieces, grouped (a passage; the list of statements)
    abstained: bool
    latency_ms: float
    reading_grade: float | None = None
    support_rate: float | None = None
    # medcite only: the grade of its bottom line, and of what it shows unfolded (all but the
    # sentences patient mode folds away as technical)
    summary_grade: float | None = None
    plain_grade: float | None = None

    @property
    def words(self) -> int:
        return sum(len(piece.split()) for block in self.blocks for piece in block)


def reading_grade(text: str) -> float | None:
    """Flesch-Kincaid grade; None for empty text."""
    from medcite.readability import flesch_kincaid_grade

    return float(flesch_kincaid_grade(text)) if text.strip() else None


AnswerFn = Callable[[str], SystemAnswer]


def top5_system(store: SQLiteStore, settings: Settings, k: int = TOP_K) -> AnswerFn:
    """Baseline: the top-k passages of the hybrid retriever, shown as they are."""
    from medcite.retrieve.hybrid import HybridRetriever

    retriever = HybridRetriever.open(store, settings)

    def answer(question: str) -> SystemAnswer:
        started = time.perf_counter()
        hits = retriever.search(question, k).hits
        latency = (time.perf_counter() - started) * 1000
        texts = [h.passage.text for h in hits]
        return SystemAnswer(
            blocks=[[t] for t in texts],
            abstained=not hits,
            latency_ms=latency,
            reading_grade=reading_grade("\n\n".join(texts)),
        )

    return answer


def medcite_system(
    store: SQLiteStore,
    settings: Settings,
    audience: Audience = Audience.PATIENT,
    budget: LengthBudget | None = None,
    scorer: str = "rule",
) -> AnswerFn:
    """The composer: its quoted statements, in article order, as one block. Its length per
    question goes into ``budget`` for the length-matched baselines."""
    from medcite.compose import Composer

    composer = Composer.open(store, settings, scorer=scorer)

    def answer(question: str) -> SystemAnswer:
        started = time.perf_counter()
        # not user history; the explanation lists what the gate kept, for the gated baseline
        result = composer.ask(question, audience=audience, save=False, explain=True)
        wall = (time.perf_counter() - started) * 1000
        # What the reader sees, lead-ins included: they count as words and as evidence.
        texts = [] if result.abstained else result.shown_texts()
        grade = result.reading_grade
        if grade is None and texts:
            grade = reading_grade(" ".join(texts))
        shown = SystemAnswer(
            blocks=[texts] if texts else [],
            abstained=bool(result.abstained),
            latency_ms=float(result.timings_ms.get("total", wall)),
            reading_grade=grade,
            support_rate=result.support_rate,
            summary_grade=reading_grade(" ".join(i.text for i in result.summary.items)),
            plain_grade=reading_grade(
                " ".join(i.text for i in result.statements() if not i.technical)
            ),
        )
        if budget is not None:
            kept = [n.text for n in result.explanation or [] if n.outcome != "dropped"]
            budget.record(question, shown.words, kept)
        return shown

    return answer


def matched_system(
    store: SQLiteStore,
    settings: Settings,
    budget: LengthBudget,
    ranker: SentenceRanker,
    *,
    gated: bool = False,
) -> AnswerFn:
    """A length-matched baseline (medcite.eval.baselines) as a benchmark system: over the top
    passages, or (``gated``) over the sentences medcite's gate kept."""
    select = (
        gated_system(budget, ranker)
        if gated
        else length_matched_system(store, settings, budget, ranker)
    )

    def answer(question: str) -> SystemAnswer:
        shown, latency = select(question)
        return SystemAnswer(
            blocks=[shown] if shown else [],
            abstained=not shown,
            latency_ms=latency,
            reading_grade=reading_grade(" ".join(shown)),
        )

    return answer


# --- Harness -------------------------------------------------------------------------------


@dataclass(slots=True)
class QuestionResult:
    qid: str
    system: str
    facts: int
    covered: int
    answer: SystemAnswer = field(repr=False)

    @property
    def recall(self) -> float:
        return self.covered / self.facts if self.facts else 0.0


def _mean(values: Sequence[float], digits: int = 3) -> float | None:
    return round(statistics.fmean(values), digits) if values else None


@dataclass(slots=True)
class SystemReport:
    system: str
    results: list[QuestionResult] = field(repr=False)

    def summary(self, answered_by: set[str] | None = None) -> dict[str, Any]:
        """Recall over all questions (and over ``answered_by``, the questions medcite answered,
        when given); length, grade and support over the ones this system answered."""
        answered = [r.answer for r in self.results if not r.answer.abstained]
        latencies = [r.answer.latency_ms for r in self.results]
        grades = [a.reading_grade for a in answered if a.reading_grade is not None]
        summary_grades = [a.summary_grade for a in answered if a.summary_grade is not None]
        plain_grades = [a.plain_grade for a in answered if a.plain_grade is not None]
        support = [a.support_rate for a in answered if a.support_rate is not None]
        n = len(self.results)
        return {
            "system": self.system,
            "questions": n,
            "key_fact_recall": _mean([r.recall for r in self.results]) or 0.0,
            **(
                {"recall_answered": _mean([r.recall for r in self.results if r.qid in answered_by])}
                if answered_by is not None
                else {}
            ),
            "words": _mean([float(a.words) for a in answered], 1),
            "support_rate": _mean(support),
            "abstention_rate": round((n - len(answered)) / n, 3) if n else 0.0,
            "reading_grade": _mean(grades, 1),
            "summary_grade": _mean(summary_grades, 1),
            "plain_grade": _mean(plain_grades, 1),
            "p50_ms": round(float(np.percentile(latencies, 50)), 1) if latencies else None,
            "p95_ms": round(float(np.percentile(latencies, 95)), 1) if latencies else None,
        }


def evaluate_answers(
    questions: Sequence[AnswerQuestion],
    systems: dict[str, AnswerFn],
    *,
    judge: KeyFactJudge | None = None,
    progress: Progress | None = None,
) -> list[SystemReport]:
    """Answer every question with every system and judge each answer's key-fact coverage."""
    judge = judge or KeyFactJudge()
    reports = []
    for name, answer_fn in systems.items():
        results = []
        for done, q in enumerate(questions, 1):
            answer = answer_fn(q.question)
            matches = (
                [] if answer.abstained else judge.judge(q.key_facts, answer_units(answer.blocks))
            )
            covered = sum(m.covered for m in matches)
            results.append(QuestionResult(q.qid, name, len(q.key_facts), covered, answer))
            if progress:
                progress(name, done, len(questions))
        reports.append(SystemReport(name, results))
    return reports


def rejudge(
    questions: Sequence[AnswerQuestion], report: SystemReport, judge: KeyFactJudge
) -> SystemReport:
    """The same answers judged again by another judge (no system runs twice)."""
    facts = {q.qid: q.key_facts for q in questions}
    results = []
    for r in report.results:
        answer = r.answer
        matches = [] if answer.abstained else judge.judge(facts[r.qid], answer_units(answer.blocks))
        results.append(
            QuestionResult(r.qid, r.system, r.facts, sum(m.covered for m in matches), answer)
        )
    return SystemReport(report.system, results)


def subset(report: SystemReport, qids: set[str]) -> SystemReport:
    """The report restricted to the questions ``qids`` (a split)."""
    return SystemReport(report.system, [r for r in report.results if r.qid in qids])


def answered_questions(reports: Sequence[SystemReport], system: str = "medcite") -> set[str]:
    """Ids of the questions ``system`` answered (empty when it is not among ``reports``)."""
    for report in reports:
        if report.system == system:
            return {r.qid for r in report.results if not r.answer.abstained}
    return set()


def build_systems(
    names: Sequence[str], store: SQLiteStore, settings: Settings, scorer: str = "rule"
) -> dict[str, AnswerFn]:
    unknown = [s for s in names if s not in SYSTEMS]
    if unknown:
        raise MedciteError(
            f"unknown system(s): {', '.join(unknown)}", hint="Known: " + ", ".join(SYSTEMS)
        )
    if store.count_documents() == 0:
        raise MedciteError("the store is empty", hint="Run `medcite ingest --default` first.")
    matched = [n for n in names if n in ("order", "zeroshot", "gated")]
    if matched and (not names or names[0] != "medcite"):
        raise MedciteError(
            f"{', '.join(matched)} match medcite's length: list medcite first",
            hint="--systems medcite,top5,order,zeroshot",
        )
    budget = LengthBudget()
    builders: dict[str, Callable[[], AnswerFn]] = {
        "medcite": lambda: medcite_system(store, settings, budget=budget, scorer=scorer),
        "top5": lambda: top5_system(store, settings),
        "order": lambda: matched_system(store, settings, budget, retrieval_order),
        "zeroshot": lambda: matched_system(store, settings, budget, minilm_ranker()),
        "gated": lambda: matched_system(store, settings, budget, minilm_ranker(), gated=True),
    }
    return {name: builders[name]() for name in names}

"""`medcite eval answers`: loaders, the harness on a synthetic store, the CLI, and the judge's
agreement with the hand labels on the real default corpus."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from medcite.cli import app
from medcite.config import Settings
from medcite.eval.answers import (
    MAX_TREC_FACTS,
    AnswerQuestion,
    BenchmarkDataError,
    SystemAnswer,
    evaluate_answers,
    load_answer_dataset,
    medcite_system,
    top5_system,
)
from medcite.eval.keyfacts import KeyFactJudge
from medcite.eval.labels import label_agreement, load_labels
from medcite.store.sqlite import SQLiteStore
from medcite.types import Answer, AnswerItem, AnswerSection, Intent, Summary
from tests.conftest import ingest_folder

BENCH = Path(__file__).parent.parent / "fixtures/bench"

# A synthetic corpus: one page states both Zorblax facts (one verbatim, one paraphrased);
# nothing covers Quibble pox treatment.
CORPUS = {
    "zorblax-fever.md": """# Zorblax fever

## Causes

Zorblax fever is caused by the glimmer bug. Purple ponds are where the glimmer bug lives and
breeds. People catch the fever when they swim in those ponds at dusk. The fever lasts about a
week and patients glow faintly green. Most people recover without any lasting harm. Children
catch it more often than adults because they swim more often.
""",
    "quibble-pox.md": """# Quibble pox

## Symptoms

Quibble pox makes the skin itch in small square patches. The patches appear on the elbows
first and spread to the knees within two days. Scratching makes the squares grow larger.
The itch is worst in the evening and fades by morning.
""",
}


@pytest.fixture(scope="module")
def judge() -> KeyFactJudge:
    pytest.importorskip("onnxruntime")
    return KeyFactJudge()


def _write_corpus(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, text in CORPUS.items():
        (root / name).write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def synthetic_store(store: SQLiteStore, settings: Settings, tmp_path: Path) -> SQLiteStore:
    report = ingest_folder(store, settings, _write_corpus(tmp_path / "corpus"))
    assert report.ok and store.count_documents() == 2
    return store


# --- loaders -------------------------------------------------------------------------------


def test_medlfqa_loader() -> None:
    live = load_answer_dataset("medlfqa-liveqa", BENCH / "medlfqa")
    assert [q.qid for q in live] == ["0", "1"]  # the question without must-haves is left out
    assert live[0] == AnswerQuestion(
        "0",
        "What causes Zorblax fever?",
        ["Zorblax fever is caused by the glimmer bug.", "The glimmer bug lives in purple ponds."],
    )
    med = load_answer_dataset("medlfqa-medication", BENCH / "medlfqa")
    assert med[0].question == "how much snorfle syrup for a child"
    assert med[0].key_facts == ["Children take one spoon of snorfle syrup after breakfast."]
    # The file itself may be given instead of its folder.
    assert load_answer_dataset("medlfqa-liveqa", BENCH / "medlfqa/live_qa_test_MedLFQA.jsonl")


def test_trec_liveqa_loader_builds_key_facts_from_reference_answers() -> None:
    questions = load_answer_dataset("liveqa-trec2017", BENCH / "liveqa-trec2017")
    assert [q.qid for q in questions] == ["TQ1", "TQ2"]  # TQ3 has no reference answer
    q1, q2 = questions
    assert q1.question == "What causes Zorblax fever?"  # the NIST paraphrase
    assert len(q1.key_facts) == MAX_TREC_FACTS
    assert q1.key_facts[0] == "Zorblax fever is caused by the glimmer bug in purple ponds."
    # Round-robin over answers: the second answer's new sentence comes early; its duplicate
    # first sentence and the one-word heading are dropped; the last sentence is over the cap.
    assert q1.key_facts[2] == "Doctors confirm it with the synthetic glow test."
    assert "Causes." not in q1.key_facts
    assert not any("lemon oil" in f for f in q1.key_facts)
    assert len(set(q1.key_facts)) == len(q1.key_facts)
    assert q2.question == "How is Quibble pox treated?"  # falls back to the NLM summary
    assert q2.key_facts == ["Quibble pox is treated by resting under a blue lamp for three days."]


def test_loader_errors(tmp_path: Path) -> None:
    with pytest.raises(BenchmarkDataError, match="unknown answer dataset"):
        load_answer_dataset("nfcorpus", BENCH)
    with pytest.raises(BenchmarkDataError, match="not found"):
        load_answer_dataset("medlfqa-liveqa", tmp_path)
    bad = tmp_path / "live_qa_test_MedLFQA.jsonl"
    bad.write_text('{"Question": "Zorblax?", "Must_have": ["x"]}\n{not json\n', encoding="utf-8")
    with pytest.raises(BenchmarkDataError, match="line 2: not JSON"):
        load_answer_dataset("medlfqa-liveqa", tmp_path)
    bad.write_text('{"Question": "Zorblax?", "Free_form_answer": "x"}\n', encoding="utf-8")
    with pytest.raises(BenchmarkDataError, match="line 1: expected an object"):
        load_answer_dataset("medlfqa-liveqa", tmp_path)
    bad.write_text("[1, 2]\n", encoding="utf-8")
    with pytest.raises(BenchmarkDataError, match="line 1"):
        load_answer_dataset("medlfqa-liveqa", tmp_path)
    xml = tmp_path / "TREC-2017-LiveQA-Medical-Test-Questions-w-summaries.xml"
    xml.write_text("<LiveQA2017><NLM-QUESTION>", encoding="utf-8")
    with pytest.raises(BenchmarkDataError, match="not well-formed"):
        load_answer_dataset("liveqa-trec2017", tmp_path)
    xml.write_text("<LiveQA2017/>", encoding="utf-8")
    with pytest.raises(BenchmarkDataError, match="no NLM-QUESTION"):
        load_answer_dataset("liveqa-trec2017", tmp_path)


# --- harness -------------------------------------------------------------------------------

QUESTIONS = [
    AnswerQuestion(
        "a", "What causes Zorblax fever?", ["Zorblax fever is caused by the glimmer bug."]
    ),
    AnswerQuestion("b", "How is Quibble pox treated?", ["Quibble pox is treated with blue light."]),
]


def test_harness_metrics_with_scripted_systems(judge: KeyFactJudge) -> None:
    answers = {
        "What causes Zorblax fever?": SystemAnswer(
            [["The glimmer bug causes Zorblax fever.", "It is rare."]],
            abstained=False,
            latency_ms=10.0,
            reading_grade=4.0,
            support_rate=1.0,
        ),
        "How is Quibble pox treated?": SystemAnswer([], abstained=True, latency_ms=30.0),
    }
    reports = evaluate_answers(QUESTIONS, {"scripted": answers.__getitem__}, judge=judge)
    (report,) = reports
    assert [(r.qid, r.covered, r.facts) for r in report.results] == [("a", 1, 1), ("b", 0, 1)]
    summary = report.summary()
    assert summary["key_fact_recall"] == 0.5
    assert summary["abstention_rate"] == 0.5
    assert summary["words"] == 9.0  # answered questions only
    assert summary["support_rate"] == 1.0 and summary["reading_grade"] == 4.0
    assert summary["p50_ms"] == 20.0 and summary["p95_ms"] == 29.0


def test_abstention_covers_nothing_even_with_text(judge: KeyFactJudge) -> None:
    said = SystemAnswer([["Zorblax fever is caused by the glimmer bug."]], True, 1.0)
    (report,) = evaluate_answers(QUESTIONS[:1], {"x": lambda q: said}, judge=judge)
    assert report.summary()["key_fact_recall"] == 0.0


def test_top5_baseline_on_a_synthetic_store(
    synthetic_store: SQLiteStore, settings: Settings, judge: KeyFactJudge
) -> None:
    questions = load_answer_dataset("medlfqa-liveqa", BENCH / "medlfqa")
    progress: list[tuple[str, int, int]] = []
    (report,) = evaluate_answers(
        questions,
        {"top5": top5_system(synthetic_store, settings)},
        judge=judge,
        progress=lambda *args: progress.append(args),
    )
    assert progress == [("top5", 1, 2), ("top5", 2, 2)]
    covered = {r.qid: (r.covered, r.facts) for r in report.results}
    assert covered == {"0": (2, 2), "1": (0, 1)}  # both Zorblax facts; no Quibble treatment
    summary = report.summary()
    assert set(summary) == {
        "system",
        "questions",
        "key_fact_recall",
        "words",
        "support_rate",
        "summary_grade",
        "plain_grade",
        "abstention_rate",
        "reading_grade",
        "p50_ms",
        "p95_ms",
    }
    assert summary["key_fact_recall"] == 0.5 and summary["abstention_rate"] == 0.0
    assert summary["support_rate"] is None  # verbatim passages: nothing to verify
    assert summary["words"] > 50 and 0 < summary["reading_grade"] < 20
    assert 0 < summary["p50_ms"] <= summary["p95_ms"]


def test_medcite_system_answers_through_the_composer(
    synthetic_store: SQLiteStore, settings: Settings
) -> None:
    if not hasattr(pytest.importorskip("medcite.compose"), "Composer"):
        pytest.skip("the composer has not landed yet")
    answer = medcite_system(synthetic_store, settings)("What causes Zorblax fever?")
    assert answer.latency_ms > 0
    if not answer.abstained:
        assert answer.words > 0 and answer.blocks
        assert answer.support_rate is None or 0 <= answer.support_rate <= 1
    assert synthetic_store.conn.execute("SELECT count(*) FROM documents").fetchone()[0] == 2


def test_shown_texts_put_each_lead_in_before_its_statement() -> None:
    def item(text: str, lead_in: str | None = None) -> AnswerItem:
        return AnswerItem(text=text, citations=[1], passage_id=1, span=(0, 1), lead_in=lead_in)

    answer = Answer(
        question="What causes Zorblax fever?",
        intent=Intent.CAUSE,
        summary=Summary(items=[item("Glimmer bugs cause it.")]),
        sections=[
            AnswerSection(
                key="causes",
                title="Causes",
                items=[item("purple ponds", lead_in="Zorblax comes from:"), item("dusk swims")],
            )
        ],
    )
    # The judge scores what the reader sees: the list's lead-in counts, once, before its item.
    assert answer.shown_texts() == [
        "Glimmer bugs cause it.",
        "Zorblax comes from:",
        "purple ponds",
        "dusk swims",
    ]


# --- CLI -----------------------------------------------------------------------------------


def test_cli_eval_answers_json(cli_env: Path, tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime")
    ingested = CliRunner().invoke(app, ["ingest", str(_write_corpus(tmp_path / "c")), "--json"])
    assert ingested.exit_code == 0, ingested.output
    data = str(BENCH / "medlfqa")
    args = ["--dataset", "medlfqa-liveqa", "--data", data, "--systems", "top5", "--json"]
    result = CliRunner().invoke(app, ["eval", "answers", *args, "--limit", "1"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["dataset"] == "medlfqa-liveqa"
    (row,) = out["results"]
    assert row["system"] == "top5" and row["questions"] == 1 and row["key_fact_recall"] == 1.0
    bad = CliRunner().invoke(app, ["eval", "answers", *args[:4], "--systems", "magic"])
    assert bad.exit_code == 1 and "unknown system" in bad.stderr
    missing = CliRunner().invoke(app, ["eval", "answers", "--data", data])
    assert missing.exit_code == 1 and "--dataset is required" in missing.stderr
    # The synthetic store holds none of the labelled passages of the default corpus.
    agree = CliRunner().invoke(app, ["eval", "answers", "--data", data, "--agreement"])
    assert agree.exit_code == 1 and "none of the labelled passages" in agree.stderr


def test_cli_eval_answers_on_an_empty_store(cli_env: Path) -> None:
    args = ["--dataset", "medlfqa-liveqa", "--data", str(BENCH / "medlfqa"), "--systems", "top5"]
    result = CliRunner().invoke(app, ["eval", "answers", *args])
    assert result.exit_code == 1 and "store is empty" in result.stderr


# --- hand labels ---------------------------------------------------------------------------


def test_labels_reference_ids_only() -> None:
    labels = load_labels()
    assert 80 <= len(labels) <= 120
    assert 0.2 <= sum(p.label for p in labels) / len(labels) <= 0.6
    keys = {(p.dataset, p.question, p.fact, p.source, p.source_id, p.ord) for p in labels}
    assert len(keys) == len(labels)
    assert all(p.dataset.startswith("medlfqa-") and p.reason for p in labels)
    raw = (Path(__file__).parents[2] / "src/medcite/eval/data/keyfact_labels.jsonl").read_text()
    for line in raw.splitlines():
        assert set(json.loads(line)) == {
            "dataset",
            "question",
            "fact",
            "source",
            "source_id",
            "ord",
            "label",
            "reason",
        }


@pytest.mark.corpus
@pytest.mark.slow
def test_judge_agrees_with_hand_labels(
    default_corpus: tuple[SQLiteStore, Settings], medlfqa_folder: Path, judge: KeyFactJudge
) -> None:
    store, _ = default_corpus
    report = label_agreement(store, medlfqa_folder, judge=judge)
    assert report.missing == 0  # passage ids are stable across fresh ingests
    assert report.agreement.n == len(load_labels())
    assert report.agreement.kappa >= 0.6, report.to_dict()
    assert report.agreement.accuracy >= 0.85

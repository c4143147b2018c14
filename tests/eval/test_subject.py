"""`medcite eval subject`: the shipped subject labels, the rates on a synthetic label list, and
the CLI's checks (no store needed)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from medcite.cli import app
from medcite.eval.answers import BenchmarkDataError, question_key, trec_numbers
from medcite.eval.subject import (
    FIELDS,
    LABELS,
    SETS,
    LabelledQuestion,
    Shown,
    SubjectLabel,
    check_questions,
    labelled_questions,
    load_subject_labels,
    report_questions,
    subject_report,
    unlabelled_rows,
)
from medcite.learn.subject import TRAINING_LABELS as TUNING_LABELS

BENCH = Path(__file__).parent.parent / "fixtures/bench"
LABELS_PATH = Path(__file__).parents[2] / "src/medcite/eval/data/subject_labels.jsonl"


# --- the shipped labels ----------------------------------------------------------------------


def test_labels_file_parses_and_covers_the_report_halves() -> None:
    labels = load_subject_labels()
    assert len(labels) >= 300
    questions = {(lb.set, lb.number) for lb in labels}
    assert len(questions) >= 40
    assert {lb.set for lb in labels} == set(SETS)
    # The report halves, never tuned on: even numbers, MedLFQA LiveQA by its TREC twin's, and
    # a question asked twice in a set is reported under both numbers.
    twins = trec_numbers()
    even_texts = {lb.question for lb in labels if lb.number % 2 == 0}
    for lb in labels:
        number = twins[question_key(lb.question)] if lb.set == "medlfqa-liveqa" else lb.number
        # (MedicationQA's repeated questions are checked against the real set below.)
        assert number % 2 == 0 or lb.question in even_texts or lb.set == "medlfqa-medication"
    assert all(lb.number <= 100 for lb in labels if lb.set == "medlfqa-medication")
    assert {lb.label for lb in labels} == set(LABELS)
    keys = Counter((lb.set, lb.number, lb.statement) for lb in labels)
    assert [k for k, n in keys.items() if n > 1] == []
    assert all(lb.note for lb in labels if lb.label == "off_subject")
    assert all(lb.question and lb.statement.strip() == lb.statement for lb in labels)
    # One question text per (set, number).
    assert len({(lb.set, lb.number, lb.question) for lb in labels}) == len(questions)


def test_labels_file_rows_have_exactly_the_documented_fields() -> None:
    lines = LABELS_PATH.read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(load_subject_labels(LABELS_PATH))
    for line in lines:
        assert tuple(json.loads(line)) == FIELDS


def test_a_bad_label_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "labels.jsonl"
    row = dict.fromkeys(FIELDS, "x") | {"number": 2, "label": "maybe"}
    path.write_text(json.dumps(row) + "\n")
    with pytest.raises(BenchmarkDataError, match="label 'maybe'"):
        load_subject_labels(path)
    path.write_text('{"set": "medlfqa-liveqa"}\n')
    with pytest.raises(BenchmarkDataError, match="not a label row"):
        load_subject_labels(path)


def test_labelled_questions_are_report_half_questions_of_the_real_sets(
    medlfqa_folder: Path,
) -> None:
    bench = medlfqa_folder.parent
    labels = load_subject_labels()
    check_questions(labelled_questions(labels), bench)  # raises for a tuning-half question
    report = {q.question for q in report_questions(bench)}
    tuning = [json.loads(line) for line in TUNING_LABELS.read_text("utf-8").splitlines() if line]
    # No question the subject model is trained on is asked in a report half (the LiveQA sets
    # share their questions).
    assert tuning and not [r for r in tuning if r["question"] in report]


# --- rates on synthetic labels ---------------------------------------------------------------


def _label(set_: str, number: int, question: str, statement: str, label: str) -> SubjectLabel:
    return SubjectLabel(set_, number, question, statement, "Zorblax Fever", label)


ZQ = "Does zorblax fever spread in purple ponds?"
QQ = "How is quibble pox treated?"
SYNTHETIC = [
    _label("set-a", 2, ZQ, "Zorblax fever spreads in purple ponds.", "answers"),
    _label("set-a", 2, ZQ, "Zorblax fever is a made-up fever.", "on_subject"),
    _label("set-a", 2, ZQ, "Glimmer pox is another made-up pox.", "off_subject"),
    _label("set-a", 2, ZQ, "Never shown: quibble pox is itchy.", "off_subject"),
    _label("set-b", 4, QQ, "Quibble pox is treated with moon cream.", "answers"),
    _label("set-c", 6, ZQ, "Zorblax fever spreads in purple ponds.", "answers"),
]
SHOWN = {
    ZQ: [
        Shown("Zorblax fever spreads in purple ponds.", "Zorblax Fever"),
        Shown("Zorblax fever is a made-up fever.", "Zorblax Fever"),
        Shown("Glimmer pox is another made-up pox.", "Glimmer Pox"),
        Shown("Zorblax fever spreads in purple ponds.", "Zorblax Fever"),  # shown twice
        Shown("A new sentence no one labelled.", "Nowhere"),
    ],
    QQ: [Shown("Quibble pox is treated with moon cream.", "Quibble Pox")],
}


def test_rates_over_the_labelled_statements_shown() -> None:
    asked: list[str] = []

    def answer(question: str) -> list[Shown]:
        asked.append(question)
        return SHOWN[question]

    report = subject_report(answer, SYNTHETIC, scorer="toy")
    # The question shared by set-a and set-c is asked and counted once, under set-a.
    assert asked == [ZQ, QQ]
    assert report.questions == 2
    # set-a: 4 distinct (3 labelled, 1 new); set-b: 1.
    assert report.shown == 5
    assert report.counts == {"answers": 2, "on_subject": 1, "off_subject": 1}
    assert report.labelled == 4
    assert report.rate("off_subject") == pytest.approx(1 / 4)
    assert report.rate("answers") == pytest.approx(2 / 4)
    assert report.by_set["set-a"] == {
        "answers": 1,
        "on_subject": 1,
        "off_subject": 1,
        "unlabelled": 1,
    }
    assert "set-c" not in report.by_set
    new = [(r["set"], r["statement"]) for r in report.unlabelled]
    assert new == [("set-a", "A new sentence no one labelled.")]
    out = report.to_dict()
    assert out["off_subject_rate"] == 0.25 and out["answers_rate"] == 0.5
    assert out["counts"] == {"answers": 2, "on_subject": 1, "off_subject": 1}
    assert out["unlabelled"] == 1


def test_a_label_given_under_one_set_applies_to_the_same_question_in_another() -> None:
    labels = [
        _label("set-c", 6, ZQ, "Zorblax fever is a made-up fever.", "on_subject"),
        _label("set-a", 2, ZQ, "Glimmer pox is another made-up pox.", "off_subject"),
    ]
    shown = [
        Shown("Zorblax fever is a made-up fever.", "Zorblax Fever"),
        Shown("Glimmer pox is another made-up pox.", "Glimmer Pox"),
    ]
    report = subject_report(lambda question: shown, labels)
    assert report.questions == 1 and report.labelled == 2 and report.unlabelled == []
    assert report.counts == {"on_subject": 1, "off_subject": 1}


def test_unlabelled_rows_are_ready_to_label_and_listed_once() -> None:
    def answer(question: str) -> list[Shown]:
        return SHOWN[question]

    first = subject_report(answer, SYNTHETIC[:5], scorer="one")
    second = subject_report(answer, SYNTHETIC[:5], scorer="two")
    rows = unlabelled_rows([first, second])
    assert len(rows) == 1
    (row,) = rows
    assert row["statement"] == "A new sentence no one labelled." and row["source"] == "Nowhere"
    assert row["label"] is None and row["scorer"] == "one"
    assert set(FIELDS) <= set(row)


def test_no_statement_shown_gives_no_rate() -> None:
    report = subject_report(lambda q: [], SYNTHETIC)
    assert report.shown == 0 and report.labelled == 0
    assert report.rate("off_subject") is None
    assert report.to_dict()["off_subject_rate"] is None


def test_chosen_questions_replace_the_labelled_ones() -> None:
    extra = LabelledQuestion("set-b", 8, "What is glimmer pox?")
    report = subject_report(
        lambda q: [Shown("Glimmer pox is another made-up pox.")],
        SYNTHETIC,
        questions=[*labelled_questions(SYNTHETIC)[:1], extra],
    )
    assert report.questions == 2
    assert report.counts == {"off_subject": 1}  # labels are per (set, number, statement)
    assert [r["number"] for r in report.unlabelled] == [8]


# --- CLI -------------------------------------------------------------------------------------


def test_cli_eval_subject_checks_scorer_and_data(
    cli_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = str(BENCH)
    bad = CliRunner().invoke(app, ["eval", "subject", "--data", data, "--scorer", "magic"])
    assert bad.exit_code == 1 and "unknown scorer" in bad.stderr
    # Any name in SCORERS is accepted (here: refused next because the fixture bench files do
    # not hold the labelled questions).
    import medcite.compose.scoring as scoring

    monkeypatch.setattr(scoring, "SCORERS", (*scoring.SCORERS, "magic"))
    result = CliRunner().invoke(app, ["eval", "subject", "--data", data, "--scorer", "magic"])
    assert result.exit_code != 0 and "unknown scorer" not in result.stderr
    assert "not in the report half" in result.stderr

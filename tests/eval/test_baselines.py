"""Length-matched baselines, the question splits and the second (lexical) judge."""

from __future__ import annotations

from pathlib import Path

import pytest

from medcite.config import Settings
from medcite.errors import MedciteError
from medcite.eval.answers import (
    AnswerQuestion,
    answered_questions,
    build_systems,
    evaluate_answers,
    load_answer_dataset,
    question_number,
    select_questions,
)
from medcite.eval.baselines import (
    LengthBudget,
    cut_to_budget,
    length_matched_system,
    passage_sentences,
    retrieval_order,
)
from medcite.eval.keyfacts import lexical_judge
from medcite.store.sqlite import SQLiteStore
from tests.conftest import ingest_folder
from tests.eval.test_answers import BENCH, _write_corpus


def test_cut_to_budget_takes_whole_sentences_until_the_words_are_reached() -> None:
    sents = ["one two three", "four five", "six seven eight nine"]
    assert cut_to_budget(sents, 0) == []
    assert cut_to_budget(sents, 3) == ["one two three"]
    assert cut_to_budget(sents, 4) == ["one two three", "four five"]  # never cut mid-sentence
    assert cut_to_budget(sents, 100) == sents


def test_passage_sentences_drop_fragments_and_repeats() -> None:
    texts = ["Glimmer bugs live in ponds. Yes. Glimmer bugs live in ponds.", "Purple ponds glow."]
    assert passage_sentences(texts) == ["Glimmer bugs live in ponds.", "Purple ponds glow."]


def test_a_matched_baseline_needs_medcite_first(
    store: SQLiteStore, settings: Settings, tmp_path: Path
) -> None:
    ingest_folder(store, settings, _write_corpus(tmp_path / "corpus"))
    budget = LengthBudget()
    select = length_matched_system(store, settings, budget, retrieval_order)
    with pytest.raises(RuntimeError, match="before medcite"):
        select("What causes Zorblax fever?")
    budget.record("What causes Zorblax fever?", 12)
    shown, _ = select("What causes Zorblax fever?")
    words = sum(len(s.split()) for s in shown)
    assert shown and 12 <= words < 12 + max(len(s.split()) for s in shown)
    budget.record("What causes Quibble pox?", 0)  # medcite abstained: nothing shown
    assert select("What causes Quibble pox?")[0] == []
    with pytest.raises(MedciteError, match="list medcite first"):
        build_systems(["order", "medcite"], store, settings)


def test_matched_baselines_show_medcites_length(
    store: SQLiteStore, settings: Settings, tmp_path: Path
) -> None:
    pytest.importorskip("onnxruntime")
    ingest_folder(store, settings, _write_corpus(tmp_path / "corpus"))
    questions = [AnswerQuestion("0", "What causes Zorblax fever?", ["The glimmer bug."])]
    systems = build_systems(["medcite", "order"], store, settings)
    reports = evaluate_answers(questions, systems, judge=lexical_judge())
    medcite, order = (rep.results[0].answer for rep in reports)
    if medcite.abstained:
        assert order.abstained
    else:
        assert order.words >= medcite.words
    assert answered_questions(reports) == (set() if medcite.abstained else {"0"})


def test_questions_are_split_by_their_number() -> None:
    lfqa = [AnswerQuestion(str(i), f"q{i}", ["f"]) for i in range(6)]  # line i -> number i+1
    trec = [AnswerQuestion(f"TQ{i}", f"t{i}", ["f"]) for i in (1, 2, 3)]
    assert [question_number(q) for q in lfqa] == [1, 2, 3, 4, 5, 6]
    assert [q.qid for q in select_questions(lfqa, split="odd")] == ["0", "2", "4"]
    assert [q.qid for q in select_questions(lfqa, split="even")] == ["1", "3", "5"]
    assert [q.qid for q in select_questions(lfqa, numbers=(2, 3))] == ["1", "2"]
    assert [q.qid for q in select_questions(trec, split="even")] == ["TQ2"]
    with pytest.raises(MedciteError, match="unknown split"):
        select_questions(lfqa, split="first")


def test_a_question_is_on_one_side_wherever_it_is_asked() -> None:
    # A MedLFQA LiveQA question takes its TREC twin's half (split_number); a question asked
    # twice in a set is reported under both numbers.
    twin = AnswerQuestion("0", "Why is zorblax fever purple?", ["f"], split_number=8)
    repeated = [
        AnswerQuestion("2", "how much snorfle syrup", ["f"]),  # number 3: odd
        AnswerQuestion("3", "How much  snorfle syrup", ["g"]),  # number 4: even, same text
        AnswerQuestion("4", "is glimmer pox itchy", ["f"]),  # number 5: odd
    ]
    questions = [twin, *repeated]
    assert [q.qid for q in select_questions(questions, split="odd")] == ["4"]
    assert [q.qid for q in select_questions(questions, split="even")] == ["0", "2", "3"]
    assert load_answer_dataset("medlfqa-liveqa", BENCH / "medlfqa")[0].split_number is None


def test_the_lexical_judge_counts_words_not_meaning() -> None:
    judge = lexical_judge()
    facts = ["Glimmer bugs breed in purple ponds."]
    assert judge.coverage(facts, [["Purple ponds are where glimmer bugs breed."]]) == 1.0
    # A paraphrase without the fact's words is not covered by overlap alone.
    assert judge.coverage(facts, [["The insects multiply in violet water."]]) == 0.0

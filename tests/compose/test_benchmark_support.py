"""On the real default corpus, every statement of every benchmark answer is supported.

Runs the composer over the benchmark questions (MedLFQA LiveQA + MedicationQA, TREC LiveQA
2017) and the demo question; asserts 100% support (the issue's bar), citation consistency and
no crash. Skipped when the shared corpora/bench folders are absent.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from medcite.compose import Composer
from medcite.config import Settings
from medcite.eval.answers import load_answer_dataset
from medcite.store.sqlite import SQLiteStore
from medcite.types import Audience

BENCH = Path(__file__).resolve().parents[2].parent / "shared" / "bench"


def _questions() -> list[str]:
    if not BENCH.is_dir():
        return []
    out = ["What causes muscle spasms?"]
    out += [q.question for q in load_answer_dataset("medlfqa-liveqa", BENCH / "medlfqa")]
    out += [q.question for q in load_answer_dataset("medlfqa-medication", BENCH / "medlfqa")][:150]
    out += [q.question for q in load_answer_dataset("liveqa-trec2017", BENCH / "liveqa-trec2017")]
    return out


@pytest.mark.parametrize("audience", [Audience.PATIENT, Audience.CLINICIAN])
def test_every_benchmark_statement_is_supported(
    default_corpus: tuple[SQLiteStore, Settings], audience: Audience
) -> None:
    questions = _questions()
    if not questions:
        pytest.skip("benchmark sets not available at ../shared/bench")
    store, settings = default_corpus
    composer = Composer.open(store, settings)
    answered = 0
    for question in questions:
        answer = composer.ask(question, audience=audience, save=False)
        if answer.abstained:
            assert not answer.statements() and not answer.references
            continue
        answered += 1
        numbers = {r.n for r in answer.references}
        for item in answer.statements():
            assert item.supported, (question, item.text)
            assert set(item.citations) <= numbers
            assert all(g.supported for g in item.glosses), (question, item.glosses)
        assert answer.support_rate == 1.0
    assert answered >= len(questions) // 2  # the corpus covers most of these questions

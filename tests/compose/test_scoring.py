"""The scoring contract (medcite.compose.scoring.Scorer), run against each scorer, and
`ask --explain`, which shows every candidate's fate."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from medcite.cli import app
from medcite.compose import Composer
from medcite.compose.candidates import extract
from medcite.compose.focus import question_focus
from medcite.compose.rule_scorer import RuleScorer
from medcite.compose.scoring import Scorer, ScoringContext, make_scorer
from medcite.retrieve.vocabulary import Vocabulary
from medcite.types import Audience
from tests.conftest import FIXTURES

SCORERS: dict[str, Callable[[Vocabulary], Scorer]] = {
    "rule": RuleScorer,
    "similarity": lambda v: make_scorer("similarity", v),
    "ranked": lambda v: make_scorer("ranked", v),
}


@pytest.mark.parametrize("name", sorted(SCORERS))
@pytest.mark.parametrize("audience", list(Audience))
def test_a_scorer_keeps_scored_candidates_and_says_why_it_drops_the_rest(
    composer: Composer, name: str, audience: Audience
) -> None:
    question = "What causes glimmerpox?"
    hits, analysis = composer.retriever.search(question, 30)
    focus = question_focus(analysis, analysis.text, composer.retriever, composer.store)
    candidates = extract(hits)
    if name != "rule":
        pytest.importorskip("onnxruntime")
    scorer = SCORERS[name](composer.vocabulary)
    context = ScoringContext(
        question, focus, tuple(analysis.intents), audience, composer.vocabulary
    )
    kept = scorer.score(candidates, context)
    assert kept and len(kept) < len(candidates)  # it chooses
    assert all(c in candidates for c in kept)
    assert all(c.dropped is None and c.score > 0 and c.parts for c in kept)
    dropped = [c for c in candidates if c not in kept]
    assert all(c.dropped for c in dropped), [c.text for c in dropped if not c.dropped]
    # The subject's own definition is kept; a sentence about another condition is not.
    assert any(c.text.startswith("Glimmerpox is an invented rash") for c in kept)


def test_ask_explain_accounts_for_every_candidate(composer: Composer) -> None:
    answer = composer.ask("What causes glimmerpox?", save=False, explain=True)
    notes = answer.explanation
    assert notes is not None and answer.scorer == "rule"
    shown = [n for n in notes if n.outcome == "shown"]
    # Everything the article quotes is "shown" (evidence notes and glosses aside).
    statements = {
        (i.passage_id, i.text)
        for i in [*answer.summary.items, *(i for s in answer.sections for i in s.items)]
    }
    assert statements <= {(n.passage_id, n.text) for n in shown}
    assert all(n.reason for n in notes if n.outcome == "dropped")
    assert all(n.score is not None and n.parts for n in notes if n.outcome != "dropped")
    assert composer.ask("What causes glimmerpox?", save=False).explanation is None


def test_cli_explain_in_text_and_json(cli_env: Path) -> None:
    ingested = CliRunner().invoke(app, ["ingest", str(FIXTURES / "compose"), "--json"])
    assert ingested.exit_code == 0, ingested.output
    text = CliRunner().invoke(app, ["ask", "What causes glimmerpox?", "--explain"])
    assert text.exit_code == 0, text.output
    assert "Why these sentences (rule scorer" in text.stdout and "dropped" in text.stdout
    raw = CliRunner().invoke(app, ["ask", "What causes glimmerpox?", "--explain", "--json"])
    data = json.loads(raw.stdout)
    assert data["scorer"] == "rule" and {n["outcome"] for n in data["explanation"]} >= {
        "shown",
        "dropped",
    }


def test_an_unknown_scorer_is_a_clear_error(composer: Composer) -> None:
    from medcite.errors import ConfigError

    with pytest.raises(ConfigError, match="unknown scorer 'magic'"):
        make_scorer("magic", composer.vocabulary)


def test_the_rule_scorer_weighs_each_kept_sentence_with_the_subject_model(
    composer: Composer,
) -> None:
    from medcite.learn.subject import FEATURES, default_model

    if default_model() is None:
        pytest.skip("make train has not built the subject model")
    question = "What causes glimmerpox?"
    hits, analysis = composer.retriever.search(question, 30)
    focus = question_focus(analysis, analysis.text, composer.retriever, composer.store)
    context = ScoringContext(
        question, focus, tuple(analysis.intents), Audience.PATIENT, composer.vocabulary
    )
    candidates = extract(hits)
    kept = RuleScorer(composer.vocabulary).score(candidates, context)
    assert kept and all(set(c.subject) == set(FEATURES) for c in kept)
    assert all(0 <= c.parts["about the subject"] <= 1 for c in kept)
    # Without the model the rules keep at least as much, and nothing says "about the subject".
    for c in candidates:
        c.dropped, c.parts = None, {}
    alone = RuleScorer(composer.vocabulary, subject_model=False).score(candidates, context)
    assert len(alone) >= len(kept)
    assert not any("about the subject" in c.parts for c in alone)

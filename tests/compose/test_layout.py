"""The ranked layout: the article takes the best-scored sentences up to its length, and the
learned intent model files each under a section."""

from __future__ import annotations

import pytest

from medcite.compose import Composer
from medcite.compose.candidates import extract
from medcite.compose.layout import ARTICLE_WORDS, MORE, SEEK_CARE, fill_ranked, section_key
from medcite.compose.sections import plan_for
from medcite.types import Intent


def test_the_best_scored_sentences_fill_the_article_up_to_its_length(composer: Composer) -> None:
    candidates = extract(composer.retriever.search("What causes glimmerpox?", 30).hits)
    assert len(candidates) > 5
    for score, c in enumerate(reversed(candidates)):
        c.score = score  # the last-retrieved first: the layout must follow scores, not ranks
    ranked = sorted(candidates, key=lambda c: -c.score)
    plan = plan_for([Intent.CAUSE])
    layout = fill_ranked(ranked, plan, fresh=lambda c: True, words=40)
    chosen = [c for _, picked in layout for c in picked]
    # A prefix of the ranking: the best ones, up to the first that reaches 40 words.
    assert sorted(chosen, key=lambda c: -c.score) == ranked[: len(chosen)]
    words = sum(c.word_count + len((c.lead_in or "").split()) * c.list_item for c in chosen)
    assert (words >= 40 and words - chosen[-1].word_count < 40) or len(chosen) == len(ranked)
    # Sections follow the plan's order, then the others, advice to seek care before the rest.
    keys = [spec.key for spec, _ in layout]
    in_plan = [k for k in keys if k in {s.key for s in plan}]
    assert keys[: len(in_plan)] == in_plan
    assert all(section_key(c) == spec.key for spec, picked in layout for c in picked)
    if SEEK_CARE.key in keys and MORE.key in keys:
        assert keys.index(SEEK_CARE.key) < keys.index(MORE.key)
    # What ``fresh`` refuses (a repeat) is skipped, not counted.
    refused = ranked[0]
    again = fill_ranked(ranked, plan, fresh=lambda c: c is not refused, words=40)
    assert refused not in [c for _, picked in again for c in picked]


def test_the_ranked_scorer_answers_in_its_layout(composer: Composer) -> None:
    pytest.importorskip("onnxruntime")
    ranked = Composer(composer.store, composer.settings, composer.retriever, scorer="ranked")
    answer = ranked.ask("What causes glimmerpox?", save=False, explain=True)
    assert answer.scorer == "ranked" and not answer.abstained
    body = sum(len(i.text.split()) for s in answer.sections for i in s.items)
    assert 0 < body <= ARTICLE_WORDS + 55  # a sentence is never cut: one may pass the length
    notes = answer.explanation or []
    shown = [n for n in notes if n.outcome == "shown"]
    assert shown and all("similarity" in n.parts for n in shown)

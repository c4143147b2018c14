"""The bottom line: up to three whole quoted sentences that answer the question directly.

Sentences that name the subject and answer what is asked come first; sentences about a narrower
concept only when nothing speaks of the subject as a whole. When nothing answers directly, the
most topical sentence leads, and the answer says so (``Summary.direct``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from medcite.compose.candidates import Candidate
from medcite.compose.sections import answer_keys_of
from medcite.compose.topicality import (
    Focus,
    answers_intent,
    comparison_sides,
    evades,
    leans_on_context,
    one_per_side,
)
from medcite.types import Intent

MAX_SUMMARY_WORDS = 80
MAX_SUMMARY_SENTENCES = 3
MAX_ASKED_ASPECT = 2  # words a yes/no question asks of its subject ("contagious")
_YES_NO_RE = re.compile(r"\s*(?:is|are|can|could|does|do|will|was|were|has|have)\b", re.I)
_RARE_CASE_RE = re.compile(
    r"(?:less (?:commonly|often|frequently)|rarely|in rare cases|more rarely|uncommonly)\b", re.I
)


@dataclass(slots=True)
class BottomLine:
    sentences: list[Candidate]
    direct: bool  # False: nothing answered what is asked; the closest sentence leads


def choose_bottom_line(
    ranked: Sequence[Candidate],
    *,
    intents: Sequence[Intent],
    question: str,
    focus: Focus,
    fresh: Callable[[Candidate], bool],
    min_topical: float,
) -> BottomLine:
    """Pick the bottom line from ``ranked`` (best first); ``fresh`` refuses (and otherwise
    records) a sentence that repeats one already chosen for the answer."""
    summary: list[Candidate] = []
    words = 0
    broad = any(not (c.narrower or c.subtype_page or c.list_item) for c in ranked)

    def answers(c: Candidate, asked: Sequence[Intent]) -> bool:
        return any(
            c.cues & answer_keys_of([i])
            and answers_intent(i, c.text)
            and not (c.consequence and i in (Intent.CAUSE, Intent.RISK))
            for i in asked
        )

    def take(c: Candidate, *, same_source: bool = False) -> bool:
        nonlocal words
        if c.list_item or (broad and (c.narrower or c.subtype_page)):
            return False
        if leans_on_context(c.text) or _RARE_CASE_RE.match(c.text):
            return False  # "Less commonly, X is caused by ..." is not the main answer
        if not c.names_subject:
            return False  # "Treatment is usually not required." needs its page around it
        if not same_source and any(
            s.evidence.document.id == c.evidence.document.id for s in summary
        ):
            return False
        if words + c.word_count > MAX_SUMMARY_WORDS or not fresh(c):
            return False
        summary.append(c)
        words += c.word_count
        return True

    if Intent.COMPARISON in intents:
        # A comparison's bottom line says what each side is: "With type 1 diabetes, your
        # pancreas does not make insulin." and the same of type 2.
        summary.extend(c for c in one_per_side(ranked, comparison_sides(question)) if fresh(c))
    paired = len(summary) == 2  # both sides said: nothing more in the bottom line
    # "Is shingles contagious?" asks one thing of the subject: a sentence saying it ("You can't
    # catch shingles from someone who has it.") answers first, whatever its section.
    if not paired and _YES_NO_RE.match(question) and 0 < len(focus.aspect) <= MAX_ASKED_ASPECT:
        next(
            (
                c
                for c in ranked
                if focus.aspect_share(c.text) >= 1.0
                and focus.match(c.text) >= min_topical  # says it of the subject itself
                and not any(evades(i, c.text) for i in intents)
                and take(c)
            ),
            None,
        )
    # Each intent asked about ("What is X and how is it treated?") gets its best sentence; it
    # may come from the same source as another's.
    for intent in intents if not paired else ():
        if len(summary) < MAX_SUMMARY_SENTENCES:
            next((c for c in ranked if answers(c, [intent]) and take(c, same_source=True)), None)
    for c in ranked if summary and not paired else []:
        if len(summary) >= MAX_SUMMARY_SENTENCES or c.score < 0.5 * summary[0].score:
            break
        if answers(c, intents):
            take(c)
    if Intent.DEFINITION in intents:  # what it is reads best first
        summary.sort(key=lambda c: "definition" not in c.cues)
    if summary:
        return BottomLine(summary, direct=True)
    # Nothing answers directly: lead with the most topical sentence, one that stands on its own
    # and speaks to what is asked when there is one (the sort is stable: score order within).
    # A sentence of a page on the subject may lead without naming it ("They often occur after
    # exercise or at night." on the muscle cramps page): it is shown with the page's topic.
    leads = [
        c for c in ranked if not c.list_item and (focus.match(c.text) >= min_topical or c.central)
    ]
    asked = answer_keys_of(intents)
    leads.sort(
        key=lambda c: (
            leans_on_context(c.text),
            focus.match(c.text) < min_topical,  # naming the subject, before a page's own words
            any(evades(i, c.text) for i in intents),
            not c.cues & asked,
        )
    )
    # Last, a list item shown with the sentence introducing its list ("Other causes of X are
    # ... Leaving robots in fake sunshine" for "what about sunshine?").
    leads += [
        c
        for c in ranked
        if c.list_item and c.lead_in and (focus.match(c.lead_in) >= min_topical or c.central)
    ]
    return BottomLine(next(([c] for c in leads if fresh(c)), []), direct=False)

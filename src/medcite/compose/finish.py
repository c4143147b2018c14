"""Finishing an answer article: follow-up questions, cause grouping, the abstention message,
and the test for a sentence that restates another. Pure functions of the composed parts."""

from __future__ import annotations

from collections.abc import Sequence

from medcite.compose.candidates import Candidate
from medcite.compose.categories import OTHER_CAUSES
from medcite.types import Answer, AnswerItem, CandidateNote, Intent

MIN_RESTATED_WORDS = 3  # content words a sentence needs to count as restating a longer one

FOLLOW_UP_TEMPLATES: dict[Intent, str] = {
    Intent.CAUSE: "What causes {x}?",
    Intent.SYMPTOM: "What are the symptoms of {x}?",
    Intent.DIAGNOSIS: "How {be} {x} diagnosed?",
    Intent.TREATMENT: "How {be} {x} treated?",
    Intent.PREVENTION: "Can {x} be prevented?",
    Intent.PROGNOSIS: "What is the outlook for {x}?",
    Intent.RISK: "Who is at risk of {x}?",
}


DRUG_FOLLOW_UPS: dict[Intent, str] = {
    Intent.MEDICATION: "What are the side effects of {x}?",
    Intent.TREATMENT: "What is {x} used for?",
    Intent.RISK: "Who should not take {x}?",
}


def follow_ups(answer: Answer, *, drug: bool = False) -> list[str]:
    """Up to three questions on the same subject about what was not asked (for a medicine:
    its uses, side effects and who should not take it)."""
    if not answer.focus:
        return []
    if drug:
        return [
            template.format(x=answer.focus)
            for intent, template in DRUG_FOLLOW_UPS.items()
            if intent not in answer.intents
        ][:3]
    order = [
        Intent.TREATMENT,
        Intent.SYMPTOM,
        Intent.CAUSE,
        Intent.DIAGNOSIS,
        Intent.PREVENTION,
        Intent.PROGNOSIS,
        Intent.RISK,
    ]
    subject = answer.focus.lower()
    plural = subject.endswith("s") and not subject.endswith(("ss", "is", "us"))
    return [
        FOLLOW_UP_TEMPLATES[i].format(x=subject, be="are" if plural else "is")
        for i in order
        if i not in answer.intents
    ][:3]


def restates(a: frozenset[str], b: frozenset[str]) -> bool:
    """One sentence says all the other does (of three content words or more): "X is a common
    sleep disorder" within "X (pronunciation) is a common sleep disorder"."""
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    return len(small) >= MIN_RESTATED_WORDS and small <= large


def group_by_category(items: list[AnswerItem]) -> list[AnswerItem]:
    """Items of one category together (first-seen order), the catch-all group last."""
    order: list[str] = []
    for item in items:
        key = item.category or OTHER_CAUSES
        if key not in order:
            order.append(key)
    if OTHER_CAUSES in order:
        order.remove(OTHER_CAUSES)
        order.append(OTHER_CAUSES)
    return [i for key in order for i in items if (i.category or OTHER_CAUSES) == key]


def abstain_reason(question: str, had_candidates: bool, missing: Sequence[str] = ()) -> str:
    if missing:
        names = " or ".join(w.strip("?.,;:!\"'()") for w in missing)
        return (
            f"The sources medcite found do not answer this about {names}, so it does not answer "
            "rather than tell you what they say about something else. Ingest a source on it (a "
            "guideline, a review, a consumer health or drug page: `medcite ingest PATH`, or "
            f"`medcite ingest pubmed -q {names!r}`) and ask again."
        )
    what = "nothing relevant enough" if had_candidates else "nothing"
    return (
        f"The ingested sources have {what} to answer this question, so medcite does not answer "
        "it rather than guess. Ingest guidelines, reviews or consumer health pages that cover "
        "the topic (`medcite ingest PATH`, or a named source such as `medcite ingest pubmed -q TOPIC`) and ask again."
    )


def explain_candidates(answer: Answer, candidates: Sequence[Candidate]) -> list[CandidateNote]:
    """Every candidate sentence with its outcome: shown in the answer, kept by the scorer but
    not chosen, or dropped (with the scorer's reason), best-scored first within each outcome."""
    shown = {(item.passage_id, item.span[0]) for item in answer.statements()}
    notes = []
    for c in candidates:
        if (c.passage_id, c.start) in shown:
            outcome, reason = "shown", None
        elif c.dropped is None:
            outcome = "kept"
            reason = "kept, not placed: its section was full or holds other kinds, or it repeats one shown"
        else:
            outcome, reason = "dropped", c.dropped
        notes.append(
            CandidateNote(
                text=c.text,
                passage_id=c.passage_id,
                source=c.evidence.document.title,
                outcome=outcome,
                score=round(c.score, 4) if c.dropped is None else None,
                parts=c.parts,
                reason=reason,
            )
        )
    order = {"shown": 0, "kept": 1, "dropped": 2}
    return sorted(notes, key=lambda n: (order[n.outcome], -(n.score or 0.0)))

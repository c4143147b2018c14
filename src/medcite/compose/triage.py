"""Red flags: emergency warning signs that put an urgent-care banner on top of an answer.

This is triage logic, not evidence: the trigger list and the banner wording are medcite's own,
kept deliberately conservative (when in doubt, tell the reader to get urgent help). A trigger
found in a quoted passage is cited to that passage; one found in the question is not.
"""

from __future__ import annotations

import re

from medcite.types import RedFlag

# (label shown to the reader, pattern). Patterns are matched case-insensitively.
RED_FLAG_TRIGGERS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (label, re.compile(pattern, re.I))
    for label, pattern in (
        ("chest pain or pressure", r"\bchest (pain|pressure|tightness)\b"),
        (
            "trouble breathing",
            r"\b(trouble|difficulty|difficult|hard time|can'?t|cannot|unable to) (breathing|breathe)\b|"
            r"\bshort(ness)? of breath\b|\bstopped breathing\b",
        ),
        (
            "signs of a stroke",
            r"\bstroke\b|\b(face|facial) droop\w*|\bslurred speech\b|\b(sudden )?weakness (on|of) one side\b|"
            r"\bsudden numbness\b",
        ),
        (
            "severe bleeding",
            r"\b(severe|heavy|uncontrolled|won'?t stop) bleeding\b|\b(coughing|vomiting) (up )?blood\b",
        ),
        (
            "thoughts of suicide or self-harm",
            r"\bsuicid\w*|\bkill (myself|himself|herself|themselves)\b|\bself[- ]harm\b|\bwant to die\b",
        ),
        (
            "fainting or loss of consciousness",
            r"\b(passed out|pass(es|ing)? out|faint(ed|ing)|loss of consciousness|unconscious|unresponsive)\b",
        ),
        ("a seizure", r"\bseizures?\b|\bconvulsions?\b"),
        ("a sudden, severe headache", r"\b(sudden|severe|worst) headache\b|\bthunderclap\b"),
        (
            "a severe allergic reaction",
            r"\banaphyla\w+|\b(throat|tongue|lips?) swell\w*|\bswelling of the (throat|tongue|lips|face)\b",
        ),
        ("poisoning or overdose", r"\boverdos\w*|\bpoison(ed|ing)\b"),
        ("a high fever with a stiff neck", r"\bstiff neck\b"),
        ("confusion that comes on suddenly", r"\bsudden(ly)? confus\w*|\bconfused suddenly\b"),
    )
)

URGENT_ADVICE = (
    "If you or someone with you has {trigger} now, call your local emergency number or go to the "
    "nearest emergency department. Do not wait for an online answer."
)
CRISIS_ADVICE = (
    "If you are thinking about suicide or harming yourself, call your local emergency number or a "
    "crisis line now, or go to the nearest emergency department. You are not alone."
)


def _advice(trigger: str) -> str:
    if trigger.startswith("thoughts of suicide"):
        return CRISIS_ADVICE
    return URGENT_ADVICE.format(trigger=trigger)


def find_red_flags(question: str, quoted: list[tuple[str, int]]) -> list[RedFlag]:
    """Red flags in the question, then in ``quoted`` (sentence, citation number) pairs, each once."""
    flags: list[RedFlag] = []
    seen: set[str] = set()
    for trigger, pattern in RED_FLAG_TRIGGERS:
        if pattern.search(question):
            seen.add(trigger)
            flags.append(RedFlag(trigger=trigger, found_in="question", advice=_advice(trigger)))
    for text, citation in quoted:
        for trigger, pattern in RED_FLAG_TRIGGERS:
            if trigger not in seen and pattern.search(text):
                seen.add(trigger)
                flags.append(
                    RedFlag(
                        trigger=trigger,
                        found_in="answer",
                        advice=_advice(trigger),
                        citation=citation,
                    )
                )
    return flags

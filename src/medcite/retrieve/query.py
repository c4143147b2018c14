"""Query understanding: the question's intent and its focus concept with synonyms.

Intent comes from cue phrases (a deterministic rule list, tested). The focus concept is the
longest run of the question's words naming a concept in the offline vocabulary
(medcite.retrieve.vocabulary: MeSH names and entry terms, and the corpus's own topic names).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from medcite.retrieve.vocabulary import Vocabulary, norm
from medcite.types import Concept, Intent

# Cue phrases per intent, checked in this order (the first intent with a match wins).
_INTENT_RULES: list[tuple[Intent, re.Pattern[str]]] = [
    (
        Intent.COMPARISON,
        re.compile(
            r"\b(vs\.?|versus|compared? (to|with)|difference between|better than|or\b.*\bwhich)\b"
        ),
    ),
    (
        Intent.MEDICATION,
        re.compile(
            r"\b(side effects?|dose|dosage|doses|mg\b|interact\w*|take .* with|overdose|contraindicat\w*|pills?|medicines?|medications?|drugs?)\b"
        ),
    ),
    (
        Intent.CAUSE,
        re.compile(
            r"\b(causes?|caused|causing|why (do|does|did|am|is|are)|reasons? (for|why)|triggers?|etiology|what leads to|"
            r"aggravat\w*|worsens?|makes? .* worse|flares? up)\b"
        ),
    ),
    (
        Intent.SYMPTOM,
        re.compile(r"\b(symptoms?|signs?|feel like|how (do|would) i know|presentation)\b"),
    ),
    (
        Intent.DIAGNOSIS,
        re.compile(r"\b(diagnos\w*|tests?|testing|screen\w*|detect\w*|exams?|scan)\b"),
    ),
    (
        Intent.TREATMENT,
        re.compile(
            r"\b(treat\w*|therap\w*|cur(e|es|ed|ing)|manage\w*|remed\w*|relie\w*|get rid of|what helps|surgery|"
            r"fix(es|ed|ing)?|be corrected|what (do|should|can) (i|you|we) do (if|when|about|for)|"
            r"make (it|them|my \w+|the \w+) go (down|away)|"
            # "How do I lower my cholesterol?", "How to bring down a fever" (not "How can I
            # reduce my risk of ...": prevention)
            r"how (?:(?:do|can|could|should) (?:i|you|we|one) |to )"
            r"(?:lower|reduce|control|bring down|decrease|ease|get over|deal with|stop|heal)"
            r"(?! (?:the |my |your |our )?(?:risks?|chances?|odds)\b))\b"
        ),
    ),
    (
        Intent.PREVENTION,
        re.compile(
            r"\b(prevent\w*|avoid\w*|stop .* from|(reduce|lower) (the |my |your |our )?risks?|protect)\b"
        ),
    ),
    (
        Intent.PROGNOSIS,
        re.compile(
            r"\b(outlook|prognosis|life expectancy|survival|go away|recover\w*|how long|curable|fatal|"
            r"deadly|die (from|of)|life[- ]threatening|mortality|survive|serious|harmful|dangerous|"
            r"(left )?untreated)\b"
        ),
    ),
    (
        Intent.RISK,
        re.compile(
            r"\b(risks?|who gets|chances?|likely|susceptib\w*|inherit\w*|genetic|hereditary|contagious)\b"
        ),
    ),
]


def classify_intent(question: str) -> Intent:
    q = question.lower()
    for intent, pattern in _INTENT_RULES:
        if pattern.search(q):
            return intent
    return Intent.DEFINITION


# "What is fibromyalgia and ...", "Define ...", "information on ...": the question also asks
# what the thing is. "What is the treatment ..." asks about an aspect, not for a definition.
_ASKS_DEFINITION_RE = re.compile(
    r"\b(what (is|are|'s) (?!the |a |an |it\b|there\b|this\b|that\b|my\b|your\b|his\b|her\b|"
    r"their\b|its\b|some\b|any\b|best\b|normal\b|causing\b|wrong\b)|define\b|definition of|"
    r"meaning of|information (on|about|regarding)|tell me about|learn about)"
)


def classify_intents(question: str) -> tuple[Intent, ...]:
    """Every intent the question asks about, the primary one (``classify_intent``) first:
    "What causes shingles and how can it be prevented?" -> (cause, prevention)."""
    q = question.lower()
    found = [intent for intent, pattern in _INTENT_RULES if pattern.search(q)]
    if _ASKS_DEFINITION_RE.search(q) or not found:
        found.append(Intent.DEFINITION)
    return tuple(dict.fromkeys(found))


def has_intent_cue(question: str) -> bool:
    """Whether the question says what it asks for (``classify_intent`` falls back to definition)."""
    q = question.lower()
    return any(pattern.search(q) for _, pattern in _INTENT_RULES) or bool(
        re.search(r"\b(what is|what are|what's|define|meaning of)\b", q)
    )


@dataclass(frozen=True, slots=True)
class QueryAnalysis:
    text: str
    intent: Intent
    focus: Concept | None
    intents: tuple[Intent, ...] = ()  # every intent asked about, ``intent`` first
    corrected_from: str | None = None  # the question as asked, when ``text`` corrects its spelling

    def expansion(self, limit: int = 6) -> str:
        """Other names of the focus concept, for a low-weight second query clause."""
        if self.focus is None:
            return ""
        seen = {norm(self.focus.matched)}
        names = []
        for name in [self.focus.name, *self.focus.synonyms]:
            key = norm(name)
            if key and key not in seen:
                seen.add(key)
                names.append(name)
        return " ; ".join(names[:limit])


def analyse(
    question: str, vocabulary: Vocabulary, known: Callable[[str], bool] | None = None
) -> QueryAnalysis:
    """Intent and focus; with ``known`` (does the corpus have this word?), misspelt drug names
    are corrected, and a question whose focus is not found is tried again with its unknown
    words spelt as in the vocabulary."""
    intents = classify_intents(question)
    text = question
    if known is not None:
        from medcite.retrieve.drugs import correct_drug_spelling  # its name table loads lazily

        text = correct_drug_spelling(question, known) or question
    focus = vocabulary.find_focus(text)
    if focus is None and known is not None:
        corrected = vocabulary.correct(text, known)
        if corrected is not None:
            text, focus = corrected, vocabulary.find_focus(corrected)
    corrected_from = question if text != question else None
    return QueryAnalysis(text, intents[0], focus, intents, corrected_from=corrected_from)

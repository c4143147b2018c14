"""Which sections an answer gets for each intent, and how a quoted sentence is sorted into one.

A section is a heading of ours; its items are sentences from the sources. A sentence lands in a
section by the cue phrases it contains (``caused by``, ``risk factors``, ``see a doctor``) or,
failing that, by the kind of passage it came from (a MedQuAD "What causes X?" answer, an NGC
"Potential Harms" field). The cue lists are wording patterns, not medical facts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from medcite.types import Intent


@dataclass(frozen=True, slots=True)
class SectionSpec:
    key: str
    title: str
    max_items: int = 4


# Cue phrases per section key. A sentence may match several; the plan's order breaks ties.
SECTION_CUES: dict[str, re.Pattern[str]] = {
    "mechanism": re.compile(
        r"\b(occurs? when|happens? when|results? (from|when)|is due to|are due to|because (the|of)|"
        r"when (the|a|your) \w+ (is|are|does|do|can)|involuntar\w+|contract(ion|s)?\b)",
        re.I,
    ),
    "causes": re.compile(
        r"\b(caused by|causes? (of|include|are|can)|can cause|may cause|due to|result(s|ing)? from|"
        r"triggered by|triggers?|leads? to|brought on by|other causes|common cause|mutations? in)\b",
        re.I,
    ),
    "risk": re.compile(
        r"\b(risk factors?|increases? (the|your) risk|at (higher|increased|greater) risk|more likely|"
        r"more common (in|among)|associated with|linked to|predispos\w+)\b",
        re.I,
    ),
    "symptoms": re.compile(
        r"\b(symptoms?|signs?|may (feel|notice|have)|can include|characteri[sz]ed by|presents? with)\b",
        re.I,
    ),
    "diagnosis": re.compile(
        r"\b(diagnos\w+|tests?|exam(ination)?s?|blood test|imaging|x-rays?|mri|ct|pet[-/ ]ct|scans?|"
        r"ultraso\w+|biopsy|evaluat\w+|rules? (out|in)|medical history|"
        r"your (doctor|health care provider) (will|may) (ask|check|examine))\b",
        re.I,
    ),
    "treatment": re.compile(
        r"\b(treat\w*|therap\w*|medications?|medicines?|drugs?|surgery|relieve\w*|management|"
        r"is recommended|are recommended|should be (used|offered|considered)|may be considered|"
        r"effective)\b",
        re.I,
    ),
    # Advice, not description: "stretching", "get rest"; not "blood vessels stretch", "at rest".
    "self_care": re.compile(
        r"\b(stretching|stretch (the|your|it|them)|massag\w*|drink\w* (plenty|enough|fluids|water)|"
        r"(get|getting|plenty of|bed) rest|rest (the|your|it)|exercise regularly|you can (help|try)|"
        r"at home|lifestyle)\b",
        re.I,
    ),
    "prevention": re.compile(
        r"\b(prevent\w*|avoid\w*|reduce (the|your) (risk|chance)|protect\w*|vaccin\w*|screening)\b",
        re.I,
    ),
    "prognosis": re.compile(
        r"\b(outlook|prognosis|survival|life expectancy|recover\w*|go away|resolve\w*|long-term|"
        r"most people|chronic)\b",
        re.I,
    ),
    "complications": re.compile(
        r"\b(complications?|can lead to|may lead to|life-threatening|if (left )?untreated)\b", re.I
    ),
    "harms": re.compile(
        r"\b(side effects?|adverse (effects?|events?)|harms|potential harm|toxicity|interact\w*|contraindicat\w*|"
        r"should not (be )?(take|use|given)|warning|overdose)\b",
        re.I,
    ),
    "seek_care": re.compile(
        r"\b(see (a|your) (doctor|health care provider|provider)|call (your|a|911)|seek (medical|"
        r"emergency|immediate)|get (medical|emergency) (help|care)|emergency room|contact (your|a) "
        r"(doctor|health care provider)|talk (to|with) your (doctor|health care provider))\b",
        re.I,
    ),
    "definition": re.compile(
        r"^(an? |the )?[\w ,'()-]{2,80}? (is|are|refers to|describes?) (an?|the|one|any|when|"
        r"sudden|common|rare|group|condition|disorder|disease|type)\b",
        re.I,
    ),
    "frequency": re.compile(
        r"\b(affects? (about|approximately|an estimated)|prevalence|incidence|\d+ (in|out of) "
        r"[\d,]+|per [\d,]+ (people|individuals)|common)\b",
        re.I,
    ),
}

# MedQuAD question types and NGC guideline fields that, by themselves, place a passage's
# sentences in a section when no cue phrase decides.
PASSAGE_KIND_SECTIONS: dict[str, str] = {
    "information": "definition",
    "causes": "causes",
    "genetic changes": "causes",
    "symptoms": "symptoms",
    "exams and tests": "diagnosis",
    "treatment": "treatment",
    "prevention": "prevention",
    "outlook": "prognosis",
    "stages": "prognosis",
    "complications": "complications",
    "susceptibility": "risk",
    "inheritance": "risk",
    "frequency": "frequency",
    "Major Recommendations": "treatment",
    "Potential Harms": "harms",
    "Contraindications": "harms",
    "Potential Benefits": "treatment",
    "Qualifying Statements": "treatment",
}

# The cue that a sentence directly answers each intent (for the bottom line).
INTENT_ANSWER_KEYS: dict[Intent, tuple[str, ...]] = {
    Intent.CAUSE: ("causes", "mechanism"),
    Intent.SYMPTOM: ("symptoms",),
    Intent.DIAGNOSIS: ("diagnosis",),
    Intent.TREATMENT: ("treatment", "self_care"),
    Intent.PREVENTION: ("prevention",),
    Intent.PROGNOSIS: ("prognosis",),
    Intent.RISK: ("risk", "causes"),
    Intent.MEDICATION: ("treatment", "harms"),
    Intent.COMPARISON: ("treatment", "definition"),
    Intent.DEFINITION: ("definition",),
}

_S = SectionSpec
SECTION_PLANS: dict[Intent, tuple[SectionSpec, ...]] = {
    Intent.CAUSE: (
        _S("mechanism", "How it happens", 3),
        _S("causes", "Causes", 10),
        _S("risk", "Risk factors and associated conditions", 4),
        _S("diagnosis", "What a clinician checks to find the cause", 3),
        _S("complications", "Complications", 3),
        _S("seek_care", "When to seek care", 3),
    ),
    Intent.SYMPTOM: (
        _S("symptoms", "Signs and symptoms", 8),
        _S("definition", "What it is", 2),
        _S("diagnosis", "How it is diagnosed", 3),
        _S("complications", "Complications", 3),
        _S("seek_care", "When to seek care", 3),
    ),
    Intent.DIAGNOSIS: (
        _S("diagnosis", "Tests and examinations", 6),
        _S("symptoms", "Signs that prompt testing", 3),
        _S("seek_care", "When to seek care", 3),
    ),
    Intent.TREATMENT: (
        _S("treatment", "Treatment options", 6),
        _S("self_care", "Self-care", 4),
        _S("harms", "Side effects and cautions", 3),
        _S("prognosis", "What to expect", 2),
        _S("seek_care", "When to seek care", 3),
    ),
    Intent.PREVENTION: (
        _S("prevention", "Prevention", 6),
        _S("risk", "Who is at risk", 3),
        _S("self_care", "Everyday measures", 3),
        _S("seek_care", "When to seek care", 2),
    ),
    Intent.PROGNOSIS: (
        _S("prognosis", "Outlook", 5),
        _S("complications", "Complications", 3),
        _S("treatment", "How treatment affects the outlook", 3),
    ),
    Intent.RISK: (
        _S("risk", "Risk factors", 6),
        _S("causes", "Causes", 4),
        _S("frequency", "How common it is", 2),
        _S("prevention", "Lowering the risk", 3),
    ),
    Intent.MEDICATION: (
        _S("treatment", "Uses", 4),
        _S("harms", "Side effects, interactions and cautions", 6),
        _S("seek_care", "When to seek care", 2),
    ),
    Intent.COMPARISON: (
        _S("definition", "What each is", 4),
        _S("treatment", "Treatment", 4),
        _S("symptoms", "Signs and symptoms", 3),
    ),
    Intent.DEFINITION: (
        _S("definition", "Overview", 4),
        _S("causes", "Causes", 3),
        _S("symptoms", "Signs and symptoms", 3),
        _S("treatment", "Treatment", 3),
        _S("seek_care", "When to seek care", 2),
    ),
}


# Cues too common to say where a sentence belongs on their own ("common", "is a").
_WEAK_CUES = frozenset({"frequency", "definition", "mechanism"})
ABOUT = SectionSpec("definition", "What it is", 1)


def answer_keys_of(intents: Sequence[Intent]) -> set[str]:
    """Section keys whose sentences answer any of ``intents`` directly."""
    return {key for intent in intents for key in INTENT_ANSWER_KEYS[intent]}


def plan_for(intents: Sequence[Intent]) -> tuple[SectionSpec, ...]:
    """The sections for a question asking about ``intents`` (the main one first).

    The main intent's plan, with the sections that answer the other intents added: a
    definition ("What is X and ...") leads as an overview, others follow the main sections.
    A section both plans have keeps the larger item count.
    """
    if not intents:
        return SECTION_PLANS[Intent.DEFINITION]
    plan = list(SECTION_PLANS[intents[0]])
    for other in intents[1:]:
        for spec in SECTION_PLANS[other]:
            if spec.key not in INTENT_ANSWER_KEYS[other]:
                continue
            at = next((i for i, s in enumerate(plan) if s.key == spec.key), None)
            if at is not None:
                if spec.max_items > plan[at].max_items:
                    plan[at] = SectionSpec(spec.key, plan[at].title, spec.max_items)
            elif other is Intent.DEFINITION:
                plan.insert(0, spec)
            else:
                plan.append(spec)
    if not any(spec.key == "definition" for spec in plan):
        plan.insert(0, ABOUT)  # what the subject is, before what was asked about it
    return tuple(plan)


def cue_keys(sentence: str) -> set[str]:
    """Section keys whose cue phrases occur in ``sentence``."""
    return {key for key, pattern in SECTION_CUES.items() if pattern.search(sentence)}


def section_for(
    sentence_cues: set[str], passage_kind: str | None, plan: tuple[SectionSpec, ...]
) -> str | None:
    """The plan section a sentence belongs to: a cue match in plan order, else its passage kind
    unless its cues place it in a section the plan lacks (a diagnosis recommendation is not a
    treatment because it sits in a guideline's recommendations)."""
    for spec in plan:
        if spec.key in sentence_cues:
            return spec.key
    if sentence_cues - _WEAK_CUES:
        return None
    kind_key = PASSAGE_KIND_SECTIONS.get(passage_kind or "")
    # The short overview added to other intents' plans takes only sentences that define.
    if kind_key and any(spec.key == kind_key and spec is not ABOUT for spec in plan):
        return kind_key
    return None

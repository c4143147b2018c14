"""Ranked layout: the article filled in score order up to its length, each sentence under the
section of what it speaks of.

The fixed layout (sections.py) gives each intent a plan of sections and fills each from the
sentences its cue phrases match, so a well-scored sentence that no cue list matches is never
shown. Here the scorer alone decides what is shown (best first, until :data:`ARTICLE_WORDS`);
the learned intent model (medcite.learn.intent) only decides where a sentence goes. Sections
follow the plan of the question's intent, then any other section a chosen sentence needs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from medcite.compose.candidates import Candidate
from medcite.compose.sections import SECTION_CUES, SectionSpec
from medcite.learn.intent import default_model

# Words of an article past its bottom line. A consumer article on a common symptom runs
# 600-900 words; the key-fact recall of the tuning halves rose up to this length.
ARTICLE_WORDS = 450
# Intent model classes -> section keys and the title a section gets when the question's plan
# has none for it.
CLASS_SECTIONS: dict[str, SectionSpec] = {
    "definition": SectionSpec("definition", "What it is"),
    "cause": SectionSpec("causes", "Causes"),
    "symptom": SectionSpec("symptoms", "Signs and symptoms"),
    "diagnosis": SectionSpec("diagnosis", "How it is diagnosed"),
    "treatment": SectionSpec("treatment", "Treatment"),
    "prevention": SectionSpec("prevention", "Prevention"),
    "prognosis": SectionSpec("prognosis", "Outlook and complications"),
    "risk": SectionSpec("risk", "Risk factors"),
}
SEEK_CARE = SectionSpec("seek_care", "When to seek care")
MORE = SectionSpec("more", "Also in the sources")
_URGENT_RE = SECTION_CUES["seek_care"]


def section_key(c: Candidate) -> str:
    """Where a chosen sentence goes: advice to seek care under its own heading (red flags read
    it), the rest under what the intent model says it speaks of."""
    text = c.shown
    if _URGENT_RE.search(text):
        return SEEK_CARE.key
    model = default_model()
    if model is None:
        return MORE.key
    probabilities = model.probabilities(text)
    best = max(probabilities, key=probabilities.__getitem__)
    spec = CLASS_SECTIONS.get(best)
    return spec.key if spec else MORE.key


def fill_ranked(
    ranked: Sequence[Candidate],
    plan: tuple[SectionSpec, ...],
    fresh: Callable[[Candidate], bool],
    words: int = ARTICLE_WORDS,
) -> list[tuple[SectionSpec, list[Candidate]]]:
    """The sections and their sentences: ``ranked`` (best first) taken while under ``words``,
    skipping what ``fresh`` refuses (a sentence repeating one already chosen)."""
    by_key: dict[str, list[Candidate]] = {}
    used = 0
    lead_ins: set[str] = set()
    for c in ranked:
        if used >= words:
            break
        if not fresh(c):
            continue
        by_key.setdefault(section_key(c), []).append(c)
        used += c.word_count
        if c.list_item and c.lead_in and c.lead_in not in lead_ins:
            lead_ins.add(c.lead_in)  # shown once above its list's first item
            used += len(c.lead_in.split())
    specs = {spec.key: spec for spec in plan}
    order = [spec.key for spec in plan]
    extra = [*CLASS_SECTIONS.values(), SEEK_CARE, MORE]
    order += [spec.key for spec in extra if spec.key not in specs]
    specs.update({spec.key: spec for spec in extra if spec.key not in specs})
    if SEEK_CARE.key in order:  # advice to seek care closes the article
        order.remove(SEEK_CARE.key)
        order.insert(len(order) - 1, SEEK_CARE.key)
    return [(specs[key], by_key[key]) for key in order if by_key.get(key)]

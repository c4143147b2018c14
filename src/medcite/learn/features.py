"""Features of a candidate sentence for the learned relevance scorer.

Each feature is a number in about [0, 1] that a reader could check by hand: how close the
sentence is to the question in meaning (MiniLM), how many of the question's words it carries,
whether it names the subject or sits on a page about it, what it speaks of (the learned intent
model), where it sits, how long and how hard it is, and what kind of source it comes from.
Training (medcite.learn.train) and answering compute them with this one function.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from medcite.compose.candidates import Candidate, content_stems
from medcite.compose.topicality import Focus, mentions
from medcite.kinds import DocType
from medcite.learn.intent import IntentModel
from medcite.readability import flesch_kincaid_grade

FEATURES: tuple[str, ...] = (
    "cos",  # MiniLM cosine of question and sentence (0 without the dense extra)
    "question_words",  # share of the question's content words the sentence carries
    "aspect",  # share of what the question asks beyond the subject's name
    "names_subject",  # how fully the sentence (or its list's lead-in) names the subject
    "page_subject",  # how fully its page's title names the subject
    "names_page",  # it names its own page's topic
    "asked_intent",  # P(the sentence speaks of what is asked), intent model
    "definition",  # P(it says what something is)
    "off_intent",  # P(it speaks of research, considerations, support groups)
    "opens_passage",
    "opens_page",
    "list_item",
    "words",  # log(1 + words) / log(61): longer sentences say more
    "grade",  # reading grade / 20, clipped to [0, 1]
    "consumer",
    "reference",
    "guideline",
    "research",
)
_RESEARCH = {DocType.RESEARCH, DocType.RCT, DocType.SYSTEMATIC_REVIEW}


@dataclass(frozen=True, slots=True)
class QueryContext:
    question: str
    intents: tuple[str, ...]  # Intent values asked, the main one first
    focus: Focus
    intent_model: IntentModel

    @property
    def question_stems(self) -> frozenset[str]:
        return content_stems(self.question)


def candidate_features(c: Candidate, ctx: QueryContext, cos: float = 0.0) -> list[float]:
    doc = c.evidence.document
    about = c.lead_in if c.list_item and c.lead_in else c.text
    text = c.shown
    stems = content_stems(text)
    qstems = ctx.question_stems
    probs = ctx.intent_model.probabilities(text)
    asked = max((probs.get(i, 0.0) for i in ctx.intents), default=0.0)
    topic = doc.focus or doc.title
    words = len(c.text.split())
    return [
        cos,
        len(stems & qstems) / len(qstems) if qstems else 0.0,
        ctx.focus.aspect_share(text),
        ctx.focus.match(about),
        ctx.focus.title_match(topic),
        1.0 if mentions(about, topic) else 0.0,
        asked,
        probs.get("definition", 0.0),
        probs.get("other", 0.0),
        1.0 if c.start == 0 else 0.0,
        1.0 if c.opens_page else 0.0,
        1.0 if c.list_item else 0.0,
        math.log1p(words) / math.log(61),
        min(max(flesch_kincaid_grade(c.text), 0.0), 20.0) / 20 if words > 3 else 0.0,
        1.0 if doc.doc_type is DocType.CONSUMER else 0.0,
        1.0 if doc.doc_type is DocType.REFERENCE else 0.0,
        1.0 if doc.doc_type is DocType.GUIDELINE else 0.0,
        1.0 if doc.doc_type in _RESEARCH else 0.0,
    ]


def feature_rows(
    candidates: Sequence[Candidate], ctx: QueryContext, cosines: Sequence[float] | None = None
) -> list[list[float]]:
    cos = cosines if cosines is not None else [0.0] * len(candidates)
    return [candidate_features(c, ctx, s) for c, s in zip(candidates, cos, strict=True)]

"""The hand-written scorer (the rules medcite answered with before it learned): which candidate
sentences are about the question's subject, and how well each answers it.

It is one :class:`~medcite.compose.scoring.Scorer`; every decision is recorded on the candidate
(``parts``: the factors its score is the product of; ``dropped``: why it was left out), which
`medcite ask --explain` shows.
"""

from __future__ import annotations

import math
from functools import lru_cache

from medcite.compose.audience import AUDIENCE_WEIGHTS
from medcite.compose.candidates import Candidate, content_stems, refers_to_page_topic
from medcite.compose.focus import names_another
from medcite.compose.scoring import ScoringContext
from medcite.compose.sections import answer_keys_of, cue_keys
from medcite.compose.topicality import (
    Focus,
    definition_head,
    definition_subject,
    leans_on_context,
    mentions,
    subject_is_the_cause,
)
from medcite.index.analysis import analyze
from medcite.learn.subject import default_model as default_subject_model
from medcite.readability import flesch_kincaid_grade
from medcite.retrieve.vocabulary import Vocabulary
from medcite.types import Audience, DocType, Intent

MIN_TOPICAL = 0.6  # share of a focus name's words a sentence (or its document) must carry
# Content words a sentence that does not name the subject needs to say something by itself.
MIN_CONTENT_WORDS = 2
PATIENT_MAX_GRADE = 15.0  # patient mode folds away sentences harder than this
PATIENT_GRADE_PENALTY = 0.25  # per grade above 8, in patient mode
# A sentence about a narrower concept than the subject ranks this much lower.
SUBTYPE_FACTOR = 0.5
# A document this much about the subject (by title, or by a definition naming it) lends the
# subject all its sentences, at this weight, even those that do not name it ("It is rare.").
ABOUT_SUBJECT = 0.8
ABOUT_SUBJECT_WEIGHT = 0.7
NARROWER_DOC = 0.8  # how much a page on a narrower MeSH concept counts as about the subject
# A sentence carrying what the question asks about the subject ("Is shingles *contagious*?")
# ranks up to this much higher.
ASPECT_BONUS = 1.0
TOPIC_PAGE_TYPES = frozenset({DocType.CONSUMER, DocType.REFERENCE})
_CAUSE_KEYS = frozenset({"causes", "mechanism"})


@lru_cache(maxsize=16384)  # a list's lead-in is graded once per item, common sentences recur
def grade(text: str) -> float:
    """Flesch-Kincaid grade; 0 for a few words (a name, a heading), which it cannot grade."""
    return float(flesch_kincaid_grade(text)) if len(text.split()) > 3 else 0.0


class RuleScorer:
    """The hand-written rules: topicality gates, then a product of factors."""

    name = "rule"
    ranks_globally = False

    def __init__(
        self, vocabulary: Vocabulary, *, subject_model: bool = True, capture: bool = False
    ) -> None:
        self.vocabulary = vocabulary
        # The learned subject model drops what it finds about another subject (off while its
        # own training data is gathered: medcite.learn.train_subject).
        self.subject_model = default_subject_model() if subject_model else None
        # Gathering training data: keep what only the subject model would decide on.
        self.capture = capture

    def score(self, candidates: list[Candidate], context: ScoringContext) -> list[Candidate]:
        """Keep the sentences about the subject and score them.

        A sentence is about the subject when it names it, or when it names its own document's
        topic and that document is about the subject (by title, or by a definition sentence
        that names the subject: "Muscle cramps are ... spasms in ... muscles"). A list item
        inherits this from the sentence that introduces its list.
        """
        focus, intents, audience = context.focus, context.intents, context.audience
        self.vocabulary = context.vocabulary
        weights = AUDIENCE_WEIGHTS[audience]
        answer_keys = answer_keys_of(intents)
        doc_match: dict[int, float] = {}
        # Documents all of whose sentences are about the subject: titled with its name, or
        # defining it under another name ("Muscle Cramps" for spasms). A title that adds words
        # to the subject's ("Infantile Spasms") names a narrower concept: not included.
        on_subject: set[int] = set()
        subtype_titled: set[int] = set()
        subtype_pages: set[int] = set()  # topic pages on a narrower case of the subject
        other_titled: set[int] = set()  # titled with another concept sharing the subject's words
        compares = Intent.COMPARISON in intents  # the other side shares words, and is asked of
        narrower_docs: set[int] = set()
        titled: dict[int, float] = {}
        for c in candidates:
            doc = c.evidence.document
            if doc.id not in doc_match:
                topic = doc.focus or doc.title
                doc_match[doc.id] = titled[doc.id] = focus.title_match(topic)
                title = content_stems(topic)
                names_kind = any(n < title for n, _ in focus.names)
                # A consumer or reference page's title names its topic ("High Blood Pressure
                # in Pregnancy", a narrower case); a guideline's or a study's names its scope.
                if names_kind and title - focus.stems and doc.doc_type in TOPIC_PAGE_TYPES:
                    subtype_titled.add(doc.id)
                    subtype_pages.add(doc.id)
                elif doc_match[doc.id] >= ABOUT_SUBJECT:
                    on_subject.add(doc.id)
                elif names_kind:
                    subtype_titled.add(doc.id)
                if not compares and names_another(topic, focus, self.vocabulary):
                    other_titled.add(doc.id)  # "Low Blood Pressure" for high blood pressure
                    # Its title shares the subject's words but names another concept
                    # ("Infantile Spasms", an epilepsy): the page is not about the subject.
                    doc_match[doc.id] = titled[doc.id] = 0.0
                # A page on a kind of the subject (Scabies for mite infestations) speaks for the
                # subject, below pages on the subject itself.
                if (
                    doc_match[doc.id] < NARROWER_DOC
                    and focus.tree_numbers
                    and self.vocabulary.is_narrower(topic, focus.tree_numbers)
                ):
                    doc_match[doc.id] = NARROWER_DOC
                    narrower_docs.add(doc.id)
                    on_subject.add(doc.id)
            if c.opens_page:
                # "Muscle cramps are ... spasms" defines the subject under another name;
                # "Satoyoshi syndrome is a condition characterized by ... spasms" does not.
                head = definition_head(c.text)
                defines = focus.match(head) >= ABOUT_SUBJECT and doc.id not in subtype_titled
                if defines or doc.id not in other_titled:
                    doc_match[doc.id] = max(doc_match[doc.id], focus.match(c.text))
                if defines:
                    on_subject.add(doc.id)
        kept = []
        for c in candidates:
            doc = c.evidence.document
            about = c.lead_in if c.list_item else c.text
            if c.list_item and not about:
                c.dropped = "a list item without the sentence that introduces its list"
                continue
            assert about is not None
            if not focus.carries_specific(about, c.text, doc.focus or doc.title):
                c.dropped = "carries none of the question's rare words"
                continue
            # Off the subject's pages, a name that drops a word the question used names too
            # much ("spasms" on a blepharospasm page are that page's spasms).
            # (A comparison's sides share words with each other by design.)
            match = focus.match if doc.id in on_subject or compares else focus.match_as_asked
            own = match(about)
            if c.list_item and match(c.text) > own:
                about = c.text  # the item names the subject its lead-in does not
                own = match(about)
            if own >= MIN_TOPICAL and not compares and names_another(about, focus, self.vocabulary):
                own = 0.0  # "low blood pressure" shares two words with "high blood pressure"
            if (
                not c.list_item
                and own < MIN_TOPICAL
                and len(content_stems(c.text) - focus.stems) < MIN_CONTENT_WORDS
            ):
                # "Treatment is usually not required." says little without its page
                c.dropped = "does not name the subject and says little by itself"
                continue
            names_doc = mentions(about, doc.focus or doc.title)
            generic_lead = c.list_item and len(content_stems(about)) <= 2
            if own >= MIN_TOPICAL:
                c.topical = own
                c.names_subject = True
            elif doc_match[doc.id] >= MIN_TOPICAL and (names_doc or generic_lead):
                c.topical = 0.9 * doc_match[doc.id]
                c.names_subject = names_doc  # "Muscle cramps can be caused by ..."
            elif doc.id in on_subject:
                c.topical = ABOUT_SUBJECT_WEIGHT * doc_match[doc.id]
            else:
                c.dropped = "names neither the subject nor sits on a page about it"
                continue
            if doc.id in narrower_docs and leans_on_context(c.text):
                # On a page about a kind of the subject (Scabies, for a question on mite
                # infestations) only sentences that stand alone: "It is ..." would read as
                # being about the subject itself. "The condition ..." there is a kind of it.
                c.dropped = "leans on its page, which is on a narrower concept"
                continue
            if doc.id not in on_subject and refers_to_page_topic(c.text):
                # From a page on another condition, "As the condition progresses, spasms ..."
                # or "It is ..." would read as being about the subject.
                c.dropped = "speaks of its own page's topic, not the subject, without naming it"
                continue
            c.cues = cue_keys(c.text) | (cue_keys(c.lead_in) if c.lead_in else set())
            if c.cues & _CAUSE_KEYS and subject_is_the_cause(about, focus):
                # "Prinzmetal's variant angina is caused by coronary artery spasms" names a
                # condition spasms cause: associated with the subject, not one of its causes.
                c.consequence = True
                c.cues = (c.cues - _CAUSE_KEYS) | {"risk"}
                if doc.id not in on_subject:
                    # On that condition's own page it is about that condition ("Levator
                    # syndrome ... caused by spasm of a muscle near the anus").
                    c.dropped = "names a condition the subject causes, on that condition's page"
                    continue
            c.parts = {
                "topical": round(c.topical, 3),
                "retrieval rank": round(1 / (1 + 0.12 * c.rank), 3),
                "source type": weights.get(doc.doc_type, 1.0),
            }
            score = c.topical / (1 + 0.12 * c.rank) * weights.get(doc.doc_type, 1.0)
            c.narrower = self._names_subtype(about, focus) or (
                doc.id in narrower_docs and own < MIN_TOPICAL
            )
            c.subtype_page = doc.id in subtype_pages
            if c.narrower:
                score *= SUBTYPE_FACTOR
                c.parts["narrower concept"] = SUBTYPE_FACTOR
            # "The condition ..." or "They ..." from a page titled otherwise than the subject
            # ("Hemifacial Spasm", "Muscle Cramps") carries that title as its label.
            # So does any sentence that does not name the subject, from a page titled otherwise
            # ("Drug therapy is generally not effective." on the hemifacial spasm page).
            elsewhere = doc.id not in on_subject or doc.id in narrower_docs | subtype_pages
            c.labelled = (refers_to_page_topic(about) or (own < MIN_TOPICAL and elsewhere)) and (
                c.narrower or titled[doc.id] < ABOUT_SUBJECT
            )
            if "definition" in c.cues and not c.narrower:
                # A page's opening sentence may define the subject under another name: "Muscle
                # cramps are sudden, involuntary contractions or spasms in ... muscles".
                defined = definition_subject(c.text)  # not "Hemifacial spasm" for spasms
                c.defines = not self._names_subtype(defined, focus) and (
                    focus.match(defined) >= ABOUT_SUBJECT
                    or (c.opens_page and focus.match(definition_head(c.text)) >= ABOUT_SUBJECT)
                )
            if c.cues & answer_keys:
                score *= 1.5
                c.parts["cue of what is asked"] = 1.5
            aspect = focus.aspect_share(c.text)
            score *= 1 + ASPECT_BONUS * aspect
            if aspect:
                c.parts["aspect asked"] = round(1 + ASPECT_BONUS * aspect, 3)
            c.central = aspect > 0 or (doc.id in on_subject and doc.id not in narrower_docs)
            if audience is Audience.PATIENT:
                # Only patient mode weighs readability; clinicians get sentences as found. The
                # sentence that opens the subject's own page (what it is) stays however hard.
                c.grade = grade(c.text)
                c.technical = (
                    c.grade > PATIENT_MAX_GRADE and not (c.defines and c.opens_page)
                ) or bool(c.list_item and c.lead_in and grade(c.lead_in) > PATIENT_MAX_GRADE)
                # Too hard for a lay reader, and from another page: such sentences were one in
                # five about another condition. Without the subject model they are left out;
                # the model weighs it with the rest ("hard, another page"): on the tuning half
                # that showed fewer statements off the subject than this rule did, and more on
                # it. (Training data is gathered with both off: ``capture``.)
                hard_elsewhere = c.technical and doc.id not in on_subject
                if hard_elsewhere and self.subject_model is None and not self.capture:
                    c.dropped = (
                        f"reading grade {c.grade:.1f}, over {PATIENT_MAX_GRADE:g}, on a page "
                        "not about the subject (patient)"
                    )
                    continue
                # From a page on the subject it is shown, folded away as "In more technical
                # terms" under its section: leaving such sentences out cost key facts.
                penalty = 1 + PATIENT_GRADE_PENALTY * max(0.0, c.grade - 8)
                score /= penalty
                if penalty > 1:
                    c.parts["reading grade"] = round(1 / penalty, 3)
                if c.word_count > 25:
                    score *= 0.7
                    c.parts["long sentence"] = 0.7
            c.subject = self._subject_features(
                c,
                about,
                own,
                focus,
                titled[doc.id],
                doc.id in on_subject,
                doc.id in narrower_docs | subtype_pages,
                doc.id in other_titled,
                names_doc,
                c.technical and doc.id not in on_subject,
            )
            if self.subject_model is not None:
                off = self.subject_model.off_subject(c.subject)
                c.parts["about the subject"] = round(1 - off, 3)
                if off > self.subject_model.threshold:
                    why = ", ".join(
                        f"{n} {v:+.2f}" for n, v in self.subject_model.explain(c.subject)
                    )
                    c.dropped = (
                        f"the subject model finds it about something else ({off:.2f}: {why})"
                    )
                    continue
            c.score = score
            kept.append(c)
        return kept

    def _subject_features(
        self,
        c: Candidate,
        about: str,
        own: float,
        focus: Focus,
        page_match: float,
        page_on_subject: bool,
        page_narrower: bool,
        page_other: bool,
        names_page: bool,
        hard_elsewhere: bool,
    ) -> dict[str, float]:
        """The features of medcite.learn.subject (what the rules saw, as numbers)."""
        terms = analyze(c.text)
        first = next((i for i, t in enumerate(terms) if t in focus.stems), None)
        stems = content_stems(c.text)
        named = self.vocabulary.mentions(c.text, mesh_only=True)
        others = {surface for surface, _ in named if not content_stems(surface) & focus.stems}
        # "Uveitis is found in ... Behcet disease": another concept leads the sentence.
        leader = next(iter(named), None)
        another_leads = leader is not None and leader[0] in others
        asked = focus.question
        return {
            "names the subject": own,
            "names it as asked": focus.match_as_asked(about),
            "page about the subject": page_match,
            "page on the subject": float(page_on_subject),
            "page on a narrower concept": float(page_narrower),
            "page titled with another concept": float(page_other),
            "subject named late": first / len(terms) if first is not None else 1.0,
            "other concepts named": float(min(len(others), 3)),
            "question words carried": len(asked & content_stems(c.shown)) / max(len(asked), 1),
            "list item": float(c.list_item),
            "names its page's topic": float(names_page),
            "narrowed subject": float(bool(focus.specific)),
            "specific word in the sentence": float(bool(focus.specific & stems)),
            "consumer or reference page": float(c.evidence.document.doc_type in TOPIC_PAGE_TYPES),
            "another concept named first": float(another_leads),
            "hard, another page": float(hard_elsewhere),
            "names another page's topic": float(names_page and not page_on_subject),
            "names a narrower concept": float(c.narrower),
            "retrieval rank": math.log1p(c.rank),
        }

    def _names_subtype(self, text: str, focus: Focus) -> bool:
        """True when ``text`` names a narrower concept than the subject and not the subject
        itself: "hemifacial spasm" (a MeSH concept of its own) for a question on spasms. Such
        sentences still count, but rank below ones about the subject as a whole."""
        text_stems = content_stems(text)
        names = [n for n, _ in focus.names if n <= text_stems]
        if not names:
            return False  # no name of the subject in it: nothing to be narrower than (cheap)
        narrower = plain = False
        for surface, _ in self.vocabulary.mentions(text):
            stems = content_stems(surface)
            if any(stems == n for n in names):
                plain = True
            elif any(n < stems for n in names):
                narrower = True
        return narrower and not plain

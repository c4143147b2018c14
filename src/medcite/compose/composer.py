"""The extractive composer: from a question to a structured, cited answer article.

Every statement is a sentence (or list item) quoted from a retrieved passage and cited to it;
medcite adds only headings, category labels, triage banners and the disclaimer. The steps:
retrieve -> candidate sentences -> topicality gate (or abstain) -> bottom line -> sections by
intent -> glosses, evidence notes, red flags -> numbered references -> verify.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Sequence
from functools import lru_cache

from medcite.compose.audience import ABSTAIN_DISCLAIMER, AUDIENCE_WEIGHTS, DISCLAIMERS
from medcite.compose.bottom_line import choose_bottom_line
from medcite.compose.candidates import Candidate, content_stems, extract, refers_to_page_topic
from medcite.compose.categories import cause_category, filed_under
from medcite.compose.finish import abstain_reason, follow_ups, group_by_category, restates
from medcite.compose.focus import names_another, question_focus
from medcite.compose.gloss import GlossFinder
from medcite.compose.notes import find_notes
from medcite.compose.references import References
from medcite.compose.sections import (
    SECTION_CUES,
    SectionSpec,
    answer_keys_of,
    cue_keys,
    plan_for,
    section_for,
)
from medcite.compose.topicality import (
    Focus,
    answers_intent,
    definition_head,
    definition_subject,
    follow_on,
    jaccard,
    leans_on_context,
    mentions,
    subject_is_the_cause,
)
from medcite.compose.triage import find_red_flags
from medcite.config import Settings
from medcite.errors import QueryError
from medcite.readability import flesch_kincaid_grade
from medcite.retrieve.hybrid import HybridRetriever
from medcite.retrieve.query import analyse, has_intent_cue
from medcite.retrieve.vocabulary import Vocabulary
from medcite.store.sqlite import SQLiteStore
from medcite.types import (
    Answer,
    AnswerItem,
    AnswerSection,
    Audience,
    DocType,
    EvidenceNote,
    Gloss,
    Intent,
    Summary,
)
from medcite.verify.support import verify_answer

RETRIEVE_K = 30
MIN_TOPICAL = 0.6  # share of a focus name's words a sentence (or its document) must carry
MAX_GLOSSES = 4
# Content words a sentence that does not name the subject needs to say something by itself.
MIN_CONTENT_WORDS = 2
PATIENT_MAX_GRADE = 15.0  # patient mode leaves out sentences harder than this
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
NEAR_DUPLICATE = 0.6  # Jaccard of content stems above which two sentences say the same
# Section sizes in sections.py are multiplied by this. x3 (was x2) raised key-fact recall on
# the first 100 questions of MedicationQA and TREC LiveQA by ~0.01 each for ~60 more words at an
# unchanged reading grade; x5 added little more and pushed the grade over 9 (docs/benchmarks.md).
SECTION_ITEMS_FACTOR = 3

_URGENT_RE = SECTION_CUES["seek_care"]
TOPIC_PAGE_TYPES = frozenset({DocType.CONSUMER, DocType.REFERENCE})
_CAUSE_KEYS = frozenset({"causes", "mechanism"})
# Sentences that fit none of the intent's sections, shown last: only those from a page on the
# subject or carrying what the question asks.
MORE = SectionSpec("more", "Also in the sources", 4)


@lru_cache(maxsize=16384)  # a list's lead-in is graded once per item, common sentences recur
def _grade(text: str) -> float:
    """Flesch-Kincaid grade; 0 for a few words (a name, a heading), which it cannot grade."""
    return float(flesch_kincaid_grade(text)) if len(text.split()) > 3 else 0.0


class Composer:
    """Answers questions against one store; holds the retriever and vocabulary (costly to load)."""

    def __init__(self, store: SQLiteStore, settings: Settings, retriever: HybridRetriever) -> None:
        self.store = store
        self.settings = settings
        self.retriever = retriever
        self.glosses = GlossFinder(store, self.vocabulary)

    @property
    def vocabulary(self) -> Vocabulary:
        """The retriever's vocabulary (renewed when new documents are ingested)."""
        assert self.retriever.vocabulary is not None
        return self.retriever.vocabulary

    @classmethod
    def open(cls, store: SQLiteStore, settings: Settings) -> Composer:
        return cls(store, settings, HybridRetriever.open(store, settings))

    # -- public ------------------------------------------------------------------------------
    def ask(
        self,
        question: str,
        *,
        audience: Audience = Audience.PATIENT,
        follow_up_of: str | None = None,
        save: bool = True,
    ) -> Answer:
        started = time.perf_counter()
        question = " ".join(question.split())
        effective, inherited_intent = self._with_context(question, follow_up_of)
        hits, analysis = self.retriever.search(effective, RETRIEVE_K)
        if self.glosses.vocabulary is not self.vocabulary:  # the corpus grew: fresh definitions
            self.glosses = GlossFinder(self.store, self.vocabulary)
        retrieved = time.perf_counter()
        intent = inherited_intent or analysis.intent
        also_asks = [] if inherited_intent else [i for i in analysis.intents if i is not intent]
        effective = analysis.text  # as searched: spelling corrected, when it was
        focus = question_focus(analysis, effective, self.retriever, self.store)
        answer = Answer(
            id=uuid.uuid4().hex[:12],
            question=question,
            effective_question=effective,
            intent=intent,
            also_asks=also_asks,
            audience=audience,
            focus=focus.subject,
            follow_up_of=follow_up_of,
            disclaimer=DISCLAIMERS[audience],
            created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        )
        candidates = self._score(extract(hits), focus, answer.intents, audience)
        self._compose(answer, candidates, focus)
        composed = time.perf_counter()
        answer.timings_ms = {
            "retrieve": round((retrieved - started) * 1000, 1),
            "compose": round((composed - retrieved) * 1000, 1),
            "total": round((composed - started) * 1000, 1),
        }
        if save:
            self.store.save_answer(answer)
        return answer

    # -- steps -------------------------------------------------------------------------------
    def _with_context(self, question: str, follow_up_of: str | None) -> tuple[str, Intent | None]:
        """A follow-up ("what about at night?") is searched together with what it follows."""
        if not follow_up_of:
            return question, None
        parent = self.store.get_answer(follow_up_of)
        if parent is None:
            raise QueryError(
                f"no earlier answer with id {follow_up_of!r}",
                hint="Use the id printed under a previous answer.",
            )
        own = analyse(question, self.vocabulary)
        effective = question
        if own.focus is None and parent.focus:
            effective = f"{question} {parent.focus}"
        if not has_intent_cue(question):
            return f"{parent.effective_question or parent.question} {effective}", parent.intent
        return effective, None

    def _score(
        self,
        candidates: list[Candidate],
        focus: Focus,
        intents: Sequence[Intent],
        audience: Audience,
    ) -> list[Candidate]:
        """Keep the sentences about the subject and score them.

        A sentence is about the subject when it names it, or when it names its own document's
        topic and that document is about the subject (by title, or by a definition sentence
        that names the subject: "Muscle cramps are ... spasms in ... muscles"). A list item
        inherits this from the sentence that introduces its list.
        """
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
                continue
            assert about is not None
            if not focus.carries_specific(about, c.text, doc.focus or doc.title):
                continue
            own = focus.match(about)
            if own >= MIN_TOPICAL and not compares and names_another(about, focus, self.vocabulary):
                own = 0.0  # "low blood pressure" shares two words with "high blood pressure"
            if (
                not c.list_item
                and own < MIN_TOPICAL
                and len(content_stems(c.text) - focus.stems) < MIN_CONTENT_WORDS
            ):
                continue  # "Treatment is usually not required." says little without its page
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
                continue
            if doc.id in narrower_docs and leans_on_context(c.text):
                # On a page about a kind of the subject (Scabies, for a question on mite
                # infestations) only sentences that stand alone: "It is ..." would read as
                # being about the subject itself. "The condition ..." there is a kind of it.
                continue
            if doc.id not in on_subject and refers_to_page_topic(c.text):
                # From a page on another condition, "As the condition progresses, spasms ..."
                # or "It is ..." would read as being about the subject.
                continue
            c.cues = cue_keys(c.text) | (cue_keys(c.lead_in) if c.lead_in else set())
            if c.cues & _CAUSE_KEYS and subject_is_the_cause(about, focus):
                # "Prinzmetal's variant angina is caused by coronary artery spasms" names a
                # condition spasms cause: associated with the subject, not one of its causes.
                c.consequence = True
                c.cues = (c.cues - _CAUSE_KEYS) | {"risk"}
            score = c.topical / (1 + 0.12 * c.rank) * weights.get(doc.doc_type, 1.0)
            c.narrower = self._names_subtype(about, focus) or (
                doc.id in narrower_docs and own < MIN_TOPICAL
            )
            c.subtype_page = doc.id in subtype_pages
            if c.narrower:
                score *= SUBTYPE_FACTOR
            # "The condition ..." or "They ..." from a page titled otherwise than the subject
            # ("Hemifacial Spasm", "Muscle Cramps") carries that title as its label.
            c.labelled = refers_to_page_topic(about) and (
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
            aspect = focus.aspect_share(c.text)
            score *= 1 + ASPECT_BONUS * aspect
            c.central = aspect > 0 or (doc.id in on_subject and doc.id not in narrower_docs)
            if audience is Audience.PATIENT:
                # Only patient mode weighs readability; clinicians get sentences as found. The
                # sentence that opens the subject's own page (what it is) stays however hard.
                c.grade = _grade(c.text)
                if c.grade > PATIENT_MAX_GRADE and not (c.defines and c.opens_page):
                    continue  # too hard to read for a lay reader; clinicians still get it
                if c.list_item and c.lead_in and _grade(c.lead_in) > PATIENT_MAX_GRADE:
                    continue  # shown with the item ("Routine surveillance for ... HCC ...:")
                score /= 1 + PATIENT_GRADE_PENALTY * max(0.0, c.grade - 8)
                if c.word_count > 25:
                    score *= 0.7
            c.score = score
            kept.append(c)
        return kept

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

    def _compose(self, answer: Answer, candidates: list[Candidate], focus: Focus) -> None:
        refs = References()
        plan = plan_for(answer.intents)
        chosen: list[frozenset[str]] = []

        def fresh(c: Candidate) -> bool:
            stems = content_stems(c.text)
            if any(jaccard(stems, s) >= NEAR_DUPLICATE or restates(stems, s) for s in chosen):
                return False
            chosen.append(stems)
            return True

        ranked = sorted(candidates, key=lambda c: -c.score)
        bottom = choose_bottom_line(
            ranked,
            intents=answer.intents,
            question=answer.effective_question or answer.question,
            focus=focus,
            fresh=fresh,
            min_topical=MIN_TOPICAL,
        )
        summary, direct = bottom.sentences, bottom.direct
        if not summary:
            answer.abstained = True
            answer.disclaimer = ABSTAIN_DISCLAIMER
            answer.abstain_reason = abstain_reason(answer.question, bool(candidates))
            return

        in_summary = {(c.passage_id, c.start) for c in summary}
        by_key: dict[str, list[Candidate]] = {}
        for c in ranked:
            if (c.passage_id, c.start) in in_summary:
                continue
            key = section_for(c.cues, c.kind, plan)
            by_key.setdefault(key or MORE.key, []).append(c)

        exclude = {answer.focus.lower()} if answer.focus else set()
        # Only a question that asks what something is (or how two compare) gets a broad overview.
        asks_what = bool({Intent.DEFINITION, Intent.COMPARISON} & set(answer.intents))
        answer.summary = Summary(items=[self._item(c, refs) for c in summary], direct=direct)
        for spec in (*plan, MORE):
            picked: list[Candidate] = []
            for c in by_key.get(spec.key, []):
                if len(picked) >= spec.max_items * SECTION_ITEMS_FACTOR:
                    break
                if spec.key == "causes" and not answers_intent(Intent.CAUSE, c.lead_in or c.text):
                    continue  # a cause list needs sentences that name a cause
                if spec is MORE and not c.central:
                    continue  # the catch-all section only holds what is surely on the subject
                if spec.key == "definition" and not c.defines and not asks_what:
                    continue  # "What it is" defines the subject itself, nothing narrower
                if fresh(c):
                    picked.append(c)
            if not picked:
                continue
            picked.sort(key=lambda c: (c.rank, c.start))
            items = []
            previous: Candidate | None = None
            for c, context in follow_on(picked, candidates):
                item = self._item(c, refs)
                if context is not None:  # "This malfunction ..." after what it points back to
                    item.lead_in = context.text
                # "Trouble sleeping" alone would not say what it is: the first entry of a run
                # from one list carries the sentence that introduces the list.
                same_list = previous is not None and (previous.passage_id, previous.lead_in) == (
                    c.passage_id,
                    c.lead_in,
                )
                if c.list_item and spec.key != "causes" and not same_list:
                    item.lead_in = c.lead_in
                previous = c
                if spec.key == "causes":
                    # A list item is itself the cause; a sentence names it after its cue phrase.
                    item.category = cause_category(
                        c.text, self.vocabulary, exclude=exclude, whole=c.list_item
                    )
                items.append(item)
            if spec.key == "causes":
                items = group_by_category(items)
            answer.sections.append(AnswerSection(key=spec.key, title=spec.title, items=items))

        for stronger, weaker in find_notes(candidates, focus.stems):
            answer.evidence_notes.append(
                EvidenceNote(
                    stronger=self._item(stronger, refs),
                    stronger_type=stronger.evidence.document.doc_type.label,
                    weaker=self._item(weaker, refs) if weaker else None,
                    weaker_type=weaker.evidence.document.doc_type.label if weaker else None,
                )
            )
        if answer.audience is Audience.PATIENT:
            self._add_glosses(answer, refs, exclude)

        quoted = [
            (item.text, item.citations[0])
            for section in answer.sections
            for item in section.items
            if section.key == "seek_care" or _URGENT_RE.search(item.text)
        ]
        answer.red_flags = find_red_flags(answer.question, quoted)
        answer.summary.text = " ".join(item.text for item in answer.summary.items)
        answer.summary.citations = sorted({n for i in answer.summary.items for n in i.citations})
        answer.references = refs.references()
        years = [r.year for r in answer.references if r.year]
        answer.last_updated = max(years) if years else None
        answer.category = filed_under(
            focus.tree_numbers,
            [c.evidence.document.focus or c.evidence.document.title for c in summary],
            self.vocabulary,
        )
        answer.follow_up_suggestions = follow_ups(answer)
        shown = answer.shown_texts()
        answer.reading_grade = (
            round(float(flesch_kincaid_grade(" ".join(shown))), 1) if shown else None
        )
        verify_answer(answer, refs.passages)

    # -- helpers -----------------------------------------------------------------------------
    def _item(self, c: Candidate, refs: References) -> AnswerItem:
        doc = c.evidence.document
        n = refs.cite(doc, c.evidence.passage)
        item = AnswerItem(
            text=c.text, citations=[n], passage_id=c.passage_id, span=(c.start, c.end)
        )
        if c.labelled:
            # "The condition may be caused by a facial nerve injury" is true of hemifacial
            # spasm, a kind of the subject: the label says which kind (or which other name).
            item.topic = doc.focus or doc.title
        return item

    def _add_glosses(self, answer: Answer, refs: References, exclude: set[str]) -> None:
        glossed: set[str] = set(exclude)
        count = 0
        items = list(answer.summary.items) + [i for s in answer.sections for i in s.items]
        for item in items:
            if count >= MAX_GLOSSES:
                return
            for definition in self.glosses.for_text(item.text, exclude=glossed):
                doc = self.store.get_document(definition.passage.document_id or 0)
                if doc is None or definition.passage.id == item.passage_id:
                    continue
                n = refs.cite(doc, definition.passage)
                item.glosses.append(
                    Gloss(
                        term=definition.term,
                        text=definition.text,
                        citation=n,
                        passage_id=definition.passage.id or 0,
                    )
                )
                glossed.add(definition.term.lower())
                count += 1
                break

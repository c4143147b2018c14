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
from collections.abc import Callable

from medcite.compose.audience import ABSTAIN_DISCLAIMER, DISCLAIMERS
from medcite.compose.bottom_line import choose_bottom_line
from medcite.compose.candidates import Candidate, content_stems, extract
from medcite.compose.categories import (
    OTHER_CONDITIONS,
    category_of_tree_numbers,
    cause_category,
    filed_under,
)
from medcite.compose.finish import (
    abstain_reason,
    explain_candidates,
    follow_ups,
    group_by_category,
    restates,
)
from medcite.compose.focus import follow_up_aspect, narrow_to_specific, question_focus
from medcite.compose.gloss import GlossFinder
from medcite.compose.layout import fill_ranked
from medcite.compose.notes import find_notes
from medcite.compose.references import References
from medcite.compose.relations import Related, conditions_listing, kinds_of
from medcite.compose.rule_scorer import ABOUT_SUBJECT, MIN_TOPICAL
from medcite.compose.scoring import Scorer, ScoringContext, make_scorer
from medcite.compose.sections import (
    SECTION_CUES,
    SectionSpec,
    plan_for,
    section_for,
)
from medcite.compose.topicality import (
    Focus,
    answers_intent,
    follow_on,
    jaccard,
)
from medcite.compose.triage import find_red_flags
from medcite.config import Settings
from medcite.errors import QueryError
from medcite.readability import flesch_kincaid_grade
from medcite.retrieve.drugs import DrugMention, corpus_has_source, drug_mentions
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
    Evidence,
    EvidenceNote,
    Gloss,
    Intent,
    Summary,
)
from medcite.verify.support import verify_answer

RETRIEVE_K = 30
SUBJECT_PAGES = 4  # pages on the subject whose other passages join the hits
PAGE_PASSAGES = 12  # of each (a MedQuAD page has up to ~10 answers)
MAX_GLOSSES = 4
NEAR_DUPLICATE = 0.6  # Jaccard of content stems above which two sentences say the same
# Section sizes in sections.py are multiplied by this. x3 (was x2) raised key-fact recall on
# the first 100 questions of MedicationQA and TREC LiveQA by ~0.01 each for ~60 more words at an
# unchanged reading grade; x5 added little more and pushed the grade over 9 (docs/benchmarks.md).
SECTION_ITEMS_FACTOR = 3

_URGENT_RE = SECTION_CUES["seek_care"]
# Sentences that fit none of the intent's sections, shown last. (It held only those from a page
# on the subject or carrying what was asked until the subject model kept off-subject sentences
# out; open to all kept ones, key-fact recall rose on the tuning halves: TREC 0.140 -> 0.154,
# MedicationQA 0.120 -> 0.126, LiveQA unchanged.)
MORE = SectionSpec("more", "Also in the sources", 4)
# For clinicians, first: what guidelines, reviews, trials and other studies say.
STUDIES = SectionSpec("studies", "What guidelines and research say", 6)
STUDY_TYPES = frozenset(
    {DocType.GUIDELINE, DocType.SYSTEMATIC_REVIEW, DocType.RCT, DocType.RESEARCH}
)
# Evidence gathered by relation (compose/relations.py), after the causes.
RELATED = SectionSpec("related_conditions", "Conditions whose sources list {subject} as a sign")


class Composer:
    """Answers questions against one store; holds the retriever and vocabulary (costly to load)."""

    def __init__(
        self,
        store: SQLiteStore,
        settings: Settings,
        retriever: HybridRetriever,
        scorer: str = "rule",
    ) -> None:
        self.store = store
        self.settings = settings
        self.retriever = retriever
        self.glosses = GlossFinder(store, self.vocabulary)
        self.scorer: Scorer = make_scorer(scorer, self.vocabulary)
        self.has_source = corpus_has_source(retriever)

    @property
    def vocabulary(self) -> Vocabulary:
        """The retriever's vocabulary (renewed when new documents are ingested)."""
        assert self.retriever.vocabulary is not None
        return self.retriever.vocabulary

    @classmethod
    def open(cls, store: SQLiteStore, settings: Settings, scorer: str = "rule") -> Composer:
        return cls(store, settings, HybridRetriever.open(store, settings), scorer)

    # -- public ------------------------------------------------------------------------------
    def ask(
        self,
        question: str,
        *,
        audience: Audience = Audience.PATIENT,
        follow_up_of: str | None = None,
        save: bool = True,
        explain: bool = False,
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
        drugs = drug_mentions(effective)
        narrowed_from = focus
        focus = narrow_to_specific(
            focus,
            effective,
            drugs,
            self.retriever,
            analysis.focus.matched if analysis.focus else None,
        )
        if inherited_intent is not None:  # a follow-up asking more of the earlier subject
            focus = follow_up_aspect(focus, question, self.retriever)
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
        if focus.specific != narrowed_from.specific:
            hits = self._search_specific(effective, focus, hits, drugs)
        if focus.names:
            hits = self._with_subject_pages(hits, focus)
        context = ScoringContext(effective, focus, tuple(answer.intents), audience, self.vocabulary)
        missing = [d.surface for d in drugs if not self.has_source(d.names)]
        # A drug no source names: answering from what the sources say of other drugs would
        # mislead, so the answer says which drug is missing.
        extracted = [] if missing else extract(hits)
        candidates = self.scorer.score(extracted, context)
        answer.scorer = self.scorer.name
        # The subject is a medicine the question names: its follow-ups ask what one asks of one.
        drug = any(d.surface.lower() == (focus.subject or "").lower() for d in drugs)
        related: list[Related] = []
        if Intent.CAUSE in answer.intents and analysis.focus is not None and not missing:
            # "What causes S?": also the conditions whose own pages list S among their signs.
            concept = analysis.focus
            names = [focus.subject or concept.matched, concept.name]
            related = conditions_listing(focus, names, self.retriever, kinds_of(focus, extracted))
        self._compose(answer, candidates, focus, missing, drug=drug, related=related)
        if explain:
            answer.explanation = explain_candidates(answer, extracted)
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
    def _search_specific(
        self, question: str, focus: Focus, hits: list[Evidence], drugs: list[DrugMention]
    ) -> list[Evidence]:
        """Hits for the question's specific subject too: the search ranked passages on its
        broad concept ("autoimmune disease"), which may hold nothing on the subject
        ("uveitis"), or on the brand a question names ("Wellbutrin") where the sources use the
        generic name. The question is searched again without the concept's name and with each
        drug's generic name; those passages follow the first search's."""
        broad = focus.stems - focus.specific
        words = [w for w in question.split() if not content_stems(w) & broad]
        words += [d.name for d in drugs if d.name.lower() not in question.lower()]
        again = self.retriever.search(" ".join(words), RETRIEVE_K).hits if words else []
        seen = {h.passage.id for h in hits}
        return hits + [h for h in again if h.passage.id not in seen]

    def _with_subject_pages(self, hits: list[Evidence], focus: Focus) -> list[Evidence]:
        """Hits with the rest of the pages about the subject: the search keeps at most a few
        passages of one document (diversity), so a page on the subject showed two of its
        answers; its others (causes, treatment, outlook ...) are on the subject too. The first
        ``SUBJECT_PAGES`` pages whose title names the subject give theirs, after the hits."""
        pages: list[Evidence] = []
        for hit in hits:
            doc = hit.document
            if doc.id not in {p.document.id for p in pages} and (
                focus.title_match(doc.focus or doc.title) >= ABOUT_SUBJECT
            ):
                pages.append(hit)
                if len(pages) == SUBJECT_PAGES:
                    break
        seen = {h.passage.id for h in hits}
        more = [
            Evidence(passage=p, document=page.document, score=0.0, score_parts={"page": 1.0})
            for page in pages
            for p in self.store.get_passages(page.document.id or 0)[:PAGE_PASSAGES]
            if p.id not in seen
        ]
        return hits + more

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

    def _compose(
        self,
        answer: Answer,
        candidates: list[Candidate],
        focus: Focus,
        missing: list[str],
        *,
        drug: bool = False,
        related: list[Related] | None = None,
    ) -> None:
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
            # The bottom line is read first: an easy sentence before a technical one.
            sorted(ranked, key=lambda c: c.technical),
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
            # Nothing on the question's specific subject: say which (the question's words).
            unsaid = missing or [
                w for w in answer.question.split() if content_stems(w) & focus.specific
            ]
            answer.abstain_reason = abstain_reason(answer.question, bool(candidates), unsaid)
            # A warning sign in the question is shown even when nothing answers it.
            answer.red_flags = find_red_flags(answer.question, [])
            return

        in_summary = {(c.passage_id, c.start) for c in summary}
        rest = [c for c in ranked if (c.passage_id, c.start) not in in_summary]
        answer.summary = Summary(items=[self._item(c, refs) for c in summary], direct=direct)
        for c, item in zip(summary, answer.summary.items, strict=True):
            item.lead_in = (
                c.lead_in if c.list_item else None
            )  # a list item leads only as a last resort
        studies: list[tuple[SectionSpec, list[Candidate]]] = []
        if answer.audience is Audience.CLINICIAN:
            # A clinician reads what guidelines and studies say first: their best kept
            # sentences lead, before the sections the cue phrases fill.
            # Those that fit a section of what was asked ("treatment" cues for "How is gout
            # treated?"), not a study's asides.
            picked = _best_of(
                rest,
                lambda c: (
                    c.evidence.document.doc_type in STUDY_TYPES
                    and section_for(c.cues, c.kind, plan) not in (None, "definition")
                ),
                fresh,
            )
            taken = {(c.passage_id, c.start) for c in picked}
            rest = [c for c in rest if (c.passage_id, c.start) not in taken]
            studies = [(STUDIES, picked)] if picked else []
        if self.scorer.ranks_globally:
            layout = fill_ranked(rest, plan, fresh)
        else:
            layout = self._fill_sections(
                rest,
                plan,
                fresh,
                asks_what=bool({Intent.DEFINITION, Intent.COMPARISON} & set(answer.intents)),
            )
        exclude = {answer.focus.lower()} if answer.focus else set()
        for spec, picked in studies + layout:
            picked.sort(key=lambda c: (c.rank, c.start))
            items = []
            previous: Candidate | None = None
            for c, context in follow_on(picked, candidates):
                if context is not None and (context.passage_id, context.start) in in_summary:
                    # "Sometimes this malfunction ..." goes on from a bottom-line sentence: it
                    # follows that sentence there rather than repeat it here as its context.
                    self._continue_summary(answer, context, c, refs)
                    continue
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

        if related:
            self._add_related(answer, related, refs, fresh)
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
        # A subject known only by a rare word of the question ("crushing") is no name to ask
        # "How is crushing treated?" about.
        named = (bool(focus.names) and not focus.guessed) or drug
        answer.follow_up_suggestions = follow_ups(answer, drug=drug) if named else []
        shown = answer.shown_texts()
        answer.reading_grade = (
            round(float(flesch_kincaid_grade(" ".join(shown))), 1) if shown else None
        )
        verify_answer(answer, refs.passages)

    # -- helpers -----------------------------------------------------------------------------
    def _fill_sections(
        self,
        rest: list[Candidate],
        plan: tuple[SectionSpec, ...],
        fresh: Callable[[Candidate], bool],
        *,
        asks_what: bool,
    ) -> list[tuple[SectionSpec, list[Candidate]]]:
        """The fixed layout: each section of the plan takes the sentences its cue phrases (or
        passage kind) place there, best first, up to its size."""
        by_key: dict[str, list[Candidate]] = {}
        for c in rest:
            key = section_for(c.cues, c.kind, plan)
            by_key.setdefault(key or MORE.key, []).append(c)
        layout = []
        for spec in (*plan, MORE):
            picked: list[Candidate] = []
            for c in by_key.get(spec.key, []):
                if len(picked) >= spec.max_items * SECTION_ITEMS_FACTOR:
                    break
                if spec.key == "causes" and not answers_intent(Intent.CAUSE, c.lead_in or c.text):
                    continue  # a cause list needs sentences that name a cause
                if spec.key == "definition" and not c.defines and not asks_what:
                    continue  # "What it is" defines the subject itself, nothing narrower
                if fresh(c):
                    picked.append(c)
            if picked:
                layout.append((spec, picked))
        return layout

    def _add_related(
        self,
        answer: Answer,
        related: list[Related],
        refs: References,
        fresh: Callable[[Candidate], bool],
    ) -> None:
        """The conditions whose pages list the subject among their signs, after the causes
        (pages the answer already quotes are left out: their own sentences say more)."""
        quoted = {i.passage_id for i in answer.statements()}
        shown = {
            c.evidence.document.id for c in (r.candidate for r in related) if c.passage_id in quoted
        }
        items = []
        for r in related:
            if r.candidate.evidence.document.id in shown or not fresh(r.candidate):
                continue
            item = self._item(r.candidate, refs)
            item.topic = r.condition
            if r.candidate.list_item:  # "muscle cramps" says what it is under its lead-in
                item.lead_in = r.candidate.lead_in
            item.category = category_of_tree_numbers(list(r.tree_numbers)) or OTHER_CONDITIONS
            items.append(item)
        if not items:
            return
        section = AnswerSection(
            key=RELATED.key,
            title=RELATED.title.format(subject=answer.focus or "it"),
            items=group_by_category(items),
        )
        keys = [s.key for s in answer.sections]
        at = (
            keys.index("causes") + 1
            if "causes" in keys
            else len([k for k in keys if k != MORE.key])
        )
        answer.sections.insert(at, section)

    def _item(self, c: Candidate, refs: References) -> AnswerItem:
        doc = c.evidence.document
        n = refs.cite(doc, c.evidence.passage)
        item = AnswerItem(
            text=c.text,
            citations=[n],
            passage_id=c.passage_id,
            span=(c.start, c.end),
            technical=c.technical,
        )
        if c.labelled:
            # "The condition may be caused by a facial nerve injury" is true of hemifacial
            # spasm, a kind of the subject: the label says which kind (or which other name).
            item.topic = doc.focus or doc.title
        return item

    def _continue_summary(
        self, answer: Answer, sentence: Candidate, following: Candidate, refs: References
    ) -> None:
        """Put ``following`` in the bottom line right after ``sentence``, which it goes on from."""
        items = answer.summary.items
        at = next(
            i
            for i, item in enumerate(items)
            if (item.passage_id, item.span[0]) == (sentence.passage_id, sentence.start)
        )
        items.insert(at + 1, self._item(following, refs))

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


def _best_of(
    ranked: list[Candidate], wanted: Callable[[Candidate], bool], fresh: Callable[[Candidate], bool]
) -> list[Candidate]:
    """Up to ``STUDIES.max_items`` of ``ranked`` (best first) that are ``wanted`` and new."""
    picked: list[Candidate] = []
    for c in ranked:
        if len(picked) == STUDIES.max_items:
            break
        if wanted(c) and fresh(c):
            picked.append(c)
    return picked

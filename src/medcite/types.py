"""Typed models shared by every pipeline stage.

Loaders produce :class:`Document` (metadata plus titled sections of clean
text); the chunker turns its sections into a ``body`` and :class:`Passage`
spans with character offsets into that body, so any sentence shown later can
be traced back to the exact place in its document.

No ``from __future__ import annotations`` here: pydantic would then evaluate every field's
annotation string when the models are built, which costs start-up time.
"""

import hashlib
import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

# Re-exported: the enumerations live in medcite.kinds (no pydantic import there).
from medcite.kinds import (
    DOC_TYPE_LABELS as DOC_TYPE_LABELS,
    EVIDENCE_LEVEL_BY_TYPE as EVIDENCE_LEVEL_BY_TYPE,
    EVIDENCE_LEVEL_LABELS as EVIDENCE_LEVEL_LABELS,
    ArticleStatus as ArticleStatus,
    Audience as Audience,
    DocType as DocType,
    EvidenceLevel as EvidenceLevel,
    Intent as Intent,
    Role as Role,
)


class _Model(BaseModel):
    """Models build their validators on first use, not at import: a command that never makes
    an Article (``ask``) does not pay for it at start-up."""

    model_config = ConfigDict(defer_build=True)


class Concept(_Model):
    """A medical concept recognised in a question: canonical name, vocabulary id, other names."""

    name: str
    mesh_id: str | None = None
    tree_numbers: list[str] = Field(default_factory=list)
    synonyms: list[str] = Field(default_factory=list)
    source: str = Field(description="Where it was recognised: mesh (disease vocabulary) or corpus.")
    matched: str = Field(description="The words of the question that matched.")


class Section(_Model):
    """A titled run of clean text inside a document, as a loader produced it.

    ``text`` may hold several paragraphs (blank-line separated) and list items
    (lines starting with ``- ``); the sentence splitter treats both as hard
    sentence boundaries.
    """

    model_config = ConfigDict(frozen=True, defer_build=True)

    heading: str | None = None
    text: str
    meta: dict[str, Any] = Field(default_factory=dict)


class Document(_Model):
    """A source document as loaded, before chunking and storage."""

    source: str = Field(
        description="Collection it came from: medquad, ngc, pubmedqa, pubmed, local, ..."
    )
    source_id: str = Field(description="Identifier unique within the source (file id, PMID, path).")
    title: str
    doc_type: DocType
    url: str | None = None
    year: int | None = Field(default=None, description="Publication (or release) year.")
    organisation: str | None = Field(
        default=None, description="Publishing body or guideline developer."
    )
    journal: str | None = None
    licence: str | None = Field(
        default=None, description="Licence or copyright/attribution statement."
    )
    language: str = "en"
    focus: str | None = Field(default=None, description="Main concept the document is about.")
    synonyms: list[str] = Field(
        default_factory=list, description="Other names of the focus concept."
    )
    mesh_terms: list[str] = Field(default_factory=list)
    cuis: list[str] = Field(default_factory=list, description="UMLS concept ids of the focus.")
    meta: dict[str, Any] = Field(
        default_factory=dict, description="Source-specific extras (PMID, qtypes, ...)."
    )
    sections: list[Section] = Field(default_factory=list)

    @property
    def evidence_level(self) -> EvidenceLevel:
        return self.doc_type.evidence_level

    def content_hash(self, body: str) -> str:
        """Hash of what a reader sees (title + body): identical content from two keys is a duplicate."""
        return _sha256(self.title.strip() + "\x00" + body)

    def record_hash(self) -> str:
        """Hash of everything loaded, metadata included: a change means the stored copy is stale."""
        return _sha256(self.model_dump_json())


class Passage(_Model):
    """A retrievable span of a document's body (~80-200 words, whole sentences)."""

    id: int | None = None
    document_id: int | None = None
    ord: int = Field(description="Position of the passage inside its document, from 0.")
    section: str | None = Field(
        default=None, description="Heading of the section the passage sits in."
    )
    text: str
    char_start: int = Field(description="Offset of the passage in its document's body.")
    char_end: int
    meta: dict[str, Any] = Field(default_factory=dict)

    @property
    def word_count(self) -> int:
        return len(self.text.split())


class StoredDocument(_Model):
    """A document as the store holds it (no sections: the body and passages replace them)."""

    id: int
    source: str
    source_id: str
    title: str
    doc_type: DocType
    evidence_level: EvidenceLevel
    url: str | None = None
    year: int | None = None
    organisation: str | None = None
    journal: str | None = None
    licence: str | None = None
    language: str = "en"
    focus: str | None = None
    synonyms: list[str] = Field(default_factory=list)
    mesh_terms: list[str] = Field(default_factory=list)
    cuis: list[str] = Field(default_factory=list)
    meta: dict[str, Any] = Field(default_factory=dict)
    body: str = ""
    content_hash: str = ""


class Evidence(_Model):
    """A retrieved passage together with the document it cites, and why it ranked."""

    passage: Passage
    document: StoredDocument
    score: float
    score_parts: dict[str, float] = Field(default_factory=dict)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def stable_json(value: Any) -> str:
    """Compact, key-sorted JSON used for the store's JSON columns."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


# --- Answers -----------------------------------------------------------------------------


class Gloss(_Model):
    """A plain-language definition of a technical term, itself quoted from a cited passage."""

    term: str = Field(description="The term as it appears in the item's text.")
    text: str = Field(description="The defining sentence, quoted from the source.")
    citation: int = Field(description="Reference number of the defining passage.")
    passage_id: int
    supported: bool = False


class AnswerItem(_Model):
    """One statement of the answer: a sentence (or contiguous span) quoted from one passage."""

    text: str
    citations: list[int] = Field(description="Reference numbers; the first is the quoted passage.")
    passage_id: int = Field(description="The passage the text is quoted from.")
    span: tuple[int, int] = Field(description="Character offsets of the text in that passage.")
    supported: bool = Field(
        default=False, description="Set by the verifier: the text is found in its cited passage."
    )
    category: str | None = Field(
        default=None, description="Group inside the section (e.g. a MeSH body-system category)."
    )
    glosses: list[Gloss] = Field(default_factory=list)
    lead_in: str | None = Field(
        default=None,
        description="For the first entry of a run from one list, the sentence of the same "
        'passage that introduces the list ("Symptoms may include"); for a sentence that points '
        'back ("This is called ...") shown apart from the sentence before it, that sentence. '
        "Shown before the text, verified with it. None for other sentences, the rest of a run, "
        "and list entries of a Causes section, whose heading says what they are.",
    )
    technical: bool = Field(
        default=False,
        description="Patient answers: harder to read than reading grade 15; shown folded under "
        'its section as "In more technical terms", never in the bottom line when an easier '
        "sentence answers.",
    )
    topic: str | None = Field(
        default=None,
        description="The topic of the quoted page (its title), shown before a sentence that "
        "speaks of that topic without naming it on a page titled otherwise than the subject "
        '("The condition may be caused by ..." on Hemifacial Spasm, "They often occur ..." on '
        "Muscle Cramps for spasms); a label, not a quotation.",
    )


class AnswerSection(_Model):
    key: str = Field(
        description=(
            "Stable machine name of the section, e.g. definition (What it is, Overview), "
            "causes, related_conditions (conditions whose sources list the subject as a sign), "
            "studies (clinicians: what guidelines and research say), "
            "seek_care, more (Also in the sources)."
        )
    )
    title: str
    items: list[AnswerItem] = Field(default_factory=list)


class Summary(_Model):
    """The bottom line: 1-3 quoted sentences that answer the question directly."""

    text: str = ""
    citations: list[int] = Field(default_factory=list)
    items: list[AnswerItem] = Field(default_factory=list)
    direct: bool = Field(
        default=True,
        description="False when no source sentence answers what the question asks; the bottom "
        "line is then the closest sentence on the subject, shown as such.",
    )


class EvidenceNote(_Model):
    """Where a stronger source qualifies or contradicts a weaker one; both sides quoted."""

    stronger: AnswerItem
    stronger_type: str
    weaker: AnswerItem | None = None
    weaker_type: str | None = None


class RedFlag(_Model):
    """An emergency sign found in the question or in a quoted passage (triage, not evidence)."""

    trigger: str = Field(description="The warning sign, from medcite's triage list.")
    found_in: str = Field(description="question or answer")
    advice: str = Field(description="Conservative urgent-care advice (medcite's wording).")
    citation: int | None = None


class Reference(_Model):
    n: int
    title: str
    source: str | None = Field(description="Organisation, journal or collection.")
    doc_type: DocType
    type_label: str
    evidence_level: EvidenceLevel
    evidence_label: str
    year: int | None = None
    url: str | None = None
    document_id: int
    passage_ids: list[int] = Field(default_factory=list)


class CandidateNote(_Model):
    """Why one candidate sentence was shown, kept or left out (``medcite ask --explain``)."""

    text: str
    passage_id: int
    source: str = Field(description="Title of the sentence's document.")
    outcome: str = Field(description="shown, kept (scored, not chosen) or dropped.")
    score: float | None = None
    parts: dict[str, float] = Field(
        default_factory=dict, description="What the score is made of (factors or contributions)."
    )
    reason: str | None = Field(default=None, description="Why it was dropped or not chosen.")


class Answer(_Model):
    """A composed answer article (see docs/answer-schema.md). Abstaining is a normal outcome."""

    id: str = ""
    question: str
    effective_question: str = Field(
        default="", description="The question as searched (with a follow-up's context)."
    )
    intent: Intent
    also_asks: list[Intent] = Field(
        default_factory=list,
        description='Other intents the question asks about ("... and how is it treated?").',
    )
    audience: Audience = Audience.PATIENT
    focus: str | None = None
    abstained: bool = False
    abstain_reason: str | None = None
    summary: Summary = Field(default_factory=Summary)
    sections: list[AnswerSection] = Field(default_factory=list)
    evidence_notes: list[EvidenceNote] = Field(default_factory=list)
    references: list[Reference] = Field(default_factory=list)
    red_flags: list[RedFlag] = Field(default_factory=list)
    disclaimer: str = ""
    category: str | None = Field(default=None, description="Filed-under body-system category.")
    last_updated: int | None = Field(default=None, description="Newest cited source year.")
    follow_up_suggestions: list[str] = Field(default_factory=list)
    follow_up_of: str | None = None
    reading_grade: float | None = Field(
        default=None, description="Flesch-Kincaid grade of the quoted text."
    )
    support_rate: float | None = Field(
        default=None, description="Share of quoted statements the verifier found in their passage."
    )
    timings_ms: dict[str, float] = Field(default_factory=dict)
    created_at: str | None = None
    scorer: str | None = Field(default=None, description="The scorer that chose the sentences.")
    explanation: list[CandidateNote] | None = Field(
        default=None, description="Every candidate sentence and its outcome (--explain only)."
    )

    @property
    def intents(self) -> list[Intent]:
        """The main intent, then the others asked about."""
        return [self.intent, *self.also_asks]

    def statements(self) -> list[AnswerItem]:
        """Every quoted statement (summary, sections, notes, glosses excluded)."""
        items = list(self.summary.items)
        for section in self.sections:
            items.extend(section.items)
        for note in self.evidence_notes:
            items.append(note.stronger)
            if note.weaker is not None:
                items.append(note.weaker)
        return items

    def shown_texts(self) -> list[str]:
        """The quoted text a reader sees, in order: each statement after the context shown with
        it (the sentence that introduces a list, the one a "This ..." points back to)."""
        return [piece for item in self.statements() for piece in (item.lead_in, item.text) if piece]


# --- Articles and review -----------------------------------------------------------------


class User(_Model):
    id: int
    name: str
    display_name: str
    role: Role
    disabled: bool = False
    created_at: str | None = None


class ReviewComment(_Model):
    """A reviewer's comment on one section of one version."""

    section_key: str
    comment: str


class AuditEvent(_Model):
    """One review transition, as the append-only audit log keeps it."""

    id: int
    article_id: str
    version: int
    version_hash: str
    actor: str
    action: str
    from_status: ArticleStatus | None
    to_status: ArticleStatus
    comment: str | None = None
    section_comments: list[ReviewComment] = Field(default_factory=list)
    at: str


class ArticleVersion(_Model):
    version: int
    title: str
    content_hash: str
    answer_id: str | None = None
    edit_note: str | None = None
    created_by: str | None = None
    created_at: str
    approved: bool = False
    answer: Answer | None = Field(default=None, description="The article body (a composed answer).")


class Article(_Model):
    """A saved answer moving through review; readers see its newest approved version."""

    id: str
    title: str
    question: str
    audience: Audience
    focus: str | None = None
    category: str | None = None
    status: ArticleStatus
    current_version: int
    published_version: int | None = None
    created_by: str | None = None
    created_at: str
    updated_at: str
    last_reviewed_at: str | None = None
    last_reviewed_by: str | None = None
    stale: bool = Field(default=False, description="Approved but due for re-review.")
    stale_reason: str | None = None
    versions: list[ArticleVersion] = Field(default_factory=list)

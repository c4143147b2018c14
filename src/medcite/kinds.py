"""The enumerations every stage shares (document types, evidence levels, intents, audiences,
roles, article states), kept apart from the pydantic models in :mod:`medcite.types` so that the
command line can build its options without importing pydantic (start-up time)."""

from __future__ import annotations

from enum import IntEnum, StrEnum


class DocType(StrEnum):
    """What kind of document a source is; drives the evidence level."""

    GUIDELINE = "guideline"
    SYSTEMATIC_REVIEW = "systematic_review"
    RCT = "rct"
    RESEARCH = "research"
    CONSUMER = "consumer"
    REFERENCE = "reference"

    @property
    def label(self) -> str:
        return DOC_TYPE_LABELS[self]

    @property
    def evidence_level(self) -> EvidenceLevel:
        return EVIDENCE_LEVEL_BY_TYPE[self]


class EvidenceLevel(IntEnum):
    """Ordinal evidence level: lower is stronger (see docs/doc-types.md)."""

    SYNTHESIS = 1  # evidence-based guideline, systematic review / meta-analysis
    TRIAL = 2  # randomised controlled trial
    PRIMARY = 3  # other primary research: cohort, case-control, case series, abstracts
    CURATED_REFERENCE = 4  # expert-curated reference pages (genetics, rare-disease, encyclopaedia)
    CONSUMER = 5  # patient education pages

    @property
    def label(self) -> str:
        return EVIDENCE_LEVEL_LABELS[self]


DOC_TYPE_LABELS: dict[DocType, str] = {
    DocType.GUIDELINE: "Guideline",
    DocType.SYSTEMATIC_REVIEW: "Systematic review",
    DocType.RCT: "Trial",
    DocType.RESEARCH: "Research",
    DocType.CONSUMER: "Consumer health",
    DocType.REFERENCE: "Reference",
}

EVIDENCE_LEVEL_BY_TYPE: dict[DocType, EvidenceLevel] = {
    DocType.GUIDELINE: EvidenceLevel.SYNTHESIS,
    DocType.SYSTEMATIC_REVIEW: EvidenceLevel.SYNTHESIS,
    DocType.RCT: EvidenceLevel.TRIAL,
    DocType.RESEARCH: EvidenceLevel.PRIMARY,
    DocType.REFERENCE: EvidenceLevel.CURATED_REFERENCE,
    DocType.CONSUMER: EvidenceLevel.CONSUMER,
}

EVIDENCE_LEVEL_LABELS: dict[EvidenceLevel, str] = {
    EvidenceLevel.SYNTHESIS: "Level 1: guideline or systematic review",
    EvidenceLevel.TRIAL: "Level 2: randomised trial",
    EvidenceLevel.PRIMARY: "Level 3: other primary research",
    EvidenceLevel.CURATED_REFERENCE: "Level 4: curated reference",
    EvidenceLevel.CONSUMER: "Level 5: consumer health information",
}


class Intent(StrEnum):
    """What a question asks for; picks the answer's sections and boosts matching passages."""

    CAUSE = "cause"
    SYMPTOM = "symptom"
    DIAGNOSIS = "diagnosis"
    TREATMENT = "treatment"
    PREVENTION = "prevention"
    PROGNOSIS = "prognosis"
    RISK = "risk"
    MEDICATION = "medication"
    COMPARISON = "comparison"
    DEFINITION = "definition"


class Audience(StrEnum):
    """Who reads the answer: picks preferred sources, sentence length, glosses, evidence labels."""

    PATIENT = "patient"
    CLINICIAN = "clinician"


class Role(StrEnum):
    """What a user may do; each role includes the rights of the ones before it, except that
    editors and reviewers are separate duties (admin holds both)."""

    READER = "reader"
    EDITOR = "editor"
    REVIEWER = "reviewer"
    ADMIN = "admin"


class ArticleStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    UNDER_REVIEW = "under_review"
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"

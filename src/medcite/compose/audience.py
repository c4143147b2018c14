"""What depends on who reads the answer: which source types it prefers, and its disclaimer.

The disclaimers are medcite's own words about the answer, not medical content.
"""

from __future__ import annotations

from medcite.types import Audience, DocType

# Reader-dependent preference for source types (multiplies a sentence's score).
AUDIENCE_WEIGHTS: dict[Audience, dict[DocType, float]] = {
    Audience.PATIENT: {
        DocType.CONSUMER: 1.3,
        DocType.REFERENCE: 1.1,
        DocType.GUIDELINE: 1.0,
        DocType.SYSTEMATIC_REVIEW: 0.9,
        DocType.RCT: 0.8,
        DocType.RESEARCH: 0.75,
    },
    Audience.CLINICIAN: {
        DocType.GUIDELINE: 1.3,
        DocType.SYSTEMATIC_REVIEW: 1.3,
        DocType.RCT: 1.2,
        DocType.RESEARCH: 1.05,
        DocType.REFERENCE: 1.0,
        DocType.CONSUMER: 0.85,
    },
}

DISCLAIMERS: dict[Audience, str] = {
    Audience.PATIENT: (
        "This answer quotes the sources listed below and is general information, not medical "
        "advice. It may not apply to you. Talk to a doctor or other health professional about "
        "your own situation, and get urgent care if you feel very unwell."
    ),
    Audience.CLINICIAN: (
        "Sentences are quoted from the cited sources without synthesis; evidence levels describe "
        "the source type, not a grading of each statement. Check the full sources and current "
        "local guidance before clinical use."
    ),
}

ABSTAIN_DISCLAIMER = (
    "medcite found no source to quote for this question and gives no answer. For questions about "
    "your health, talk to a doctor, nurse or pharmacist, and get urgent care if you feel very unwell."
)

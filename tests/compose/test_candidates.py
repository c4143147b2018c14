"""Which sentences of a passage may be quoted at all."""

from __future__ import annotations

from medcite.compose.candidates import extract
from medcite.types import DocType, Evidence, EvidenceLevel, Passage, StoredDocument

DOC = StoredDocument(
    id=1,
    source="medquad",
    source_id="synthetic-1",
    title="Glimmerpox",
    doc_type=DocType.REFERENCE,
    evidence_level=EvidenceLevel.CURATED_REFERENCE,
)


def _texts(text: str, kind: str = "treatment") -> list[str]:
    passage = Passage(id=7, document_id=1, ord=0, text=text, char_start=0, char_end=len(text))
    passage.meta = {"qtype": kind}
    return [c.text for c in extract([Evidence(passage=passage, document=DOC, score=1.0)])]


def test_items_of_a_link_list_are_not_statements() -> None:
    text = (
        "These resources address the diagnosis or management of glimmerpox:\n"
        "- Robot Testing Registry: Glimmerpox\n"
        "- Synthetic Encyclopedia: Glimmerpox\n"
        "\n"
        "Glimmerpox sparkles fade when test robots rest in the shade:\n"
        "- Dim the workshop lights\n"
    )
    assert _texts(text) == ["Dim the workshop lights"]


def test_pointers_to_other_documents_are_not_statements() -> None:
    text = (
        "Refer to the original guideline document for the robot polishing schedule. "
        "Definitions for the levels of glitter are provided at the end of the table. "
        "The intended audience for the GTR is robot makers. "
        "Polishing robot panels twice a day makes glimmerpox sparkles last longer."
    )
    assert _texts(text, "Major Recommendations") == [
        "Polishing robot panels twice a day makes glimmerpox sparkles last longer."
    ]

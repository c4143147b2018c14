"""MedQuAD, NGC and PubMedQA loaders on synthetic fixtures in the real formats."""

from __future__ import annotations

from pathlib import Path

import pytest

from medcite.errors import MalformedInputError, NotADocumentError
from medcite.ingest.base import LoadOptions, RecordError
from medcite.ingest.chunking import build_passages
from medcite.ingest.formats import detect_format
from medcite.ingest.medquad import MedQuADLoader
from medcite.ingest.ngc import NGCLoader
from medcite.ingest.pubmedqa import PubMedQALoader, infer_study_type
from medcite.types import DocType, Document


def _docs(items: list[object]) -> list[Document]:
    return [i for i in items if isinstance(i, Document)]


def test_medquad_document(fixtures: Path) -> None:
    path = fixtures / "medquad/1_Synthetic_QA/0000001.xml"
    (doc,) = list(MedQuADLoader().load(path, LoadOptions()))
    assert isinstance(doc, Document)
    assert doc.source == "medquad" and doc.source_id == "MPlusHealthTopics/0000001"
    assert doc.title == "Zorblax Syndrome" and doc.focus == "Zorblax Syndrome"
    assert doc.synonyms == ["Zorblax disorder", "Wobbly widget syndrome"]
    assert doc.cuis == ["C9999991"]
    assert doc.doc_type is DocType.CONSUMER
    assert doc.organisation and "MedlinePlus" in doc.organisation
    assert doc.url == "https://example.org/synthetic/zorblax-syndrome"
    # The pair with an empty answer is dropped; questions become headings, qtype kept.
    assert [s.heading for s in doc.sections] == [
        "What is (are) Zorblax Syndrome?",
        "What causes Zorblax Syndrome?",
    ]
    assert [s.meta["qtype"] for s in doc.sections] == ["information", "causes"]
    assert "\n- Counting imaginary sheep\n" in doc.sections[0].text
    body, passages = build_passages(doc.sections)
    assert len(passages) == 2  # one passage per (short) answer
    assert passages[1].meta["qtype"] == "causes"
    assert all(body[p.char_start : p.char_end] == p.text for p in passages)


def test_medquad_legacy_schema(fixtures: Path) -> None:
    (doc,) = _docs(
        list(MedQuADLoader().load(fixtures / "medquad/1_Synthetic_QA/0000002.xml", LoadOptions()))
    )
    assert doc.source_id == "NINDS/0000002" and doc.title == "Quibble Fever"
    assert doc.sections[0].heading == "What is quibble fever?"
    assert doc.cuis == ["C9999992"]


def test_medquad_without_answers_yields_nothing(fixtures: Path) -> None:
    assert (
        list(MedQuADLoader().load(fixtures / "medquad/1_Synthetic_QA/0000003.xml", LoadOptions()))
        == []
    )


def test_medquad_truncated_file_is_malformed(fixtures: Path) -> None:
    with pytest.raises(MalformedInputError, match="malformed XML"):
        list(MedQuADLoader().load(fixtures / "medquad/1_Synthetic_QA/0000004.xml", LoadOptions()))


def test_ngc_summary(fixtures: Path) -> None:
    (doc,) = _docs(list(NGCLoader().load(fixtures / "ngc/ngc-90001.xml", LoadOptions())))
    assert doc.source == "ngc" and doc.source_id == "ngc-90001"
    assert doc.title == "Synthetic guideline: the placeholder intervention for Zorblax syndrome."
    assert doc.doc_type is DocType.GUIDELINE and int(doc.evidence_level) == 1
    assert doc.year == 2011 and doc.journal == "J Synth Test"
    assert doc.meta["pmid"] == "99999999" and doc.url == "https://pubmed.ncbi.nlm.nih.gov/99999999/"
    assert doc.organisation == "Society of Synthetic Testing"
    assert doc.meta["categories"] == ["Treatment", "Assessment of Therapeutic Effectiveness"]
    headings = [s.heading for s in doc.sections]
    # Recommendations first; "None provided" and methodology boilerplate are dropped.
    assert headings == [
        "Major Recommendations",
        "Disease/Condition(s)",
        "Rating Scheme for the Strength of the Evidence",
    ]
    recs = doc.sections[0].text
    assert "- Conclusion. Data from two invented trials are insufficient" in recs
    assert "<" not in recs and "&amp;" not in recs


def test_ngc_stub_is_not_a_document(fixtures: Path) -> None:
    with pytest.raises(NotADocumentError):
        list(NGCLoader().load(fixtures / "ngc/ngc-90002.xml", LoadOptions()))


def test_ngc_truncated_is_malformed(fixtures: Path) -> None:
    with pytest.raises(MalformedInputError):
        list(NGCLoader().load(fixtures / "ngc/ngc-90003.xml", LoadOptions()))


def test_pubmedqa_records_and_bad_record(fixtures: Path) -> None:
    items = list(PubMedQALoader().load(fixtures / "pubmedqa/ori_pqal.json", LoadOptions()))
    errors = [i for i in items if isinstance(i, RecordError)]
    docs = {d.source_id: d for d in _docs(items)}
    assert len(errors) == 1 and errors[0].where.endswith("#90000003")
    assert set(docs) == {"90000001", "90000002", "90000004"}
    rct = docs["90000001"]
    assert rct.doc_type is DocType.RCT and rct.year == 2012
    assert [s.heading for s in rct.sections] == ["Background", "Methods", "Conclusions"]
    assert rct.mesh_terms == ["Synthetic Widgets", "Imaginary Fatigue"]
    assert rct.url == "https://pubmed.ncbi.nlm.nih.gov/90000001/"
    assert docs["90000002"].doc_type is DocType.SYSTEMATIC_REVIEW
    assert docs["90000004"].doc_type is DocType.RESEARCH


def test_pubmedqa_doc_type_override(fixtures: Path) -> None:
    docs = _docs(
        list(
            PubMedQALoader().load(
                fixtures / "pubmedqa/ori_pqal.json", LoadOptions(doc_type=DocType.GUIDELINE)
            )
        )
    )
    assert {d.doc_type for d in docs} == {DocType.GUIDELINE}


def test_study_type_rule_ignores_background_mentions() -> None:
    labelled = [
        ("BACKGROUND", "Earlier randomized controlled trials were small."),
        ("METHODS", "We followed an invented cohort."),
    ]
    assert infer_study_type("Synthetic cohort question?", labelled) is DocType.RESEARCH


def test_pubmedqa_malformed_json(tmp_path: Path) -> None:
    bad = tmp_path / "ori_pqal.json"
    bad.write_text('{"1": {"QUESTION": "x", "CONTEXTS": ["y"', encoding="utf-8")
    with pytest.raises(MalformedInputError, match="malformed JSON"):
        list(PubMedQALoader().load(bad, LoadOptions()))


@pytest.mark.parametrize(
    ("relpath", "fmt"),
    [
        ("medquad/1_Synthetic_QA/0000001.xml", "medquad"),
        ("medquad/1_Synthetic_QA/0000002.xml", "medquad"),
        ("ngc/ngc-90001.xml", "ngc"),
        ("pubmedqa/ori_pqal.json", "pubmedqa"),
    ],
)
def test_format_detection(fixtures: Path, relpath: str, fmt: str) -> None:
    assert detect_format(fixtures / relpath).format == fmt

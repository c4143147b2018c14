"""MedlinePlus health topics loader, on synthetic fixtures in the real XML layout."""

from __future__ import annotations

from pathlib import Path

import pytest

from medcite.errors import MalformedInputError
from medcite.ingest.base import LoadItem, LoadOptions, RecordError
from medcite.ingest.chunking import build_passages
from medcite.ingest.medlineplus import MEDLINEPLUS_ORGANISATION, MedlinePlusLoader
from medcite.ingest.medquad import MedQuADLoader
from medcite.types import DocType, Document

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "medlineplus"
SAMPLE = FIXTURES / "mplus_topics_sample.xml"
TRUNCATED = FIXTURES / "mplus_topics_truncated.xml"


def _load(path: Path, options: LoadOptions | None = None) -> list[LoadItem]:
    return list(MedlinePlusLoader().load(path, options or LoadOptions()))


def _docs(items: list[LoadItem]) -> dict[str, Document]:
    return {d.source_id: d for d in items if isinstance(d, Document)}


def test_sample_yields_two_documents_and_one_record_error() -> None:
    items = _load(SAMPLE)
    docs = _docs(items)
    errors = [e for e in items if isinstance(e, RecordError)]
    assert sorted(docs) == ["90001", "90002"]
    assert len(errors) == 1
    assert errors[0].where == "mplus_topics_sample.xml#90003"
    assert "summary" in errors[0].reason


def test_english_topic_metadata() -> None:
    doc = _docs(_load(SAMPLE))["90001"]
    assert doc.source == "medlineplus"
    assert doc.title == "Zorblax Syndrome"
    assert doc.focus == "Zorblax Syndrome"
    assert doc.doc_type is DocType.CONSUMER
    assert doc.url == "https://medlineplus.gov/zorblaxsyndrome.html"
    assert doc.year == 2015
    assert doc.language == "en"
    assert doc.organisation == MEDLINEPLUS_ORGANISATION
    assert doc.licence is not None and "MedlinePlus.gov" in doc.licence
    # also-called first, then see-references; the title itself is not a synonym
    assert doc.synonyms == ["Zorblax disorder", "ZBX", "Zorblaxitis"]
    assert doc.mesh_terms == ["Zorblax Syndrome", "Placeholder Disorders"]
    assert doc.meta["mesh_ids"] == ["D999001", "D999002"]
    assert doc.meta["groups"] == ["Synthetic Test Conditions", "Fixtures"]
    assert doc.meta["primary_institute"] == {
        "name": "National Institute of Placeholder Studies",
        "url": "https://example.org/nips",
    }
    assert doc.meta["meta_desc"].startswith("Zorblax syndrome is an invented condition")
    assert doc.meta["language_mapped_topic"]["id"] == "90002"
    assert doc.meta["related_topics"] == ["Quibble Fever"]


def test_summary_is_split_at_headings() -> None:
    doc = _docs(_load(SAMPLE))["90001"]
    headings = [s.heading for s in doc.sections]
    # The trailing heading with nothing under it is dropped.
    assert headings == [None, "What causes Zorblax syndrome?", "How is Zorblax syndrome treated?"]
    intro, causes, treatment = doc.sections
    # Escaped HTML is decoded: entities become characters, tags disappear.
    assert 'The word "zorblax" was made up' in intro.text
    assert "<" not in intro.text and "&quot;" not in intro.text
    # Paragraphs are blank-line separated; list items are "- " lines.
    assert "\n\n" in intro.text
    assert causes.text.splitlines()[1:] == [
        "- Too many test strings",
        "- Not enough Quibble fever assertions",
    ]
    assert treatment.text.startswith("There is no treatment")
    assert all("What causes" not in s.text for s in doc.sections)


def test_spanish_topic() -> None:
    doc = _docs(_load(SAMPLE))["90002"]
    assert doc.language == "es"
    assert doc.title == "Síndrome de Zorblax"
    assert doc.year == 2016
    assert doc.synonyms == ["Trastorno de Zorblax"]
    assert doc.sections[0].text.startswith("El síndrome de Zorblax es una condición inventada.")


def test_options_doc_type_overrides() -> None:
    docs = _docs(_load(SAMPLE, LoadOptions(doc_type=DocType.REFERENCE)))
    assert {d.doc_type for d in docs.values()} == {DocType.REFERENCE}


def test_truncated_file_is_malformed() -> None:
    with pytest.raises(MalformedInputError):
        _load(TRUNCATED)


def test_wrong_root_is_malformed(tmp_path: Path) -> None:
    path = tmp_path / "other.xml"
    path.write_text("<?xml version='1.0'?><health-topic-groups total='0'/>", encoding="utf-8")
    with pytest.raises(MalformedInputError, match="health-topics"):
        _load(path)


def test_single_health_topic_root(tmp_path: Path) -> None:
    path = tmp_path / "one.xml"
    path.write_text(
        '<health-topic title="Quibble Fever" url="https://medlineplus.gov/quibblefever.html" '
        'id="90003" language="English" date-created="07/08/2017" meta-desc="x">'
        "<full-summary>&lt;p&gt;Quibble fever is invented for this test.&lt;/p&gt;</full-summary>"
        '<group url="https://medlineplus.gov/x.html" id="1">Synthetic</group>'
        "</health-topic>",
        encoding="utf-8",
    )
    docs = _docs(_load(path))
    assert list(docs) == ["90003"]
    assert docs["90003"].sections[0].text == "Quibble fever is invented for this test."
    assert docs["90003"].year == 2017


def test_topic_without_id_is_a_record_error_and_loading_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "noid.xml"
    topic = (
        '<health-topic title="{t}" url="u" {idattr} language="English" date-created="01/01/2020" '
        'meta-desc="x"><full-summary>&lt;p&gt;Invented text.&lt;/p&gt;</full-summary>'
        "</health-topic>"
    )
    path.write_text(
        '<health-topics total="2" date-generated="01/01/2099 00:00:00">'
        + topic.format(t="First", idattr="")
        + topic.format(t="Second", idattr='id="2"')
        + "</health-topics>",
        encoding="utf-8",
    )
    items = _load(path)
    assert isinstance(items[0], RecordError) and "id" in items[0].reason
    assert isinstance(items[1], Document) and items[1].source_id == "2"


def test_passages_are_exact_slices_of_the_body() -> None:
    docs = _docs(_load(SAMPLE))
    for doc in docs.values():
        body, passages = build_passages(doc.sections, min_words=5, max_words=20)
        assert passages
        for p in passages:
            assert body[p.char_start : p.char_end] == p.text
        assert {p.section for p in passages} == {s.heading for s in doc.sections}


def test_sniff() -> None:
    loader = MedlinePlusLoader()
    head = SAMPLE.read_text(encoding="utf-8")[:4096]
    assert loader.sniff(SAMPLE, head)
    assert loader.sniff(SAMPLE, '<?xml version="1.0"?>\n<health-topic id="1">')
    assert not loader.sniff(SAMPLE, '<?xml version="1.0"?>\n<PubmedArticleSet>')
    assert not loader.sniff(SAMPLE, '<health-topic-groups total="88">')
    # MedQuAD files are <Document> roots and stay with their own loader.
    assert not MedQuADLoader().sniff(SAMPLE, head)

"""PubMed/MEDLINE XML loader, on synthetic fixtures in the real PubMed XML layout."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from medcite.errors import MalformedInputError
from medcite.ingest.base import LoadItem, LoadOptions, RecordError
from medcite.ingest.chunking import build_passages
from medcite.ingest.pubmed import PubMedXMLLoader, doc_type_from_publication_types
from medcite.types import DocType, Document

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "pubmed"
SAMPLE = FIXTURES / "pubmed_sample.xml"
TRUNCATED = FIXTURES / "pubmed_truncated.xml"


def _load(path: Path, options: LoadOptions | None = None) -> list[LoadItem]:
    return list(PubMedXMLLoader().load(path, options or LoadOptions()))


def _docs(items: list[LoadItem]) -> dict[str, Document]:
    return {d.source_id: d for d in items if isinstance(d, Document)}


def _article_blocks() -> list[str]:
    """The <PubmedArticle> elements of the sample, as text."""
    return re.findall(r"<PubmedArticle>.*?</PubmedArticle>", SAMPLE.read_text("utf-8"), re.S)


@pytest.mark.parametrize(
    ("types", "expected"),
    [
        (["Journal Article", "Practice Guideline"], DocType.GUIDELINE),
        (["Guideline"], DocType.GUIDELINE),
        (["Consensus Development Conference, NIH"], DocType.GUIDELINE),
        (["Consensus Development Conference"], DocType.GUIDELINE),
        (["Systematic Review"], DocType.SYSTEMATIC_REVIEW),
        (["Meta-Analysis", "Review"], DocType.SYSTEMATIC_REVIEW),
        (["Randomized Controlled Trial"], DocType.RCT),
        (["randomized controlled trial "], DocType.RCT),
        (["Equivalence Trial"], DocType.RCT),
        (["Pragmatic Clinical Trial"], DocType.RCT),
        (["Clinical Trial, Phase III"], DocType.RESEARCH),
        (["Clinical Trial"], DocType.RESEARCH),
        (["Randomized Controlled Trial, Veterinary"], DocType.RESEARCH),
        (["Review"], DocType.RESEARCH),
        (["Journal Article", "Observational Study"], DocType.RESEARCH),
        ([], DocType.RESEARCH),
        # priority: guideline > systematic review > trial
        (["Randomized Controlled Trial", "Meta-Analysis"], DocType.SYSTEMATIC_REVIEW),
        (["Systematic Review", "Practice Guideline"], DocType.GUIDELINE),
        (["Randomized Controlled Trial", "Guideline"], DocType.GUIDELINE),
    ],
)
def test_doc_type_from_publication_types(types: list[str], expected: DocType) -> None:
    assert doc_type_from_publication_types(types) is expected


def test_sample_documents_and_errors() -> None:
    items = _load(SAMPLE)
    docs = _docs(items)
    errors = [i for i in items if isinstance(i, RecordError)]
    assert list(docs) == ["99000001", "99000002", "99000003", "99000004", "99000006"]
    assert errors == [RecordError("pubmed_sample.xml#99000005", "no abstract")]
    assert {k: d.doc_type for k, d in docs.items()} == {
        "99000001": DocType.GUIDELINE,
        "99000002": DocType.SYSTEMATIC_REVIEW,
        "99000003": DocType.RCT,
        "99000004": DocType.RESEARCH,
        "99000006": DocType.RESEARCH,
    }


def test_guideline_fields() -> None:
    doc = _docs(_load(SAMPLE))["99000001"]
    assert doc.source == "pubmed"
    assert doc.url == "https://pubmed.ncbi.nlm.nih.gov/99000001/"
    # inline markup (<i>) is flattened into the title text
    assert doc.title == "Synthetic practice guideline for Zorblax syndrome: a parser fixture."
    assert doc.journal == "Journal of Synthetic Test Fixtures"
    assert doc.year == 2021
    assert doc.language == "en"
    assert doc.mesh_terms == ["Zorblax Syndrome", "Placeholders"]
    assert doc.licence is not None
    assert "PubMed" in doc.licence and "Synthetic Fixture Society" in doc.licence
    meta = doc.meta
    assert meta["pmid"] == "99000001"
    # the record's own DOI, not the one of the paper it cites in <ReferenceList>
    assert meta["doi"] == "10.99999/synthetic.0001"
    assert meta["pmcid"] == "PMC9900001"
    assert meta["publication_types"] == ["Journal Article", "Practice Guideline"]
    assert meta["keywords"] == ["zorblax", "synthetic fixture"]
    assert meta["mesh_ids"] == ["D999001", "D999010"]
    assert meta["mesh_major"] == ["Zorblax Syndrome"]
    assert meta["authors"] == ["Placeholder A", "Synthetic Guideline Writing Group"]
    assert meta["pages"] == "101-110"


def test_labelled_abstract_becomes_sections() -> None:
    doc = _docs(_load(SAMPLE))["99000001"]
    assert [s.heading for s in doc.sections] == [
        "Purpose",
        "Methods and findings",
        "Recommendations",
    ]
    assert [s.meta.get("nlm_category") for s in doc.sections] == [
        "OBJECTIVE",
        "METHODS",
        "CONCLUSIONS",
    ]
    assert doc.sections[0].text == (
        "This synthetic abstract exists only to test the loader. "
        "Zorblax syndrome is an invented condition."
    )
    # CopyrightInformation is licence, not abstract text
    assert all("Fixture Society" not in s.text for s in doc.sections)


def test_unlabelled_abstract_and_medline_date() -> None:
    doc = _docs(_load(SAMPLE))["99000004"]
    assert doc.year == 2018  # from <MedlineDate>2018 Nov-Dec</MedlineDate>
    assert len(doc.sections) == 1
    section = doc.sections[0]
    assert section.heading is None
    assert section.text == (
        "Glorp is an invented analyte measured in mg/m2 units that do not exist.\n\n"
        "This second unlabelled paragraph exists only to test the loader."
    )
    assert doc.meta["doi"] == "10.99999/synthetic.0004"  # from ELocationID


def test_non_english_article() -> None:
    doc = _docs(_load(SAMPLE))["99000003"]
    # MEDLINE brackets translated titles; the abstract we index is English
    assert doc.title == "A synthetic randomized trial of placebo widgets in Quibble fever."
    assert doc.language == "en"
    assert doc.meta["article_languages"] == ["fr"]
    assert doc.journal == "Revue des Données Synthétiques"


def test_book_article() -> None:
    doc = _docs(_load(SAMPLE))["99000006"]
    assert doc.title == "Glorp Deficiency"
    assert doc.organisation == "Synthetic Bookshelf Press"
    assert doc.year == 2022
    assert doc.meta["book_title"] == "The Synthetic Handbook"
    assert doc.meta["bookaccession"] == "NBK999006"
    assert doc.sections[0].text.startswith("Glorp deficiency is an invented condition")


def test_options_doc_type_overrides() -> None:
    docs = _docs(_load(SAMPLE, LoadOptions(doc_type=DocType.REFERENCE)))
    assert {d.doc_type for d in docs.values()} == {DocType.REFERENCE}


def test_truncated_file_fails_before_yielding_anything() -> None:
    items = PubMedXMLLoader().load(TRUNCATED, LoadOptions())
    with pytest.raises(MalformedInputError, match="truncated"):
        next(items)


def test_damage_inside_the_file_raises_when_reached(tmp_path: Path) -> None:
    text = SAMPLE.read_text("utf-8")
    second = text.index('<PMID Version="1">99000002')
    broken = text[:second] + text[second:].replace("</ArticleTitle>", "</Title>", 1)
    path = tmp_path / "broken.xml"
    path.write_text(broken, encoding="utf-8")
    items = PubMedXMLLoader().load(path, LoadOptions())
    first = next(items)
    assert isinstance(first, Document) and first.source_id == "99000001"
    with pytest.raises(MalformedInputError, match="malformed"):
        list(items)


def test_wrong_root_is_malformed(tmp_path: Path) -> None:
    path = tmp_path / "error.xml"
    path.write_text("<eFetchResult><ERROR>Empty id list</ERROR></eFetchResult>", encoding="utf-8")
    with pytest.raises(MalformedInputError, match="PubmedArticleSet"):
        _load(path)


def test_single_article_root(tmp_path: Path) -> None:
    path = tmp_path / "one.xml"
    path.write_text('<?xml version="1.0"?>\n' + _article_blocks()[1], encoding="utf-8")
    items = _load(path)
    # one record: the nested <MedlineCitation> is not loaded a second time
    assert [i.source_id for i in items if isinstance(i, Document)] == ["99000002"]
    assert len(items) == 1


def test_medline_citation_set_root(tmp_path: Path) -> None:
    citations = [
        re.search(r"<MedlineCitation .*?</MedlineCitation>", block, re.S).group(0)  # type: ignore[union-attr]
        for block in _article_blocks()
    ]
    path = tmp_path / "medline.xml"
    path.write_text(
        "<MedlineCitationSet>\n" + "\n".join(citations) + "\n</MedlineCitationSet>\n",
        encoding="utf-8",
    )
    items = _load(path)
    docs = _docs(items)
    assert list(docs) == ["99000001", "99000002", "99000003", "99000004"]
    assert docs["99000001"].doc_type is DocType.GUIDELINE
    assert docs["99000001"].meta["pmcid"] is None  # ids live in PubmedData, absent here
    assert next(i for i in items if isinstance(i, RecordError)).reason == "no abstract"


def test_article_date_is_the_last_year_fallback(tmp_path: Path) -> None:
    block = (
        _article_blocks()[0]
        .replace(
            "<Year>2021</Year>\n                        <Month>Mar</Month>",
            "<MedlineDate>Spring</MedlineDate>",
        )
        .replace(
            "<Year>2021</Year>\n                <Month>01</Month>",
            "<Year>2023</Year><Month>01</Month>",
        )
    )
    path = tmp_path / "dates.xml"
    path.write_text(f"<PubmedArticleSet>{block}</PubmedArticleSet>", encoding="utf-8")
    (doc,) = _load(path)
    assert isinstance(doc, Document)
    assert doc.year == 2023


def test_large_file_streams_every_record(tmp_path: Path) -> None:
    block = _article_blocks()[1]
    n = 600
    parts = [block.replace("99000002", str(98000000 + i)) for i in range(n)]
    path = tmp_path / "big.xml"
    path.write_text("<PubmedArticleSet>\n" + "\n".join(parts) + "\n</PubmedArticleSet>\n", "utf-8")
    docs = [d for d in _load(path) if isinstance(d, Document)]
    assert [d.source_id for d in docs] == [str(98000000 + i) for i in range(n)]
    # records are complete even though the parser frees them as it goes
    assert all(len(d.sections) == 4 and d.journal == "Placeholder Reviews" for d in docs)


def test_passages_are_exact_slices_of_the_body() -> None:
    for doc in _docs(_load(SAMPLE)).values():
        body, passages = build_passages(doc.sections, min_words=5, max_words=12)
        assert passages
        for p in passages:
            assert body[p.char_start : p.char_end] == p.text
        assert {p.section for p in passages} == {s.heading for s in doc.sections}


def test_sniff() -> None:
    loader = PubMedXMLLoader()
    head = SAMPLE.read_text("utf-8")[:4096]
    assert loader.sniff(SAMPLE, head)  # declaration, DOCTYPE and comment are skipped
    assert loader.sniff(SAMPLE, "<MedlineCitationSet>")
    assert loader.sniff(SAMPLE, "<?xml version='1.0'?><PubmedArticle>")
    assert not loader.sniff(SAMPLE, '<health-topics total="1">')
    assert not loader.sniff(SAMPLE, '<Document id="0000001" source="GHR">')
    assert not loader.sniff(SAMPLE, "<eFetchResult><ERROR>x</ERROR></eFetchResult>")

"""PubMed/MEDLINE citation XML: annual baseline files, daily updates and efetch output.

A ``<PubmedArticleSet>`` holds ``<PubmedArticle>`` (journal articles) and
``<PubmedBookArticle>`` (book chapters such as NCBI Bookshelf entries);
licensed MEDLINE files use a ``<MedlineCitationSet>`` of bare
``<MedlineCitation>`` records. Each record with an abstract becomes one
document whose sections are the abstract's labelled parts (BACKGROUND,
METHODS, ...). Records without an abstract are reported as record errors:
medcite cites sentences, and a title alone has none worth citing.

Baseline files hold ~30,000 records, so the file is streamed (defusedxml's
iterparse) and each record is freed once read. A truncated file (the usual
damage: an interrupted download) is detected from its tail before anything is
yielded; damage further inside raises MalformedInputError when reached.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO, ClassVar

from defusedxml import ElementTree as SafeET

from medcite.errors import MalformedInputError
from medcite.ingest.base import LoadItem, LoadOptions, RecordError
from medcite.ingest.text import squash
from medcite.ingest.xmlutil import open_binary, root_tag, text_of, xml_errors
from medcite.types import DocType, Document, Section

PUBMED_URL = "https://pubmed.ncbi.nlm.nih.gov/{pmid}/"
PUBMED_LICENCE = (
    "Abstract via PubMed, U.S. National Library of Medicine; copyright remains with the "
    "publisher or authors"
)

_SET_ROOTS = ("PubmedArticleSet", "MedlineCitationSet")
_RECORD_TAGS = ("PubmedArticle", "PubmedBookArticle", "MedlineCitation")

_GUIDELINE_TYPES = {"practice guideline", "guideline"}
_SYSTEMATIC_TYPES = {"systematic review", "meta-analysis", "network meta-analysis"}
_RCT_TYPES = {"randomized controlled trial", "equivalence trial", "pragmatic clinical trial"}

# MEDLINE <Language> values are ISO 639-2/B codes; the common ones, as two-letter codes.
_LANGUAGE_CODES = {
    "eng": "en", "spa": "es", "fre": "fr", "ger": "de", "ita": "it", "por": "pt",
    "dut": "nl", "rus": "ru", "chi": "zh", "jpn": "ja", "pol": "pl", "kor": "ko",
}  # fmt: skip
_YEAR_RE = re.compile(r"\b(1[5-9]\d\d|2\d\d\d)\b")
_BRACKETED_RE = re.compile(r"\[(.+)\](\.?)")


def doc_type_from_publication_types(types: list[str]) -> DocType:
    """The document type implied by a record's PubMed publication types.

    Matching is exact and case-insensitive; the strongest match wins
    (guideline > systematic review > trial):

    - GUIDELINE: "Practice Guideline", "Guideline", and "Consensus Development
      Conference" with its variants ("..., NIH").
    - SYSTEMATIC_REVIEW: "Systematic Review", "Meta-Analysis", "Network Meta-Analysis".
    - RCT: "Randomized Controlled Trial", "Equivalence Trial", "Pragmatic
      Clinical Trial". Other trial types ("Clinical Trial", "Clinical Trial,
      Phase III", "Controlled Clinical Trial", veterinary trials) do not say
      the trial was randomised and stay RESEARCH.
    - RESEARCH: everything else, narrative "Review" included.
    """
    names = {squash(t).casefold() for t in types}
    if names & _GUIDELINE_TYPES or any(
        n.startswith("consensus development conference") for n in names
    ):
        return DocType.GUIDELINE
    if names & _SYSTEMATIC_TYPES:
        return DocType.SYSTEMATIC_REVIEW
    if names & _RCT_TYPES:
        return DocType.RCT
    return DocType.RESEARCH


def _text(elem: ET.Element | None) -> str:
    return squash(text_of(elem))


def _texts(elems: list[ET.Element]) -> list[str]:
    out: list[str] = []
    for elem in elems:
        text = _text(elem)
        if text and text not in out:
            out.append(text)
    return out


def _heading(label: str | None) -> str | None:
    label = squash(label or "").rstrip(":")
    if not label:
        return None
    # "METHODS AND FINDINGS" -> "Methods and findings"; mixed-case labels are kept.
    return label.capitalize() if label.isupper() else label


def abstract_sections(abstract: ET.Element | None) -> list[Section]:
    """One section per labelled ``<AbstractText>``; unlabelled runs become paragraphs of one."""
    if abstract is None:
        return []
    sections: list[Section] = []
    loose: list[str] = []  # consecutive unlabelled paragraphs

    def flush() -> None:
        if loose:
            sections.append(Section(heading=None, text="\n\n".join(loose)))
            loose.clear()

    for part in abstract.findall("AbstractText"):
        text = _text(part)
        if not text:
            continue
        heading = _heading(part.get("Label"))
        if heading is None:
            loose.append(text)
            continue
        flush()
        category = part.get("NlmCategory")
        meta = {"nlm_category": category} if category else {}
        sections.append(Section(heading=heading, text=text, meta=meta))
    flush()
    return sections


def _title(elem: ET.Element | None) -> str:
    title = _text(elem)
    # MEDLINE brackets English translations of non-English titles: "[Title in English]."
    m = _BRACKETED_RE.fullmatch(title)
    return m.group(1) + m.group(2) if m else title


def _year_of(date: ET.Element | None) -> int | None:
    if date is None:
        return None
    m = _YEAR_RE.search(_text(date.find("Year")) or _text(date.find("MedlineDate")))
    return int(m.group(1)) if m else None


def _language(codes: list[str]) -> list[str]:
    return [_LANGUAGE_CODES.get(c.lower(), c.lower()) for c in codes if c]


def _authors(author_list: ET.Element | None) -> list[str]:
    if author_list is None:
        return []
    out: list[str] = []
    for author in author_list.findall("Author"):
        collective = _text(author.find("CollectiveName"))
        last = _text(author.find("LastName"))
        initials = _text(author.find("Initials"))
        name = collective or " ".join(p for p in (last, initials) if p)
        if name:
            out.append(name)
    return out


def _article_ids(id_list: ET.Element | None) -> dict[str, str]:
    if id_list is None:
        return {}
    return {
        (i.get("IdType") or "").lower(): _text(i)
        for i in id_list.findall("ArticleId")
        if i.get("IdType") and _text(i)
    }


class PubMedXMLLoader:
    format: ClassVar[str] = "pubmed"
    description: ClassVar[str] = "PubMed/MEDLINE citation XML (baseline, updates, efetch output)"
    extensions: ClassVar[tuple[str, ...]] = (".xml",)  # and .xml.gz (medcite.ingest.formats)
    limit_file_size: ClassVar[bool] = False

    def sniff(self, path: Path, head: str) -> bool:
        return root_tag(head) in (*_SET_ROOTS, "PubmedArticle", "PubmedBookArticle")

    def load(self, path: Path, options: LoadOptions) -> Iterator[LoadItem]:
        with xml_errors(), open_binary(path) as fh:  # baseline files come gzipped
            yield from self._stream(path, fh, options)

    def _stream(self, path: Path, fh: BinaryIO, options: LoadOptions) -> Iterator[LoadItem]:
        depth = 0
        root: ET.Element | None = None
        count = 0
        try:
            for event, elem in SafeET.iterparse(fh, events=("start", "end")):
                if event == "start":
                    if root is None:
                        root = elem
                        _check_root(fh, elem.tag)
                    depth += 1
                    continue
                depth -= 1  # now the depth of elem; the root is at 0
                if elem.tag not in _RECORD_TAGS or root is None:
                    continue
                # Records sit right under a set root, or are the root of a one-record file
                # (a <MedlineCitation> inside a <PubmedArticle> is not a record of its own).
                if not (depth == 0 or (depth == 1 and root.tag in _SET_ROOTS)):
                    continue
                count += 1
                yield self._record(path, elem, count, options)
                if depth == 1:
                    root.clear()  # free what has been read: baseline files are large
        except ET.ParseError as exc:
            raise MalformedInputError(f"malformed XML after {count} records: {exc}") from exc

    def _record(self, path: Path, elem: ET.Element, n: int, options: LoadOptions) -> LoadItem:
        try:
            if elem.tag == "PubmedBookArticle":
                return _book_article(path, elem, n, options)
            return _journal_article(path, elem, n, options)
        except ValueError as exc:  # pydantic validation errors included
            return RecordError(f"{path.name}#record {n}", str(exc))


def _check_root(fh: BinaryIO, tag: str) -> None:
    if tag not in (*_SET_ROOTS, *_RECORD_TAGS):
        raise MalformedInputError(f"expected <PubmedArticleSet> root, found <{tag}>")
    # An interrupted download leaves no closing root tag; refuse before yielding anything.
    pos = fh.tell()
    size = fh.seek(0, 2)
    fh.seek(max(0, size - 1024))
    tail = fh.read().rstrip()
    fh.seek(pos)
    if not tail.endswith(f"</{tag}>".encode()):
        raise MalformedInputError(f"truncated XML: the file does not end with </{tag}>")


def _journal_article(path: Path, elem: ET.Element, n: int, options: LoadOptions) -> LoadItem:
    citation = elem if elem.tag == "MedlineCitation" else elem.find("MedlineCitation")
    if citation is None:
        return RecordError(f"{path.name}#record {n}", "no MedlineCitation")
    pmid = _text(citation.find("PMID"))
    where = f"{path.name}#{pmid or f'record {n}'}"
    article = citation.find("Article")
    if not pmid or article is None:
        return RecordError(where, "no PMID" if not pmid else "no Article")
    title = _title(article.find("ArticleTitle")) or _text(article.find("VernacularTitle"))
    if not title:
        return RecordError(where, "no title")
    abstract = article.find("Abstract")
    sections = abstract_sections(abstract)
    if not sections:
        return RecordError(where, "no abstract")

    journal = article.find("Journal")
    issue = journal.find("JournalIssue") if journal is not None else None
    year = _year_of(issue.find("PubDate") if issue is not None else None)
    if year is None:
        year = _year_of(article.find("ArticleDate"))
    pub_types = _texts(article.findall("PublicationTypeList/PublicationType"))

    pubmed_data = elem.find("PubmedData")
    # Only the record's own id list: <ReferenceList> entries carry id lists of cited papers.
    ids = _article_ids(pubmed_data.find("ArticleIdList") if pubmed_data is not None else None)
    doi = ids.get("doi") or next(
        (_text(e) for e in article.findall("ELocationID") if e.get("EIdType") == "doi"), ""
    )
    headings = citation.findall("MeshHeadingList/MeshHeading/DescriptorName")
    copyright_ = _text(abstract.find("CopyrightInformation")) if abstract is not None else ""
    languages = _language(_texts(article.findall("Language")))
    meta: dict[str, Any] = {
        "pmid": pmid,
        "doi": doi or None,
        "pmcid": ids.get("pmc") or None,
        "publication_types": pub_types,
        "keywords": _texts(citation.findall("KeywordList/Keyword")),
        "mesh_ids": [h.get("UI") for h in headings if h.get("UI")],
        "mesh_major": [_text(h) for h in headings if h.get("MajorTopicYN") == "Y"],
        "authors": _authors(article.find("AuthorList")),
        "journal_abbrev": _text(journal.find("ISOAbbreviation")) if journal is not None else "",
        "volume": _text(issue.find("Volume")) if issue is not None else "",
        "issue": _text(issue.find("Issue")) if issue is not None else "",
        "pages": _text(article.find("Pagination/MedlinePgn")),
        "article_languages": languages,
    }
    return Document(
        source="pubmed",
        source_id=pmid,
        title=title,
        doc_type=options.doc_type or doc_type_from_publication_types(pub_types),
        url=PUBMED_URL.format(pmid=pmid),
        year=year,
        organisation=options.organisation,
        journal=_text(journal.find("Title")) if journal is not None else None,
        licence=_licence(copyright_),
        # MEDLINE abstracts and bracketed titles are English whatever the article's language.
        language="en",
        mesh_terms=_texts(headings),
        meta=meta,
        sections=sections,
    )


def _book_article(path: Path, elem: ET.Element, n: int, options: LoadOptions) -> LoadItem:
    doc = elem.find("BookDocument")
    pmid = _text(doc.find("PMID")) if doc is not None else ""
    where = f"{path.name}#{pmid or f'record {n}'}"
    if doc is None or not pmid:
        return RecordError(where, "book article without BookDocument/PMID")
    book = doc.find("Book")
    book_title = _text(book.find("BookTitle")) if book is not None else ""
    title = _title(doc.find("ArticleTitle")) or book_title
    if not title:
        return RecordError(where, "no title")
    abstract = doc.find("Abstract")
    sections = abstract_sections(abstract)
    if not sections:
        return RecordError(where, "no abstract")
    pub_types = _texts(doc.findall("PublicationType"))
    ids = _article_ids(doc.find("ArticleIdList"))
    publisher = _text(book.find("Publisher/PublisherName")) if book is not None else ""
    copyright_ = _text(abstract.find("CopyrightInformation")) if abstract is not None else ""
    return Document(
        source="pubmed",
        source_id=pmid,
        title=title,
        doc_type=options.doc_type or doc_type_from_publication_types(pub_types),
        url=PUBMED_URL.format(pmid=pmid),
        year=_year_of(book.find("PubDate") if book is not None else None),
        organisation=publisher or options.organisation,
        licence=_licence(copyright_),
        language="en",
        meta={
            "pmid": pmid,
            "doi": ids.get("doi") or None,
            "book_title": book_title or None,
            "bookaccession": ids.get("bookaccession") or None,
            "publication_types": pub_types,
            "keywords": _texts(doc.findall("KeywordList/Keyword")),
            "authors": _authors(doc.find("AuthorList")),
            "article_languages": _language(_texts(doc.findall("Language"))),
        },
        sections=sections,
    )


def _licence(copyright_: str) -> str:
    return f"{PUBMED_LICENCE}. {copyright_}" if copyright_ else PUBMED_LICENCE

"""MedQuAD XML: one ``<Document>`` per topic with ``<QAPair>`` question/answer pairs.

Each answered pair becomes a section (heading = the question) and so at least
one passage; the focus, its synonyms, UMLS CUIs, the qtype of each answer, the
publishing NIH site and the URL are kept. Pairs whose answer was removed for
copyright (three MedlinePlus subsets) are skipped; a file with none left
yields no document.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

from medcite.errors import MalformedInputError
from medcite.ingest.base import LoadItem, LoadOptions
from medcite.ingest.text import blocks_to_text, spaced_text_to_blocks, squash
from medcite.ingest.xmlutil import parse_xml, root_tag, text_of
from medcite.types import DocType, Document, Section

MEDQUAD_LICENCE = (
    "MedQuAD (Ben Abacha & Demner-Fushman, BMC Bioinformatics 2019), CC BY 4.0; "
    "text from the named NIH website"
)

# source attribute -> (publishing organisation, document type). See docs/doc-types.md.
MEDQUAD_SOURCES: dict[str, tuple[str, DocType]] = {
    "CancerGov": ("National Cancer Institute (cancer.gov)", DocType.CONSUMER),
    "GARD": ("Genetic and Rare Diseases Information Center (GARD)", DocType.REFERENCE),
    "GHR": ("Genetics Home Reference, U.S. National Library of Medicine", DocType.REFERENCE),
    "MPlusHealthTopics": ("MedlinePlus, U.S. National Library of Medicine", DocType.CONSUMER),
    "NIDDK": ("National Institute of Diabetes and Digestive and Kidney Diseases", DocType.CONSUMER),
    "NINDS": ("National Institute of Neurological Disorders and Stroke", DocType.CONSUMER),
    "NIHSeniorHealth": ("NIHSeniorHealth, National Institutes of Health", DocType.CONSUMER),
    "NHLBI": ("National Heart, Lung, and Blood Institute", DocType.CONSUMER),
    "CDC": ("Centers for Disease Control and Prevention", DocType.CONSUMER),
    # Subsets whose answers MedQuAD removed; kept so their (rare) answered files still load.
    "ADAM": ("A.D.A.M. Medical Encyclopedia via MedlinePlus", DocType.REFERENCE),
    "MPlusDrugs": ("MedlinePlus Drug Information", DocType.CONSUMER),
    "MPlusHerbsSupplements": ("MedlinePlus Herbs and Supplements", DocType.CONSUMER),
}

_SPACE_QMARK_RE = re.compile(r"\s+([?.!,])")
_REPEAT_QMARK_RE = re.compile(r"\?{2,}")


def clean_question(question: str) -> str:
    """'what causes Muscle Cramps ?' -> 'What causes Muscle Cramps?'"""
    q = _REPEAT_QMARK_RE.sub("?", _SPACE_QMARK_RE.sub(r"\1", squash(question)))
    return q[:1].upper() + q[1:]


_LEGACY_TAGS = {
    "doctitle-focus": "Focus",
    "qaPairs": "QAPairs",
    "pair": "QAPair",
    "question": "Question",
    "answer": "Answer",
    "cui": "CUI",
    "semanticType": "SemanticType",
}


def _from_legacy_schema(root: ET.Element) -> ET.Element:
    """``<doc docid corpus url><doctitle-focus>..<qaPairs><pair><question>..`` -> current schema."""
    new = ET.Element(
        "Document",
        {
            "id": root.get("docid") or "",
            "source": root.get("corpus") or "",
            "url": root.get("url") or "",
        },
    )
    for elem in root.iter():
        if elem is root:
            continue
        elem.tag = _LEGACY_TAGS.get(elem.tag, elem.tag)
    new.extend(list(root))
    return new


class MedQuADLoader:
    format: ClassVar[str] = "medquad"
    description: ClassVar[str] = "MedQuAD consumer health QA XML (one <Document> per topic)"
    extensions: ClassVar[tuple[str, ...]] = (".xml",)
    limit_file_size: ClassVar[bool] = True

    def sniff(self, path: Path, head: str) -> bool:
        tag = root_tag(head)
        return (
            tag in ("Document", "DiseaseFile") and ("<QAPairs" in head or "<Focus" in head)
        ) or (tag == "doc" and "<qaPairs" in head)

    def load(self, path: Path, options: LoadOptions) -> Iterator[LoadItem]:
        root = parse_xml(path)
        if root.tag == "doc":
            # A few NINDS files use MedQuAD's older lower-case schema; map it to the current one.
            root = _from_legacy_schema(root)
        elif root.tag == "DiseaseFile":
            # One CDC file uses this root with an fid attribute and the current children.
            root.tag = "Document"
            root.set("id", root.get("fid") or "")
        if root.tag != "Document":
            raise MalformedInputError(f"expected <Document> root, found <{root.tag}>")
        doc_id = root.get("id")
        site = root.get("source") or ""
        if not doc_id:
            raise MalformedInputError("<Document> has no id attribute")
        focus = squash(text_of(root.find("Focus")))
        organisation, doc_type = MEDQUAD_SOURCES.get(site, (site or "NIH", DocType.CONSUMER))

        sections: list[Section] = []
        qtypes: list[str] = []
        for pair in root.iter("QAPair"):
            q = pair.find("Question")
            a = pair.find("Answer")
            answer = text_of(a).strip()
            if q is None or not answer:
                continue
            qtype = (q.get("qtype") or "").strip()
            text = blocks_to_text(spaced_text_to_blocks(answer))
            if not text:
                continue
            sections.append(
                Section(
                    heading=clean_question(text_of(q)) or None,
                    text=text,
                    meta={"qtype": qtype, "qid": q.get("qid") or ""},
                )
            )
            if qtype and qtype not in qtypes:
                qtypes.append(qtype)
        if not sections:
            return

        annotations = root.find("FocusAnnotations")
        synonyms = [squash(text_of(s)) for s in root.iter("Synonym") if squash(text_of(s))]
        cuis = [squash(text_of(c)) for c in root.iter("CUI") if squash(text_of(c))]
        category = squash(text_of(annotations.find("Category"))) if annotations is not None else ""
        semantic_types = [squash(text_of(t)) for t in root.iter("SemanticType")]
        yield Document(
            source="medquad",
            # The file name, not the id attribute: a few CancerGov files share one id.
            source_id=f"{site or 'unknown'}/{path.stem}",
            title=focus or (sections[0].heading or doc_id),
            doc_type=options.doc_type or doc_type,
            url=root.get("url") or None,
            organisation=organisation,
            licence=MEDQUAD_LICENCE,
            focus=focus or None,
            synonyms=synonyms,
            cuis=cuis,
            meta={
                "site": site,
                "medquad_id": doc_id,
                "qtypes": qtypes,
                "category": category or None,
                "semantic_types": semantic_types,
            },
            sections=sections,
        )

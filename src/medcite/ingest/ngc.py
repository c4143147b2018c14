"""AHRQ National Guideline Clearinghouse (NGC) guideline summary XML.

Layout: ``<Version><Section Name=..><Field Name=.. Type=..><FieldValue Value="escaped HTML"/>``.
Metadata comes from the title, bibliographic source (journal, year, PubMed id),
developer, release date, category and specialty fields; the clinically useful
free-text fields (major recommendations first, then scope, evidence, benefits
and harms) become sections with their field name as heading. Methodology,
disclosure and availability boilerplate is left out.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

from medcite.errors import MalformedInputError, NotADocumentError
from medcite.ingest.base import LoadItem, LoadOptions
from medcite.ingest.text import html_to_text, squash
from medcite.ingest.xmlutil import parse_xml, root_tag
from medcite.types import DocType, Document, Section

NGC_LICENCE = (
    "AHRQ National Guideline Clearinghouse summary (archived 2018); the guideline is "
    "copyrighted by its developer. Development and evaluation use only."
)

# Free-text fields kept as sections, in reading order.
CONTENT_FIELDS: tuple[str, ...] = (
    "Major Recommendations",
    "Clinical Algorithm(s)",
    "Disease/Condition(s)",
    "Guideline Objective(s)",
    "Target Population",
    "Interventions and Practices Considered",
    "Major Outcomes Considered",
    "Type of Evidence Supporting the Recommendations",
    "Potential Benefits",
    "Potential Harms",
    "Contraindications",
    "Qualifying Statements",
    "Rating Scheme for the Strength of the Evidence",
    "Rating Scheme for the Strength of the Recommendations",
)
# Values that say nothing; a field holding only one of these is dropped.
_EMPTY_VALUES = {"none provided", "not stated", "not applicable", "none", "not provided"}

_PMID_RE = re.compile(r"list_uids=(\d+)|pubmed/(\d+)", re.IGNORECASE)
_YEAR_RE = re.compile(r"\b(19[5-9]\d|20[0-4]\d)\b")
_JOURNAL_RE = re.compile(r"\.\s+([A-Z][^.\[\]]{1,100}?)\.\s+(?:19|20)\d\d\b")
_ORG_KIND_RE = re.compile(
    r"\s+-\s+(Medical Specialty Society|Federal Government Agency.*|Professional Association|"
    r"Private Nonprofit Organization|Nonprofit Organization|Disease Specific Society|"
    r"Foreign Government Agency.*|State/Local Government Agency.*|Academic Institution|"
    r"Hospital/Medical Center|Managed Care Organization|Private For-Profit Organization|"
    r"International Agency|Independent Expert Panel|Other)$"
)


def _fields(root: ET.Element) -> dict[str, list[str]]:
    """Field name -> raw values (first occurrence of a name wins; NGC repeats a few)."""
    out: dict[str, list[str]] = {}
    for field in root.iter("Field"):
        name = (field.get("Name") or "").strip()
        if not name or name in out:
            continue
        out[name] = [v.get("Value") or "" for v in field.findall("FieldValue")]
    return out


def _plain(values: list[str]) -> str:
    return squash(" ".join(html_to_text(v) for v in values))


def _organisations(values: list[str]) -> list[str]:
    return [_ORG_KIND_RE.sub("", squash(html_to_text(v))) for v in values if v.strip()]


class NGCLoader:
    format: ClassVar[str] = "ngc"
    description: ClassVar[str] = "AHRQ National Guideline Clearinghouse summary XML"
    extensions: ClassVar[tuple[str, ...]] = (".xml",)
    limit_file_size: ClassVar[bool] = True

    def sniff(self, path: Path, head: str) -> bool:
        return root_tag(head) == "Version" and "<Field" in head

    def load(self, path: Path, options: LoadOptions) -> Iterator[LoadItem]:
        root = parse_xml(path)
        if root.tag != "Version":
            raise MalformedInputError(f"expected <Version> root, found <{root.tag}>")
        fields = _fields(root)
        title = _plain(fields.get("Guideline Title", []))
        if not title:
            # Upstream archives hold many stub pages; only complete summaries have a title.
            raise NotADocumentError("not a complete guideline summary (no Guideline Title)")

        citation_raw = " ".join(fields.get("Bibliographic Source(s)", []))
        citation = _plain(fields.get("Bibliographic Source(s)", []))
        citation = re.sub(r"\s*PubMed\s*$", "", citation)
        pmid_match = _PMID_RE.search(citation_raw)
        pmid = next((g for g in pmid_match.groups() if g), None) if pmid_match else None
        journal_match = _JOURNAL_RE.search(citation)

        released = _plain(fields.get("Date Released", []))
        year_match = _YEAR_RE.search(released) or _YEAR_RE.search(citation)
        developers = _organisations(fields.get("Guideline Developer(s)", []))

        sections: list[Section] = []
        for name in CONTENT_FIELDS:
            values = fields.get(name)
            if not values:
                continue
            text = "\n\n".join(t for t in (html_to_text(v) for v in values) if t)
            if not text or text.strip(" .").lower() in _EMPTY_VALUES:
                continue
            sections.append(Section(heading=name, text=text, meta={"field": name}))
        if not sections:
            raise MalformedInputError("guideline summary has no recommendation or scope text")

        conditions = _plain(fields.get("Disease/Condition(s)", []))
        copyright_text = _plain(fields.get("Copyright Statement", []))
        yield Document(
            source="ngc",
            source_id=path.stem,
            title=title,
            doc_type=options.doc_type or DocType.GUIDELINE,
            url=f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/" if pmid else None,
            year=int(year_match.group(1)) if year_match else None,
            organisation="; ".join(developers) or None,
            journal=journal_match.group(1).strip() if journal_match else None,
            licence=f"{NGC_LICENCE} {copyright_text}".strip(),
            focus=conditions[:300] or None,
            meta={
                "pmid": pmid,
                "citation": citation or None,
                "date_released": released or None,
                "categories": [squash(v) for v in fields.get("Guideline Category", [])],
                "specialties": [squash(v) for v in fields.get("Clinical Specialty", [])],
                "intended_users": [squash(v) for v in fields.get("Intended Users", [])],
                "endorsers": _organisations(fields.get("Guideline Endorser(s)", [])),
                "status": _plain(fields.get("Guideline Status", [])) or None,
                "archived_from": "guideline.gov (AHRQ NGC, shut down 2018-07-16)",
            },
            sections=sections,
        )

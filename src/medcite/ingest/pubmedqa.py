"""PubMedQA ``ori_pqal.json``: PMID -> question, labelled abstract contexts, MeSH, year.

PubMedQA questions are the article titles (most in question form), so the
question is the title. Each labelled context is a section; ``LONG_ANSWER`` is
the abstract's conclusion and becomes a final "Conclusions" section. The
study design is not given, so the document type comes from a documented text
rule over the title and the methods/objective parts (see :func:`infer_study_type`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from medcite.errors import MalformedInputError
from medcite.ingest.base import LoadItem, LoadOptions, RecordError
from medcite.ingest.text import normalise_block_text, squash
from medcite.types import DocType, Document, Section

PUBMEDQA_LICENCE = "PubMedQA (Jin et al., EMNLP 2019), MIT licence; abstract text from PubMed"

_REVIEW_RE = re.compile(r"\b(systematic(ally)? review|meta-?analys[ie]s)\b", re.IGNORECASE)
_RCT_RE = re.compile(
    r"\b(randomi[sz]ed[\w\s,-]{0,40}?\b(trial|study)|randomly (assigned|allocated))\b",
    re.IGNORECASE,
)
# Abstract parts that describe the study itself (background sections often cite other studies).
_DESIGN_LABELS = {
    "OBJECTIVE",
    "OBJECTIVES",
    "PURPOSE",
    "AIM",
    "AIMS",
    "METHODS",
    "METHOD",
    "DESIGN",
    "STUDY DESIGN",
    "MATERIALS AND METHODS",
    "PATIENTS AND METHODS",
    "DATA SOURCES",
    "SETTING",
    "PARTICIPANTS",
    "INTERVENTIONS",
    "STUDY SELECTION",
    "DATA EXTRACTION",
}


def infer_study_type(title: str, labelled: list[tuple[str, str]]) -> DocType:
    """Systematic review / RCT / research from the title and the design-describing parts.

    A systematic review or meta-analysis named in the title or methods wins; then
    a randomised trial; everything else is other primary research.
    """
    design_text = " ".join(text for label, text in labelled if label.upper() in _DESIGN_LABELS)
    probe = f"{title} {design_text}"
    if _REVIEW_RE.search(probe):
        return DocType.SYSTEMATIC_REVIEW
    if _RCT_RE.search(probe):
        return DocType.RCT
    return DocType.RESEARCH


def _label_heading(label: str) -> str:
    return label.strip().capitalize() if label.strip() else "Abstract"


class PubMedQALoader:
    format: ClassVar[str] = "pubmedqa"
    description: ClassVar[str] = "PubMedQA JSON (PMID -> QUESTION, CONTEXTS, LABELS, MESHES, YEAR)"
    extensions: ClassVar[tuple[str, ...]] = (".json",)
    limit_file_size: ClassVar[bool] = False

    def sniff(self, path: Path, head: str) -> bool:
        return head.lstrip().startswith("{") and '"QUESTION"' in head and '"CONTEXTS"' in head

    def load(self, path: Path, options: LoadOptions) -> Iterator[LoadItem]:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise MalformedInputError(f"malformed JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise MalformedInputError("expected a JSON object mapping PMID to record")
        for pmid, record in data.items():
            try:
                yield self._document(str(pmid), record, options)
            except (KeyError, TypeError, ValueError) as exc:
                yield RecordError(f"{path.name}#{pmid}", f"bad PubMedQA record: {exc!r}")

    def _document(self, pmid: str, record: Any, options: LoadOptions) -> Document:
        if not isinstance(record, dict):
            raise TypeError("record is not an object")
        title = squash(str(record["QUESTION"]))
        contexts = record["CONTEXTS"]
        labels = record.get("LABELS") or []
        if not title or not isinstance(contexts, list) or not contexts:
            raise ValueError("missing QUESTION or CONTEXTS")
        labelled = [
            (str(labels[i]) if i < len(labels) else "", normalise_block_text(str(c)))
            for i, c in enumerate(contexts)
        ]
        sections = [
            Section(heading=_label_heading(label), text=text, meta={"label": label})
            for label, text in labelled
            if text
        ]
        conclusion = normalise_block_text(str(record.get("LONG_ANSWER") or ""))
        if conclusion:
            sections.append(
                Section(heading="Conclusions", text=conclusion, meta={"label": "CONCLUSIONS"})
            )
        year_raw = str(record.get("YEAR") or "")
        year = int(year_raw[:4]) if year_raw[:4].isdigit() else None
        doc_type = options.doc_type or infer_study_type(title, labelled)
        return Document(
            source="pubmedqa",
            source_id=pmid,
            title=title,
            doc_type=doc_type,
            url=f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/",
            year=year,
            licence=PUBMEDQA_LICENCE,
            mesh_terms=[squash(str(m)) for m in record.get("MESHES") or []],
            meta={
                "pmid": pmid,
                "final_decision": record.get("final_decision"),
                "doc_type_rule": None if options.doc_type else "text heuristic (title + methods)",
            },
            sections=sections,
        )

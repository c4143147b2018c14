"""MedlinePlus health topics bulk XML (``mplus_topics_YYYY-MM-DD.xml``).

NLM publishes every English and Spanish health topic in one file (listed at
https://medlineplus.gov/xml.html): a ``<health-topics>`` root holding one
``<health-topic>`` per topic. The topic's text is ``<full-summary>``, an HTML
fragment escaped as XML text; its ``<h3>`` (etc.) headings become section
headings. Names, MeSH descriptors, groups and the primary NIH institute are
kept as metadata. A topic whose summary is empty is reported as a record error.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from medcite.errors import MalformedInputError
from medcite.ingest.base import LoadItem, LoadOptions, RecordError
from medcite.ingest.text import Block, blocks_to_text, html_blocks, squash
from medcite.ingest.xmlutil import parse_xml, root_tag, text_of
from medcite.types import DocType, Document, Section

MEDLINEPLUS_ORGANISATION = "MedlinePlus, U.S. National Library of Medicine"
MEDLINEPLUS_LICENCE = (
    "Information from MedlinePlus.gov, U.S. National Library of Medicine (health topic summary)"
)

# The DTD allows exactly these two values for the language attribute.
_LANGUAGES = {"english": "en", "spanish": "es"}
_YEAR_RE = re.compile(r"\b(\d{4})\b")


def summary_sections(markup: str) -> list[Section]:
    """Cut a full-summary HTML fragment into sections at its headings.

    Text before the first heading gets heading None; a heading with no text
    under it is dropped (it would make an empty section).
    """
    _, blocks = html_blocks(markup)
    sections: list[Section] = []
    heading: str | None = None
    run: list[Block] = []

    def close() -> None:
        text = blocks_to_text(run)
        if text:
            sections.append(Section(heading=heading, text=text))

    for block in blocks:
        if block.is_heading:
            close()
            heading, run = block.text, []
        else:
            run.append(block)
    close()
    return sections


def _texts(elems: list[ET.Element]) -> list[str]:
    out: list[str] = []
    for elem in elems:
        text = squash(text_of(elem))
        if text and text not in out:
            out.append(text)
    return out


def _year(date_created: str | None) -> int | None:
    # date-created is MM/DD/YYYY
    m = _YEAR_RE.search(date_created or "")
    return int(m.group(1)) if m else None


class MedlinePlusLoader:
    format: ClassVar[str] = "medlineplus"
    description: ClassVar[str] = "MedlinePlus health topics XML (mplus_topics_*.xml)"
    extensions: ClassVar[tuple[str, ...]] = (".xml",)
    limit_file_size: ClassVar[bool] = False

    def sniff(self, path: Path, head: str) -> bool:
        return root_tag(head) in ("health-topics", "health-topic")

    def load(self, path: Path, options: LoadOptions) -> Iterator[LoadItem]:
        root = parse_xml(path)
        if root.tag == "health-topics":
            topics = root.findall("health-topic")
        elif root.tag == "health-topic":
            topics = [root]
        else:
            raise MalformedInputError(f"expected <health-topics> root, found <{root.tag}>")
        for n, topic in enumerate(topics, 1):
            where = f"{path.name}#{topic.get('id') or f'topic {n}'}"
            try:
                yield self._topic(topic, where, options)
            except ValueError as exc:  # pydantic validation errors included
                yield RecordError(where, str(exc))

    def _topic(self, topic: ET.Element, where: str, options: LoadOptions) -> LoadItem:
        topic_id = (topic.get("id") or "").strip()
        title = squash(topic.get("title") or "")
        if not topic_id:
            return RecordError(where, "health-topic has no id")
        if not title:
            return RecordError(where, "health-topic has no title")
        sections = summary_sections(text_of(topic.find("full-summary")))
        if not sections:
            return RecordError(where, "empty full-summary")

        language_attr = (topic.get("language") or "English").strip()
        also_called = _texts(topic.findall("also-called"))
        # See-references are other names that lead readers to this topic: synonyms too.
        see_refs = _texts(topic.findall("see-reference"))
        synonyms = [s for s in [*also_called, *see_refs] if s.casefold() != title.casefold()]
        synonyms = list(dict.fromkeys(synonyms))

        descriptors = [h.find("descriptor") for h in topic.findall("mesh-heading")]
        mesh_terms = _texts([d for d in descriptors if d is not None])
        mesh_ids = [d.get("id") or "" for d in descriptors if d is not None and d.get("id")]

        meta: dict[str, Any] = {
            "medlineplus_id": topic_id,
            "meta_desc": squash(topic.get("meta-desc") or "") or None,
            "groups": _texts(topic.findall("group")),
            "mesh_ids": mesh_ids,
            "also_called": also_called,
            "see_references": see_refs,
            "related_topics": _texts(topic.findall("related-topic")),
        }
        institute = topic.find("primary-institute")
        if institute is not None and squash(text_of(institute)):
            meta["primary_institute"] = {
                "name": squash(text_of(institute)),
                "url": institute.get("url") or None,
            }
        mapped = topic.find("language-mapped-topic")
        if mapped is not None and mapped.get("id"):
            # The same topic in the other language: lets the UI offer a translation.
            meta["language_mapped_topic"] = {
                "id": mapped.get("id"),
                "title": squash(text_of(mapped)) or None,
                "url": mapped.get("url") or None,
                "language": mapped.get("language") or None,
            }
        return Document(
            source="medlineplus",
            source_id=topic_id,
            title=title,
            doc_type=options.doc_type or DocType.CONSUMER,
            url=(topic.get("url") or "").strip() or None,
            year=_year(topic.get("date-created")),
            organisation=MEDLINEPLUS_ORGANISATION,
            licence=MEDLINEPLUS_LICENCE,
            language=_LANGUAGES.get(language_attr.lower(), language_attr.lower()),
            focus=title,
            synonyms=synonyms,
            mesh_terms=mesh_terms,
            meta=meta,
            sections=sections,
        )

"""Markdown files: one document per file, ATX headings start sections.

Markdown syntax that would pollute quoted sentences (emphasis, code spans, links, images, HTML
comments, code fences) is stripped; list items become ``- `` lines.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

from medcite.errors import MalformedInputError
from medcite.ingest.base import LoadItem, LoadOptions
from medcite.ingest.generic import (
    file_document,
    humanise_stem,
    parse_doc_type,
    read_text_file,
    sections_from_blocks,
    year_from,
)
from medcite.ingest.text import Block, squash

_FRONT_KEY_RE = re.compile(r"^([A-Za-z_][\w-]*)\s*:\s*(.*?)\s*$")
_FENCE_RE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_ATX_RE = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT_RE = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_THEMATIC_RE = re.compile(r"^ {0,3}(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,})$")
_MD_ITEM_RE = re.compile(r"^\s*(?:[-*+]|\d{1,9}[.)])[ \t]+(?:\[[ xX]\][ \t]+)?(?=\S)")
_REF_DEF_RE = re.compile(r"^ {0,3}\[[^\]]+\]:\s*\S")
_TABLE_RULE_RE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$")
_QUOTE_RE = re.compile(r"^\s*(?:>\s?)+")
_COMMENT_RE = re.compile(r"<!--.*?(?:-->|\Z)", re.S)

_CODE_SPAN_RE = re.compile(r"(`+)(.+?)\1", re.S)
_ESCAPED_RE = re.compile(r"\\([!-/:-@\[-`{-~])")
_PLACEHOLDER_RE = re.compile("\ue000(\\d+)\ue001")
_IMAGE_RE = re.compile(r"!\[[^\]]*\](?:\((?:[^()]|\([^()]*\))*\)|\[[^\]]*\])?")
_LINK_RE = re.compile(r"\[([^\]]+)\]\((?:[^()]|\([^()]*\))*\)")
_REF_LINK_RE = re.compile(r"\[([^\]]+)\]\[[^\]]*\]")
_FOOTNOTE_RE = re.compile(r"\[\^[^\]]+\]")
_AUTOLINK_RE = re.compile(r"<((?:https?|ftp|mailto):[^>\s]+)>")
_TAG_RE = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>")
_EMPHASIS_RES = (
    re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1"),
    re.compile(r"(\*)(?=\S)(.+?)(?<=\S)\*"),
    re.compile(r"(?<!\w)(_)(?=\S)(.+?)(?<=\S)_(?!\w)"),
    re.compile(r"(~~)(?=\S)(.+?)(?<=\S)~~"),
)


def clean_inline_markdown(text: str) -> str:
    """Markdown inline syntax to plain text: keep link text and code, drop markers and images."""
    kept: list[str] = []

    def hold(value: str) -> str:
        kept.append(value)
        return f"\ue000{len(kept) - 1}\ue001"

    text = text.replace("\ue000", "").replace("\ue001", "")
    # Code spans and escaped characters are literal: hide them from the other rules.
    text = _CODE_SPAN_RE.sub(lambda m: hold(m.group(2).strip()), text)
    text = _ESCAPED_RE.sub(lambda m: hold(m.group(1)), text)
    text = _IMAGE_RE.sub("", text)
    text = _LINK_RE.sub(r"\1", text)
    text = _REF_LINK_RE.sub(r"\1", text)
    text = _FOOTNOTE_RE.sub("", text)
    text = _AUTOLINK_RE.sub(r"\1", text)
    text = _TAG_RE.sub("", text)
    for rx in _EMPHASIS_RES:
        text = rx.sub(r"\2", text)
    text = _PLACEHOLDER_RE.sub(lambda m: kept[int(m.group(1))], text)
    return squash(html.unescape(text))


def _front_matter(text: str) -> tuple[dict[str, str], str]:
    """Simple ``key: value`` YAML front-matter (no YAML dependency) and the rest of the text."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return {}, text
    for end in range(1, len(lines)):
        if lines[end].strip() in ("---", "..."):
            fields: dict[str, str] = {}
            for ln in lines[1:end]:
                m = _FRONT_KEY_RE.match(ln)
                if m and (value := m.group(2).strip("'\"").strip()):
                    fields[m.group(1).lower()] = value
            return fields, "\n".join(lines[end + 1 :])
    return {}, text  # no closing fence: a thematic break, not front-matter


def markdown_blocks(text: str) -> list[Block]:
    """Markdown body to blocks: ATX/setext headings, paragraphs, list items (code dropped)."""
    blocks: list[Block] = []
    para: list[str] = []
    item: list[str] | None = None
    fence: str | None = None

    def flush() -> None:
        nonlocal item
        if para and (text := clean_inline_markdown(" ".join(para))):
            blocks.append(Block(0, text))
        para.clear()
        if item is not None and (text := clean_inline_markdown(" ".join(item))):
            blocks.append(Block(-1, text))
        item = None

    for raw in _COMMENT_RE.sub("", text).split("\n"):
        if fence is not None:
            if raw.strip().startswith(fence) and not raw.strip().strip(fence[0]):
                fence = None
            continue
        if m := _FENCE_RE.match(raw):
            flush()
            fence = m.group(1)
            continue
        line = _QUOTE_RE.sub("", raw)
        stripped = line.strip()
        if not stripped:
            flush()
        elif m := _ATX_RE.match(line):
            flush()
            if heading := clean_inline_markdown(m.group(2) or ""):
                blocks.append(Block(len(m.group(1)), heading))
        elif (m := _SETEXT_RE.match(line)) and len(para) == 1 and item is None:
            heading = clean_inline_markdown(para[0])
            para.clear()
            if heading:
                blocks.append(Block(1 if m.group(1)[0] == "=" else 2, heading))
        elif _THEMATIC_RE.match(line) or _REF_DEF_RE.match(line) or _TABLE_RULE_RE.match(line):
            flush()
        elif m := _MD_ITEM_RE.match(line):
            flush()
            item = [line[m.end() :]]
        elif item is not None:
            item.append(stripped)  # continuation (indented or lazy) of the list item
        elif stripped.startswith("|"):
            flush()  # a table row: its own paragraph, cells separated by semicolons
            cells = [c.strip() for c in stripped.strip("|").split("|")]
            para.append("; ".join(c for c in cells if c))
            flush()
        else:
            para.append(stripped)
    flush()
    return blocks


class MarkdownLoader:
    """A Markdown file is one document; ATX headings (#, ##, ###) start its sections."""

    format: ClassVar[str] = "markdown"
    description: ClassVar[str] = "Markdown (.md), optional key: value front-matter"
    extensions: ClassVar[tuple[str, ...]] = (".md", ".markdown")

    def sniff(self, path: Path, head: str) -> bool:
        return path.suffix.lower() in self.extensions

    def load(self, path: Path, options: LoadOptions) -> Iterator[LoadItem]:
        front, body = _front_matter(read_text_file(path))
        blocks = markdown_blocks(body)
        title = next((b.text for b in blocks if b.level == 1), None)
        title = title or squash(front.get("title", "")) or humanise_stem(path)
        try:
            doc_type = parse_doc_type(front["doc_type"]) if front.get("doc_type") else None
        except ValueError as exc:
            raise MalformedInputError(f"front-matter: {exc}") from exc
        yield file_document(
            path,
            options,
            self.format,
            title,
            sections_from_blocks(blocks, title),
            doc_type=doc_type,
            source=front.get("source"),
            organisation=front.get("organisation") or front.get("organization"),
            licence=front.get("licence") or front.get("license"),
            url=front.get("url") or None,
            year=year_from(front.get("year") or front.get("date") or ""),
            language=front.get("language"),
        )

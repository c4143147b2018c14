"""Markdown files: one document per file, ATX headings start sections.

Markdown syntax that would pollute quoted sentences (emphasis, code spans, links, images, HTML
comments, code fences) is stripped; list items become ``- `` lines.
"""

from __future__ import annotations

import html
import itertools
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import ClassVar

from medcite.errors import MalformedInputError
from medcite.ingest.base import LoadItem, LoadOptions, SectionPart
from medcite.ingest.generic import file_metadata, humanise_stem, parse_doc_type, year_from
from medcite.ingest.text import Block, TextRenderer, squash
from medcite.ingest.textfile import MAX_LINE_CHARS, text_file_item, text_lines
from medcite.types import Document

_FRONT_KEY_RE = re.compile(r"^([A-Za-z_][\w-]*)\s*:\s*(.*?)\s*$")
_FENCE_RE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_ATX_RE = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT_RE = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_THEMATIC_RE = re.compile(r"^ {0,3}(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,})$")
_MD_ITEM_RE = re.compile(r"^\s*(?:[-*+]|\d{1,9}[.)])[ \t]+(?:\[[ xX]\][ \t]+)?(?=\S)")
_REF_DEF_RE = re.compile(r"^ {0,3}\[[^\]]+\]:\s*\S")
_TABLE_RULE_RE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$")
_QUOTE_RE = re.compile(r"^\s*(?:>\s?)+")
_MAX_FRONT_MATTER_LINES = 1000  # no closing fence by then: a thematic break, not front-matter

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


def _front_matter(lines: Iterator[str]) -> tuple[dict[str, str], Iterator[str]]:
    """Simple ``key: value`` YAML front-matter (no YAML dependency) and the lines after it."""
    first = next(lines, None)
    if first is None or first.strip() != "---":
        return {}, itertools.chain([first] if first is not None else [], lines)
    held: list[str] = []
    for line in lines:
        if line.strip() in ("---", "..."):
            fields: dict[str, str] = {}
            for ln in held:
                m = _FRONT_KEY_RE.match(ln)
                if m and (value := m.group(2).strip("'\"").strip()):
                    fields[m.group(1).lower()] = value
            return fields, lines
        held.append(line)
        if len(held) >= _MAX_FRONT_MATTER_LINES:
            break
    return {}, itertools.chain([first], held, lines)  # no closing fence: a thematic break


def _without_comments(lines: Iterable[str]) -> Iterator[str]:
    """Lines with HTML comments removed; a comment spanning lines joins the text around it
    into one line, and one never closed runs to the end of the file."""
    in_comment = False
    kept: list[str] = []  # text of the current line outside comments
    for line in lines:
        pos = 0
        while True:
            if in_comment:
                end = line.find("-->", pos)
                if end < 0:
                    break
                pos, in_comment = end + 3, False
            start = line.find("<!--", pos)
            if start < 0:
                kept.append(line[pos:])
                break
            kept.append(line[pos:start])
            pos, in_comment = start + 4, True
        if not in_comment:
            yield "".join(kept)
            kept.clear()
    if in_comment:
        yield "".join(kept)


def iter_markdown_blocks(lines: Iterable[str]) -> Iterator[Block]:
    """Markdown lines (comments removed) to blocks: ATX/setext headings, paragraphs, list items
    (code dropped). A paragraph or list item longer than MAX_LINE_CHARS is cut at a line end."""
    blocks: list[Block] = []
    para: list[str] = []
    item: list[str] | None = None
    fence: str | None = None
    size = 0  # characters in para or item

    def flush() -> None:
        nonlocal item, size
        if para and (text := clean_inline_markdown(" ".join(para))):
            blocks.append(Block(0, text))
        para.clear()
        if item is not None and (text := clean_inline_markdown(" ".join(item))):
            blocks.append(Block(-1, text))
        item, size = None, 0

    for raw in lines:
        yield from blocks
        blocks.clear()
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
        if size > MAX_LINE_CHARS:
            flush()
        size += len(stripped)
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
    yield from blocks


def markdown_blocks(text: str) -> list[Block]:
    """Markdown body to blocks (see :func:`iter_markdown_blocks`)."""
    return list(iter_markdown_blocks(_without_comments(text.split("\n"))))


class _Sections:
    """Blocks to section parts: h1-h3 start sections; the first h1 is the title and opens an
    untitled one; deeper headings stay in the text as paragraphs; empty sections are dropped."""

    def __init__(self) -> None:
        self.title: str | None = None

    def parts(self, blocks: Iterable[Block]) -> Iterator[SectionPart]:
        heading: str | None = None
        renderer = TextRenderer()
        opened = False
        for block in blocks:
            if 1 <= block.level <= 3:
                is_title = self.title is None and block.level == 1
                if is_title:
                    self.title = block.text
                heading = None if is_title else block.text
                renderer, opened = TextRenderer(), False
                continue
            if piece := renderer.render(Block(0, block.text) if block.level > 3 else block):
                yield SectionPart(piece, heading, first=not opened)
                opened = True


class MarkdownLoader:
    """A Markdown file is one document; ATX headings (#, ##, ###) start its sections.

    Read line by line (:mod:`medcite.ingest.textfile`): a large file is streamed.
    """

    format: ClassVar[str] = "markdown"
    description: ClassVar[str] = "Markdown (.md), optional key: value front-matter"
    extensions: ClassVar[tuple[str, ...]] = (".md", ".markdown")
    limit_file_size: ClassVar[bool] = True

    def sniff(self, path: Path, head: str) -> bool:
        return path.suffix.lower() in self.extensions

    def load(self, path: Path, options: LoadOptions) -> Iterator[LoadItem]:
        front, lines = _front_matter(text_lines(path))
        try:
            doc_type = parse_doc_type(front["doc_type"]) if front.get("doc_type") else None
        except ValueError as exc:
            raise MalformedInputError(f"front-matter: {exc}") from exc
        sections = _Sections()

        def finish() -> Document:
            title = sections.title or squash(front.get("title", "")) or humanise_stem(path)
            return file_metadata(
                path,
                options,
                self.format,
                title,
                doc_type=doc_type,
                source=front.get("source"),
                organisation=front.get("organisation") or front.get("organization"),
                licence=front.get("licence") or front.get("license"),
                url=front.get("url") or None,
                year=year_from(front.get("year") or front.get("date") or ""),
                language=front.get("language"),
            )

        parts = sections.parts(iter_markdown_blocks(_without_comments(lines)))
        source = front.get("source") or options.source
        yield text_file_item(path, source, options.source_id_for(path), parts, finish)

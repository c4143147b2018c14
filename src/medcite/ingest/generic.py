"""Generic formats for local collections: JSON Lines, Markdown, HTML and plain text.

These files carry little metadata, so :class:`LoadOptions` supplies defaults (source,
organisation, licence); metadata found in the file (JSONL fields, Markdown front-matter, HTML
``<meta>`` tags) wins over them, except ``options.doc_type``, which always wins. Every loader
emits the conventions of :mod:`medcite.ingest.text`: paragraphs separated by a blank line,
list items on their own line starting with ``- ``.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from collections.abc import Iterable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, BinaryIO, ClassVar

from pydantic import ValidationError

from medcite.errors import MalformedInputError
from medcite.ingest.base import LoadItem, LoadOptions, RecordError, SectionPart
from medcite.ingest.guards import format_limit
from medcite.ingest.text import (
    Block,
    TextRenderer,
    blocks_to_text,
    fix_text,
    html_blocks,
    normalise_block_text as normalise,
    squash,
)
from medcite.ingest.textfile import MAX_LINE_CHARS, text_file_item, text_lines
from medcite.types import DocType, Document, Section

MAX_TITLE_CHARS = 150  # a longer first line is prose, not a title
_SNIFF_BYTES = 8192
_YEAR_RE = re.compile(r"(?<!\d)([12]\d{3})(?!\d)")
_JSON_TYPES = {dict: "object", list: "array", bool: "boolean", int: "number", float: "number"}


def read_text_file(path: Path) -> str:
    """Decode a text file: UTF-8 (BOM optional), else cp1252 repaired by fix_text.

    NUL bytes mean a binary (or UTF-16) file: refused rather than decoded into garbage passages.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise MalformedInputError(f"cannot read file: {exc}") from exc
    if b"\x00" in data:
        raise MalformedInputError("binary file (NUL bytes); expected UTF-8 or cp1252 text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Legacy Windows exports; undefined bytes become U+FFFD rather than failing the file.
        text = data.decode("cp1252", errors="replace")
    # Form feeds are page breaks: keep them as paragraph breaks before fix_text drops them.
    return fix_text(text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n\n"))


def humanise_stem(path: Path) -> str:
    """'zorblax_syndrome-notes.md' -> 'Zorblax syndrome notes'."""
    words = re.sub(r"[\s_\-]+", " ", path.stem).strip()
    return words[:1].upper() + words[1:] if words else path.name


def year_from(value: str) -> int | None:
    """First 4-digit year standing alone in a date string ('2019-03-04', 'March 2019')."""
    m = _YEAR_RE.search(value)
    return int(m.group(1)) if m else None


def parse_doc_type(value: object) -> DocType:
    """A DocType from its value ('guideline', 'RCT'); ValueError listing the valid ones."""
    key = re.sub(r"[\s-]+", "_", value.strip().lower()) if isinstance(value, str) else ""
    if key in {t.value for t in DocType}:
        return DocType(key)
    valid = ", ".join(t.value for t in DocType)
    raise ValueError(f"invalid doc_type {value!r}; expected one of: {valid}")


def _clean_text(text: str) -> str:
    return normalise(fix_text(text.replace("\r\n", "\n").replace("\r", "\n")))


def _document(
    options: LoadOptions,
    fmt: str,
    *,
    doc_type: DocType | None = None,
    source: str | None = None,
    organisation: str | None = None,
    licence: str | None = None,
    language: str | None = None,
    meta: dict[str, Any] | None = None,
    **fields: Any,
) -> Document:
    """Generic defaults: the file's metadata beats options, except options.doc_type."""
    return Document(
        source=source or options.source,
        doc_type=options.doc_type or doc_type or DocType.REFERENCE,
        organisation=organisation or options.organisation,
        licence=licence or options.licence,
        language=language or "en",
        meta={**(meta or {}), "format": fmt},
        **fields,
    )


def file_document(
    path: Path,
    options: LoadOptions,
    fmt: str,
    title: str | None,
    sections: list[Section],
    **fields: Any,
) -> Document:
    """The one document of a Markdown, HTML or text file."""
    if not sections:
        raise MalformedInputError("no text")
    return file_metadata(path, options, fmt, title, sections=sections, **fields)


def file_metadata(
    path: Path, options: LoadOptions, fmt: str, title: str | None, **fields: Any
) -> Document:
    """The document of a one-document file, without sections unless given (a streamed file)."""
    try:
        return _document(
            options,
            fmt,
            source_id=options.source_id_for(path),
            title=title or humanise_stem(path),
            **fields,
        )
    except ValidationError as exc:
        raise MalformedInputError(f"invalid metadata: {exc}") from exc


def sections_from_blocks(blocks: list[Block], title: str | None) -> list[Section]:
    """Sections at h1-h3 (an h1 equal to the title opens an untitled one; empty ones dropped)."""
    sections: list[Section] = []
    heading: str | None = None
    body: list[Block] = []
    title_key = (title or "").casefold()
    title_seen = False

    def flush() -> None:
        if text := blocks_to_text(body):
            sections.append(Section(heading=heading, text=text))
        body.clear()

    for block in blocks:
        if not 1 <= block.level <= 3:
            body.append(Block(0, block.text) if block.level > 3 else block)
            continue
        flush()
        is_title = not title_seen and block.level == 1 and block.text.casefold() == title_key
        title_seen = title_seen or is_title
        heading = None if is_title else block.text
    flush()
    return sections


class _FieldError(ValueError):
    """A JSONL record breaks the documented schema; reported as a RecordError."""


def _opt_str(obj: dict[str, Any], key: str, label: str | None = None) -> str | None:
    value = obj.get(key)
    if value is None or isinstance(value, str):
        return value
    got = _JSON_TYPES.get(type(value), "string")  # a JSON value: always in the table here
    raise _FieldError(f"'{label or key}' must be a string, got {got}")


def _str_list(obj: dict[str, Any], key: str) -> list[str]:
    value = obj.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _FieldError(f"'{key}' must be an array of strings")
    return [s for s in (squash(fix_text(v)) for v in value) if s]


def _year_field(value: object) -> int | None:
    if value is None:
        return None
    year = value if type(value) is int else year_from(value) if isinstance(value, str) else None
    if isinstance(year, int) and 1000 <= year <= 2999:
        return year
    raise _FieldError(f"'year' must be a 4-digit year or a date string, got {value!r:.40}")


def _record_sections(obj: dict[str, Any]) -> list[Section]:
    text = _opt_str(obj, "text")
    raw_sections = obj.get("sections")
    if text is None and raw_sections is None:
        raise _FieldError("needs 'text' (string) or 'sections' (array)")
    sections: list[Section] = []
    if text is not None and (cleaned := _clean_text(text)):
        sections.append(Section(text=cleaned))
    if raw_sections is not None:
        if not isinstance(raw_sections, list):
            raise _FieldError("'sections' must be an array")
        for i, item in enumerate(raw_sections):
            if not isinstance(item, dict):
                raise _FieldError(f"sections[{i}] must be an object")
            heading = _opt_str(item, "heading", f"sections[{i}].heading")
            body = _opt_str(item, "text", f"sections[{i}].text")
            if body is None:
                raise _FieldError(f"sections[{i}] has no 'text'")
            if cleaned := _clean_text(body):
                heading = squash(fix_text(heading or "")) or None
                sections.append(Section(heading=heading, text=cleaned))
    if not sections:
        raise _FieldError("no text")
    return sections


def _content_id(title: str, sections: list[Section]) -> str:
    """Hash of the normalised content, so re-ordering lines keeps every id."""
    h = hashlib.sha256(title.encode("utf-8"))
    for s in sections:
        h.update(b"\x00" + (s.heading or "").encode("utf-8") + b"\x00" + s.text.encode("utf-8"))
    return h.hexdigest()[:16]


class JSONLLoader:
    """One JSON object per line; see docs/_parts/generic-formats.md for the fields."""

    format: ClassVar[str] = "jsonl"
    description: ClassVar[str] = "JSON Lines, one document object per line (title + text/sections)"
    extensions: ClassVar[tuple[str, ...]] = (".jsonl", ".ndjson")
    limit_file_size: ClassVar[bool] = False

    def sniff(self, path: Path, head: str) -> bool:
        if path.suffix.lower() in self.extensions:
            return True
        first = next((ln.strip() for ln in head.split("\n") if ln.strip()), "")
        try:
            obj = json.loads(first)
        except (ValueError, RecursionError):
            return False
        return isinstance(obj, dict) and "title" in obj and ("text" in obj or "sections" in obj)

    def load(self, path: Path, options: LoadOptions) -> Iterator[LoadItem]:
        try:
            with path.open("rb") as fh:
                if b"\x00" in fh.read(_SNIFF_BYTES):
                    raise MalformedInputError("binary file (NUL bytes), not JSON Lines")
                fh.seek(0)
                lines = _bounded_lines(fh, options.max_document_bytes)
                yield from self._lines(lines, path, options)
        except OSError as exc:
            raise MalformedInputError(f"cannot read file: {exc}") from exc

    def _lines(
        self, lines: Iterable[bytes | None], path: Path, opts: LoadOptions
    ) -> Iterator[LoadItem]:
        file_id = opts.source_id_for(path)
        seen: dict[tuple[str, str], int] = {}  # (source, source_id) -> first line
        any_record = False
        for lineno, raw in enumerate(lines, 1):
            where = f"{path.name}:{lineno}"
            if raw is None:
                any_record = True
                limit = format_limit(opts.max_document_bytes or 0)
                reason = f"line is over the {limit} limit (MEDCITE_MAX_DOCUMENT_BYTES)"
                yield RecordError(where, reason, skipped=True)
                continue
            if not raw.strip():
                continue
            any_record = True
            try:
                doc = self._record(raw, file_id, opts)
            except _FieldError as exc:
                yield RecordError(where, str(exc))
                continue
            key = (doc.source, doc.source_id)
            if key in seen:
                yield RecordError(
                    where, f"duplicate id {doc.source_id!r}, first on line {seen[key]}"
                )
                continue
            seen[key] = lineno
            yield doc
        if not any_record:
            raise MalformedInputError("no text")

    def _record(self, raw: bytes, file_id: str, options: LoadOptions) -> Document:
        try:
            obj = json.loads(raw.decode("utf-8").strip().lstrip("\ufeff"))
        except RecursionError as exc:
            raise _FieldError("invalid JSON: nested too deeply") from exc
        except UnicodeDecodeError as exc:
            raise _FieldError(f"not valid UTF-8 (byte {exc.start})") from exc
        except ValueError as exc:
            raise _FieldError(f"invalid JSON: {exc}") from exc
        if not isinstance(obj, dict):
            got = "null" if obj is None else _JSON_TYPES.get(type(obj), "string")
            raise _FieldError(f"expected a JSON object, got {got}")

        title = squash(fix_text(_opt_str(obj, "title") or ""))
        if not title:
            raise _FieldError("missing or empty 'title'")
        sections = _record_sections(obj)

        raw_id = obj.get("id")
        if raw_id is None:
            source_id = f"{file_id}#{_content_id(title, sections)}"
        elif type(raw_id) in (str, int) and str(raw_id).strip():
            source_id = str(raw_id).strip()
        else:
            raise _FieldError("'id' must be a non-empty string or an integer")
        try:
            field_type = None if obj.get("doc_type") is None else parse_doc_type(obj["doc_type"])
        except ValueError as exc:
            raise _FieldError(str(exc)) from exc
        meta = obj.get("meta")
        if meta is not None and not isinstance(meta, dict):
            raise _FieldError("'meta' must be an object")
        strings = {
            key: squash(fix_text(_opt_str(obj, key) or "")) or None
            for key in ("url", "source", "organisation", "journal", "licence", "language", "focus")
        }
        try:
            return _document(
                options,
                self.format,
                doc_type=field_type,
                meta=meta,
                source_id=source_id,
                title=title,
                sections=sections,
                year=_year_field(obj.get("year")),
                synonyms=_str_list(obj, "synonyms"),
                mesh_terms=_str_list(obj, "mesh_terms"),
                **strings,
            )
        except ValidationError as exc:
            raise _FieldError(f"invalid record: {exc}") from exc


def _bounded_lines(fh: BinaryIO, limit: int | None) -> Iterator[bytes | None]:
    """The lines of ``fh``; None for a line longer than ``limit`` bytes, passed over unread."""
    if limit is None:
        yield from fh
        return
    while line := fh.readline(limit + 1):
        if len(line) <= limit or line.endswith(b"\n"):
            yield line
            continue
        while (rest := fh.readline(1 << 20)) and not rest.endswith(b"\n"):
            pass
        yield None


_HTML_DATE_KEYS = (
    "citation_publication_date",
    "citation_date",
    "dc.date",
    "dcterms.date",
    "dc.date.issued",
    "article:published_time",
)


class _HeadParser(HTMLParser):
    """Collects ``<meta>`` name/property -> content, the canonical link and ``<html lang>``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.canonical: str | None = None
        self.lang: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v or "") for k, v in attrs}
        if tag == "meta":
            name = (a.get("name") or a.get("property") or "").strip().lower()
            content = squash(fix_text(a.get("content", "")))
            if name and content:
                self.meta.setdefault(name, content)
        elif tag == "link" and "canonical" in a.get("rel", "").lower().split():
            href = a.get("href", "").strip()
            # A relative canonical link cannot be resolved without the page's own URL.
            if self.canonical is None and href.startswith(("http://", "https://")):
                self.canonical = href
        elif tag == "html" and a.get("lang"):
            self.lang = a["lang"].strip().split("-")[0].lower() or None


class HTMLLoader:
    """An HTML page is one document; h1-h3 start its sections; nav, script and style are dropped."""

    format: ClassVar[str] = "html"
    description: ClassVar[str] = "HTML page (.html); citation_* and Dublin Core <meta> tags used"
    extensions: ClassVar[tuple[str, ...]] = (".html", ".htm", ".xhtml")
    limit_file_size: ClassVar[bool] = True

    def sniff(self, path: Path, head: str) -> bool:
        start = head.lstrip("\ufeff \t\r\n")[:15].lower()
        is_html = start.startswith(("<!doctype html", "<html"))
        return is_html or path.suffix.lower() in self.extensions

    def load(self, path: Path, options: LoadOptions) -> Iterator[LoadItem]:
        markup = read_text_file(path)
        head = _HeadParser()
        try:
            page_title, blocks = html_blocks(markup)
            head.feed(markup)
            head.close()
        except AssertionError as exc:  # Python 3.11's HTMLParser asserts on bogus "<![x" markup
            raise MalformedInputError(f"unparseable HTML: {exc}") from exc
        meta = head.meta
        first_h1 = next((b.text for b in blocks if b.level == 1), None)
        if page_title and first_h1 and page_title.casefold().startswith(first_h1.casefold()):
            page_title = first_h1  # "<h1> | Site name": keep the h1, not the site suffix
        title = meta.get("citation_title") or meta.get("dc.title") or page_title or first_h1 or None
        year = next((y for k in _HTML_DATE_KEYS if (y := year_from(meta.get(k, "")))), None)
        yield file_document(
            path,
            options,
            self.format,
            title,
            sections_from_blocks(blocks, title or first_h1),
            organisation=meta.get("citation_publisher") or meta.get("dc.publisher"),
            url=head.canonical or meta.get("citation_abstract_html_url") or None,
            year=year,
            journal=meta.get("citation_journal_title") or None,
            language=head.lang or meta.get("dc.language") or meta.get("citation_language"),
            meta={"description": meta["description"]} if meta.get("description") else None,
        )


_TXT_ITEM_RE = re.compile(r"^\s*(?:[-*+•·▪◦‣]|\d{1,3}[.)])[ \t]+(?=\S)")
_UNDERLINE_RE = re.compile(r"^\s*(?:=+|-+)\s*$")


def _paragraphs(lines: Iterable[str], max_chars: int = MAX_LINE_CHARS) -> Iterator[list[str]]:
    """Lines grouped into paragraphs at blank lines; one longer than ``max_chars`` (a file
    without blank lines) is broken at a line end so that no paragraph is held whole."""
    para: list[str] = []
    size = 0
    for line in lines:
        if line.strip():
            para.append(line.rstrip())
            size += len(line)
            if size <= max_chars:
                continue
        if para:
            yield para
            para, size = [], 0
    if para:
        yield para


def text_blocks(lines: list[str]) -> list[Block]:
    """One paragraph's lines to blocks: wrapped lines joined, list items kept apart.

    An indented line after a list item continues it; an unindented one starts a new paragraph.
    """
    blocks: list[Block] = []
    cur: list[str] = []
    is_item = False

    def flush() -> None:
        if cur and (text := squash(" ".join(cur))):
            blocks.append(Block(-1 if is_item else 0, text))
        cur.clear()

    for line in lines:
        if m := _TXT_ITEM_RE.match(line):
            flush()
            cur.append(line[m.end() :])
            is_item = True
        elif is_item and line[:1] not in (" ", "\t"):
            flush()
            cur.append(line)
            is_item = False
        else:
            cur.append(line)
    flush()
    return blocks


def _text_title(first: list[str]) -> tuple[str | None, list[list[str]]]:
    """The first line as title when it is short and stands apart from the prose after it;
    returns it and what is left of the first paragraph."""
    line = squash(first[0])
    if len(line) >= MAX_TITLE_CHARS or _TXT_ITEM_RE.match(first[0]):
        return None, [first]
    rest = first[1:]
    if rest and _UNDERLINE_RE.match(rest[0]):
        rest = rest[1:]
    elif rest and (line[-1] in ".,;-" or not rest[0].strip()[:1].isupper()):
        return None, [first]  # a hard-wrapped sentence, not a title line
    return line, [rest] if rest else []


class TextLoader:
    """A plain-text file is one document with one section; blank lines separate paragraphs.

    Read line by line (:mod:`medcite.ingest.textfile`): a large file is streamed.
    """

    format: ClassVar[str] = "text"
    description: ClassVar[str] = "Plain text (.txt), UTF-8 or cp1252"
    extensions: ClassVar[tuple[str, ...]] = (".txt", ".text")
    limit_file_size: ClassVar[bool] = True

    def sniff(self, path: Path, head: str) -> bool:
        return path.suffix.lower() in self.extensions

    def load(self, path: Path, options: LoadOptions) -> Iterator[LoadItem]:
        paras = _paragraphs(text_lines(path))
        first = next(paras, None)
        if first is None:
            raise MalformedInputError("no text")
        title, head = _text_title(first)

        def parts() -> Iterator[SectionPart]:
            yield SectionPart("", first=True)  # one untitled section
            renderer = TextRenderer()
            seen = False
            for para in itertools.chain(head, paras):
                seen = True
                for block in text_blocks(para):
                    if piece := renderer.render(block):
                        yield SectionPart(piece)
            if not seen and title:  # the file is only its title line: that is its text too
                yield SectionPart(title)

        def finish() -> Document:
            return file_metadata(path, options, self.format, title)

        yield text_file_item(path, options.source, options.source_id_for(path), parts(), finish)

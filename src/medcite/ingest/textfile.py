"""Text files read in blocks: decoded, repaired lines of bounded length, never the whole file.

The plain-text and Markdown loaders read through :func:`text_lines`, which gives the lines
:func:`medcite.ingest.generic.read_text_file` would give (same decoding, newline and mojibake
repair) while holding about one block. Two bounds keep memory flat on any input: a line longer
than :data:`MAX_LINE_CHARS` is broken at its last space before that length (at the length when
it has none), and loaders break paragraphs longer than that at a line end.

A file larger than :data:`STREAM_BYTES` becomes a
:class:`~medcite.ingest.base.StreamedDocument`, whose text the runner cuts and stores as it
arrives; a smaller one becomes an ordinary document (see :func:`text_file_item`).
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Iterator
from pathlib import Path

import ftfy

from medcite.errors import MalformedInputError
from medcite.ingest.base import LoadItem, SectionPart, StreamedDocument
from medcite.types import Document, Section

BLOCK_BYTES = 1 << 20
MAX_LINE_CHARS = 200_000  # no real line or paragraph is this long; junk can be
STREAM_BYTES = 4_000_000  # larger files are streamed; a smaller one costs ~10x its size to hold
_BOM = codecs.BOM_UTF8
_CONTROLS = dict.fromkeys([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
_NUL_REASON = "binary file (NUL bytes); expected UTF-8 or cp1252 text"


def sniff_encoding(path: Path) -> tuple[str, bool]:
    """(codec, all ASCII) of a text file, read once in blocks: UTF-8 (BOM optional), else cp1252.

    NUL bytes mean a binary (or UTF-16) file: refused rather than decoded into garbage passages.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    is_ascii = is_utf8 = True
    try:
        with path.open("rb") as fh:
            block = fh.read(max(BLOCK_BYTES, len(_BOM)))
            probe = block.removeprefix(_BOM)  # a BOM alone does not make a file non-ASCII
            while block:
                if b"\x00" in block:
                    raise MalformedInputError(_NUL_REASON)
                if not (is_ascii and probe.isascii()):
                    is_ascii = False
                    if is_utf8:
                        try:
                            decoder.decode(block)
                        except UnicodeDecodeError:
                            is_utf8 = False
                block = probe = fh.read(BLOCK_BYTES)
            if is_utf8:
                decoder.decode(b"", final=True)
    except UnicodeDecodeError:  # a truncated sequence at the very end
        is_utf8 = False
    except OSError as exc:
        raise MalformedInputError(f"cannot read file: {exc}") from exc
    return ("utf-8-sig" if is_utf8 else "cp1252"), is_ascii


def text_lines(path: Path, *, max_line_chars: int = MAX_LINE_CHARS) -> Iterator[str]:
    """The file's lines (without newlines), decoded and repaired like ``read_text_file``.

    CR and CRLF become LF and a form feed a paragraph break; mojibake is repaired with ftfy
    unless the file is pure ASCII (exactly when ``fix_text`` on the whole text would).
    """
    codec, is_ascii = sniff_encoding(path)
    decoder = codecs.getincrementaldecoder(codec)(errors="replace")
    html_seen = False  # ftfy stops unescaping HTML entities after the first '<' of a text
    tail = ""  # the last, unfinished line
    try:
        with path.open("rb") as fh:
            while True:
                block = fh.read(BLOCK_BYTES)
                final = not block
                text = tail + decoder.decode(block, final=final)
                keep_cr = not final and text.endswith("\r")  # maybe the first half of CRLF
                if keep_cr:
                    text = text[:-1]
                text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n\n")
                cut = text.rfind("\n") + 1
                done, tail = text[:cut], text[cut:]
                if len(tail) > max_line_chars:
                    broken, tail = _break_line(tail, max_line_chars)
                    done += broken
                if keep_cr:
                    tail += "\r"
                if done:
                    if not is_ascii:
                        done, html_seen = _fix(done, html_seen), html_seen or "<" in done
                    yield from done.translate(_CONTROLS).split("\n")[:-1]
                if final:
                    break
    except OSError as exc:
        raise MalformedInputError(f"cannot read file: {exc}") from exc
    # Repair can turn a Unicode line separator into a newline.
    yield from (tail if is_ascii else _fix(tail, html_seen)).translate(_CONTROLS).split("\n")


def _break_line(line: str, max_chars: int) -> tuple[str, str]:
    """Lines of at most ``max_chars`` cut from the front of ``line``, and the rest: at the last
    space or tab (kept at the start of the next line), at ``max_chars`` when there is none."""
    out: list[str] = []
    while len(line) > max_chars:
        at = max(line.rfind(" ", 0, max_chars), line.rfind("\t", 0, max_chars))
        at = at if at > 0 else max_chars
        out.append(line[:at] + "\n")
        line = line[at:]
    return "".join(out), line


def _fix(text: str, html_seen: bool) -> str:
    # ftfy fixes a text line by line and stops unescaping entities after its first '<'.
    return ftfy.fix_text(text, normalization="NFC", unescape_html=False if html_seen else "auto")


def text_file_item(
    path: Path,
    source: str,
    source_id: str,
    parts: Iterator[SectionPart],
    finish: Callable[[], Document],
) -> LoadItem:
    """A small file's parts gathered into an ordinary document; a large one's left streaming."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise MalformedInputError(f"cannot read file: {exc}") from exc
    if size > STREAM_BYTES:
        return StreamedDocument(source, source_id, parts, finish)
    sections: list[Section] = []
    heading: str | None = None
    texts: list[str] = []

    def close() -> None:
        if text := "".join(texts).strip():
            sections.append(Section(heading=heading, text=text))
        texts.clear()

    for part in parts:
        if part.first:
            close()
            heading = part.heading
        texts.append(part.text)
    close()
    if not sections:
        raise MalformedInputError("no text")
    return finish().model_copy(update={"sections": sections})

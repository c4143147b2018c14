"""PDF files via pypdf (the optional ``pdf`` extra): one section per page.

Text extraction gives one line per text line of the page, so the loader undoes
line-break hyphenation, joins wrapped lines into paragraphs (a short line
ending a sentence closes a paragraph), keeps bullet lines as ``- `` list items
and drops bare page numbers. Scanned PDFs have no text layer and are refused:
OCR is out of scope.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from medcite.errors import MalformedInputError, UnsupportedFormatError
from medcite.ingest.base import LoadItem, LoadOptions
from medcite.ingest.generic import MAX_TITLE_CHARS, humanise_stem
from medcite.ingest.text import Block, blocks_to_text, fix_text, squash
from medcite.types import DocType, Document, Section

NO_TEXT = "no extractable text (scanned PDF?)"

_LINE_HYPHEN_RE = re.compile(r"\w[-\u00ad\u2010]$")
_CREATION_YEAR_RE = re.compile(r"\s*(?:D:)?([12]\d{3})")
_BULLET_RE = re.compile(r"^(?:[•◦▪‣●○■□\-–*]|\d{1,2}[.)])\s+(?=\S)")
_PAGE_NUMBER_RE = re.compile(r"(?:page\s+)?\d{1,4}(?:\s*(?:/|of)\s*\d{1,4})?", re.IGNORECASE)
# Titles some producers write that name the file rather than the document.
_JUNK_TITLE_RE = re.compile(
    r"untitled|microsoft word - .*|.*\.(?:docx?|pdf|tex|dvi|indd|rtf|odt|pptx?)", re.IGNORECASE
)
_SENTENCE_END = (".", "!", "?", ":", ";")


def _pypdf() -> Any:
    """Import pypdf lazily: it is an optional extra."""
    try:
        import pypdf
    except ImportError as exc:
        raise UnsupportedFormatError(
            "reading PDF files needs the pypdf package", hint="pip install 'medcite[pdf]'"
        ) from exc
    # Damage is reported per file by the runner; pypdf's own stderr warnings would only add noise.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    return pypdf


def join_lines(lines: list[str]) -> str:
    """Join wrapped lines, undoing line-break hyphenation.

    "treat-" + "ment" -> "treatment"; before a capital or digit ("COVID-" + "19",
    "Smith-" + "Jones") the hyphen is real and kept, without a space.
    """
    out = ""
    for line in lines:
        if not out:
            out = line
        elif _LINE_HYPHEN_RE.search(out):
            out = (out[:-1] if line[:1].islower() or out[-1] == "\u00ad" else out) + line
        else:
            out += " " + line
    return out


def page_text_to_blocks(raw: str) -> list[Block]:
    """One page of extracted text to paragraph and list-item blocks.

    A paragraph ends at a blank line, after a line that ends a sentence and is
    clearly shorter than the page's full lines, and after a short heading-like
    line (no final punctuation, next line capitalised) that stands alone.
    """
    text = fix_text(raw.replace("\r\n", "\n").replace("\r", "\n"))
    lines = [squash(ln) for ln in text.split("\n")]
    lines = ["" if _PAGE_NUMBER_RE.fullmatch(ln) else ln for ln in lines]
    # The typical full line length: an upper quantile, robust to one over-long line.
    lengths = sorted(len(ln) for ln in lines if ln)
    full = lengths[len(lengths) * 3 // 4] if lengths else 0
    blocks: list[Block] = []
    cur: list[str] = []
    is_item = False

    def flush() -> None:
        if cur:
            blocks.append(Block(-1 if is_item else 0, join_lines(cur)))
        cur.clear()

    for i, line in enumerate(lines):
        if not line:
            flush()
            continue
        if m := _BULLET_RE.match(line):
            flush()
            is_item = True
            cur.append(line[m.end() :])
        else:
            if not cur:
                is_item = False
            cur.append(line)
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        short = len(line) < 0.8 * full
        ends_sentence = line.endswith(_SENTENCE_END)
        heading_like = (
            len(cur) == 1
            and not is_item
            and short
            and not line.endswith((*_SENTENCE_END, ",", "-"))
            and nxt[:1].isupper()
        )
        if (short and ends_sentence) or heading_like:
            flush()
    flush()
    return blocks


class PDFLoader:
    """A PDF is one document; each page with text becomes a section headed "Page n"."""

    format: ClassVar[str] = "pdf"
    description: ClassVar[str] = "PDF with a text layer (needs the pdf extra: pypdf)"
    extensions: ClassVar[tuple[str, ...]] = (".pdf",)
    limit_file_size: ClassVar[bool] = False

    def sniff(self, path: Path, head: str) -> bool:
        # The spec lets the header sit anywhere in the first 1024 bytes.
        return "%PDF-" in head[:1024]

    def load(self, path: Path, options: LoadOptions) -> Iterator[LoadItem]:
        pypdf = _pypdf()
        try:
            with path.open("rb") as fh:
                if b"%PDF-" not in fh.read(1024):
                    raise MalformedInputError("not a PDF (no %PDF- header)")
        except OSError as exc:
            raise MalformedInputError(f"cannot read file: {exc}") from exc
        # pypdf raises many exception types on damaged files (its own, but also ValueError,
        # KeyError, struct/zlib errors...); at this boundary each means "corrupt PDF".
        try:
            reader = pypdf.PdfReader(str(path), strict=False)
            if reader.is_encrypted and not reader.decrypt(""):
                raise MalformedInputError("encrypted PDF (a password is needed to read it)")
            n_pages = len(reader.pages)
        except MalformedInputError:
            raise
        except Exception as exc:
            if isinstance(exc, pypdf.errors.DependencyError):  # AES without `cryptography`
                raise MalformedInputError(f"encrypted PDF: {exc}") from exc
            raise MalformedInputError(f"corrupt PDF: {type(exc).__name__}: {exc}") from exc

        info = _info(reader)
        sections: list[Section] = []
        unreadable: list[int] = []
        first_lines: list[str] = []
        for n in range(1, n_pages + 1):
            try:
                raw = reader.pages[n - 1].extract_text() or ""
            except Exception:
                unreadable.append(n)  # one damaged page should not cost the others
                continue
            if n == 1:
                first_lines = [squash(ln) for ln in fix_text(raw).split("\n") if squash(ln)]
            if text := blocks_to_text(page_text_to_blocks(raw)):
                sections.append(Section(heading=f"Page {n}", text=text, meta={"page": n}))
        if not sections:
            if unreadable:
                raise MalformedInputError(f"corrupt PDF: no page could be read ({n_pages} pages)")
            raise MalformedInputError(NO_TEXT)

        title = info.get("title") or ""
        if not title or _JUNK_TITLE_RE.fullmatch(title):
            first = first_lines[0] if first_lines else ""
            title = first if 0 < len(first) < MAX_TITLE_CHARS else humanise_stem(path)
        date = info.get("date", "")
        meta: dict[str, Any] = {"format": self.format, "pages": n_pages}
        if info.get("author"):
            meta["author"] = info["author"]
        if unreadable:
            meta["unreadable_pages"] = unreadable
        yield Document(
            source=options.source,
            source_id=options.source_id_for(path),
            title=title,
            doc_type=options.doc_type or DocType.REFERENCE,
            year=int(m.group(1)) if (m := _CREATION_YEAR_RE.match(date)) else None,
            organisation=options.organisation,
            licence=options.licence,
            meta=meta,
            sections=sections,
        )


def _info(reader: Any) -> dict[str, str]:
    """Title, author and raw creation date from the document information dictionary.

    A damaged info dictionary only costs the metadata, not the document.
    """
    out: dict[str, str] = {}
    try:
        metadata = reader.metadata
        for key, name in (("/Title", "title"), ("/Author", "author"), ("/CreationDate", "date")):
            # Indexing resolves indirect references; dict.get would not.
            value = metadata[key] if metadata and key in metadata else None
            if isinstance(value, str) and (text := squash(fix_text(value))):
                out[name] = text
    except Exception:
        return {}
    return out

"""PDF loader on hand-built synthetic PDFs (see pdfgen.py; no real documents)."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pypdf
import pytest

from medcite.errors import MalformedInputError, UnsupportedFormatError
from medcite.ingest.base import LoadItem, LoadOptions
from medcite.ingest.chunking import build_passages
from medcite.ingest.pdf import NO_TEXT, PDFLoader, join_lines, page_text_to_blocks
from medcite.ingest.text import blocks_to_text
from medcite.types import DocType, Document
from tests.ingest.pdfgen import (
    FIXTURE_DIR,
    SAMPLE_PAGES,
    build_pdf,
    garbage_pdf,
    sample_pdf,
    scanned_pdf,
    truncated_pdf,
)


def load(path: Path, options: LoadOptions | None = None) -> list[LoadItem]:
    return list(PDFLoader().load(path, options or LoadOptions()))


def only_doc(path: Path, options: LoadOptions | None = None) -> Document:
    items = load(path, options)
    assert len(items) == 1 and isinstance(items[0], Document)
    return items[0]


def write_pdf(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_fixtures_match_the_generator() -> None:
    # The committed files are what pdfgen builds (`python tests/ingest/pdfgen.py` rewrites them).
    assert (FIXTURE_DIR / "sample.pdf").read_bytes() == sample_pdf()
    assert (FIXTURE_DIR / "truncated.pdf").read_bytes() == truncated_pdf()
    assert (FIXTURE_DIR / "scanned.pdf").read_bytes() == scanned_pdf()


def test_sample_pdf_pages_metadata_and_text() -> None:
    doc = only_doc(FIXTURE_DIR / "sample.pdf")
    assert doc.title == "Zorblax Syndrome: A Synthetic Test Document"  # from /Title
    assert doc.year == 2019  # from /CreationDate D:2019...
    assert doc.source == "local" and doc.source_id == "sample.pdf"
    assert doc.doc_type is DocType.REFERENCE
    assert doc.meta == {"format": "pdf", "pages": 3, "author": "Loader Test Suite"}
    # Page 3 has no text layer, so it has no section.
    assert [s.heading for s in doc.sections] == ["Page 1", "Page 2"]
    assert [s.meta for s in doc.sections] == [{"page": 1}, {"page": 2}]
    assert doc.sections[0].text.split("\n\n") == [
        "Zorblax Syndrome Overview",
        "Zorblax syndrome is an invented condition used only to test the PDF loader. This "
        "synthetic page exists only to test the loader and its treatment of words hyphenated "
        "at the end of a line.",
        "Signs of the invented condition include:\n"
        "- purple elbows after reading synthetic documents\n"
        "- a strong urge to write more test fixtures",
    ]  # the bare page number "3" is gone
    assert doc.sections[1].text == " ".join(SAMPLE_PAGES[1])


def test_pdf_output_chunks_with_exact_offsets() -> None:
    doc = only_doc(FIXTURE_DIR / "sample.pdf")
    for min_words, max_words in ((80, 200), (3, 8)):
        body, passages = build_passages(doc.sections, min_words=min_words, max_words=max_words)
        assert passages
        assert {p.meta["page"] for p in passages} == {1, 2}
        for p in passages:
            assert body[p.char_start : p.char_end] == p.text


def test_options_override_doc_type_and_fill_defaults() -> None:
    options = LoadOptions(
        source="reports",
        doc_type=DocType.GUIDELINE,
        root=FIXTURE_DIR.parent,
        organisation="Synthetic Org",
        licence="Synthetic licence",
    )
    doc = only_doc(FIXTURE_DIR / "sample.pdf", options)
    assert (doc.source, doc.source_id) == ("reports", "pdf/sample.pdf")
    assert doc.doc_type is DocType.GUIDELINE
    assert (doc.organisation, doc.licence) == ("Synthetic Org", "Synthetic licence")


@pytest.mark.parametrize(
    ("info", "first_line", "title"),
    [
        (None, "Short Synthetic Heading", "Short Synthetic Heading"),
        ({"Title": "Microsoft Word - draft3.docx"}, "Synthetic Heading", "Synthetic Heading"),
        ({"Title": "untitled"}, "Synthetic Heading", "Synthetic Heading"),
        (None, "A very long synthetic first line " * 6, "Quibble report"),
    ],
)
def test_title_fallbacks(
    tmp_path: Path, info: dict[str, str] | None, first_line: str, title: str
) -> None:
    pages = [[first_line.strip(), "Synthetic body text that exists only for this test."]]
    doc = only_doc(write_pdf(tmp_path, "quibble_report.pdf", build_pdf(pages, info)))
    assert doc.title == title
    assert doc.year is None


def test_scanned_pdf_without_text_layer_is_refused() -> None:
    with pytest.raises(MalformedInputError) as err:
        load(FIXTURE_DIR / "scanned.pdf")
    assert err.value.message == NO_TEXT


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (truncated_pdf(), "corrupt PDF"),
        (garbage_pdf(), "corrupt PDF"),
        (b"Plain synthetic text pretending to be a PDF.", "not a PDF"),
        (b"", "not a PDF"),
    ],
)
def test_corrupt_pdf_is_malformed(tmp_path: Path, data: bytes, message: str) -> None:
    with pytest.raises(MalformedInputError, match=message):
        load(write_pdf(tmp_path, "bad.pdf", data))


def _encrypted(user_password: str) -> bytes:
    writer = pypdf.PdfWriter(clone_from=io.BytesIO(sample_pdf()))
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_encrypted_pdf_needing_a_password_is_refused(tmp_path: Path) -> None:
    with pytest.raises(MalformedInputError, match="encrypted"):
        load(write_pdf(tmp_path, "locked.pdf", _encrypted("secret")))


def test_encrypted_pdf_with_empty_user_password_loads(tmp_path: Path) -> None:
    doc = only_doc(write_pdf(tmp_path, "owner-only.pdf", _encrypted("")))
    assert [s.heading for s in doc.sections] == ["Page 1", "Page 2"]
    assert "treatment of words" in doc.sections[0].text


def test_aes_encrypted_pdf_without_crypto_backend_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def needs_backend(self: pypdf.PdfReader, password: str) -> None:
        raise pypdf.errors.DependencyError("cryptography>=3.1 is required for AES algorithm")

    monkeypatch.setattr(pypdf.PdfReader, "decrypt", needs_backend)
    with pytest.raises(MalformedInputError, match="encrypted PDF: cryptography"):
        load(write_pdf(tmp_path, "aes.pdf", _encrypted("")))


def test_missing_pypdf_gives_an_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pypdf", None)  # makes `import pypdf` raise ImportError
    with pytest.raises(UnsupportedFormatError) as err:
        load(FIXTURE_DIR / "sample.pdf")
    assert err.value.hint == "pip install 'medcite[pdf]'"


def test_sniff_by_header() -> None:
    loader = PDFLoader()
    assert loader.sniff(Path("report"), "%PDF-1.7\n%\ufffd\ufffd")
    assert loader.sniff(Path("x.bin"), "junk before\n%PDF-1.4\n")
    assert not loader.sniff(Path("x.pdf"), "<html><body>not a pdf</body></html>")


@pytest.mark.parametrize(
    ("lines", "joined"),
    [
        (["the treat-", "ment works"], "the treatment works"),
        (["a well\u00ad", "Known case"], "a wellKnown case"),  # a soft hyphen is never real
        (["Synthetic-", "Jones method"], "Synthetic-Jones method"),
        (["variant ZBX-", "19 cases"], "variant ZBX-19 cases"),
        (["ends with a dash -", "next"], "ends with a dash - next"),
    ],
)
def test_join_lines_undoes_line_break_hyphenation(lines: list[str], joined: str) -> None:
    assert join_lines(lines) == joined


def test_page_text_paragraphs_lists_and_page_numbers() -> None:
    raw = (
        "Synthetic Heading\n"
        "This synthetic paragraph is long enough to set the full line width of\n"
        "the page, and it continues on this line until it finally comes to an\n"
        "end.\n"
        "A second paragraph starts here because the line before it was short\n"
        "and ended a sentence; it also wraps onto a second line of the page.\n"
        "\n"
        "1. first numbered synthetic item\n"
        "\u2022 a bullet item that wraps onto\n"
        "the next line\n"
        "Page 2 of 9\n"
    )
    assert blocks_to_text(page_text_to_blocks(raw)).split("\n\n") == [
        "Synthetic Heading",
        "This synthetic paragraph is long enough to set the full line width of the page, and it "
        "continues on this line until it finally comes to an end.",
        # A list follows the paragraph before it on the next line (blocks_to_text convention).
        "A second paragraph starts here because the line before it was short and ended a "
        "sentence; it also wraps onto a second line of the page.\n"
        "- first numbered synthetic item\n- a bullet item that wraps onto the next line",
    ]

"""Build tiny, valid PDFs by hand for the PDF loader tests (no reportlab).

Each page is a list of text lines drawn in Helvetica (WinAnsiEncoding) with
one ``Tj`` per line, so text extraction sees one line per entry. An empty
page list entry becomes a page with a drawing but no text, like a scan.

Run ``python -m tests.ingest.pdfgen`` to regenerate ``tests/fixtures/pdf/``;
test_pdf.py checks that the committed files still match.
"""

from __future__ import annotations

from pathlib import Path

FIXTURE_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "pdf"

# Obviously synthetic content: nothing here describes a real condition.
SAMPLE_INFO = {
    "Title": "Zorblax Syndrome: A Synthetic Test Document",
    "Author": "Loader Test Suite",
    "CreationDate": "D:20190304120000Z",
}
SAMPLE_PAGES: list[list[str]] = [
    [
        "Zorblax Syndrome Overview",
        "Zorblax syndrome is an invented condition used only to test the PDF",
        "loader. This synthetic page exists only to test the loader and its treat-",
        "ment of words hyphenated at the end of a line.",
        "Signs of the invented condition include:",
        "\u2022 purple elbows after reading synthetic documents",
        "\u2022 a strong urge to write more test fixtures",
        "3",
    ],
    [
        "Quibble fever is a second invented condition. Nothing on this page is",
        "medical advice; it exists only to give the loader a second page of text.",
    ],
    [],  # a page with no text layer (a "scanned" page)
]


def _escape(text: str) -> bytes:
    raw = text.encode("cp1252")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def _content_stream(lines: list[str]) -> bytes:
    if not lines:
        # A filled rectangle: something on the page, but no text to extract.
        return b"0.5 g 72 500 200 200 re f"
    ops = [b"BT", b"/F1 11 Tf", b"14 TL", b"72 740 Td"]
    for i, line in enumerate(lines):
        if i:
            ops.append(b"T*")
        ops.append(b"(" + _escape(line) + b") Tj")
    ops.append(b"ET")
    return b"\n".join(ops)


def build_pdf(pages: list[list[str]], info: dict[str, str] | None = None) -> bytes:
    """A complete PDF 1.4 file with a correct xref table."""
    objects: list[bytes] = []  # object n is objects[n - 1]

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    catalog = add(b"")  # filled in once the page tree number is known
    pages_obj = add(b"")
    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    kids: list[int] = []
    for lines in pages:
        stream = _content_stream(lines)
        content = add(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        kids.append(
            add(
                b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] "
                b"/Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>"
                % (pages_obj, font, content)
            )
        )
    objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % pages_obj
    objects[pages_obj - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids),
        len(kids),
    )
    info_obj = None
    if info:
        entries = b" ".join(b"/" + k.encode() + b" (" + _escape(v) + b")" for k, v in info.items())
        info_obj = add(b"<< " + entries + b" >>")

    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets: list[int] = []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n0 %d\n" % (len(objects) + 1)
    out += b"0000000000 65535 f \n"
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    trailer = b"<< /Size %d /Root %d 0 R" % (len(objects) + 1, catalog)
    if info_obj is not None:
        trailer += b" /Info %d 0 R" % info_obj
    out += b"trailer\n" + trailer + b" >>\nstartxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)


def sample_pdf() -> bytes:
    return build_pdf(SAMPLE_PAGES, SAMPLE_INFO)


def truncated_pdf() -> bytes:
    """The sample cut in the middle of its objects, as an interrupted download leaves it."""
    data = sample_pdf()
    return data[: len(data) * 3 // 5]


def garbage_pdf() -> bytes:
    """A PDF header followed by bytes that are not PDF syntax at all."""
    return b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\nthis synthetic file has no objects \x00\x01\x02"


def scanned_pdf() -> bytes:
    """Two pages that draw something but carry no text, like an image-only scan."""
    return build_pdf([[], []], {"Title": "Synthetic Scan"})


def write_fixtures(directory: Path = FIXTURE_DIR) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "sample.pdf").write_bytes(sample_pdf())
    (directory / "truncated.pdf").write_bytes(truncated_pdf())
    (directory / "scanned.pdf").write_bytes(scanned_pdf())


if __name__ == "__main__":
    write_fixtures()

"""Generic loaders: JSON Lines, Markdown, HTML and plain text (all fixtures are synthetic)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from medcite.errors import MalformedInputError
from medcite.ingest.base import LoadItem, LoadOptions, RecordError
from medcite.ingest.chunking import build_passages
from medcite.ingest.generic import (
    HTMLLoader,
    JSONLLoader,
    TextLoader,
)
from medcite.ingest.markdown import MarkdownLoader, clean_inline_markdown
from medcite.types import DocType, Document

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "generic"
Loader = JSONLLoader | MarkdownLoader | HTMLLoader | TextLoader


def load(loader: Loader, path: Path, options: LoadOptions | None = None) -> list[LoadItem]:
    return list(loader.load(path, options or LoadOptions()))


def only_doc(loader: Loader, path: Path, options: LoadOptions | None = None) -> Document:
    items = load(loader, path, options)
    assert len(items) == 1
    assert isinstance(items[0], Document)
    return items[0]


def docs_of(items: list[LoadItem]) -> list[Document]:
    return [i for i in items if isinstance(i, Document)]


def errors_of(items: list[LoadItem]) -> list[RecordError]:
    return [i for i in items if isinstance(i, RecordError)]


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def assert_follows_text_conventions(doc: Document) -> None:
    """Clean section text that the chunker can cut, with offsets that round-trip."""
    assert doc.title.strip() == doc.title and doc.title
    for section in doc.sections:
        text = section.text
        assert text and text == text.strip()
        assert "\r" not in text and "\n\n\n" not in text
        for line in text.split("\n"):
            assert line == line.strip()
            assert not line.startswith(("* ", "+ ", "• ", "1. ", "2. ")), line
    for min_words, max_words in ((80, 200), (2, 6)):
        body, passages = build_passages(doc.sections, min_words=min_words, max_words=max_words)
        assert passages
        for p in passages:
            assert body[p.char_start : p.char_end] == p.text


# --- JSON Lines ---------------------------------------------------------------------------------


def test_jsonl_good_lines_load_and_bad_lines_are_reported_by_line_number() -> None:
    items = load(JSONLLoader(), FIXTURES / "sample.jsonl")
    assert [d.title for d in docs_of(items)] == [
        "Zorblax syndrome",
        "Quibble fever",
        "Flibbertigibbet palsy",
    ]
    reasons = {e.where: e.reason for e in errors_of(items)}
    assert list(reasons) == [f"sample.jsonl:{n}" for n in (4, 5, 6, 7, 8, 9, 10, 12)]
    assert reasons["sample.jsonl:4"].startswith("invalid JSON")
    assert "title" in reasons["sample.jsonl:5"]
    assert "'text'" in reasons["sample.jsonl:6"] and "'sections'" in reasons["sample.jsonl:6"]
    assert reasons["sample.jsonl:7"] == "'text' must be a string, got number"
    assert "invalid doc_type 'blog post'" in reasons["sample.jsonl:8"]
    assert "guideline" in reasons["sample.jsonl:8"]  # the valid values are listed
    assert "'year'" in reasons["sample.jsonl:9"]
    assert reasons["sample.jsonl:10"] == "expected a JSON object, got array"
    # Line 12 repeats line 2: same content, same hash id, reported as a duplicate.
    assert "duplicate id" in reasons["sample.jsonl:12"] and "line 2" in reasons["sample.jsonl:12"]


def test_jsonl_documented_fields_are_kept() -> None:
    zorblax, quibble, flib = docs_of(load(JSONLLoader(), FIXTURES / "sample.jsonl"))
    assert zorblax.source == "local"
    assert zorblax.source_id == "zorblax-001"
    assert zorblax.doc_type is DocType.GUIDELINE
    assert zorblax.year == 2021
    assert zorblax.url == "https://example.invalid/zorblax"
    assert zorblax.organisation == "Synthetic Society of Made-up Medicine"
    assert zorblax.focus == "Zorblax syndrome"
    assert zorblax.synonyms == ["Zorblax disorder", "ZBX"]
    assert zorblax.mesh_terms == ["Fictional Diseases"]
    assert zorblax.meta == {"reviewed": False, "format": "jsonl"}
    # The whitespace-only section is dropped; list items and spacing are normalised.
    assert [s.heading for s in zorblax.sections] == ["Overview", "Signs"]
    assert zorblax.sections[1].text == (
        "Signs of the invented condition include:\n- purple elbows\n- humming at dawn"
    )

    assert quibble.doc_type is DocType.REFERENCE  # the default
    assert quibble.year == 2019
    assert [s.heading for s in quibble.sections] == [None]
    assert quibble.sections[0].text.split("\n\n") == [
        "Quibble fever is another invented condition.",
        "This synthetic paragraph exists only to test the loader.",
    ]

    assert flib.source_id == "7"  # integer ids become strings
    assert flib.doc_type is DocType.RCT  # "RCT": case-insensitive
    assert flib.source == "synthetic-trials"
    assert flib.licence == "CC0 synthetic"
    for doc in (zorblax, quibble, flib):
        assert_follows_text_conventions(doc)


def test_jsonl_id_without_id_field_is_a_content_hash_stable_under_reordering(
    tmp_path: Path,
) -> None:
    a = {"title": "Zorblax syndrome", "text": "A synthetic first record."}
    b = {"title": "Quibble fever", "text": "A synthetic second record."}
    forward = write(tmp_path, "c.jsonl", "\n".join(json.dumps(r) for r in (a, b)))
    ids = {d.title: d.source_id for d in docs_of(load(JSONLLoader(), forward))}
    forward.write_text("\n\n".join(json.dumps(r) for r in (b, a)), encoding="utf-8")
    assert {d.title: d.source_id for d in docs_of(load(JSONLLoader(), forward))} == ids
    assert ids["Zorblax syndrome"] != ids["Quibble fever"]
    assert all(i.startswith("c.jsonl#") for i in ids.values())
    # Editing the text is a different record; whitespace-only changes are not.
    edited = {**a, "text": "A synthetic first record, edited."}
    spaced = {**a, "text": "  A synthetic   first record.  "}
    forward.write_text(json.dumps(edited) + "\n" + json.dumps(spaced), encoding="utf-8")
    new_ids = [d.source_id for d in docs_of(load(JSONLLoader(), forward))]
    assert new_ids == [new_ids[0], ids["Zorblax syndrome"]]
    assert new_ids[0] != ids["Zorblax syndrome"]


def test_jsonl_options_doc_type_overrides_and_defaults_fill_gaps() -> None:
    options = LoadOptions(
        source="mine",
        doc_type=DocType.CONSUMER,
        organisation="Default Synthetic Org",
        licence="Default synthetic licence",
        root=FIXTURES.parent,
    )
    zorblax, quibble, flib = docs_of(load(JSONLLoader(), FIXTURES / "sample.jsonl", options))
    assert {d.doc_type for d in (zorblax, quibble, flib)} == {DocType.CONSUMER}
    assert zorblax.organisation == "Synthetic Society of Made-up Medicine"  # field wins
    assert quibble.organisation == "Default Synthetic Org"
    assert quibble.licence == "Default synthetic licence"
    assert flib.licence == "CC0 synthetic"
    assert quibble.source == "mine" and flib.source == "synthetic-trials"
    assert quibble.source_id.startswith("generic/sample.jsonl#")  # relative to root


def test_jsonl_more_malformed_records(tmp_path: Path) -> None:
    lines = [
        b'{"title": "Synthetic", "sections": [{"heading": "H"}]}',
        b'{"title": "Synthetic", "sections": "not a list"}',
        b'{"title": "Synthetic", "text": "x", "synonyms": ["ok", 3]}',
        b'{"title": "Synthetic", "text": "x", "meta": [1]}',
        b'{"title": "Synthetic", "text": "x", "id": true}',
        b'{"title": "Synthetic", "text": "x", "year": 99}',
        b'{"title": "   ", "text": "x"}',
        b'{"title": "Synthetic", "text": "\\u0000  \\n "}',
        b'{"title": "Synthetic \xff", "text": "invalid UTF-8"}',
        b"[" * 100_000,
        b'{"title": "Synthetic survivor", "text": "Loads despite its neighbours.", "year": 2001}',
    ]
    path = write(tmp_path, "bad.jsonl", b"\n".join(lines))
    items = load(JSONLLoader(), path)
    assert [type(i) for i in items] == [RecordError] * 10 + [Document]
    assert [e.where for e in errors_of(items)] == [f"bad.jsonl:{n}" for n in range(1, 11)]
    reasons = [e.reason for e in errors_of(items)]
    assert "sections[0]" in reasons[0]
    assert "'sections' must be an array" in reasons[1]
    assert "synonyms" in reasons[2]
    assert "meta" in reasons[3]
    assert "'id'" in reasons[4]
    assert "'year'" in reasons[5]
    assert "title" in reasons[6]
    assert reasons[7] == "no text"
    assert "UTF-8" in reasons[8]
    assert "invalid JSON" in reasons[9]
    survivor = items[-1]
    assert isinstance(survivor, Document) and survivor.year == 2001


@pytest.mark.parametrize("content", [b"", b"\n\n  \n"])
def test_jsonl_without_records_is_malformed(tmp_path: Path, content: bytes) -> None:
    with pytest.raises(MalformedInputError, match="no text"):
        load(JSONLLoader(), write(tmp_path, "empty.jsonl", content))


def test_jsonl_binary_file_is_refused(tmp_path: Path) -> None:
    data = (FIXTURES / "binary.txt").read_bytes()
    with pytest.raises(MalformedInputError, match="binary"):
        load(JSONLLoader(), write(tmp_path, "binary.jsonl", data))


def test_jsonl_sniff() -> None:
    loader = JSONLLoader()
    assert loader.sniff(Path("x.ndjson"), "")
    assert loader.sniff(Path("x.json"), '\n{"title": "T", "text": "synthetic"}\n{"ti')
    assert not loader.sniff(Path("x.json"), '{"12345": {"QUESTION": "synthetic"}}')
    assert not loader.sniff(Path("x.json"), '{"title": "T", "text": "cut off')
    assert not loader.sniff(Path("x.txt"), "Zorblax syndrome")


json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=6,
)
section_objects = st.fixed_dictionaries(
    {"text": st.text()}, optional={"heading": st.text() | json_values}
)
records = st.fixed_dictionaries(
    {"title": st.text() | json_values},
    optional={
        "text": st.text() | json_values,
        "sections": st.lists(section_objects, max_size=3) | json_values,
        "id": st.text(max_size=10) | json_values,
        "doc_type": st.sampled_from([t.value for t in DocType]) | json_values,
        "year": st.integers(0, 3000) | st.text(max_size=12) | json_values,
        "synonyms": st.lists(st.text(max_size=10), max_size=3) | json_values,
        "meta": json_values,
        "url": st.text(max_size=10) | json_values,
        "language": st.text(max_size=5) | json_values,
    },
)
lines = st.one_of(
    st.tuples(records, st.booleans()).map(lambda r: json.dumps(r[0], ensure_ascii=r[1])),
    st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\n\x00")),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(lines, min_size=1, max_size=6))
def test_jsonl_any_line_gives_a_document_or_a_record_error(file_lines: list[str]) -> None:
    data = "\n".join(file_lines).encode("utf-8")
    record_lines = [n for n, ln in enumerate(data.split(b"\n"), 1) if ln.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        path = write(Path(tmp), "prop.jsonl", data)
        if not record_lines:
            with pytest.raises(MalformedInputError):
                load(JSONLLoader(), path)
            return
        items = load(JSONLLoader(), path)
    assert len(items) == len(record_lines)
    for item, lineno in zip(items, record_lines, strict=True):
        if isinstance(item, RecordError):
            assert item.where == f"prop.jsonl:{lineno}" and item.reason
        else:
            assert_follows_text_conventions(item)


@settings(max_examples=100, deadline=None)
@given(
    st.text().filter(lambda s: any(c.isalnum() for c in s)),
    st.text().filter(lambda s: any(c.isalnum() for c in s)),
)
def test_jsonl_any_unicode_title_and_text_load(title: str, text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = write(Path(tmp), "one.jsonl", json.dumps({"title": title, "text": text}) + "\n")
        doc = only_doc(JSONLLoader(), path)
    assert_follows_text_conventions(doc)


# --- Markdown -----------------------------------------------------------------------------------


def test_markdown_sections_front_matter_and_stripped_syntax() -> None:
    doc = only_doc(MarkdownLoader(), FIXTURES / "sample.md")
    assert doc.title == "Zorblax Syndrome"  # the H1 beats the front-matter title
    assert doc.url == "https://example.invalid/zorblax-notes"
    assert doc.year == 2020
    assert doc.doc_type is DocType.CONSUMER
    assert doc.organisation == "Synthetic Institute of Invented Conditions"
    assert doc.meta == {"format": "markdown"}
    assert [s.heading for s in doc.sections] == [None, "Signs and symptoms", "Outlook"]

    intro, signs, outlook = (s.text for s in doc.sections)
    assert intro.split("\n\n") == [
        "Zorblax syndrome is an invented condition used only to test the Markdown loader. "
        "See the synthetic registry for nothing at all.",
        "The zbx-score is a made-up number; escaped *asterisks* stay literal.",
    ]
    assert signs.split("\n\n") == [
        "Synthetic signs include:\n- purple elbows\n- humming at dawn that continues on a second "
        "line\n- an urge to write fixtures\n- a ticked task item",
        "A minor heading",  # level-4 headings stay inside their section
        "This synthetic paragraph sits under a level-four heading, which stays in its section.",
    ]
    assert outlook.startswith("This quoted synthetic sentence exists only to test the loader.")
    body = "\n".join(s.text for s in doc.sections)
    for leftover in ("**", "`", "](", "![", "<!--", "editorial", "print(", "diagram", "> ", "|"):
        assert leftover not in body
    assert_follows_text_conventions(doc)


@pytest.mark.parametrize(
    ("markdown", "plain"),
    [
        ("**bold**, __strong__, *em*, _em_, ~~gone~~", "bold, strong, em, em, gone"),
        ("a snake_case_name and 2 * 3 * 4 stay", "a snake_case_name and 2 * 3 * 4 stay"),
        ("[text](https://example.invalid/a_(b)) and [ref][1] and <https://example.invalid>",
         "text and ref and https://example.invalid"),
        ("see ![alt text](img.png) here[^1]", "see here"),
        ("`**not bold**` and \\_literal\\_", "**not bold** and _literal_"),
        ("x <sup>2</sup> &amp; y", "x 2 & y"),
    ],
)  # fmt: skip
def test_clean_inline_markdown(markdown: str, plain: str) -> None:
    assert clean_inline_markdown(markdown) == plain


def test_markdown_title_fallbacks_and_overrides(tmp_path: Path) -> None:
    front = "---\ntitle: 'Synthetic Front Title'\ndoc_type: guideline\nyear: 2011\n---\n"
    path = write(tmp_path, "a.md", front + "## Part\n\nSynthetic text for tests.\n")
    doc = only_doc(MarkdownLoader(), path, LoadOptions(doc_type=DocType.RESEARCH))
    assert doc.title == "Synthetic Front Title"
    assert doc.doc_type is DocType.RESEARCH  # options.doc_type beats front-matter
    assert doc.year == 2011
    assert [s.heading for s in doc.sections] == ["Part"]

    path = write(tmp_path, "zorblax_care-notes.md", "Setext Title\n============\n\nSynthetic.\n")
    doc = only_doc(MarkdownLoader(), path)
    assert doc.title == "Setext Title"

    path = write(tmp_path, "zorblax_care-notes.md", "Only synthetic prose, no heading.\n")
    assert only_doc(MarkdownLoader(), path).title == "Zorblax care notes"

    # A front-matter block without its closing line is ordinary text.
    path = write(tmp_path, "open.md", "---\ntitle: x\nSynthetic body.\n")
    assert only_doc(MarkdownLoader(), path).title == "Open"


def test_markdown_bad_front_matter_doc_type_and_empty_files(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.md", "---\ndoc_type: blog\n---\n# T\n\nSynthetic.\n")
    with pytest.raises(MalformedInputError, match="doc_type"):
        load(MarkdownLoader(), path)
    for content in ("", "# Only a heading\n", "```\nonly code\n```\n", "<!-- only a comment -->"):
        with pytest.raises(MalformedInputError, match="no text"):
            load(MarkdownLoader(), write(tmp_path, "empty.md", content))


# --- HTML ---------------------------------------------------------------------------------------


def test_html_meta_sections_and_dropped_chrome() -> None:
    doc = only_doc(HTMLLoader(), FIXTURES / "sample.html")
    # <title> is "<h1> | site": the h1 is the title and does not repeat as a heading.
    assert doc.title == "Quibble Fever"
    assert doc.url == "https://example.invalid/quibble-fever"
    assert doc.year == 2018
    assert doc.organisation == "Synthetic Publishing House"
    assert doc.language == "en"
    assert doc.meta == {
        "format": "html",
        "description": "A synthetic page about an invented condition.",
    }
    assert [s.heading for s in doc.sections] == [None, "Symptoms", "Rare signs", "Treatment"]
    assert doc.sections[1].text == (
        "The made-up symptoms are:\n- arguing about commas\n- a fondness for & ampersands"
    )
    assert doc.sections[2].text == "Some synthetic patients hum while reading."
    body = "\n".join(s.text for s in doc.sections)
    for chrome in ("tracking", "must not appear", "navigation", "color", "Home"):
        assert chrome not in body
    assert_follows_text_conventions(doc)


def test_html_title_precedence_and_relative_canonical(tmp_path: Path) -> None:
    page = (
        '<html><head><meta name="citation_title" content="Synthetic Citation Title">'
        '<meta name="dc.date" content="2007">'
        '<link rel="canonical" href="/relative"><title>Other</title></head>'
        "<body><p>Synthetic body text.</p></body></html>"
    )
    doc = only_doc(HTMLLoader(), write(tmp_path, "a.html", page))
    assert doc.title == "Synthetic Citation Title"
    assert doc.year == 2007
    assert doc.url is None  # a relative canonical link cannot be resolved
    doc = only_doc(HTMLLoader(), write(tmp_path, "b.htm", "<h1>Heading Only</h1><p>Synthetic.</p>"))
    assert doc.title == "Heading Only"
    assert [s.heading for s in doc.sections] == [None]


def test_html_without_text_is_malformed(tmp_path: Path) -> None:
    page = "<html><head><title>T</title></head><body><nav>menu</nav><script>x()</script></body>"
    with pytest.raises(MalformedInputError, match="no text"):
        load(HTMLLoader(), write(tmp_path, "empty.html", page))


@pytest.mark.parametrize("markup", ["<p>Synthetic <![x](y) text.</p>", "<!DOCTYPE x [ <p>a</p>"])
def test_html_parser_assertions_become_malformed_input(tmp_path: Path, markup: str) -> None:
    # Python 3.11's HTMLParser raises AssertionError on some bogus declarations.
    try:
        doc = only_doc(HTMLLoader(), write(tmp_path, "odd.html", markup))
    except MalformedInputError as exc:
        assert "unparseable HTML" in exc.message or exc.message == "no text"
    else:
        assert_follows_text_conventions(doc)


def test_html_sniff() -> None:
    assert HTMLLoader().sniff(Path("page"), "\ufeff  <!DOCTYPE html><html>")
    assert HTMLLoader().sniff(Path("page.htm"), "")
    assert not HTMLLoader().sniff(Path("page.xml"), "<?xml version='1.0'?><Document>")


# --- plain text ---------------------------------------------------------------------------------


def test_text_title_paragraphs_and_list_items() -> None:
    doc = only_doc(TextLoader(), FIXTURES / "sample.txt")
    assert doc.title == "Flibbertigibbet Palsy"
    assert doc.doc_type is DocType.REFERENCE
    assert doc.meta == {"format": "text"}
    assert [s.heading for s in doc.sections] == [None]
    assert doc.sections[0].text.split("\n\n") == [
        "Flibbertigibbet palsy is an invented condition. This synthetic text file exists only "
        "to test the plain-text loader, and its lines are hard-wrapped at about seventy "
        "characters.",
        "Made-up warning signs:\n- talking very quickly about nothing in particular\n"
        "- forgetting the end of a\n- losing track of lists",
        "A line after the list starts a new paragraph.",
        "Nothing in this file is medical advice.",
    ]
    assert_follows_text_conventions(doc)


def test_text_cp1252_fallback() -> None:
    doc = only_doc(TextLoader(), FIXTURES / "cp1252.txt")
    assert doc.title == "Quibble fever notes"
    text = doc.sections[0].text
    assert "café encoding fallback" in text
    assert "condition – it exists" in text
    assert "Quibble fever" in text and "\ufffd" not in text and "\r" not in text


def test_text_binary_is_refused() -> None:
    with pytest.raises(MalformedInputError, match="binary"):
        load(TextLoader(), FIXTURES / "binary.txt")


@pytest.mark.parametrize(
    ("content", "title", "text"),
    [
        # A hard-wrapped first sentence is prose, not a title.
        ("The first line of a synthetic\nsentence wraps here.\n", "Zorblax notes",
         "The first line of a synthetic sentence wraps here."),
        # A short line directly above capitalised prose is a title.
        ("Quibble Fever\nSynthetic prose follows.\n", "Quibble Fever", "Synthetic prose follows."),
        # A one-line file: the line is both title and text.
        ("Only one synthetic line.\n", "Only one synthetic line.", "Only one synthetic line."),
        ("x" * 200 + "\n\nSynthetic.\n", "Zorblax notes", "x" * 200 + "\n\nSynthetic."),
        ("\ufeffBOM Title\r\n\r\nSynthetic\fpage two.\r\n", "BOM Title", "Synthetic\n\npage two."),
    ],
)  # fmt: skip
def test_text_title_rules(tmp_path: Path, content: str, title: str, text: str) -> None:
    doc = only_doc(TextLoader(), write(tmp_path, "zorblax_notes.txt", content))
    assert (doc.title, doc.sections[0].text) == (title, text)


@pytest.mark.parametrize("content", ["", "  \n\n\t\n"])
def test_text_without_text_is_malformed(tmp_path: Path, content: str) -> None:
    with pytest.raises(MalformedInputError, match="no text"):
        load(TextLoader(), write(tmp_path, "empty.txt", content))


# --- common -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("loader", "name"),
    [(MarkdownLoader(), "sample.md"), (HTMLLoader(), "sample.html"), (TextLoader(), "sample.txt")],
)
def test_single_document_formats_use_options(loader: Loader, name: str) -> None:
    path = FIXTURES / name
    assert loader.sniff(path, path.read_text(encoding="utf-8")[:4096])
    doc = only_doc(loader, path)
    assert (doc.source, doc.source_id) == ("local", name)
    options = LoadOptions(
        source="clinic-notes",
        root=FIXTURES.parent,
        doc_type=DocType.GUIDELINE,
        organisation="Fallback Synthetic Org",
        licence="Synthetic licence",
    )
    doc = only_doc(loader, path, options)
    assert doc.source == "clinic-notes"
    assert doc.source_id == f"generic/{name}"
    assert doc.doc_type is DocType.GUIDELINE
    assert doc.licence == "Synthetic licence"
    # The file's own publisher (front-matter, meta tag) beats the caller's default.
    expected_org = {
        "sample.md": "Synthetic Institute of Invented Conditions",
        "sample.html": "Synthetic Publishing House",
    }.get(name, "Fallback Synthetic Org")
    assert doc.organisation == expected_org


def test_missing_file_is_malformed(tmp_path: Path) -> None:
    for loader in (JSONLLoader(), MarkdownLoader(), HTMLLoader(), TextLoader()):
        with pytest.raises(MalformedInputError, match="cannot read"):
            load(loader, tmp_path / "missing")

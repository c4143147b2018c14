"""Large plain-text and Markdown files are streamed: cut and stored as read, never held whole."""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from medcite.config import Settings
from medcite.errors import MalformedInputError
from medcite.ingest import chunking, guards, streaming, textfile
from medcite.ingest.base import LoadOptions, SectionPart, StreamedDocument
from medcite.ingest.generic import TextLoader
from medcite.ingest.runner import IngestJob, JobReport, run_ingest
from medcite.ingest.streaming import write_streamed
from medcite.store import streamed as store_streamed
from medcite.store.sqlite import SQLiteStore
from medcite.types import DocType, Document
from tests.ingest.test_limits import prose

TEXT = (
    "Synthetic notes on zorblax\n"
    "==========================\n\n"
    "Florp wendle is an invented word, caf\u00e9 too.\r\n"
    "It wraps onto a second line.\n\n"
    "- first item of a list\n"
    "- second item,\n"
    "  continued\n"
    "3. a numbered item\n\n"
    "\f" + prose(700)
)
MARKDOWN = (
    "---\ntitle: Front title\nsource: notes\n---\n\n"
    "Text before any heading.\n\n"
    "## Part one\n\n" + prose(400, seed=2) + "\n<!-- a comment\nover lines --> kept\n\n"
    "# Late title\n\n" + prose(300, seed=3) + "\n## Empty\n\n## Part two\n\n- a - b\n- c\n"
)


def _ingest(store: SQLiteStore, settings: Settings, path: Path) -> JobReport:
    job = IngestJob(str(path), [path], None, LoadOptions(root=path.parent), explicit=True)
    (report,) = run_ingest(store, [job], settings).jobs
    return report


def _stored(store: SQLiteStore) -> tuple[object, ...]:
    (doc_id,) = [r[0] for r in store.conn.execute("SELECT id FROM documents")]
    doc = store.get_document(doc_id)
    assert doc is not None
    passages = [
        (p.ord, p.section, p.text, p.char_start, p.char_end) for p in store.get_passages(doc_id)
    ]
    for _, _, text, start, end in passages:
        assert doc.body[start:end] == text
    return doc.title, doc.source, doc.body, doc.content_hash, passages


@pytest.mark.parametrize(("name", "content"), [("notes.txt", TEXT), ("notes.md", MARKDOWN)])
def test_streamed_file_is_stored_as_if_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, content: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8"))
    whole = Settings(home=tmp_path / "whole", mirror=None)
    streamed = Settings(home=tmp_path / "streamed", mirror=None)
    with SQLiteStore(whole.db_path) as store:
        assert _ingest(store, whole, path).added == 1
        expected = _stored(store)
    monkeypatch.setattr(textfile, "STREAM_BYTES", 0)
    with SQLiteStore(streamed.db_path) as store:
        assert _ingest(store, streamed, path).added == 1
        assert _stored(store) == expected
        # It did take the streamed path: the body was written in place, as bytes.
        assert store.conn.execute("SELECT typeof(body) FROM documents").fetchone()[0] == "blob"
    if name == "notes.md":
        assert expected[:2] == ("Late title", "notes")


def test_streamed_reingest_unchanged_updated_and_duplicate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, store: SQLiteStore, settings: Settings
) -> None:
    monkeypatch.setattr(textfile, "STREAM_BYTES", 0)
    path = tmp_path / "a" / "notes.txt"
    path.parent.mkdir()
    path.write_text(TEXT, encoding="utf-8")
    assert _ingest(store, settings, path).added == 1
    ids = [p.id for p in store.get_passages(1)]
    path.touch()  # modified time changes, content does not: read again, found unchanged
    path.write_text(TEXT, encoding="utf-8")
    job = _ingest(store, settings, path)
    assert job.unchanged == 1 and [p.id for p in store.get_passages(1)] == ids

    path.write_text(TEXT.replace("Florp wendle", "Gorple vantry"), encoding="utf-8")
    job = _ingest(store, settings, path)
    assert job.updated == 1 and store.count_documents() == 1
    doc = store.get_document(1)
    assert doc is not None and "Gorple vantry is" in doc.body and "Florp wendle is" not in doc.body
    assert store.get_passages(1)[0].text.startswith("Gorple vantry is")

    twin = tmp_path / "b" / "notes.txt"  # the same text under another key
    twin.parent.mkdir()
    twin.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    job = IngestJob(str(twin), [twin], None, LoadOptions(source="other", root=twin.parent))
    (report,) = run_ingest(store, [job], settings).jobs
    assert report.duplicates == 1 and store.count_documents() == 1


def _streamed(parts: Iterator[SectionPart]) -> StreamedDocument:
    meta = Document(source="local", source_id="s.txt", title="S", doc_type=DocType.REFERENCE)
    return StreamedDocument("local", "s.txt", parts, lambda: meta)


def test_a_failure_while_streaming_leaves_nothing(store: SQLiteStore, settings: Settings) -> None:
    def parts() -> Iterator[SectionPart]:
        yield SectionPart("", first=True)
        for i in range(50):
            yield SectionPart(f"\n\n{prose(200, seed=i)}")
        raise MalformedInputError("cannot read file: synthetic fault")

    with pytest.raises(MalformedInputError):
        write_streamed(store, _streamed(parts()), "/x/s.txt", settings, store.start_run({}))
    assert store.count_documents() == 0 and store.count_passages() == 0
    assert not store.conn.in_transaction


def test_streamed_document_over_the_passage_limit_stops_early(
    store: SQLiteStore, tmp_path: Path
) -> None:
    read = 0

    def parts() -> Iterator[SectionPart]:
        nonlocal read
        yield SectionPart("", first=True)
        for i in range(5000):
            read += 1
            yield SectionPart(f"\n\n{prose(2000, seed=i)}")

    settings = Settings(home=tmp_path, mirror=None, max_document_passages=100)
    from medcite.ingest.guards import DocumentRefused

    with pytest.raises(DocumentRefused, match="more than 100 passages"):
        write_streamed(store, _streamed(parts()), "/x/s.txt", settings, store.start_run({}))
    assert read < 100  # stopped once over the limit, not at the end of the file
    assert store.count_documents() == 0 and store.count_passages() == 0


def _streamed_peak(tmp_path: Path, paragraphs: int) -> tuple[int, SQLiteStore, JobReport]:
    path = tmp_path / f"large-{paragraphs}.txt"
    with path.open("w", encoding="utf-8") as fh:
        fh.write("Synthetic large file\n\n")
        for i in range(paragraphs):
            fh.write(prose(6000, seed=i) + "\n")
    assert isinstance(next(TextLoader().load(path, LoadOptions())), StreamedDocument)
    settings = Settings(home=tmp_path / f"home-{paragraphs}", mirror=None)
    store = SQLiteStore(settings.db_path)
    tracemalloc.start()
    try:
        job = _ingest(store, settings, path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert job.added == 1 and not job.errors, job
    return peak, store, job


def test_large_file_is_cut_in_windows_with_exact_offsets_and_flat_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At a small scale (every buffer shrunk): twice the file, the same Python memory; and
    every passage is an exact span of the stored body."""
    monkeypatch.setattr(textfile, "STREAM_BYTES", 0)
    monkeypatch.setattr(textfile, "BLOCK_BYTES", 8192)
    monkeypatch.setattr(chunking, "WINDOW_CHARS", 20_000)
    monkeypatch.setattr(streaming, "PASSAGE_BATCH", 50)
    monkeypatch.setattr(streaming, "_READ_BYTES", 8192)
    monkeypatch.setattr(store_streamed, "_COPY_BYTES", 8192)
    monkeypatch.setattr(guards, "JUNK_SAMPLE_CHARS", 20_000)
    small, _, _ = _streamed_peak(tmp_path, 12)
    large, store, job = _streamed_peak(tmp_path, 24)  # ~0.9 MB
    assert large < small * 1.25, (small, large)
    with store:
        doc = store.get_document(1)
        assert doc is not None and len(doc.body) > 900_000
        passages = store.get_passages(1)
        assert [p.ord for p in passages] == list(range(len(passages))) == list(range(job.passages))
        for p in passages:
            assert doc.body[p.char_start : p.char_end] == p.text
            assert 40 <= len(p.text.split()) <= 200

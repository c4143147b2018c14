"""Limits on document size and passages, and junk: refused with a reason, read again later."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from medcite.config import Settings
from medcite.ingest.base import LoadOptions
from medcite.ingest.generic import TextLoader
from medcite.ingest.guards import JUNK_MIN_CHARS, junk_reason
from medcite.ingest.runner import IngestJob, JobReport, run_ingest
from medcite.ingest.sources import DEFAULT_SOURCES, SOURCES, resolve_source
from medcite.store.sqlite import SQLiteStore

# Invented words only: the text is obviously synthetic.
WORDS = "zorblax quibble florp wendle tamsin gorple vantry meloch sprindle cadwick the a of".split()  # noqa: SIM905


def prose(n_words: int, seed: int = 1) -> str:
    """Sentences of invented words, paragraphs of five sentences."""
    rng = random.Random(seed)
    sentences = []
    while n_words > 0:
        k = min(n_words, rng.randint(6, 14))
        sentences.append(" ".join(rng.choices(WORDS, k=k)).capitalize() + ".")
        n_words -= k
    paras = [" ".join(sentences[i : i + 5]) for i in range(0, len(sentences), 5)]
    return "\n\n".join(paras) + "\n"


def _ingest(store: SQLiteStore, settings: Settings, *paths: Path) -> JobReport:
    root = paths[0].parent
    job = IngestJob(str(root), list(paths), None, LoadOptions(root=root))
    (report,) = run_ingest(store, [job], settings).jobs
    return report


def test_file_over_the_size_limit_is_skipped_unread_and_retried(
    tmp_path: Path, store: SQLiteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    big = tmp_path / "big.txt"
    big.write_text("Synthetic title\n\n" + prose(2000), encoding="utf-8")
    size = big.stat().st_size
    assert 10_000 < size < 20_000

    def never(*args: object) -> None:
        raise AssertionError("a file over the limit must not be read")

    small = Settings(home=store.path.parent, mirror=None, max_document_bytes=10_000)
    with monkeypatch.context() as m:
        m.setattr(TextLoader, "load", never)
        job = _ingest(store, small, big)
    assert job.files_skipped == 1 and not job.errors and store.count_documents() == 0
    ((where, reason),) = job.skipped
    assert where == str(big.resolve())
    assert reason == f"{size / 1000:.1f} kB is over the 10 kB limit (MEDCITE_MAX_DOCUMENT_BYTES)"

    # Not marked finished: with the limit raised, the same unchanged file is read.
    job = _ingest(store, Settings(home=store.path.parent, mirror=None), big)
    assert job.added == 1 and job.files_unchanged == 0 and not job.skipped


def test_many_document_files_are_limited_per_document(tmp_path: Path, store: SQLiteStore) -> None:
    lines = [{"id": f"r{i}", "title": f"Record {i}", "text": prose(300, seed=i)} for i in range(6)]
    lines.insert(2, {"id": "huge", "title": "Huge record", "text": prose(3000, seed=99)})
    path = tmp_path / "records.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    assert path.stat().st_size > 20_000  # the file is over the limit; its records are not
    settings = Settings(home=store.path.parent, mirror=None, max_document_bytes=15_000)
    job = _ingest(store, settings, path)
    assert job.added == 6 and not job.errors and job.files_skipped == 0
    ((where, reason),) = job.skipped
    # The line is longer than the limit: passed over without being parsed.
    assert where.endswith("(records.jsonl:3)")
    assert reason == "line is over the 15 kB limit (MEDCITE_MAX_DOCUMENT_BYTES)"


def test_document_text_over_the_limit_is_refused(tmp_path: Path, store: SQLiteStore) -> None:
    """PubMedQA holds many documents in one file: each document's text is checked."""

    def record(n_words: int, seed: int) -> dict[str, object]:
        return {"QUESTION": f"Synthetic question {seed}?", "CONTEXTS": [prose(n_words, seed)]}

    data = {"90000001": record(200, 1), "90000002": record(3000, 2), "90000003": record(200, 3)}
    path = tmp_path / "ori_pqal.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    settings = Settings(home=store.path.parent, mirror=None, max_document_bytes=15_000)
    job = _ingest(store, settings, path)
    assert job.added == 2 and not job.errors and job.files_skipped == 0
    ((where, reason),) = job.skipped
    assert where == f"{path.resolve()} (90000002)"
    assert reason == "document text is over the 15 kB limit (MEDCITE_MAX_DOCUMENT_BYTES)"


def test_document_over_the_passage_limit_is_refused(tmp_path: Path, store: SQLiteStore) -> None:
    path = tmp_path / "long.md"
    path.write_text("# Long\n\n" + prose(5000), encoding="utf-8")
    settings = Settings(home=store.path.parent, mirror=None, max_document_passages=10)
    job = _ingest(store, settings, path)
    ((_, reason),) = job.skipped
    assert reason == "more than 10 passages, the limit (MEDCITE_MAX_DOCUMENT_PASSAGES)"
    assert store.count_documents() == 0 and store.count_passages() == 0
    job = _ingest(store, Settings(home=store.path.parent, mirror=None), path)
    assert job.added == 1 and job.passages > 10


def test_one_repeated_word_is_junk(tmp_path: Path, store: SQLiteStore) -> None:
    junk = tmp_path / "junk.txt"
    junk.write_text("lorem " * 20_000, encoding="utf-8")
    real = tmp_path / "real.txt"
    real.write_text(prose(20_000), encoding="utf-8")
    settings = Settings(home=store.path.parent, mirror=None)
    job = _ingest(store, settings, junk, real)
    assert job.added == 1
    ((where, reason),) = job.skipped
    assert "junk.txt" in where
    assert reason == "not a document: one word ('lorem') is 100% of its words"


def test_junk_rule() -> None:
    assert junk_reason(prose(20_000)) is None
    assert junk_reason("Zorblax " * 600 + prose(400)) is not None  # mostly one word, any case
    assert junk_reason("zorblax " * 100 + prose(400)) is None
    # Short documents are never judged (a list of "Yes" answers is not junk).
    assert len("yes " * 100) < JUNK_MIN_CHARS


def test_default_limits_fit_the_default_corpus(mirror: Path) -> None:
    """The largest real file (PubMedQA, 1,000 documents) is far under the default limit, and
    the one-document formats are smaller still."""
    settings = Settings(home=Path("/nonexistent"), mirror=mirror)
    largest = 0
    for name in DEFAULT_SOURCES:
        source = SOURCES[name]
        for path in source.files(resolve_source(source, settings, download=False)):
            largest = max(largest, path.stat().st_size)
    assert 0 < largest < settings.max_document_bytes / 5

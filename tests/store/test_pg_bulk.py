"""Bulk ingest into PostgreSQL (medcite.store.pg_bulk): PubMed baseline-style files (gzip XML)
written with COPY, resumable per file: an ingest killed mid-file and run again leaves exactly
what one uninterrupted run leaves (no duplicates), and the same documents, passages and keyword
statistics as the SQLite store. Against a real server; skipped without the postgres extra."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import pytest

from medcite.config import Settings
from medcite.ingest.formats import LOADERS_BY_FORMAT
from medcite.ingest.runner import IngestJob, run_ingest
from medcite.store.sqlite import SQLiteStore
from tests.conftest import fresh_database

WORDS = [
    "zorblax",
    "quendal",
    "mirothane",
    "velastic",
    "pruvine",
    "obrelli",
    "tansemic",
    "gorvath",
    "lisquen",
    "drameth",
]


def baseline_file(path: Path, first_pmid: int, n: int) -> Path:
    """A synthetic PubMed baseline file (gzip XML) of ``n`` invented articles."""
    records = []
    for i in range(n):
        pmid = first_pmid + i
        words = [WORDS[(pmid * 7 + j * 3) % len(WORDS)] for j in range(40)]
        text = " ".join(words) + f". Finding {pmid} is synthetic."
        records.append(
            f"<PubmedArticle><MedlineCitation><PMID>{pmid}</PMID><Article>"
            f"<Journal><Title>Journal of Invented Results</Title><JournalIssue><PubDate>"
            f"<Year>2020</Year></PubDate></JournalIssue></Journal>"
            f"<ArticleTitle>Synthetic study {pmid} of {words[0]} {words[1]}</ArticleTitle>"
            f'<Abstract><AbstractText Label="BACKGROUND">{text}</AbstractText>'
            f'<AbstractText Label="RESULTS">{" ".join(reversed(words))}.</AbstractText>'
            f"</Abstract><Language>eng</Language></Article></MedlineCitation></PubmedArticle>"
        )
    xml = (
        "<?xml version='1.0'?>\n<PubmedArticleSet>\n"
        + "\n".join(records)
        + "\n</PubmedArticleSet>\n"
    )
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.write(xml)
    return path


@pytest.fixture
def baseline(tmp_path: Path) -> list[Path]:
    folder = tmp_path / "baseline"
    folder.mkdir()
    return [
        baseline_file(folder / "pubmed25n0001.xml.gz", 1000, 40),
        baseline_file(folder / "pubmed25n0002.xml.gz", 2000, 40),
    ]


@pytest.fixture
def pg_url(postgres_server: str) -> Iterator[str]:
    with fresh_database(postgres_server) as url:
        yield url


def _jobs(files: list[Path]) -> list[IngestJob]:
    return [IngestJob("pubmed", files, LOADERS_BY_FORMAT["pubmed"])]


def test_an_interrupted_bulk_ingest_resumes_per_file_without_duplicates(
    baseline: list[Path], pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from medcite.store.pg_documents import PostgresStore

    settings = Settings(home=tmp_path / "home", mirror=None, ingest_batch_size=15)
    with PostgresStore(pg_url) as store:
        real = store.write_documents
        calls: list[int] = []

        def dies_on_the_fifth_batch(*args: object, **kwargs: object) -> object:
            calls.append(1)
            if len(calls) == 5:  # the second file's second batch
                raise KeyboardInterrupt
            return real(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(store, "write_documents", dies_on_the_fifth_batch)
        with pytest.raises(KeyboardInterrupt):
            run_ingest(store, _jobs(baseline), settings)
        monkeypatch.undo()
        # The first file finished (its mark committed with its last batch), the second not.
        assert store.count_documents() == 40 + 15
        report = run_ingest(store, _jobs(baseline), settings)
        job = report.jobs[0]
        assert report.ok and job.files_unchanged == 1 and job.files_read == 1
        assert (job.added, job.unchanged) == (25, 15)
        assert store.count_documents() == 80
        pg_passages = store.count_passages()
        rows = store.conn.execute(
            "SELECT (SELECT count(*) FROM passage_keywords) AS k,"
            " (SELECT count(DISTINCT (source, source_id)) FROM documents) AS d,"
            " (SELECT passages FROM keyword_totals WHERE field = 0) AS n"
        ).fetchone()
        assert rows == {"k": pg_passages, "d": 80, "n": pg_passages}
        # Passage ids follow the documents' order (incremental readers walk them by id).
        ids = [p.id for p in store.iter_passages()]
        assert ids == sorted(ids) and len(set(ids)) == pg_passages
        pg_hits = store.keyword_search(["zorblax", "quendal"], k=10)
        pg_texts = [store.get_passages_by_id([pid])[pid].text for pid, _ in pg_hits]

    # One uninterrupted run into SQLite: the same documents and passages.
    with SQLiteStore(tmp_path / "sqlite.db") as sqlite:
        report = run_ingest(sqlite, _jobs(baseline), settings)
        assert report.ok and sqlite.count_documents() == 80
        assert sqlite.count_passages() == pg_passages
        texts = {p.text for p in sqlite.iter_passages()}
        assert set(pg_texts) <= texts


def test_a_truncated_gzip_file_is_an_error_and_the_others_ingest(
    baseline: list[Path], pg_url: str, tmp_path: Path
) -> None:
    from medcite.store.pg_documents import PostgresStore

    cut = baseline[1].read_bytes()
    baseline[1].write_bytes(cut[: len(cut) // 2])
    settings = Settings(home=tmp_path / "home", mirror=None)
    with PostgresStore(pg_url) as store:
        report = run_ingest(store, _jobs(baseline), settings)
        assert not report.ok and store.count_documents() == 40
        assert "pubmed25n0002" in report.errors[0][0]

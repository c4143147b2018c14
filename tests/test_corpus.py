"""The real shared corpora (MedQuAD, AHRQ NGC summaries, PubMedQA), ingested once per session.

Skipped with a reason when MEDCITE_MIRROR does not point at ../shared/corpora.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from medcite.config import Settings
from medcite.index.updater import update_keyword_index
from medcite.ingest.formats import LOADERS_BY_FORMAT
from medcite.ingest.runner import IngestJob, IngestReport, run_ingest
from medcite.ingest.sources import DEFAULT_SOURCES, SOURCES, resolve_source
from medcite.retrieve.keyword import keyword_search
from medcite.store.sqlite import SQLiteStore
from medcite.types import DocType

pytestmark = [pytest.mark.corpus, pytest.mark.slow]


@pytest.fixture(scope="module")
def ingested(
    mirror: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[SQLiteStore, IngestReport]]:
    settings = Settings(home=tmp_path_factory.mktemp("corpus-home"), mirror=mirror)
    jobs = []
    for name in DEFAULT_SOURCES:
        source = SOURCES[name]
        jobs.append(
            IngestJob(
                name,
                source.files(resolve_source(source, settings)),
                LOADERS_BY_FORMAT[source.format],
            )
        )
    with SQLiteStore(settings.db_path) as store:
        report = run_ingest(store, jobs, settings)
        update_keyword_index(store, settings)  # as `medcite ingest` does: searches only read it
        yield store, report


def test_every_file_ingests_cleanly(ingested: tuple[SQLiteStore, IngestReport]) -> None:
    store, report = ingested
    assert report.errors == []
    jobs = {j.label: j for j in report.jobs}
    assert jobs["medquad"].files == 5497
    # A handful of MedQuAD topics have no answer left; a few are verbatim duplicates of others.
    assert jobs["medquad"].added > 5400 and jobs["medquad"].files_skipped < 20
    assert jobs["ngc"].added == 1415
    assert jobs["pubmedqa"].added == 1000
    counts = {(s.source, s.doc_type): s.documents for s in store.stats()}
    assert counts[("ngc", "guideline")] == 1415
    assert counts[("medquad", "consumer")] > 1500 and counts[("medquad", "reference")] > 3500
    assert jobs["medquad"].updated == 0  # no two files share a key
    assert sum(v for (src, _), v in counts.items() if src == "pubmedqa") == 1000


def test_passages_are_exact_spans_of_their_document(
    ingested: tuple[SQLiteStore, IngestReport],
) -> None:
    store, _ = ingested
    bad = store.conn.execute(
        "SELECT count(*) FROM passages p JOIN documents d ON d.id = p.document_id "
        "WHERE substr(d.body, p.char_start + 1, p.char_end - p.char_start) != p.text"
    ).fetchone()[0]
    assert bad == 0
    too_long = store.conn.execute(
        "SELECT count(*) FROM passages WHERE length(text) - length(replace(text, ' ', '')) + 1 > 200"
    ).fetchone()[0]
    total = store.count_passages()
    assert too_long / total < 0.01  # only single sentences longer than the limit


def test_muscle_cramps_topic_keeps_its_metadata(ingested: tuple[SQLiteStore, IngestReport]) -> None:
    store, _ = ingested
    doc = store.find_document("medquad", "MPlusHealthTopics/0000629")
    assert doc is not None and doc.title == "Muscle Cramps"
    assert doc.synonyms == ["Charley horse"] and doc.cuis == ["C0026821"]
    assert doc.url == "https://www.nlm.nih.gov/medlineplus/musclecramps.html"
    assert "- Dehydration" in doc.body


def test_aan_cramps_guideline_metadata(ingested: tuple[SQLiteStore, IngestReport]) -> None:
    store, _ = ingested
    doc = store.find_document("ngc", "ngc-7822")
    assert doc is not None and doc.doc_type is DocType.GUIDELINE
    assert doc.title.startswith("Assessment: symptomatic treatment for muscle cramps")
    assert doc.year == 2010 and doc.journal == "Neurology" and doc.meta["pmid"] == "20177124"
    assert doc.organisation == "American Academy of Neurology"
    sections = {p.section for p in store.get_passages(doc.id)}
    assert {"Major Recommendations", "Rating Scheme for the Strength of the Evidence"} <= sections
    assert "Clearinghouse\u00e2" not in doc.body and "&lt;" not in doc.body


def test_pubmedqa_abstract_sections(ingested: tuple[SQLiteStore, IngestReport]) -> None:
    store, _ = ingested
    doc = store.find_document("pubmedqa", "21645374")
    assert doc is not None and doc.year == 2011 and "Mitochondria" in doc.mesh_terms
    sections = [p.section for p in store.get_passages(doc.id)]
    assert sections[0] == "Background" and sections[-1] == "Conclusions"


def test_reingest_is_a_no_op(
    ingested: tuple[SQLiteStore, IngestReport], mirror: Path, tmp_path: Path
) -> None:
    store, _ = ingested
    before = (store.count_documents(), store.count_passages())
    settings = Settings(home=tmp_path, mirror=mirror)
    source = SOURCES["pubmedqa"]
    job = IngestJob(
        "pubmedqa", source.files(resolve_source(source, settings)), LOADERS_BY_FORMAT["pubmedqa"]
    )
    report = run_ingest(store, [job], settings)
    assert report.jobs[0].files_unchanged == 1 and report.jobs[0].added == 0
    assert (store.count_documents(), store.count_passages()) == before


def test_demo_question_finds_cramp_passages(ingested: tuple[SQLiteStore, IngestReport]) -> None:
    store, _ = ingested
    settings = Settings(home=store.path.parent, mirror=None)
    hits = keyword_search(store, settings, "What causes muscle spasms?", 10)
    titles = [h.document.title.lower() for h in hits]
    assert any("cramp" in t or "spasm" in t for t in titles), titles

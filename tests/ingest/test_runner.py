from __future__ import annotations

import shutil
from pathlib import Path

from medcite.config import Settings
from medcite.ingest.base import LoadOptions
from medcite.ingest.formats import walk_files
from medcite.ingest.runner import IngestJob, run_ingest
from medcite.store.sqlite import SQLiteStore


def _folder_job(root: Path) -> IngestJob:
    return IngestJob(str(root), list(walk_files(root)), None, LoadOptions(root=root))


def _copy_fixtures(fixtures: Path, dest: Path) -> Path:
    for sub in ("medquad", "ngc", "pubmedqa"):
        shutil.copytree(fixtures / sub, dest / sub)
    (dest / "README.txt").write_text("Corpus paperwork, not a document.", encoding="utf-8")
    (dest / "notes.xyz").write_text("unknown format", encoding="utf-8")
    return dest


def test_bad_files_are_reported_and_the_rest_ingests(
    fixtures: Path, tmp_path: Path, store: SQLiteStore, settings: Settings
) -> None:
    root = _copy_fixtures(fixtures, tmp_path / "corpus")
    report = run_ingest(store, [_folder_job(root)], settings)
    (job,) = report.jobs
    failed = sorted(Path(where.split(" (")[0]).name for where, _ in job.errors)
    # truncated MedQuAD + truncated NGC files, and the PubMedQA record without contexts
    assert failed == ["0000004.xml", "ngc-90003.xml", "ori_pqal.json"]
    assert job.added == 2 + 1 + 3  # medquad 0000001/0000002, ngc-90001, three PubMedQA records
    skipped = sorted(Path(p).name for p, _ in job.skipped)
    assert skipped == ["0000003.xml", "ngc-90002.xml", "notes.xyz"]  # README is ignored outright
    assert not report.ok
    run = store.runs(1)[0]
    assert run["status"] == "completed_with_errors"
    assert len(store.errors(report.run_id)) == 3


def test_reingest_changes_nothing_and_skips_finished_files(
    fixtures: Path, tmp_path: Path, store: SQLiteStore, settings: Settings
) -> None:
    root = _copy_fixtures(fixtures, tmp_path / "corpus")
    run_ingest(store, [_folder_job(root)], settings)
    before = (store.count_documents(), store.count_passages())
    second = run_ingest(store, [_folder_job(root)], settings).jobs[0]
    assert (store.count_documents(), store.count_passages()) == before
    assert second.added == second.updated == 0
    # Finished files are not even re-read; only the two failing files are retried.
    assert second.files_read == 2
    assert second.files_unchanged == second.files - 2 - 1  # minus failures and notes.xyz


def test_modified_file_updates_its_document(
    fixtures: Path, tmp_path: Path, store: SQLiteStore, settings: Settings
) -> None:
    root = _copy_fixtures(fixtures, tmp_path / "corpus")
    run_ingest(store, [_folder_job(root)], settings)
    target = root / "medquad/1_Synthetic_QA/0000002.xml"
    target.write_text(target.read_text().replace("imaginary illness", "imaginary ailment"))
    job = run_ingest(store, [_folder_job(root)], settings).jobs[0]
    assert job.updated == 1 and job.added == 0
    doc = store.find_document("medquad", "NINDS/0000002")
    assert doc is not None and "imaginary ailment" in doc.body


def test_explicit_unsupported_file_is_an_error(
    tmp_path: Path, store: SQLiteStore, settings: Settings
) -> None:
    odd = tmp_path / "data.xyz"
    odd.write_text("???", encoding="utf-8")
    job = IngestJob(str(odd), [odd], None, LoadOptions(), explicit=True)
    report = run_ingest(store, [job], settings)
    assert not report.ok and "unrecognised format" in report.errors[0][1]

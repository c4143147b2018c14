"""The ingest runner: files -> loader -> chunker -> store, resumable and fault-tolerant.

Guarantees:
- a malformed file (or record) is reported with its reason and skipped; the rest ingests;
- a file or document over a limit (size, passages) or that is junk is skipped with its reason
  (see :mod:`medcite.ingest.guards`), and its file is tried again on the next run;
- documents are committed in batches, and the last batch of a file commits together with
  the file's "done" mark, so an ingest killed at any moment resumes where it stopped, skips
  finished files without reading them, and never duplicates a document (documents are keyed
  by (source, source_id); the store ignores unchanged re-writes). A streamed document (a large
  text file, :mod:`medcite.ingest.streaming`) is one transaction of its own and its file's mark
  the next: killed between the two, the file is read again and the document found unchanged.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from medcite.config import Settings
from medcite.errors import MedciteError, NotADocumentError, UnsupportedFormatError
from medcite.ingest.base import Loader, LoadOptions, RecordError, StreamedDocument
from medcite.ingest.chunking import build_passages
from medcite.ingest.formats import detect_format
from medcite.ingest.guards import DocumentGuard, DocumentRefused, check_file_size
from medcite.ingest.streaming import write_streamed
from medcite.store.base import FileMark, PreparedDocument, Store, WriteOutcome
from medcite.types import Document


@dataclass(slots=True)
class IngestJob:
    """One source or path to ingest."""

    label: str  # "medquad", or the path as the user gave it
    files: list[Path]
    loader: Loader | None = None  # None: detect each file's format
    options: LoadOptions = field(default_factory=LoadOptions)
    explicit: bool = False  # the user named this single file: an unsupported format is an error


@dataclass(slots=True)
class JobReport:
    label: str
    files: int = 0
    files_read: int = 0
    files_unchanged: int = 0  # finished in an earlier run and not modified since
    files_skipped: int = 0  # unsupported format, over a limit, or no document inside
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    passages: int = 0  # passages written (added or updated documents)
    seconds: float = 0.0
    errors: list[tuple[str, str]] = field(default_factory=list)  # (where, reason): failed
    skipped: list[tuple[str, str]] = field(default_factory=list)  # files and documents left out

    @property
    def documents(self) -> int:
        return self.added + self.updated + self.unchanged


@dataclass(slots=True)
class IngestReport:
    run_id: int
    jobs: list[JobReport]
    seconds: float = 0.0

    @property
    def errors(self) -> list[tuple[str, str]]:
        return [e for job in self.jobs for e in job.errors]

    @property
    def skipped(self) -> list[tuple[str, str]]:
        return [s for job in self.jobs for s in job.skipped]

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "seconds": round(self.seconds, 3),
            "ok": self.ok,
            "jobs": [{**asdict(j), "documents": j.documents} for j in self.jobs],
        }


class IngestProgress(Protocol):
    """Receives progress; the CLI draws bars, tests pass nothing."""

    def start_job(self, label: str, total_files: int, unit: str = "files") -> None: ...

    def advance(self, label: str, *, files: int = 0, documents: int = 0) -> None: ...

    def end_job(self, label: str) -> None: ...


class _NoProgress:
    def start_job(self, label: str, total_files: int, unit: str = "files") -> None:
        pass

    def advance(self, label: str, *, files: int = 0, documents: int = 0) -> None:
        pass

    def end_job(self, label: str) -> None:
        pass


def fingerprint(st: os.stat_result) -> str:
    """Cheap change detector for a file: size and modification time."""
    return f"{st.st_size}-{st.st_mtime_ns}"


def run_ingest(
    store: Store,
    jobs: Sequence[IngestJob],
    settings: Settings,
    progress: IngestProgress | None = None,
    *,
    args: dict[str, Any] | None = None,
) -> IngestReport:
    """Ingest every job's files into ``store``; returns what happened, per job."""
    progress = progress or _NoProgress()
    # An earlier run killed mid-way left its row 'running': it was interrupted.
    store.mark_interrupted_runs()
    run_id = store.start_run(args or {"jobs": [j.label for j in jobs]})
    report = IngestReport(run_id=run_id, jobs=[])
    started = time.perf_counter()
    try:
        for job in jobs:
            report.jobs.append(_run_job(store, job, settings, progress, run_id))
    except BaseException:
        report.seconds = time.perf_counter() - started
        store.finish_run(run_id, "failed", report.to_dict())
        raise
    report.seconds = time.perf_counter() - started
    store.finish_run(
        run_id, "completed" if report.ok else "completed_with_errors", report.to_dict()
    )
    return report


def _run_job(
    store: Store, job: IngestJob, settings: Settings, progress: IngestProgress, run_id: int
) -> JobReport:
    jr = JobReport(label=job.label, files=len(job.files))
    progress.start_job(job.label, len(job.files))
    started = time.perf_counter()
    try:
        for path in job.files:
            _ingest_file(store, job, path, settings, progress, run_id, jr)
            progress.advance(job.label, files=1)
    finally:
        jr.seconds = time.perf_counter() - started
        progress.end_job(job.label)
    return jr


def _ingest_file(
    store: Store,
    job: IngestJob,
    path: Path,
    settings: Settings,
    progress: IngestProgress,
    run_id: int,
    jr: JobReport,
) -> None:
    key = str(path.resolve())
    try:
        st = path.stat()
    except OSError as exc:
        _error(store, run_id, jr, key, f"cannot read file: {exc}")
        return
    fp = fingerprint(st)
    if store.file_done(key, fp):
        jr.files_unchanged += 1
        return
    try:
        loader = job.loader or detect_format(path)
        if loader.limit_file_size:
            check_file_size(st.st_size, settings)
    except DocumentRefused as exc:  # not marked finished: a raised limit reads it next time
        _skip(jr, key, exc.reason, file=True)
        return
    except UnsupportedFormatError as exc:
        if job.explicit:
            _error(store, run_id, jr, key, exc.message)
        else:
            _skip(jr, key, exc.message, file=True)
        return
    except MedciteError as exc:
        _error(store, run_id, jr, key, exc.message)
        return

    jr.files_read += 1
    options = replace(job.options, max_document_bytes=settings.max_document_bytes)
    batch: list[PreparedDocument] = []
    n_docs = 0
    refused = 0  # documents refused by a limit: the file is not marked finished

    def flush(mark: FileMark | None) -> None:
        outcomes = store.write_documents(batch, run_id=run_id, done_file=mark)
        for item, outcome in zip(batch, outcomes, strict=True):
            _count(jr, outcome, len(item.passages))
        progress.advance(job.label, documents=len(batch))
        batch.clear()

    def mark() -> FileMark | None:
        return None if refused else FileMark(key, fp, loader.format, n_docs)

    try:
        for item in loader.load(path, options):
            if isinstance(item, RecordError):
                if item.skipped:
                    refused += 1
                    _skip(jr, f"{key} ({item.where})", item.reason)
                else:
                    _error(store, run_id, jr, f"{key} ({item.where})", item.reason)
                continue
            where = f"{key} ({item.source_id})"
            try:
                if isinstance(item, StreamedDocument):
                    flush(None)  # its own transaction; the file mark follows it
                    written = write_streamed(store, item, key, settings, run_id)
                    has_text = written is not None
                    if written is not None:
                        _count(jr, *written)
                        progress.advance(job.label, documents=1)
                else:
                    prepared = _prepare(item, key, settings)
                    has_text = prepared is not None
                    if prepared is not None:
                        batch.append(prepared)
                        if len(batch) >= settings.ingest_batch_size:
                            flush(None)
            except DocumentRefused as exc:
                refused += 1
                _skip(jr, where, exc.reason)
                continue
            if not has_text:
                _error(store, run_id, jr, where, "document has no text")
                continue
            n_docs += 1
    except NotADocumentError as exc:
        _skip(jr, key, exc.message, file=True)
        flush(mark())
        return
    except MedciteError as exc:
        flush(None)  # keep the good documents read before the fault; the file stays unfinished
        _error(store, run_id, jr, key, exc.message)
        return
    except Exception as exc:  # a loader bug must not sink the whole ingest
        flush(None)
        _error(store, run_id, jr, key, f"unexpected {type(exc).__name__}: {exc}")
        return
    if n_docs == 0:
        jr.files_skipped += 1
        if not refused:
            jr.skipped.append((key, "no document with text in file"))
    flush(mark())


def _prepare(item: Document, key: str, settings: Settings) -> PreparedDocument | None:
    """Check a loaded document against the limits and cut it into passages (None: no text)."""
    guard = DocumentGuard(settings)
    for section in item.sections:
        guard.add_text(section.text)
    guard.close()
    body, passages = build_passages(
        item.sections, min_words=settings.passage_min_words, max_words=settings.passage_max_words
    )
    guard.add_passages(len(passages))
    return PreparedDocument(item, body, passages, file_path=key) if passages else None


def _count(jr: JobReport, outcome: WriteOutcome, passages: int) -> None:
    if outcome is WriteOutcome.ADDED:
        jr.added += 1
        jr.passages += passages
    elif outcome is WriteOutcome.UPDATED:
        jr.updated += 1
        jr.passages += passages
    elif outcome is WriteOutcome.UNCHANGED:
        jr.unchanged += 1
    else:
        jr.duplicates += 1


def _skip(jr: JobReport, where: str, reason: str, *, file: bool = False) -> None:
    jr.skipped.append((where, reason))
    if file:
        jr.files_skipped += 1


def _error(store: Store, run_id: int, jr: JobReport, where: str, reason: str) -> None:
    jr.errors.append((where, reason))
    store.record_error(run_id, where, reason)

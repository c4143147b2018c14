"""Terminal rendering for the CLI (rich): progress bars and tables."""

from __future__ import annotations

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from medcite.ingest.runner import IngestReport
from medcite.store.base import SourceStats
from medcite.types import DocType


class RichIngestProgress:
    """One bar per source (files done / total) with a running document count.

    When stderr is not a terminal (CI logs), prints one line per finished source instead.
    """

    def __init__(self, console: Console) -> None:
        self.console = console
        self.live = console.is_terminal
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description:<14}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[unit]:<8} {task.fields[extra]}"),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self.tasks: dict[str, TaskID] = {}
        self.docs: dict[str, int] = {}
        self.units: dict[str, int | str] = {}

    def __enter__(self) -> RichIngestProgress:
        if self.live:
            self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live:
            self.progress.stop()

    def start_job(self, label: str, total_files: int, unit: str = "files") -> None:
        self.docs[label] = 0
        self.units[label] = unit
        self.tasks[label] = self.progress.add_task(label, total=total_files, extra="", unit=unit)

    def advance(self, label: str, *, files: int = 0, documents: int = 0) -> None:
        self.docs[label] += documents
        extra = f"{self.docs[label]:>7,} docs" if self.docs[label] else ""
        self.progress.update(self.tasks[label], advance=files, extra=extra)

    def end_job(self, label: str) -> None:
        if not self.live:
            task = self.progress.tasks[self.tasks[label]]
            docs = f", {self.docs[label]:,} documents read" if self.units[label] == "files" else ""
            self.console.print(
                f"{label}: {int(task.completed):,}/{int(task.total or 0):,} {self.units[label]}"
                f"{docs} ({task.elapsed or 0:.1f}s)"
            )


def ingest_summary_table(report: IngestReport) -> Table:
    table = Table(title=f"Ingest run {report.run_id} ({report.seconds:.1f}s)", title_justify="left")
    for col in (
        "source",
        "files",
        "new docs",
        "updated",
        "unchanged",
        "duplicates",
        "passages",
        "skipped",
        "errors",
    ):
        table.add_column(col, justify="left" if col == "source" else "right")
    for j in report.jobs:
        table.add_row(
            j.label,
            f"{j.files:,}",
            f"{j.added:,}",
            f"{j.updated:,}",
            f"{j.unchanged:,}",
            f"{j.duplicates:,}",
            f"{j.passages:,}",
            f"{j.files_skipped:,}",
            f"[red]{len(j.errors):,}[/red]" if j.errors else "0",
        )
    return table


def stats_table(stats: list[SourceStats]) -> Table:
    table = Table(title="medcite store", title_justify="left")
    for col in ("source", "doc type", "documents", "passages"):
        table.add_column(col, justify="left" if col in ("source", "doc type") else "right")
    total_d = total_p = 0
    for s in stats:
        table.add_row(s.source, DocType(s.doc_type).label, f"{s.documents:,}", f"{s.passages:,}")
        total_d += s.documents
        total_p += s.passages
    table.add_section()
    table.add_row("[bold]total", "", f"[bold]{total_d:,}", f"[bold]{total_p:,}")
    return table

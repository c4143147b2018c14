"""Terminal rendering for the CLI (rich): progress bars and tables."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from medcite.ingest.runner import IngestReport
from medcite.store.base import SourceStats
from medcite.terminal import compact_table
from medcite.types import DocType


class RichIngestProgress:
    """One bar per source (files done / total) with a running document count, the rate of
    documents per second and the time left (estimated from the units done so far).

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
            TimeRemainingColumn(),
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
        extra = ""
        if self.docs[label]:
            elapsed = self.progress.tasks[self.tasks[label]].elapsed or 0.0
            rate = f" {self.docs[label] / elapsed:,.0f}/s" if elapsed > 1 else ""
            extra = f"{self.docs[label]:>7,} docs{rate}"
        self.progress.update(self.tasks[label], advance=files, extra=extra)

    def end_job(self, label: str) -> None:
        if not self.live:
            task = self.progress.tasks[self.tasks[label]]
            docs = f", {self.docs[label]:,} documents read" if self.units[label] == "files" else ""
            self.console.print(
                f"{label}: {int(task.completed):,}/{int(task.total or 0):,} {self.units[label]}"
                f"{docs} ({task.elapsed or 0:.1f}s)"
            )


# Full words that fit 80 columns: one space between columns, no rules; the source column takes
# what is left and wraps a long path rather than cutting it.
_SUMMARY_COLUMNS = (
    "files",
    "new",
    "updated",
    "unchanged",
    "duplicates",
    "passages",
    "skipped",
    "failed",
)


def ingest_summary_table(report: IngestReport) -> Table:
    table = compact_table(f"Ingest run {report.run_id} ({report.seconds:.1f}s)")
    table.add_column("source", overflow="fold", ratio=1)
    for col in _SUMMARY_COLUMNS:
        table.add_column(col, justify="right", no_wrap=True)
    for j in report.jobs:
        table.add_row(
            escape(j.label),
            f"{j.files:,}",
            f"{j.added:,}",
            f"{j.updated:,}",
            f"{j.unchanged:,}",
            f"{j.duplicates:,}",
            f"{j.passages:,}",
            f"{len(j.skipped):,}",
            f"[red]{len(j.errors):,}[/red]" if j.errors else "0",
        )
    return table


def problems_table(
    skipped: Sequence[tuple[str, str]],
    failed: Sequence[tuple[str, str]],
    *,
    limit: int = 20,
    more: str = "see `medcite runs`",
) -> Table | None:
    """Skipped and failed files (or records) grouped by reason, at most ``limit`` rows; a
    caption counts what the rows leave out."""
    groups: dict[tuple[str, str], list[str]] = {}
    for outcome, items in (("failed", failed), ("skipped", skipped)):
        for where, reason in items:
            groups.setdefault((outcome, reason), []).append(where)
    if not groups:
        return None
    table = Table(
        title="Skipped and failed",
        title_justify="left",
        box=None,
        padding=(0, 1),
        pad_edge=False,
        collapse_padding=True,
    )
    table.add_column("outcome", no_wrap=True)
    table.add_column("reason", overflow="fold", ratio=3)
    table.add_column("count", justify="right", no_wrap=True)
    table.add_column("for example", overflow="fold", ratio=2)
    shown = list(groups.items())[:limit]
    for (outcome, reason), wheres in shown:
        examples = ", ".join(_short(w) for w in wheres[:2]) + (", …" if len(wheres) > 2 else "")
        style = "red" if outcome == "failed" else "yellow"
        table.add_row(
            f"[{style}]{outcome}[/{style}]", escape(reason), f"{len(wheres):,}", escape(examples)
        )
    if left_out := sum(len(w) for _, w in list(groups.items())[limit:]):
        table.caption = f"… and {left_out:,} more: {more}"
        table.caption_justify = "left"
    return table


def _short(where: str) -> str:
    """'/abs/dir/file.jsonl (file.jsonl:12)' -> 'file.jsonl:12'; '/abs/dir/x.xyz' -> 'x.xyz'."""
    path, sep, inner = where.rpartition(" (")
    if sep and inner.endswith(")"):
        inner = inner[:-1]
        name = Path(path).name
        return inner if inner.startswith(name) else f"{name} ({inner})"
    return Path(where).name or where


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

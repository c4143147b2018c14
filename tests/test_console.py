"""Terminal tables: readable in an 80-column terminal."""

from __future__ import annotations

from rich.console import Console

from medcite.console import ingest_summary_table, problems_table
from medcite.ingest.runner import IngestReport, JobReport


def _render(renderable: object, width: int = 80) -> str:
    console = Console(width=width, record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


def test_summary_headers_and_sources_are_whole_at_80_columns() -> None:
    jobs = [
        JobReport("medquad", files=5497, added=5487, duplicates=3, passages=25906),
        JobReport("ngc", files=1415, added=1415, updated=12, unchanged=1403, passages=33460),
        JobReport("pubmedqa", files=1, added=1000, passages=4369, errors=[("x", "bad")]),
        JobReport("/srv/hospital/protocols/2024/cardiology", files=3, added=3),
    ]
    text = _render(ingest_summary_table(IngestReport(run_id=7, jobs=jobs, seconds=41.3)))
    assert max(len(line.rstrip()) for line in text.splitlines()) <= 80
    words = text.split()
    for header in (
        "source",
        "files",
        "new",
        "updated",
        "unchanged",
        "duplicates",
        "passages",
        "skipped",
        "failed",
    ):
        assert header in words, header
    for name in ("medquad", "ngc", "pubmedqa", "25,906", "33,460", "1,403"):
        assert name in words, name
    assert "…" not in text
    # A long path wraps inside its column rather than being cut.
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("/srv"))
    folded = "".join(line.split()[0] for line in lines[start:] if line.strip())
    assert folded == "/srv/hospital/protocols/2024/cardiology"


def test_problems_grouped_by_reason_and_capped() -> None:
    skipped = [(f"/data/notes{i}.xyz", "unrecognised format (.xyz)") for i in range(4)]
    skipped += [(f"/data/f.q{i:02d}", f"unrecognised format (.q{i:02d})") for i in range(30)]
    failed = [("/data/big.jsonl (big.jsonl:3)", "invalid JSON: Expecting value")]
    table = problems_table(skipped, failed, limit=5)
    assert table is not None
    text = _render(table)
    assert "failed" in text and "big.jsonl:3" in text
    assert "notes0.xyz, notes1.xyz, …" in text and " 4 " in text  # one row for four files
    assert text.count("unrecognised format") == 4  # 5 rows in all, the failure first
    assert "… and 27 more: see `medcite runs`" in text
    assert problems_table([], []) is None

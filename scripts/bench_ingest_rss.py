"""Peak memory of `medcite ingest` on one large generated text file.

Generates a file (one repeated word; prose-like text from an invented vocabulary, in paragraphs;
or that prose on a single line, with no newline at all), ingests it
with a separate `medcite ingest FILE --json` process in a fresh MEDCITE_HOME, and reports that
process's peak RSS (``os.wait4``: the child's own maximum, not the largest child so far), its
wall time and the outcome. `scripts/bench.py` can import :func:`measure`; run alone it prints a
table:

    .venv/bin/python scripts/bench_ingest_rss.py --mb 50
    .venv/bin/python scripts/bench_ingest_rss.py --mb 50 --raise-limits
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from bench_process import run_process

Kind = Literal["word", "prose", "oneline"]
MEDCITE = [sys.executable, "-m", "medcite"]
# Limits high enough that a file of a few hundred MB is accepted (used with raise_limits=True).
RAISED_LIMITS = {
    "MEDCITE_MAX_DOCUMENT_BYTES": str(1_000_000_000),
    "MEDCITE_MAX_DOCUMENT_PASSAGES": str(10_000_000),
}
# Invented words (no meaning, no medical content): the prose is obviously synthetic.
_VOCAB = """
    the a of and to in is was for on with as by at from that this it be are were or an
    zorblax quibble florp wendle brisket tamsin gorple vantry meloch sprindle cadwick
    thrimble oxley pannet restow glimmer hobart jessamy kettle lantern morrow nettle
    orchard pilgrim quarry rambler saddle thistle umber valley wicket yarrow zephyr
    bramble cobble dapple ember fennel gable hollow ivory juniper kestrel linden maple
    willow harbour meadow copper silver spindle tinder basket mantle pebble ripple
""".split()  # noqa: SIM905 (a word list reads better as text)


@dataclass(frozen=True, slots=True)
class Result:
    kind: str
    mb: float
    raised_limits: bool
    exit_code: int
    peak_rss_mb: float
    seconds: float
    outcome: str  # "added N docs, P passages" or "skipped: reason" or "failed: reason"


def generate(path: Path, kind: Kind, size_bytes: int, seed: int = 7) -> Path:
    """Write ``size_bytes`` of text to ``path``, in 1 MB blocks (the generator holds little)."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as fh:
        written = 0
        if kind == "word":
            line = "lorem " * 15 + "lorem\n"
            block = line * (1_000_000 // len(line))
            while written < size_bytes:
                piece = block[: size_bytes - written]
                fh.write(piece)
                written += len(piece)
            return path
        fh.write("Synthetic prose for a memory benchmark\n\n")
        sep = " " if kind == "oneline" else "\n\n"
        while written < size_bytes:
            paras = []
            for _ in range(50):
                sentences = []
                for _ in range(rng.randint(3, 7)):
                    words = rng.choices(_VOCAB, k=rng.randint(8, 24))
                    sentences.append(" ".join(words).capitalize() + f" {rng.randint(1, 999)}.")
                paras.append(" ".join(sentences))
            piece = sep.join(paras) + sep
            fh.write(piece)
            written += len(piece)
    return path


def run_ingest(file: Path, env: dict[str, str]) -> tuple[int, float, float, dict[str, object]]:
    """(exit code, peak RSS MiB, wall seconds, JSON report or {}) of one ingest process."""
    run = run_process(
        [*MEDCITE, "ingest", str(file), "--json"], {**os.environ, **env}, keep_output=True
    )
    try:
        report = json.loads(run.stdout) if run.stdout.strip() else {}
    except ValueError:
        report = {}
    return run.exit_code, run.peak_mib, run.wall, report


def _outcome(report: dict[str, object]) -> str:
    jobs = report.get("jobs")
    if not isinstance(jobs, list) or not jobs:
        return "no report"
    job = jobs[0]
    if job.get("errors"):
        return "failed: " + str(job["errors"][0][1])
    if job.get("skipped"):
        return "skipped: " + str(job["skipped"][0][1])
    return f"added {job.get('added', 0)} docs, {job.get('passages', 0)} passages"


def measure(
    kind: Kind, mb: float, *, raise_limits: bool = False, env: dict[str, str] | None = None
) -> Result:
    """Generate a ``mb`` MB file of ``kind`` text and ingest it in a fresh temporary home."""
    with tempfile.TemporaryDirectory(prefix="medcite-rss-") as tmp:
        root = Path(tmp)
        file = generate(root / f"{kind}.txt", kind, int(mb * 1_000_000))
        run_env = {"MEDCITE_HOME": str(root / "home"), **(env or {})}
        if raise_limits:
            run_env |= RAISED_LIMITS
        code, rss, seconds, report = run_ingest(file, run_env)
    return Result(kind, mb, raise_limits, code, rss, seconds, _outcome(report))


def bench_large_file(header: str, mb: float = 50.0) -> str:
    """The `largefile` section of docs/benchmarks.md: each kind of file with the default limits
    (refused) and with the limits raised (streamed)."""
    rows = []
    for kind in ("word", "prose", "oneline"):
        for raised in (False, True):
            r = measure(kind, mb, raise_limits=raised)  # type: ignore[arg-type]
            rows.append(
                f"| {kind} | {'raised' if raised else 'default'} | {r.peak_rss_mb:.0f} MiB | "
                f"{r.seconds:.1f} s | {r.exit_code} | {r.outcome} |"
            )
    return "\n".join(
        [
            f"## Ingest of one {mb:g} MB text file",
            "",
            f"{header}; one `medcite ingest FILE --json` process per row in a fresh home; peak "
            "RSS is that process's own (wait4). Files: one repeated word; prose of invented "
            "words in paragraphs; the same prose on a single line. Default limits: 20 MB a "
            "document, 20,000 passages; raised: 1 GB and 10 million (`MEDCITE_MAX_DOCUMENT_*`). "
            "Target: peak RSS ≤ 300 MB, with a warning or refusal per the limits.",
            "",
            "| file | limits | peak RSS | wall | exit | outcome |",
            "|---|---|---|---|---|---|",
            *rows,
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=float, default=50.0, help="File size in MB (default 50).")
    parser.add_argument("--kind", choices=["word", "prose", "oneline", "all"], default="all")
    parser.add_argument(
        "--raise-limits", action="store_true", help="Raise the size limits so the file is read."
    )
    args = parser.parse_args()
    kinds: list[Kind] = ["word", "prose", "oneline"] if args.kind == "all" else [args.kind]
    print("| file | limits | exit | peak RSS | wall | outcome |\n|---|---|---|---|---|---|")
    for kind in kinds:
        r = measure(kind, args.mb, raise_limits=args.raise_limits)
        limits = "raised" if r.raised_limits else "default"
        print(
            f"| {r.mb:g} MB {r.kind} | {limits} | {r.exit_code} | {r.peak_rss_mb:.0f} MiB "
            f"| {r.seconds:.1f} s | {r.outcome} |"
        )


if __name__ == "__main__":
    main()

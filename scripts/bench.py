"""medcite benchmarks (`make bench`): measured here, written to docs/benchmarks.md.

Ingestion: the three shared corpora (MedQuAD, NGC, PubMedQA) into a fresh store, as a separate
`medcite ingest --default` process, repeated; reports the median wall time, peak RSS, documents
and passages per source, the no-op re-ingest time, and a parse-only baseline (loaders alone, no
chunking or store) run in this process, with the ratio between them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from medcite.config import Settings
from medcite.ingest.base import LoadOptions
from medcite.ingest.formats import LOADERS_BY_FORMAT
from medcite.ingest.sources import DEFAULT_SOURCES, SOURCES, resolve_source

ROOT = Path(__file__).resolve().parent.parent
MEDCITE = str(Path(sys.executable).with_name("medcite"))


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = int(re.findall(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text())[0])
        mem = f"{mem_kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, IndexError):
        mem = "unknown RAM"
    return (
        f"{os.cpu_count()} cores ({cpu}), {mem}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def run_ingest_process(home: Path, mirror: Path) -> tuple[float, float, dict[str, object]]:
    """(wall seconds, peak RSS MiB, JSON report) of one `medcite ingest --default` process."""
    env = {**os.environ, "MEDCITE_HOME": str(home), "MEDCITE_MIRROR": str(mirror)}
    started = time.perf_counter()
    proc = subprocess.Popen(
        [MEDCITE, "ingest", "--default", "--json"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"ingest failed with exit status {proc.returncode}")
    return wall, usage.ru_maxrss / 1024, json.loads(out)


def parse_only(mirror: Path) -> float:
    """Baseline: read and parse every file with its loader, nothing else."""
    settings = Settings(home=Path(tempfile.gettempdir()) / "medcite-bench-unused", mirror=mirror)
    started = time.perf_counter()
    for name in DEFAULT_SOURCES:
        source = SOURCES[name]
        loader = LOADERS_BY_FORMAT[source.format]
        for path in source.files(resolve_source(source, settings)):
            try:
                for _ in loader.load(path, LoadOptions()):
                    pass
            except Exception:  # the baseline only times parsing; errors are counted elsewhere
                pass
    return time.perf_counter() - started


def write_section(doc: Path, name: str, body: str) -> None:
    """Replace (or append) the section between <!-- bench:NAME --> markers."""
    start, end = f"<!-- bench:{name}:start -->", f"<!-- bench:{name}:end -->"
    text = (
        doc.read_text(encoding="utf-8")
        if doc.exists()
        else "# Benchmarks\n\nWritten by `make bench`.\n"
    )
    block = f"{start}\n{body.rstrip()}\n{end}"
    if start in text and end in text:
        text = text[: text.index(start)] + block + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    doc.write_text(text, encoding="utf-8")


def bench_ingest(mirror: Path, repeat: int) -> str:
    walls, rss, reingest = [], [], []
    report: dict[str, object] = {}
    for _ in range(repeat):
        home = Path(tempfile.mkdtemp(prefix="medcite-bench-"))
        try:
            wall, peak, report = run_ingest_process(home, mirror)
            walls.append(wall)
            rss.append(peak)
            again, _, _ = run_ingest_process(home, mirror)
            reingest.append(again)
        finally:
            shutil.rmtree(home, ignore_errors=True)
    baselines = [parse_only(mirror) for _ in range(repeat)]
    full, base = statistics.median(walls), statistics.median(baselines)

    lines = [
        "## Ingestion of the shared corpora",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d} on {machine()}; median of {repeat} runs.",
        "",
        "| measure | value |",
        "|---|---|",
        f"| full ingest, fresh store (`medcite ingest --default`, one process) | {full:.1f} s (runs: {', '.join(f'{w:.1f}' for w in walls)}) |",
        f"| peak RSS of that process | {max(rss):.0f} MiB |",
        f"| re-ingest of the same files (no-op resume) | {statistics.median(reingest):.2f} s |",
        f"| baseline: parse only (loaders, no chunking or store), same machine | {base:.1f} s |",
        f"| full ingest / parse-only | {full / base:.2f}x |",
        "",
        "| source | files | documents | duplicates | passages | skipped files | errors | seconds |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for job in report["jobs"]:  # type: ignore[attr-defined]
        lines.append(
            f"| {job['label']} | {job['files']:,} | {job['added']:,} | {job['duplicates']:,} | {job['passages']:,} | "
            f"{job['files_skipped']:,} | {len(job['errors'])} | {job['seconds']:.1f} |"
        )
    lines += [
        "",
        "Data: MedQuAD (Ben Abacha & Demner-Fushman, BMC Bioinformatics 2019, CC BY 4.0), AHRQ National "
        "Guideline Clearinghouse summaries (archived 2018), PubMedQA PQA-L (Jin et al., EMNLP 2019, MIT).",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "docs/benchmarks.md")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    mirror_env = os.environ.get("MEDCITE_MIRROR")
    if not mirror_env or not (Path(mirror_env) / "medquad").is_dir():
        raise SystemExit(
            "make bench needs MEDCITE_MIRROR pointing at the shared corpora (../shared/corpora)"
        )
    section = bench_ingest(Path(mirror_env), args.repeat)
    write_section(args.out, "ingest", section)
    print(section)


if __name__ == "__main__":
    main()

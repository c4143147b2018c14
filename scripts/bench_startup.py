"""Start-up benchmarks for `make bench` (imported by scripts/bench.py).

`medcite --help` and a cold `medcite ask` over the default corpus, each a separate process,
paired run by run with `python -c pass` of the same virtualenv (A B A B ...), so that the ratio
holds even when the machine's speed drifts. Bytecode is written (a user's normal setting; the
wheel install compiles it too) and the first run of each command is a warm-up that is not
counted. Also: one `ask` with its on-disk caches removed, to show what they save.
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench_process import Run, run_process as measured

MEDCITE = str(Path(sys.executable).with_name("medcite"))
QUESTION = "What causes muscle spasms?"


def run_process(argv: list[str], env: dict[str, str]) -> Run:
    """One run that must succeed."""
    run = measured(argv, env)
    if run.exit_code != 0:
        raise SystemExit(f"{' '.join(argv)} failed with exit status {run.exit_code}")
    return run


@dataclass(frozen=True, slots=True)
class Paired:
    target: list[Run]
    base: list[Run]

    def median(self, runs: list[Run], field: str) -> float:
        return statistics.median(getattr(r, field) for r in runs)

    @property
    def ratio(self) -> float:
        """Median of the per-pair wall-time ratios."""
        return statistics.median(
            t.wall / b.wall for t, b in zip(self.target, self.base, strict=True)
        )


def paired(target: list[str], base: list[str], env: dict[str, str], runs: int = 5) -> Paired:
    run_process(target, env)  # warm-up: bytecode, caches, the page cache
    run_process(base, env)
    t_runs, b_runs = [], []
    for _ in range(runs):
        t_runs.append(run_process(target, env))
        b_runs.append(run_process(base, env))
    return Paired(t_runs, b_runs)


def bench_startup(
    mirror: Path,
    ingest: Callable[[Path, Path], object],
    header: str,
    runs: int = 5,
) -> str:
    """The `startup` section of docs/benchmarks.md."""
    home = Path(os.environ.get("TMPDIR", "/tmp")) / f"medcite-bench-startup-{os.getpid()}"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env |= {
        "MEDCITE_HOME": str(home),
        "MEDCITE_MIRROR": str(mirror),
        "MEDCITE_MODEL_CACHE": str(home / "models"),
    }
    try:
        os.environ["MEDCITE_MODEL_CACHE"] = env["MEDCITE_MODEL_CACHE"]
        ingest(home, mirror)  # builds the store, the keyword index and the vocabulary caches
        base = [sys.executable, "-c", "pass"]
        help_runs = paired([MEDCITE, "--help"], base, env, runs)
        ask_runs = paired([MEDCITE, "ask", QUESTION], base, env, runs)
        # What the caches save: the same cold ask with them removed (rebuilt by this run).
        shutil.rmtree(home / "cache", ignore_errors=True)
        shutil.rmtree(home / "models", ignore_errors=True)
        uncached = run_process([MEDCITE, "ask", QUESTION], env)
    finally:
        os.environ.pop("MEDCITE_MODEL_CACHE", None)
        shutil.rmtree(home, ignore_errors=True)

    def row(label: str, p: Paired, target: str, ratio_goal: str) -> str:
        walls = ", ".join(f"{r.wall:.2f}" for r in p.target)
        return (
            f"| {label} | {p.median(p.target, 'wall'):.3f} s (runs: {walls}) | "
            f"{p.median(p.target, 'cpu'):.3f} s | {p.median(p.target, 'peak_mib'):.0f} MiB | "
            f"{p.median(p.base, 'wall') * 1000:.0f} ms | {p.ratio:.1f}x | {target} / {ratio_goal} |"
        )

    return "\n".join(
        [
            "## Start-up of the command line",
            "",
            f"{header}; median of {runs} runs after one warm-up, each paired with "
            "`python -c pass` of the same virtualenv (ratio = median of the per-pair ratios); "
            f'default corpus; question "{QUESTION}"; bytecode written as on a normal install.',
            "",
            "| command | wall | CPU | peak RSS | `python -c pass` | ratio | target (wall / ratio) |",
            "|---|---|---|---|---|---|---|",
            row("`medcite --help`", help_runs, "≤ 0.25 s", "≤ 20x"),
            row(f'cold `medcite ask "{QUESTION}"`', ask_runs, "≤ 1.0 s", "≤ 75x"),
            f"| the same ask with its on-disk caches removed (rebuilt by that run) | "
            f"{uncached.wall:.3f} s | {uncached.cpu:.3f} s | {uncached.peak_mib:.0f} MiB | | | |",
        ]
    )

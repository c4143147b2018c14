"""Issue 22's load-test targets in one run: `medcite serve` on SQLite and on PostgreSQL, 1 and N
workers, side by side, with the machine's limit measured in the same run (`make loadtest`).

For each backend the script first measures the mean single-client answer time (one client, no
think time, after a warm-up) on a 1-worker server: the machine's limit is then
cores x 1000 / that mean (answers/s), whatever the composer costs. Then, for each configuration,
it runs scripts/loadtest.py's closed loop (CLIENTS clients for DURATION s after WARMUP s) and
records throughput against that limit, p95 against 1.5 x the mean latency under load, errors,
the RSS slope over the second half of the window, and the memory of the server's process tree
at the end: RSS summed (counts shared pages once per process) and PSS summed (each shared page
split among the processes sharing it: what the workers cost together).

SQLite: MEDCITE_HOME must hold the ingested default corpus (never written: the server only reads
and saves answers). PostgreSQL: --database-url names a database holding the same corpus
(`medcite ingest --default` with MEDCITE_DATABASE_URL set); left out, that backend is skipped.
`--baseline-src DIR` adds rows for another checkout's server (its src/, e.g. the commit before
a change), run the same way in the same run. Markdown by default, `--json` for the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shlex
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loadtest import (  # the sibling script, imported by path
    MEDCITE,
    MIB,
    Sampler,
    Server,
    default_bench_dir,
    load_questions,
    rss_report,
    run_load,
    summarize,
    wait_ready,
)


def tree_memory(pid: int) -> dict[str, float]:
    """RSS, PSS and USS (MiB) summed over ``pid`` and its children, and how many processes."""
    rss = pss = uss = 0.0
    procs = 0
    try:
        root = psutil.Process(pid)
        members = [root, *root.children(recursive=True)]
    except psutil.Error:
        return {}
    for proc in members:
        try:
            m = proc.memory_full_info()
        except psutil.Error:
            continue
        rss, pss, uss, procs = rss + m.rss, pss + m.pss, uss + m.uss, procs + 1
    return {"rss": rss / MIB, "pss": pss / MIB, "uss": uss / MIB, "processes": procs}


def measure(
    label: str,
    command: str,
    env: dict[str, str],
    questions: list[str],
    *,
    clients: int,
    warmup: float,
    duration: float,
    seed: int,
) -> dict[str, Any]:
    """One server under one load; its report (scripts/loadtest.py's fields, plus memory)."""
    fd, name = tempfile.mkstemp(prefix="medcite-serve-", suffix=".log")
    os.close(fd)
    log = Path(name)
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        server = Server(command, log)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    try:
        wait_ready(server.url, server, 180)
        sampler = Sampler(server.proc.pid)
        sampler.start()
        t0 = time.perf_counter()
        records, measured_from, stop_at, _ = asyncio.run(
            run_load(
                server.url,
                questions,
                clients=clients,
                warmup=warmup,
                duration=duration,
                seed=seed,
                timeout=120,
                think=0,
            )
        )
        sampler.stop()
        memory = tree_memory(server.proc.pid)
        alive = server.proc.poll() is None
        report = {
            "label": label,
            "clients": clients,
            **summarize(records, measured_from, stop_at, duration),
            "rss_mib": rss_report(sampler, t0, measured_from, stop_at),
            "memory_end_mib": memory,
            "server_alive_at_end": alive,
        }
        report["rss_mib"].pop("series", None)
        return report
    except BaseException:
        print(f"{label}: server output:\n{server.tail()}", file=sys.stderr)
        raise
    finally:
        server.stop()
        log.unlink(missing_ok=True)


def row(r: dict[str, Any], limit: float) -> str:
    lat, st, mem = r["latency_ms"], r["status"], r["memory_end_mib"]
    errors = st["5xx"] + r["transport_errors"]
    slope = r["rss_mib"]["slope_mib_per_min_second_half"]
    share = 100 * r["throughput_rps"] / limit if limit else float("nan")
    ratio = lat["p95"] / lat["mean"] if lat["mean"] else float("nan")
    return (
        f"| {r['label']} | {r['throughput_rps']:.1f} ({share:.0f}%) | {lat['mean']:.0f} | "
        f"{lat['p50']:.0f} / {lat['p95']:.0f} ({ratio:.2f}x) | {errors} | "
        f"{'n/a' if slope is None else f'{slope:+.1f}'} | "
        f"{mem.get('rss', 0):.0f} / {mem.get('pss', 0):.0f} |"
    )


def markdown(result: dict[str, Any]) -> str:
    lines = [
        f"{result['clients']} clients x {result['duration_s']:.0f} s (warm-up "
        f"{result['warmup_s']:.0f} s), closed loop, no think time; {result['cores']} cores; "
        f"{result['question_pool']:,} distinct questions (seed {result['seed']}).",
        "",
    ]
    for backend in result["backends"]:
        single = backend["single_client"]
        limit = backend["limit_rps"]
        lines += [
            f"**{backend['name']}**: single client mean {single['latency_ms']['mean']:.1f} ms "
            f"({single['requests']:,} answers), so the machine's limit is "
            f"{result['cores']} x 1000 / {single['latency_ms']['mean']:.1f} = {limit:.0f} answers/s.",
            "",
            "| server | answers/s (share of limit) | mean ms | p50 / p95 ms (p95 / mean) | "
            "5xx + transport errors | RSS slope, 2nd half (MiB/min) | end RSS / PSS of all "
            "processes (MiB) |",
            "|---|---|---|---|---|---|---|",
            *(row(r, limit) for r in backend["runs"]),
            "",
        ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, default=15.0)
    parser.add_argument("--warmup", type=float, default=15.0)
    parser.add_argument("--single", type=float, default=10.0, help="Single-client seconds")
    parser.add_argument("--workers", type=int, default=2, help="N of the N-worker rows")
    parser.add_argument("--database-url", help="PostgreSQL database holding the same corpus")
    parser.add_argument("--baseline-src", type=Path, help="Another checkout's src/ to compare")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--bench", type=Path, default=default_bench_dir())
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    questions, _ = load_questions(args.bench)
    cores = os.cpu_count() or 1
    serve = f"{shlex.quote(sys.executable)} -m medcite serve --host {{host}} --port {{port}}"
    serve += " --log-level warning"
    here = str(Path(__file__).resolve().parent.parent / "src")
    base_env = {"PYTHONPATH": here}
    backends: list[tuple[str, dict[str, str]]] = [("SQLite", {"MEDCITE_DATABASE_URL": ""})]
    if args.database_url:
        backends.append(("PostgreSQL", {"MEDCITE_DATABASE_URL": args.database_url}))
    result: dict[str, Any] = {
        "clients": args.clients,
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "seed": args.seed,
        "cores": cores,
        "question_pool": len(questions),
        "medcite": MEDCITE,
        "backends": [],
    }
    load = {"clients": args.clients, "warmup": args.warmup, "duration": args.duration}
    for name, env in backends:
        env = {**base_env, **env}
        single = measure(
            f"{name}, 1 client",
            serve,
            env,
            questions,
            clients=1,
            warmup=args.warmup,
            duration=args.single,
            seed=args.seed,
        )
        limit = cores * 1000 / single["latency_ms"]["mean"]
        runs = []
        plans = [
            ("this branch, 1 worker", 1, env),
            (f"this branch, {args.workers} workers", args.workers, env),
        ]
        if args.baseline_src:
            old = {**env, "PYTHONPATH": str(args.baseline_src.resolve())}
            plans += [
                ("before, 1 worker", 1, old),
                (f"before, {args.workers} workers", args.workers, old),
            ]
        for label, workers, plan_env in plans:
            command = serve + (f" --workers {workers}" if workers > 1 else "")
            print(f"load: {name}, {label}", file=sys.stderr, flush=True)
            runs.append(measure(label, command, plan_env, questions, seed=args.seed, **load))
        result["backends"].append(
            {"name": name, "single_client": single, "limit_rps": limit, "runs": runs}
        )
    print(json.dumps(result, indent=2) if args.json else markdown(result))
    failed = any(
        r["status"]["5xx"] or r["transport_errors"] or not r["server_alive_at_end"]
        for b in result["backends"]
        for r in b["runs"]
    )
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

"""Bounded load test of `medcite serve` (the `load` section of `make bench`).

Starts `medcite serve --host 127.0.0.1 --port PORT` on a free loopback port (its store is
$MEDCITE_HOME, which must already hold the ingested default corpus: `make demo`), or targets a
running server (`--url`, with `--pid` to sample its memory). Waits for /readyz, then runs N
concurrent clients (asyncio tasks in this one process, each with its own keep-alive httpx
connection, which keeps the load generator cheap on a small machine it shares with the server)
through a warm-up and then a measured window. Each client loops: POST /api/ask with a question
sampled (seeded) from the shared benchmark question files, read at run time (MedLFQA LiveQA /
MedicationQA / HealthSearchQA, TREC 2017 LiveQA original consumer messages), alternating patient
and clinician audiences; no think time unless `--think`.

Reports requests, throughput, p50/p95/p99 latency, 2xx/4xx/5xx and transport errors, and the
server's RSS (process and its children, sampled every second): at start, after warm-up, at the
end, peak, and the least-squares slope over the second half of the measured window (MiB/min) to
judge whether memory stays flat. The default 60 s warm-up lets a fresh server's caches fill first
(measured on the default corpus: RSS rises from about 140 to 290 MiB over the first 1,500 or so
answers, as the composer's 65,536-entry sentence-stem LRU fills, then levels off). Markdown by default, `--json` for a machine-readable report. Exit status 1
when there was any 5xx or transport error, no 2xx at all, or the server died.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shlex
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psutil
from defusedxml import ElementTree

ROOT = Path(__file__).resolve().parent.parent
MEDCITE = str(Path(sys.executable).with_name("medcite"))
AUDIENCES = ("patient", "clinician")
MIB = 1024 * 1024


def default_bench_dir() -> Path:
    mirror = os.environ.get("MEDCITE_MIRROR")
    if mirror and (Path(mirror).resolve().parent / "bench").is_dir():
        return Path(mirror).resolve().parent / "bench"
    return ROOT.parent / "shared" / "bench"


def load_questions(bench: Path) -> tuple[list[str], dict[str, int]]:
    """Distinct questions from the shared benchmark files, and how many each file gave."""
    seen: dict[str, None] = {}
    sources: dict[str, int] = {}
    for path in sorted((bench / "medlfqa").glob("*.jsonl")):
        before = len(seen)
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line) if line.strip() else {}
            question = " ".join(str(row.get("Question") or "").split())
            if question:
                seen.setdefault(question)
        sources[f"medlfqa/{path.name}"] = len(seen) - before
    trec = bench / "liveqa-trec2017" / "TestDataset" / "TREC-2017-LiveQA-Medical-Test.xml"
    if trec.is_file():
        before = len(seen)
        for item in ElementTree.parse(trec).getroot().iter("NLM-QUESTION"):
            # The consumer's own message (typos and all), not NIST's paraphrase (which MedLFQA has).
            message = " ".join((item.findtext("Original-Question/MESSAGE") or "").split())
            if message:
                seen.setdefault(message)
        sources[f"liveqa-trec2017/{trec.name}"] = len(seen) - before
    if not seen:
        raise SystemExit(f"no benchmark questions under {bench} (medlfqa/, liveqa-trec2017/)")
    return list(seen), sources


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """The server under test as a subprocess in its own session; output goes to a log file."""

    def __init__(self, command: str, log: Path) -> None:
        self.log = log
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.argv = shlex.split(command.format(host="127.0.0.1", port=self.port))
        with log.open("wb") as out:
            self.proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> dict[str, Any]:
        """SIGTERM, then SIGKILL after 15 s: how it went."""
        started, killed = time.perf_counter(), False
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
                killed = True
        return {
            "exit_status": self.proc.returncode,
            "seconds": time.perf_counter() - started,
            "killed": killed,
        }


def wait_ready(url: str, server: Server | None, timeout: float) -> float:
    """Seconds until GET /readyz answered 200; SystemExit if the server died or never did."""
    started = time.perf_counter()
    last = "no answer"
    with httpx.Client(base_url=url, timeout=5) as client:
        while time.perf_counter() - started < timeout:
            if server is not None and server.proc.poll() is not None:
                raise SystemExit(
                    f"server exited with status {server.proc.returncode} before it was ready:\n"
                    + server.tail()
                )
            try:
                response = client.get("/readyz")
                if response.status_code == 200:
                    return time.perf_counter() - started
                last = f"HTTP {response.status_code}"
            except httpx.TransportError as exc:
                last = type(exc).__name__
            time.sleep(0.2)
    raise SystemExit(
        f"{url}/readyz not ready after {timeout:.0f} s (last: {last})"
        + (f":\n{server.tail()}" if server else "")
    )


class Sampler(threading.Thread):
    """Every `interval` seconds, of pid and its children: (perf_counter time, RSS bytes, anonymous
    RSS bytes (RSS less file-backed pages such as a memory-mapped index), CPU seconds)."""

    def __init__(self, pid: int, interval: float = 1.0) -> None:
        super().__init__(daemon=True)
        self.root = psutil.Process(pid)
        self.interval = interval
        self.samples: list[tuple[float, int, int, float]] = []
        self.halt = threading.Event()

    def sample(self) -> None:
        rss, anon, cpu = 0, 0, 0.0
        try:
            procs = [self.root, *self.root.children(recursive=True)]
        except psutil.Error:
            return
        for proc in procs:
            try:
                with proc.oneshot():
                    memory = proc.memory_info()
                    rss += memory.rss
                    anon += memory.rss - memory.shared
                    times = proc.cpu_times()
                    cpu += times.user + times.system
            except psutil.Error:
                continue
        self.samples.append((time.perf_counter(), rss, anon, cpu))

    def run(self) -> None:
        while not self.halt.is_set():
            self.sample()
            self.halt.wait(self.interval)

    def stop(self) -> None:
        self.halt.set()
        self.join()
        self.sample()

    def at(self, t: float) -> tuple[float, int, int, float]:
        """The sample nearest to time t."""
        return min(self.samples, key=lambda s: abs(s[0] - t))


@dataclass(frozen=True, slots=True)
class Request:
    start: float
    end: float
    status: int  # 0 for a transport error
    error: str  # exception class name of a transport error, or "" for an HTTP answer
    json_body: bool


async def run_load(
    url: str,
    questions: list[str],
    *,
    clients: int,
    warmup: float,
    duration: float,
    seed: int,
    timeout: float,
    think: float,
) -> tuple[list[Request], float, float, float]:
    """All requests, the start and end of the measured window (perf_counter seconds), and this
    process's CPU use during the window (100 = one core)."""
    records: list[Request] = []
    begin = time.perf_counter()
    measured_from = begin + warmup
    stop_at = measured_from + duration
    ramp = min(warmup, 2.0)
    # One single-connection client per worker: httpx's shared pool costs the load generator more
    # CPU per request as it grows (about 9x at 200 connections), on cores the server needs.
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    # One TLS context for all (unused on http://): each client loading its own CA bundle would cost
    # about 0.8 MiB and some CPU per client.
    tls = ssl.create_default_context()

    async def worker(index: int) -> None:
        rng = random.Random(f"{seed}:{index}")
        await asyncio.sleep(ramp * index / clients)  # no connect storm at t=0
        turn = index % 2
        async with httpx.AsyncClient(
            base_url=url, limits=limits, timeout=timeout, verify=tls
        ) as client:
            while (start := time.perf_counter()) < stop_at:
                payload = {"question": rng.choice(questions), "audience": AUDIENCES[turn]}
                turn ^= 1
                try:
                    response = await client.post("/api/ask", json=payload)
                    record = Request(
                        start,
                        time.perf_counter(),
                        response.status_code,
                        "",
                        response.content[:1] == b"{",
                    )
                except httpx.TransportError as exc:  # includes timeouts
                    record = Request(start, time.perf_counter(), 0, type(exc).__name__, False)
                records.append(record)
                if think:
                    await asyncio.sleep(rng.uniform(0, 2 * think))

    async def own_cpu() -> float:
        await asyncio.sleep(measured_from - time.perf_counter())
        t0, cpu0 = time.perf_counter(), time.process_time()
        await asyncio.sleep(stop_at - t0)
        return 100 * (time.process_time() - cpu0) / (time.perf_counter() - t0)

    cpu = asyncio.create_task(own_cpu())
    await asyncio.gather(*(worker(i) for i in range(clients)))
    return records, measured_from, stop_at, await cpu


def percentile(ordered: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not ordered:
        return float("nan")
    rank = max(1, int(-(-q * len(ordered) // 100)))
    return ordered[min(rank, len(ordered)) - 1]


def slope_per_min(points: list[tuple[float, float]]) -> float | None:
    """Least-squares slope of (seconds, MiB) points, in MiB per minute."""
    if len({t for t, _ in points}) < 2:
        return None
    return statistics.linear_regression([t / 60 for t, _ in points], [m for _, m in points]).slope


def rss_report(sampler: Sampler, t0: float, measured_from: float, stop_at: float) -> dict[str, Any]:
    samples = sampler.samples
    half = measured_from + (stop_at - measured_from) / 2
    tail = [s for s in samples if half <= s[0] <= stop_at]
    first, warm, last = sampler.at(t0), sampler.at(measured_from), sampler.at(stop_at)
    return {
        "start": first[1] / MIB,
        "after_warmup": warm[1] / MIB,
        "end": samples[-1][1] / MIB,  # after the last request finished
        "peak": max(s[1] for s in samples) / MIB,
        "slope_mib_per_min_second_half": slope_per_min([(t, rss / MIB) for t, rss, _, _ in tail]),
        "anon_start": first[2] / MIB,
        "anon_end": samples[-1][2] / MIB,
        "anon_slope_mib_per_min_second_half": slope_per_min(
            [(t, anon / MIB) for t, _, anon, _ in tail]
        ),
        "samples": len(samples),
        # (seconds since the load began, RSS MiB, anonymous RSS MiB): the shape the slopes summarise.
        "series": [
            (round(t - t0, 1), round(rss / MIB, 1), round(anon / MIB, 1))
            for t, rss, anon, _ in samples
        ],
        "server_cpu_pct": 100 * (last[3] - warm[3]) / max(last[0] - warm[0], 1e-9),
    }


def summarize(
    records: list[Request], measured_from: float, stop_at: float, duration: float
) -> dict[str, Any]:
    measured = [r for r in records if r.start >= measured_from]
    latencies = sorted((r.end - r.start) * 1000 for r in measured)
    codes = Counter(r.status for r in measured if not r.error)
    classes = Counter(f"{code // 100}xx" for code in codes.elements())
    errors = Counter(r.error for r in measured if r.error)
    completed = sum(1 for r in measured if r.end <= stop_at)
    return {
        "requests": len(measured),
        "completed_in_window": completed,
        "warmup_requests": len(records) - len(measured),
        "throughput_rps": completed / duration,
        "ok_rps": sum(1 for r in measured if r.end <= stop_at and 200 <= r.status < 300) / duration,
        "latency_ms": {
            "p50": percentile(latencies, 50),
            "p95": percentile(latencies, 95),
            "p99": percentile(latencies, 99),
            "max": latencies[-1] if latencies else float("nan"),
            "mean": statistics.fmean(latencies) if latencies else float("nan"),
        },
        "status": {k: classes.get(k, 0) for k in ("2xx", "3xx", "4xx", "5xx")},
        "status_codes": {str(code): n for code, n in sorted(codes.items())},
        "transport_errors": sum(errors.values()),
        "errors": dict(errors),
        "non_json_2xx": sum(1 for r in measured if 200 <= r.status < 300 and not r.json_body),
        "drain_s": max((r.end for r in records), default=stop_at) - stop_at,
    }


def per_min(slope: float | None) -> str:
    return "n/a" if slope is None else f"{slope:+.2f} MiB/min"


def table(report: dict[str, Any]) -> list[str]:
    """The markdown table of a report (also used by scripts/bench.py)."""
    lat, st, rss = report["latency_ms"], report["status"], report.get("rss_mib")
    codes = ", ".join(f"{code}: {n:,}" for code, n in report["status_codes"].items()) or "none"
    errors = ", ".join(f"{name}: {n:,}" for name, n in report["errors"].items())
    lines = [
        "| measure | value |",
        "|---|---|",
        f"| clients x measured window (after warm-up) | {report['clients']} x {report['duration_s']:.0f} s (warm-up {report['warmup_s']:.0f} s, think time {report['think_s']:g} s) |",
        f"| requests in the window (completed by its end) | {report['requests']:,} ({report['completed_in_window']:,}) |",
        f"| throughput, all answers / 2xx only | {report['throughput_rps']:.1f} / {report['ok_rps']:.1f} req/s |",
        f"| latency p50 / p95 / p99 / max | {lat['p50']:.0f} / {lat['p95']:.0f} / {lat['p99']:.0f} / {lat['max']:.0f} ms |",
        f"| 2xx / 4xx / 5xx / transport errors | {st['2xx']:,} / {st['4xx']:,} / {st['5xx']:,} / {report['transport_errors']:,}{f' ({errors})' if errors else ''} |",
        f"| status codes | {codes} |",
    ]
    if report["non_json_2xx"]:
        lines.append(f"| 2xx answers whose body is not JSON | {report['non_json_2xx']:,} |")
    if rss:
        slope = rss["slope_mib_per_min_second_half"]
        lines += [
            f"| server RSS (with children) at start / after warm-up / end / peak | {rss['start']:.0f} / {rss['after_warmup']:.0f} / {rss['end']:.0f} / {rss['peak']:.0f} MiB |",
            f"| RSS slope over the second half of the window | {per_min(slope)} |",
            f"| anonymous RSS (RSS less file-backed pages) at start / end; slope over the second half | {rss['anon_start']:.0f} / {rss['anon_end']:.0f} MiB; {per_min(rss['anon_slope_mib_per_min_second_half'])} |",
            f"| server CPU during the window (100% = one core) | {rss['server_cpu_pct']:.0f}% |",
        ]
    lines.append(
        f"| load generator CPU during the window (100% = one core) | {report['client_cpu_pct']:.0f}% |"
    )
    if stop := report["server_stop"]:
        how = "SIGKILL (no exit 15 s after SIGTERM)" if stop["killed"] else "SIGTERM"
        lines.append(
            f"| server process | {'alive through the test' if report['server_alive_at_end'] else 'DIED during the test'}; "
            f"stopped by {how} in {stop['seconds']:.1f} s, exit status {stop['exit_status']} |"
        )
    return lines


def markdown(report: dict[str, Any]) -> str:
    sources = ", ".join(f"{name} {n:,}" for name, n in report["question_sources"].items())
    return "\n".join(
        [
            "## Load test",
            "",
            f"`POST /api/ask` on {report['url']}: {report['clients']} concurrent clients, "
            f"{report['question_pool']:,} distinct questions sampled with seed {report['seed']} "
            f"({sources}), audiences alternating patient / clinician.",
            "",
            *table(report),
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", help="Target a running server instead of starting one")
    parser.add_argument("--pid", type=int, help="With --url: the server process to sample RSS of")
    parser.add_argument(
        "--command",
        default=f"{shlex.quote(MEDCITE)} serve --host {{host}} --port {{port}}",
        help="Server command line; {host} and {port} are filled in (default: medcite serve)",
    )
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--duration", type=float, default=60.0, help="Measured seconds")
    parser.add_argument(
        "--warmup", type=float, default=60.0, help="Seconds of load not counted (caches fill)"
    )
    parser.add_argument("--think", type=float, default=0.0, help="Mean pause between requests, s")
    parser.add_argument("--timeout", type=float, default=120.0, help="Per-request timeout, s")
    parser.add_argument("--ready-timeout", type=float, default=180.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--bench", type=Path, default=default_bench_dir())
    parser.add_argument("--server-log", type=Path, help="Keep the server's output here")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.clients < 1 or args.duration <= 0 or args.warmup < 0:
        parser.error("--clients must be >= 1, --duration > 0, --warmup >= 0")

    questions, sources = load_questions(args.bench)
    server: Server | None = None
    if args.url:
        url, pid = args.url.rstrip("/"), args.pid
    else:
        if args.server_log:
            log = args.server_log
        else:
            fd, name = tempfile.mkstemp(prefix="medcite-serve-", suffix=".log")
            os.close(fd)
            log = Path(name)
        server = Server(args.command, log)
        url, pid = server.url, server.proc.pid
    report: dict[str, Any] | None = None
    failed = True
    try:
        ready_s = wait_ready(url, server, args.ready_timeout)
        sampler = Sampler(pid) if pid else None
        if sampler:
            sampler.start()
        t0 = time.perf_counter()
        records, measured_from, stop_at, client_cpu = asyncio.run(
            run_load(
                url,
                questions,
                clients=args.clients,
                warmup=args.warmup,
                duration=args.duration,
                seed=args.seed,
                timeout=args.timeout,
                think=args.think,
            )
        )
        if sampler:
            sampler.stop()
        alive = server is None or server.proc.poll() is None
        report = {
            "url": url,
            "server_command": server.argv if server else None,
            "clients": args.clients,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "think_s": args.think,
            "seed": args.seed,
            "question_pool": len(questions),
            "question_sources": sources,
            "ready_s": ready_s,
            **summarize(records, measured_from, stop_at, args.duration),
            "rss_mib": rss_report(sampler, t0, measured_from, stop_at) if sampler else None,
            "client_cpu_pct": client_cpu,
            "server_alive_at_end": alive,
            # SIGTERM after the load. uvicorn re-raises it after a graceful shutdown: status -15.
            "server_stop": server.stop() if server else None,
        }
        failed = (
            report["status"]["5xx"] > 0
            or report["transport_errors"] > 0
            or report["status"]["2xx"] == 0
            or not alive
        )
    finally:
        if server is not None:
            server.stop()
            if report is not None and failed:
                print(f"server output (last lines of {log}):\n{server.tail()}", file=sys.stderr)
            elif not failed and not args.server_log:
                log.unlink(missing_ok=True)
    assert report is not None
    print(json.dumps(report, indent=2) if args.json else markdown(report))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

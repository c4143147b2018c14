"""medcite benchmarks (`make bench`): measured here, written to docs/benchmarks.md.

Ingestion: the three shared corpora (MedQuAD, NGC, PubMedQA) into a fresh store, as a separate
`medcite ingest --default` process, repeated; reports the median wall time, peak RSS, documents
and passages per source, the no-op re-ingest time, and a parse-only baseline (loaders alone, no
chunking or store) run in this process, with the ratio between them.

Index build: keyword index and dense vectors over the default corpus, each a separate `medcite
index` process; baseline: the packaged float-product embedding model on the same passages.

Large file: peak RSS of `medcite ingest` on one generated 50 MB text file, refused by the default
limits and streamed with them raised (scripts/bench_ingest_rss.py).

Start-up: `medcite --help` and a cold `medcite ask`, paired with `python -c pass`
(scripts/bench_startup.py).

Load: `medcite serve` over a freshly ingested default corpus under concurrent clients on loopback
(scripts/loadtest.py, a separate process): throughput, latency percentiles, status classes and
the server's memory over the run.
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

from bench_answers import bench_answers as answers_section
from bench_ingest_rss import bench_large_file  # scripts/ is on sys.path: this file's folder
from bench_process import run_process
from bench_startup import bench_startup

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


def run_medcite(args: list[str], env: dict[str, str]) -> tuple[float, float, dict[str, object]]:
    """(wall seconds, peak RSS MiB, JSON report) of one `medcite ARGS --json` process."""
    run = run_process([MEDCITE, *args, "--json"], {**os.environ, **env}, keep_output=True)
    if run.exit_code != 0:
        raise SystemExit(f"medcite {' '.join(args)} failed with exit status {run.exit_code}")
    return run.wall, run.peak_mib, json.loads(run.stdout)


def run_ingest_process(home: Path, mirror: Path) -> tuple[float, float, dict[str, object]]:
    """(wall seconds, peak RSS MiB, JSON report) of one `medcite ingest --default` process."""
    return run_medcite(
        ["ingest", "--default"], {"MEDCITE_HOME": str(home), "MEDCITE_MIRROR": str(mirror)}
    )


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


def bench_build(mirror: Path) -> str:
    """The whole index build over the default corpus, each stage a separate `medcite` process:
    keyword index rebuilt from the store, then every passage embedded (deriving the int8 model
    into an empty model cache included). Baseline, in this process: the packaged float model's
    speed on the same sample of passages, as run before (64 a batch) and now (4 a batch)."""
    import random

    from medcite.index.dense import passage_text
    from medcite.index.embed import MiniLMEmbedder
    from medcite.store.sqlite import SQLiteStore

    home = Path(tempfile.mkdtemp(prefix="medcite-bench-build-"))
    models = home / "models"
    env = {
        "MEDCITE_HOME": str(home),
        "MEDCITE_MIRROR": str(mirror),
        "MEDCITE_MODEL_CACHE": str(models),
    }
    try:
        run_ingest_process(home, mirror)
        kw_wall, kw_rss, kw = run_medcite(["index", "--rebuild"], env)
        dense_wall, dense_rss, dense = run_medcite(["index", "--dense"], env)
        with SQLiteStore(Settings(home=home).db_path) as store:
            rows = store.conn.execute(
                "SELECT p.section, p.text, d.title FROM passages p "
                "JOIN documents d ON d.id = p.document_id ORDER BY p.id"
            ).fetchall()
        sample = [passage_text(r[0] or "", r[1], r[2]) for r in random.Random(0).sample(rows, 512)]
        speeds = {}
        for label, embedder in (
            ("before", MiniLMEmbedder(quantized=False, batch_size=64)),
            ("float", MiniLMEmbedder(quantized=False)),
            ("int8", MiniLMEmbedder(cache_dir=models)),
        ):
            embedder.embed(sample[:64])  # load and warm up
            started = time.perf_counter()
            embedder.embed(sample)
            speeds[label] = len(sample) / (time.perf_counter() - started)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    total = kw_wall + dense_wall
    return "\n".join(
        [
            "## Index build over the default corpus",
            "",
            f"Measured {datetime.now(UTC):%Y-%m-%d} on {machine()}; {kw['total']:,} passages; "
            "each stage one `medcite index` process on a freshly ingested store.",
            "",
            "| measure | value |",
            "|---|---|",
            f"| keyword index, rebuilt from the store (`medcite index --rebuild`) | {kw_wall:.1f} s, peak RSS {kw_rss:.0f} MiB |",
            f"| dense vectors, every passage (`medcite index --dense`; deriving the int8 model included) | {dense_wall / 60:.1f} min ({dense['embedded']:,} passages, {dense['embedded'] / dense_wall:.0f}/s), peak RSS {dense_rss:.0f} MiB |",
            f"| whole build (keyword + dense) | {total / 60:.1f} min (target 5 min) |",
            f"| embedding speed, same 512 passages, this process: packaged float-product model, 64 a batch (before) / same, 4 a batch / derived int8 model, 4 a batch (now) | {speeds['before']:.0f} / {speeds['float']:.0f} / {speeds['int8']:.0f} passages/s (now / before {speeds['int8'] / speeds['before']:.2f}x) |",
        ]
    )


def bench_retrieval_quality(shared: Path) -> str:
    """nDCG/recall/MRR of our systems and baselines on NFCorpus and BioASQ, in this run."""
    from medcite.eval.datasets import load_dataset
    from medcite.eval.retrieval import evaluate

    # A fresh cache: the dense build time reported must include embedding the corpus.
    cache = Path(tempfile.mkdtemp(prefix="medcite-bench-eval-"))
    lines = [
        "## Retrieval quality",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d} on {machine()} with `medcite eval retrieval`.",
        "bm25 = medcite's tantivy index; bm25_qe = with focus-concept synonym expansion; bm25_prf =",
        "bm25_qe + pseudo-relevance feedback (3 docs, 10 terms, weight 0.2, tuned on the dev splits;",
        "not used by the product: it lowers MRR); rank_bm25 =",
        "BM25Okapi over whitespace tokens as LangChain's BM25Retriever uses it; dense = MiniLM-L6 int8",
        "(128 word pieces), exact cosine; hybrid = RRF(bm25, dense); hybrid_prf = RRF(bm25_prf, dense).",
        "p50 is per query, warm, in-process. NFCorpus: test split; BioASQ: all golden sets 7B-11B.",
        "",
    ]
    every = ("bm25", "bm25_qe", "bm25_prf", "rank_bm25", "dense", "hybrid", "hybrid_prf")
    plans = {"nfcorpus": every, "bioasq": every}
    for name, systems in plans.items():
        ds = load_dataset(name, shared / "bench" / name)
        try:
            results = evaluate(ds, systems, cache=cache)
        finally:
            shutil.rmtree(cache, ignore_errors=True)
        by = {r.system: r for r in results}
        lines += [
            f"### {name}: {len(ds.corpus):,} documents, {len(ds.queries):,} queries",
            "",
            "| system | nDCG@10 | recall@10 | MRR | p50 ms/query | build s |",
            "|---|---|---|---|---|---|",
        ]
        for r in results:
            m = r.metrics
            lines.append(
                f"| {r.system} | {m['ndcg@10']:.4f} | {m['recall@10']:.4f} | {m['mrr']:.4f} | "
                f"{r.p50_ms:.2f} | {r.build_seconds:.1f} |"
            )
        base = by["bm25"].metrics
        lines.append("")
        lines.append(
            f"hybrid_prf / bm25 recall@10 {by['hybrid_prf'].metrics['recall@10'] / base['recall@10']:.2f}x; "
            f"hybrid / bm25: nDCG@10 {by['hybrid'].metrics['ndcg@10'] / base['ndcg@10']:.2f}x, "
            f"recall@10 {by['hybrid'].metrics['recall@10'] / base['recall@10']:.2f}x; "
            f"bm25_qe / bm25 recall@10 {by['bm25_qe'].metrics['recall@10'] / base['recall@10']:.3f}x"
        )
        lines.append("")
    lines.append(
        "NFCorpus here is the original release (3,162 test documents) with titles queries and"
    )
    lines.append(
        "3-2-1 graded qrels; published BEIR figures (BM25 0.322, BGE-base 0.374) use BEIR's variant."
    )
    lines.append(
        "Data: NFCorpus (Boteva et al., ECIR 2016); BioASQ Task B golden sets 7B-11B (Tsatsaronis et al. 2015)."
    )
    return "\n".join(lines)


def bench_latency(mirror: Path) -> str:
    """Warm query latency over the default corpus: our retriever vs rank_bm25, same passages."""
    import numpy as np
    from rank_bm25 import BM25Okapi

    from medcite.index.updater import keyword_index_path, update_keyword_index
    from medcite.retrieve.hybrid import HybridRetriever
    from medcite.store.base import IndexState
    from medcite.store.sqlite import SQLiteStore

    home = Path(tempfile.mkdtemp(prefix="medcite-bench-lat-"))
    try:
        run_ingest_process(home, mirror)
        settings = Settings(home=home, mirror=mirror)
        questions = [
            "What causes muscle spasms?",
            "How is high blood pressure treated?",
            "What are the symptoms of a heart attack?",
            "Is type 2 diabetes hereditary?",
            "How can I prevent kidney stones?",
            "What is the outlook for ALS?",
            "side effects of statins",
            "beta-blocker after myocardial infarction",
            "HbA1c target for older adults",
            "Can children take aspirin for fever?",
        ]
        with SQLiteStore(settings.db_path) as store:
            # The ingest process built the index already; time a rebuild from the store.
            started = time.perf_counter()
            shutil.rmtree(keyword_index_path(settings), ignore_errors=True)
            store.set_index_state(IndexState("keyword", 0, 0, 0))
            update_keyword_index(store, settings)
            build = time.perf_counter() - started
            retriever = HybridRetriever.open(store, settings)
            for q in questions:
                retriever.search(q, 10)  # warm-up
            ours = []
            for _ in range(10):
                for q in questions:
                    t0 = time.perf_counter()
                    retriever.search(q, 10)
                    ours.append((time.perf_counter() - t0) * 1000)
            texts = [r[0] for r in store.conn.execute("SELECT text FROM passages ORDER BY id")]
        t0 = time.perf_counter()
        bm = BM25Okapi([t.split() for t in texts])
        rb_build = time.perf_counter() - t0
        rb = []
        for q in questions:
            t0 = time.perf_counter()
            scores = bm.get_scores(q.split())
            np.argsort(-scores)[:10]
            rb.append((time.perf_counter() - t0) * 1000)
        # Dense search cost at this size, in isolation (vectors are built on demand, see docs).
        rng = np.random.default_rng(0)
        matrix = rng.standard_normal((len(texts), 384)).astype(np.float32)
        dense_ms = []
        for _ in range(50):
            qv = rng.standard_normal(384).astype(np.float32)
            t0 = time.perf_counter()
            sims = matrix @ qv
            np.argpartition(-sims, 50)[:50]
            dense_ms.append((time.perf_counter() - t0) * 1000)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    ours.sort()
    p50, p95 = statistics.median(ours), ours[int(len(ours) * 0.95) - 1]
    rb_p50 = statistics.median(rb)
    return "\n".join(
        [
            "## Query latency over the default corpus",
            "",
            f"Measured {datetime.now(UTC):%Y-%m-%d} on {machine()}; {len(texts):,} passages, "
            f"{len(questions)} questions x 10 rounds, warm, in-process.",
            "",
            "| measure | value |",
            "|---|---|",
            f"| keyword index build (tantivy, from the store) | {build:.1f} s |",
            f"| medcite hybrid retriever (query analysis + BM25 + prior + diversity; no dense vectors built) p50 / p95 | {p50:.1f} / {p95:.1f} ms |",
            f"| rank_bm25 (BM25Okapi, LangChain's baseline) p50, same passages | {rb_p50:.0f} ms (index build {rb_build:.1f} s) |",
            f"| ratio rank_bm25 / medcite p50 | {rb_p50 / p50:.0f}x |",
            f"| dense exact search over {len(texts):,} x 384 (matrix product + top 50) p50 | {statistics.median(dense_ms):.1f} ms |",
        ]
    )


def bench_answers(mirror: Path, shared: Path, limit: int | None) -> str:
    """medcite against top5 and the length-matched baselines (scripts/bench_answers.py), over a
    freshly ingested default corpus."""
    home = Path(tempfile.mkdtemp(prefix="medcite-bench-ans-"))
    try:
        run_ingest_process(home, mirror)
        header = f"Measured {datetime.now(UTC):%Y-%m-%d} on {machine()}"
        return answers_section(home, mirror, shared, header, limit)
    finally:
        shutil.rmtree(home, ignore_errors=True)


def bench_load(mirror: Path, shared: Path, clients: int, duration: float) -> str:
    """`medcite serve` on loopback under concurrent clients (scripts/loadtest.py), default corpus."""
    if str(ROOT / "scripts") not in sys.path:
        sys.path.insert(0, str(ROOT / "scripts"))
    from loadtest import table

    home = Path(tempfile.mkdtemp(prefix="medcite-bench-load-"))
    try:
        run_ingest_process(home, mirror)
        env = {**os.environ, "MEDCITE_HOME": str(home), "MEDCITE_MIRROR": str(mirror)}
        command = [
            sys.executable,
            str(ROOT / "scripts/loadtest.py"),
            f"--clients={clients}",
            f"--duration={duration:g}",
            f"--bench={shared / 'bench'}",
            "--json",
        ]
        # Exit status 1 (5xx, transport errors, no 2xx) still reports: the table shows it.
        proc = subprocess.run(command, env=env, stdout=subprocess.PIPE, check=False)
        if not proc.stdout.strip():
            raise SystemExit(f"load test failed with exit status {proc.returncode}")
        report = json.loads(proc.stdout)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    lines = [
        "## Load test: `medcite serve` on loopback",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d} on {machine()}; default corpus; the server and the "
        f"load generator share the machine. {clients} concurrent clients (asyncio, httpx, one "
        f"keep-alive connection each, no think time) POST /api/ask for {duration:g} s after a "
        f"{report['warmup_s']:g} s warm-up, questions sampled (seed {report['seed']}) from "
        f"{report['question_pool']:,} distinct benchmark questions, audiences alternating patient / "
        "clinician. Server RSS includes its child processes, sampled every second.",
        "",
        *table(report),
    ]
    if proc.returncode:
        lines += ["", "**Failed**: 5xx answers, transport errors, no 2xx, or the server died."]
    lines += [
        "",
        "Questions: MedLFQA LiveQA and MedicationQA (Jeong et al. 2024), HealthSearchQA (Singhal et "
        "al., Nature 2023), TREC 2017 LiveQA medical consumer messages (Ben Abacha et al. 2017).",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "docs/benchmarks.md")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--only",
        help=(
            "Comma-separated subset: ingest, largefile, startup, latency, build, retrieval, "
            "answers, load"
        ),
    )
    parser.add_argument("--limit", type=int, help="Questions per answer dataset (default all)")
    parser.add_argument("--load-clients", type=int, default=200, help="Load test: clients")
    parser.add_argument(
        "--load-duration", type=float, default=60.0, help="Load test: measured seconds"
    )
    args = parser.parse_args()
    mirror_env = os.environ.get("MEDCITE_MIRROR")
    if not mirror_env or not (Path(mirror_env) / "medquad").is_dir():
        raise SystemExit(
            "make bench needs MEDCITE_MIRROR pointing at the shared corpora (../shared/corpora)"
        )
    parts = (
        set(args.only.split(","))
        if args.only
        else {"ingest", "largefile", "startup", "retrieval", "latency", "build", "answers", "load"}
    )
    shared = Path(mirror_env).resolve().parent
    if "ingest" in parts:
        section = bench_ingest(Path(mirror_env), args.repeat)
        write_section(args.out, "ingest", section)
        print(section)
    if "largefile" in parts:
        section = bench_large_file(f"Measured {datetime.now(UTC):%Y-%m-%d} on {machine()}")
        write_section(args.out, "largefile", section)
        print(section)
    if "startup" in parts:
        section = bench_startup(
            Path(mirror_env),
            run_ingest_process,
            f"Measured {datetime.now(UTC):%Y-%m-%d} on {machine()}",
        )
        write_section(args.out, "startup", section)
        print(section)
    if "latency" in parts:
        section = bench_latency(Path(mirror_env))
        write_section(args.out, "latency", section)
        print(section)
    if "build" in parts:
        section = bench_build(Path(mirror_env))
        write_section(args.out, "build", section)
        print(section)
    if "retrieval" in parts:
        section = bench_retrieval_quality(shared)
        write_section(args.out, "retrieval", section)
        print(section)
    if "answers" in parts:
        section = bench_answers(Path(mirror_env), shared, args.limit)
        write_section(args.out, "answers", section)
        print(section)
    if "load" in parts:
        section = bench_load(Path(mirror_env), shared, args.load_clients, args.load_duration)
        write_section(args.out, "load", section)
        print(section)


if __name__ == "__main__":
    main()

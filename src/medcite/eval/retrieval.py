"""`medcite eval retrieval`: our retrievers and baselines on a benchmark, in one run.

Systems:
- ``bm25``: medcite's keyword index (tantivy, medical analyzer), the same code as the product;
- ``bm25_qe``: the same with query expansion (synonyms of the question's focus concept);
- ``bm25_prf``: ``bm25_qe`` plus pseudo-relevance feedback terms from its top results;
- ``rank_bm25``: rank_bm25's BM25Okapi over whitespace tokens, as LangChain's BM25Retriever
  uses it (a common naive baseline);
- ``dense``: MiniLM embeddings, exact cosine search;
- ``hybrid``: reciprocal rank fusion of ``bm25`` and ``dense``; ``hybrid_prf`` of ``bm25_prf`` and ``dense``.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from medcite.eval.datasets import RetrievalDataset
from medcite.eval.metrics import mean, mrr, ndcg_at_k, recall_at_k
from medcite.index.analysis import analyze
from medcite.index.keyword import KeywordIndex
from medcite.retrieve.fusion import reciprocal_rank_fusion
from medcite.retrieve.query import analyse
from medcite.retrieve.vocabulary import Vocabulary
from medcite.store.base import IndexRow

DEPTH = 100  # documents retrieved per query (fusion needs more than the cut-off)
SYSTEMS = ("bm25", "bm25_qe", "bm25_prf", "rank_bm25", "dense", "hybrid", "hybrid_prf")
# Pseudo-relevance feedback: terms from the top FEEDBACK_DOCS results, weight FEEDBACK_WEIGHT.
# Tuned on the dev splits (NFCorpus dev, BioASQ 7B-9B): docs 3, terms 10, weight 0.2 was best of
# {3,5,10} x {5,10,20} x {0.2,0.4} for recall with the smallest MRR loss.
FEEDBACK_DOCS, FEEDBACK_TERMS, FEEDBACK_WEIGHT = 3, 10, 0.2
Progress = Callable[[str, int, int], None]  # (system, done, total)


@dataclass(slots=True)
class SystemResult:
    system: str
    run: dict[str, list[str]] = field(repr=False)
    latencies_ms: list[float] = field(repr=False)
    build_seconds: float
    metrics: dict[str, float] = field(default_factory=dict)

    @property
    def p50_ms(self) -> float:
        return statistics.median(self.latencies_ms) if self.latencies_ms else 0.0

    def summary(self) -> dict[str, float | str]:
        return {
            "system": self.system,
            **self.metrics,
            "p50_ms": round(self.p50_ms, 3),
            "build_s": round(self.build_seconds, 2),
        }


def score(ds: RetrievalDataset, result: SystemResult, k: int = 10) -> SystemResult:
    result.metrics = {
        f"ndcg@{k}": round(mean(ndcg_at_k(ds.qrels, result.run, k)), 4),
        f"recall@{k}": round(mean(recall_at_k(ds.qrels, result.run, k)), 4),
        "mrr": round(mean(mrr(ds.qrels, result.run)), 4),
    }
    return result


def _timed_queries(
    ds: RetrievalDataset, search: Callable[[str], list[str]]
) -> tuple[dict[str, list[str]], list[float]]:
    run: dict[str, list[str]] = {}
    latencies: list[float] = []
    for qid, text in ds.queries.items():
        started = time.perf_counter()
        run[qid] = search(text)
        latencies.append((time.perf_counter() - started) * 1000)
    return run, latencies


def run_bm25(
    ds: RetrievalDataset, workdir: Path, *, expand: bool = False, feedback: bool = False
) -> SystemResult:
    """Our keyword index; ``expand``: the focus concept's synonyms join at low weight;
    ``feedback``: so do the top results' most distinctive terms (pseudo-relevance feedback)."""
    name = "bm25_prf" if feedback else "bm25_qe" if expand else "bm25"
    ids = list(ds.corpus)
    started = time.perf_counter()
    index = KeywordIndex.create(workdir / name)
    index.update((IndexRow(i, i, "", ds.corpus[d], "") for i, d in enumerate(ids)), [])
    vocabulary = Vocabulary() if expand or feedback else None
    build = time.perf_counter() - started

    def search(q: str) -> list[str]:
        extra = analyse(q, vocabulary).expansion() if vocabulary else ""
        hits = index.search_with_documents(q, DEPTH, extra)
        if feedback and hits:
            texts = [ds.corpus[ids[pid]] for pid, _, _ in hits[:FEEDBACK_DOCS]]
            terms = index.feedback_terms(texts, set(analyze(q)), FEEDBACK_TERMS)
            hits = index.search_with_documents(q, DEPTH, extra, FEEDBACK_WEIGHT, terms)
        return [ids[pid] for pid, _, _ in hits]

    run, lat = _timed_queries(ds, search)
    return SystemResult(name, run, lat, build)


def run_rank_bm25(ds: RetrievalDataset) -> SystemResult:
    from rank_bm25 import BM25Okapi

    ids = list(ds.corpus)
    started = time.perf_counter()
    bm = BM25Okapi([ds.corpus[d].split() for d in ids])  # LangChain's default preprocessing
    build = time.perf_counter() - started

    def search(q: str) -> list[str]:
        scores = bm.get_scores(q.split())
        top = np.argsort(-scores)[:DEPTH]
        return [ids[i] for i in top if scores[i] > 0]

    run, lat = _timed_queries(ds, search)
    return SystemResult("rank_bm25", run, lat, build)


def run_dense(ds: RetrievalDataset, cache: Path | None = None) -> SystemResult:
    from medcite.index.embed import MiniLMEmbedder

    embedder = MiniLMEmbedder()
    ids = list(ds.corpus)
    started = time.perf_counter()
    cached = cache / f"{ds.name}-{embedder.name}-{len(ids)}.npy" if cache else None
    if cached and cached.exists():
        vectors = np.load(cached)
    else:
        vectors = embedder.embed([ds.corpus[d] for d in ids])
        if cached:
            cached.parent.mkdir(parents=True, exist_ok=True)
            np.save(cached, vectors)
    build = time.perf_counter() - started

    def search(q: str) -> list[str]:
        sims = vectors @ embedder.embed([q])[0]
        top = np.argpartition(-sims, min(DEPTH, len(ids) - 1))[:DEPTH]
        return [ids[i] for i in top[np.argsort(-sims[top])]]

    run, lat = _timed_queries(ds, search)
    return SystemResult("dense", run, lat, build)


def run_hybrid(bm25: SystemResult, dense: SystemResult, name: str = "hybrid") -> SystemResult:
    run = {
        q: [d for d, _ in reciprocal_rank_fusion([bm25.run[q], dense.run.get(q, [])])][:DEPTH]
        for q in bm25.run
    }
    latencies = [a + b for a, b in zip(bm25.latencies_ms, dense.latencies_ms, strict=False)]
    return SystemResult(name, run, latencies, bm25.build_seconds + dense.build_seconds)


def evaluate(
    ds: RetrievalDataset,
    systems: tuple[str, ...] = SYSTEMS,
    *,
    cache: Path | None = None,
    k: int = 10,
) -> list[SystemResult]:
    """Run the requested systems on ``ds`` and score them; hybrid implies bm25 and dense."""
    wanted = set(systems)
    if "hybrid" in wanted:
        wanted |= {"bm25", "dense"}
    if "hybrid_prf" in wanted:
        wanted |= {"bm25_prf", "dense"}
    results: dict[str, SystemResult] = {}
    with tempfile.TemporaryDirectory(prefix="medcite-eval-") as tmp:
        if "bm25" in wanted:
            results["bm25"] = run_bm25(ds, Path(tmp))
        if "bm25_qe" in wanted:
            results["bm25_qe"] = run_bm25(ds, Path(tmp), expand=True)
        if "bm25_prf" in wanted:
            results["bm25_prf"] = run_bm25(ds, Path(tmp), expand=True, feedback=True)
        if "rank_bm25" in wanted:
            results["rank_bm25"] = run_rank_bm25(ds)
        if "dense" in wanted:
            results["dense"] = run_dense(ds, cache)
        if "hybrid" in wanted:
            results["hybrid"] = run_hybrid(results["bm25"], results["dense"])
        if "hybrid_prf" in wanted:
            results["hybrid_prf"] = run_hybrid(results["bm25_prf"], results["dense"], "hybrid_prf")
    order = [s for s in SYSTEMS if s in results]
    return [score(ds, results[s], k) for s in order]

from __future__ import annotations

import json
from pathlib import Path

import pytest
import pytrec_eval
from hypothesis import given, settings, strategies as st
from typer.testing import CliRunner, Result

from medcite.cli import app
from medcite.errors import MedciteError
from medcite.eval.datasets import load_bioasq, load_nfcorpus, snippet_id
from medcite.eval.metrics import mean, mrr, ndcg_at_k, recall_at_k
from medcite.eval.retrieval import evaluate

BENCH = Path(__file__).parent.parent / "fixtures/bench"


def test_nfcorpus_loader() -> None:
    ds = load_nfcorpus(BENCH / "nfcorpus")
    assert len(ds.corpus) == 4
    assert set(ds.queries) == {"PLAIN-1", "PLAIN-2"}  # the unjudged query is dropped
    assert ds.qrels["PLAIN-1"] == {"SYN-1": 3, "SYN-3": 1}


def test_bioasq_loader_pools_and_merges_snippets() -> None:
    ds = load_bioasq(BENCH / "bioasq")
    assert len(ds.corpus) == 3  # the snippet shared by q1 and q2 is one document
    shared = snippet_id("Zorblax widgets wobble in this synthetic snippet.")
    assert all(shared in rels for rels in ds.qrels.values())
    assert len(ds.queries) == 2  # q3 has no gold snippet


qrels_strategy = st.dictionaries(
    st.sampled_from([f"q{i}" for i in range(4)]),
    st.dictionaries(st.sampled_from([f"d{i}" for i in range(8)]), st.integers(0, 3), min_size=1),
    min_size=1,
)
runs_strategy = st.dictionaries(
    st.sampled_from([f"q{i}" for i in range(4)]),
    st.lists(st.sampled_from([f"d{i}" for i in range(10)]), unique=True, max_size=10),
)


@settings(max_examples=150, deadline=None)
@given(qrels_strategy, runs_strategy)
def test_metrics_match_trec_eval(
    qrels: dict[str, dict[str, int]], run: dict[str, list[str]]
) -> None:
    judged = {q: r for q, r in qrels.items() if any(v > 0 for v in r.values())}
    if not judged:
        return
    trec_run = {q: {d: float(len(docs) - i) for i, d in enumerate(docs)} for q, docs in run.items()}
    trec_run = {q: trec_run.get(q, {}) for q in judged}
    # trec_eval skips queries with an empty run; give those a sentinel non-relevant document.
    trec_run = {q: (docs or {"__none__": 1.0}) for q, docs in trec_run.items()}
    ours_run = {q: list(docs) for q, docs in trec_run.items()}
    ev = pytrec_eval.RelevanceEvaluator(judged, {"ndcg_cut.10", "recall.10", "recip_rank"})
    ref = ev.evaluate(trec_run)
    for q in judged:
        assert ndcg_at_k(judged, ours_run, 10)[q] == pytest.approx(ref[q]["ndcg_cut_10"], abs=1e-9)
        assert recall_at_k(judged, ours_run, 10)[q] == pytest.approx(ref[q]["recall_10"], abs=1e-9)
        assert mrr(judged, ours_run)[q] == pytest.approx(ref[q]["recip_rank"], abs=1e-9)


def test_evaluate_bm25_and_rank_bm25() -> None:
    ds = load_nfcorpus(BENCH / "nfcorpus")
    results = {r.system: r for r in evaluate(ds, ("bm25", "rank_bm25"))}
    assert results["bm25"].run["PLAIN-2"][0] == "SYN-2"
    assert results["bm25"].metrics["mrr"] == 1.0
    assert 0 < results["rank_bm25"].metrics["ndcg@10"] <= 1
    assert mean(ndcg_at_k(ds.qrels, {"PLAIN-1": [], "PLAIN-2": []})) == 0.0


def test_hybrid_fuses_dense_and_bm25(tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime")
    ds = load_bioasq(BENCH / "bioasq")
    results = {r.system: r for r in evaluate(ds, ("hybrid",), cache=tmp_path)}
    assert set(results) == {"bm25", "dense", "hybrid"}
    assert results["hybrid"].metrics["recall@10"] == 1.0  # three documents: all retrieved
    assert list((tmp_path).glob("bioasq-*.npy"))  # embeddings cached for the next run


def _eval_cli(systems: str) -> Result:
    args = ["eval", "retrieval", "--dataset", "nfcorpus", "--data", str(BENCH / "nfcorpus")]
    return CliRunner().invoke(app, [*args, "--systems", systems, "--json"])


def test_cli_eval_retrieval_json(cli_env: Path) -> None:
    result = _eval_cli("bm25,rank_bm25")
    assert result.exit_code == 0, result.output
    rows = {r["system"]: r for r in json.loads(result.stdout)["results"]}
    assert set(rows) == {"bm25", "rank_bm25"}
    assert {"ndcg@10", "recall@10", "mrr", "p50_ms"} <= set(rows["bm25"])
    bad = _eval_cli("magic")
    assert bad.exit_code == 1 and "unknown system" in bad.stderr


def test_feedback_terms_and_prf_system() -> None:
    ds = load_nfcorpus(BENCH / "nfcorpus")
    results = {r.system: r for r in evaluate(ds, ("bm25_prf",))}
    assert results["bm25_prf"].run["PLAIN-2"][0] == "SYN-2"


def test_bioasq_splits(tmp_path: Path) -> None:
    for split in ("dev", "test"):
        folder = tmp_path / split
        (folder / "TaskB").mkdir(parents=True)
        name = "8B1_golden.json" if split == "dev" else "10B1_golden.json"
        (folder / "TaskB" / name).write_text(
            (BENCH / "bioasq/TaskSynthB/1B1_golden.json").read_text(), encoding="utf-8"
        )
        assert len(load_bioasq(folder, split).queries) == 2
        other = "test" if split == "dev" else "dev"
        with pytest.raises(MedciteError, match="golden"):
            load_bioasq(folder, other)

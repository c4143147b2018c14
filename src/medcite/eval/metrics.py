"""Ranking metrics with trec_eval's definitions (checked against pytrec_eval in the tests).

- nDCG@k: gain = graded relevance (linear), discount log2(rank + 1); the ideal ranking uses all
  judged documents of the query.
- recall@k: relevant (grade > 0) retrieved in the top k / all relevant.
- MRR: 1 / rank of the first relevant document (0 when none is retrieved).
Queries without any relevant document are skipped, as trec_eval does.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

Qrels = Mapping[str, Mapping[str, int]]
Run = Mapping[str, Sequence[str]]  # query id -> ranked document ids


def _judged(qrels: Qrels) -> list[str]:
    return [q for q, rels in qrels.items() if any(r > 0 for r in rels.values())]


def ndcg_at_k(qrels: Qrels, run: Run, k: int = 10) -> dict[str, float]:
    out: dict[str, float] = {}
    for q in _judged(qrels):
        rels = qrels[q]
        ranked = list(run.get(q, []))[:k]
        dcg = sum(max(rels.get(d, 0), 0) / math.log2(i + 2) for i, d in enumerate(ranked))
        ideal = sorted((r for r in rels.values() if r > 0), reverse=True)[:k]
        idcg = sum(r / math.log2(i + 2) for i, r in enumerate(ideal))
        out[q] = dcg / idcg if idcg else 0.0
    return out


def recall_at_k(qrels: Qrels, run: Run, k: int = 10) -> dict[str, float]:
    out: dict[str, float] = {}
    for q in _judged(qrels):
        relevant = {d for d, r in qrels[q].items() if r > 0}
        hit = sum(1 for d in list(run.get(q, []))[:k] if d in relevant)
        out[q] = hit / len(relevant)
    return out


def mrr(qrels: Qrels, run: Run) -> dict[str, float]:
    out: dict[str, float] = {}
    for q in _judged(qrels):
        relevant = {d for d, r in qrels[q].items() if r > 0}
        out[q] = next((1.0 / (i + 1) for i, d in enumerate(run.get(q, [])) if d in relevant), 0.0)
    return out


def mean(values: Mapping[str, float]) -> float:
    return sum(values.values()) / len(values) if values else 0.0

"""Hybrid retrieval: BM25 and dense candidates, fused by reciprocal rank, then an evidence
prior and per-document diversity.

Dense vectors are optional: with none stored, this is keyword search with the prior and
diversity; with some, the dense list joins the fusion.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from medcite.config import Settings
from medcite.index.dense import DenseIndex
from medcite.index.updater import update_keyword_index
from medcite.retrieve.fusion import diversify, evidence_multiplier, reciprocal_rank_fusion
from medcite.retrieve.keyword import validate_query
from medcite.retrieve.query import QueryAnalysis, Vocabulary, analyse
from medcite.store.sqlite import SQLiteStore
from medcite.types import Evidence, Intent

OVERFETCH = 5  # candidates per list = k * OVERFETCH


# MedQuAD qtypes (and heading words) that answer each intent: such passages get INTENT_BOOST.
INTENT_QTYPES: dict[Intent, tuple[str, ...]] = {
    Intent.CAUSE: ("causes", "genetic changes"),
    Intent.SYMPTOM: ("symptoms",),
    Intent.DIAGNOSIS: ("exams and tests",),
    Intent.TREATMENT: ("treatment",),
    Intent.PREVENTION: ("prevention",),
    Intent.PROGNOSIS: ("outlook", "stages", "complications"),
    Intent.RISK: ("susceptibility", "inheritance", "frequency"),
    Intent.DEFINITION: ("information",),
}
INTENT_BOOST = 1.15


@dataclass(slots=True)
class HybridRetriever:
    """Holds what is costly to load (the dense matrix, the embedding model, the vocabulary)."""

    store: SQLiteStore
    settings: Settings
    dense: DenseIndex | None = None
    vocabulary: Vocabulary | None = None
    last_analysis: QueryAnalysis | None = field(default=None, init=False)

    @classmethod
    def open(cls, store: SQLiteStore, settings: Settings) -> HybridRetriever:
        dense = None
        if store.conn.execute("SELECT 1 FROM passage_vectors LIMIT 1").fetchone():
            try:
                from medcite.index.embed import MiniLMEmbedder

                dense = DenseIndex(store, MiniLMEmbedder())
            except ImportError:  # the dense extra is not installed: keyword only
                dense = None
        return cls(store, settings, dense, Vocabulary(store))

    def search(self, query: str, k: int = 10) -> list[Evidence]:
        query = validate_query(query)
        analysis = analyse(query, self.vocabulary or Vocabulary())
        self.last_analysis = analysis
        wanted_qtypes = INTENT_QTYPES.get(analysis.intent, ())
        depth = k * OVERFETCH
        keyword, _ = update_keyword_index(self.store, self.settings)
        bm25 = {
            pid: score
            for pid, _, score in keyword.search_with_documents(query, depth, analysis.expansion())
        }
        dense = dict(self.dense.search(query, depth)) if self.dense else {}
        fused = reciprocal_rank_fusion([list(bm25), list(dense)])

        passages = self.store.get_passages_by_id([pid for pid, _ in fused])
        docs = self.store.get_documents(
            sorted({p.document_id for p in passages.values() if p.document_id})
        )
        year = dt.date.today().year
        scored: list[tuple[int, float]] = []
        prior: dict[int, float] = {}
        intent_boost: dict[int, float] = {}
        for pid, rrf in fused:
            passage = passages.get(pid)
            if passage is None or passage.document_id not in docs:
                continue  # deleted since the index was read
            doc = docs[passage.document_id]
            prior[pid] = evidence_multiplier(
                doc.evidence_level,
                doc.year,
                strength=self.settings.evidence_prior,
                current_year=year,
            )
            if wanted_qtypes and passage.meta.get("qtype") in wanted_qtypes:
                intent_boost[pid] = INTENT_BOOST  # a "What causes X?" answer for a cause question
            scored.append((pid, rrf * prior[pid] * intent_boost.get(pid, 1.0)))
        scored.sort(key=lambda item: -item[1])
        group = {pid: passages[pid].document_id for pid, _ in scored}
        ranked = diversify(
            scored, group, max_per_group=self.settings.max_passages_per_document, limit=k
        )

        out = []
        for pid, final in ranked:
            passage = passages[pid]
            assert passage.document_id is not None
            boost = intent_boost.get(pid, 1.0)
            parts = {"rrf": round(final / prior[pid] / boost, 6), "prior": round(prior[pid], 4)}
            if boost != 1.0:
                parts["intent"] = boost
            if pid in bm25:
                parts["bm25"] = round(bm25[pid], 4)
            if pid in dense:
                parts["dense"] = round(dense[pid], 4)
            out.append(
                Evidence(
                    passage=passage,
                    document=docs[passage.document_id],
                    score=final,
                    score_parts=parts,
                )
            )
        return out

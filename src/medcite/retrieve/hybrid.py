"""Hybrid retrieval: BM25 and dense candidates, fused by reciprocal rank, then an evidence
prior and per-document diversity.

Dense vectors are optional: with none stored, this is keyword search with the prior and
diversity; with some, the dense list joins the fusion.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from medcite.config import Settings
from medcite.retrieve.base import KeywordReader, Retrieval
from medcite.retrieve.fusion import diversify, evidence_multiplier, reciprocal_rank_fusion
from medcite.retrieve.keyword import validate_query
from medcite.retrieve.query import analyse
from medcite.retrieve.sql_keyword import open_keyword_reader
from medcite.retrieve.vocabulary import Vocabulary
from medcite.store.base import Store
from medcite.types import Evidence, EvidenceLevel, Intent, Passage

if TYPE_CHECKING:  # numpy and the dense index load only when the store has vectors
    from medcite.index.dense import DenseIndex

OVERFETCH = 5  # candidates per list = k * OVERFETCH


# MedQuAD question types that answer each intent: such passages get INTENT_BOOST.
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

    store: Store
    settings: Settings
    dense: DenseIndex | None = None
    vocabulary: Vocabulary | None = None
    _keyword: KeywordReader | None = field(default=None, init=False)
    # Server threads search at once: one of them at a time swaps the reader and the vocabulary.
    _swap: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    @classmethod
    def open(cls, store: Store, settings: Settings) -> HybridRetriever:
        dense = None
        # Without the dense extra installed, stored vectors are ignored: keyword only. So are
        # vectors of an earlier embedding model (until `medcite index --dense` replaces them).
        # A store without vectors (the default) never imports numpy or the model.
        dense_installed = all(
            importlib.util.find_spec(m) is not None for m in ("onnxruntime", "onnx")
        )
        if dense_installed and store.has_vectors():
            from medcite.index.dense import DenseIndex
            from medcite.index.embed import MiniLMEmbedder

            embedder = MiniLMEmbedder()
            if store.has_vectors(embedder.name):
                dense = DenseIndex(store, embedder)
        return cls(store, settings, dense, Vocabulary(store))

    def passage_share(self, term: str) -> float:
        """Share of indexed passages holding the index term ``term`` (0 before any search)."""
        if self._keyword is None or not self._keyword.num_docs():
            return 0.0
        return self._keyword.doc_freq(term) / self._keyword.num_docs()

    def documents_holding(self, word: str, limit: int = 500) -> list[int]:
        """The document of each passage holding ``word`` (best-scoring first, up to ``limit``)."""
        if self._keyword is None:
            return []
        return [did for _, did, _ in self._keyword.search_with_documents(word, limit)]

    def passages_holding(self, word: str, limit: int = 100) -> list[Passage]:
        """The passages holding ``word`` (best-scoring first, up to ``limit``)."""
        if self._keyword is None:
            return []
        ids = [pid for pid, _, _ in self._keyword.search_with_documents(word, limit)]
        found = self.store.get_passages_by_id(ids)
        return [found[pid] for pid in ids if pid in found]

    def search_kind(self, query: str, kind: str, k: int = 20, depth: int = 1000) -> list[Evidence]:
        """Keyword hits among passages of one ``kind`` (a MedQuAD qtype: "symptoms"), best
        first, one per document: the pages of other topics that speak of ``query`` there.
        Call after a search (it reads the index that search opened)."""
        if self._keyword is None:
            return []
        ranked = self._keyword.search_with_documents(validate_query(query), depth)
        info = self.store.rank_info([pid for pid, _, _ in ranked])
        picked: list[tuple[int, float]] = []
        documents: set[int] = set()
        for pid, did, score in ranked:
            if pid in info and info[pid][3] == kind and did not in documents:
                documents.add(did)
                picked.append((pid, score))
                if len(picked) == k:
                    break
        passages = self.store.get_passages_by_id([pid for pid, _ in picked])
        docs = self.store.get_documents(sorted(documents), with_body=False)
        return [
            Evidence(
                passage=passages[pid],
                document=docs[passages[pid].document_id or 0],
                score=score,
                score_parts={"bm25": round(score, 4)},
            )
            for pid, score in picked
            if pid in passages and (passages[pid].document_id or 0) in docs
        ]

    def _reader(self) -> KeywordReader:
        """The keyword index, reopened after an ingest or ``medcite index`` updated it."""
        with self._swap:
            seen = self._keyword.frontier if self._keyword else None
            keyword = open_keyword_reader(self.store, self.settings, self._keyword)
            if seen is not None and keyword.frontier != seen and self.vocabulary is not None:
                # New documents arrived since the last search: their topic names join the
                # vocabulary.
                self.vocabulary = Vocabulary(self.store)
            self._keyword = keyword
        return keyword

    def search(self, query: str, k: int = 10) -> Retrieval:
        query = validate_query(query)
        keyword = self._reader()
        analysis = analyse(query, self.vocabulary or Vocabulary(), keyword.knows)
        query = analysis.text  # spelling corrected, when it was
        wanted_qtypes = INTENT_QTYPES.get(analysis.intent, ())
        depth = k * OVERFETCH
        bm25 = {
            pid: score
            for pid, _, score in keyword.search_with_documents(query, depth, analysis.expansion())
        }
        dense = dict(self.dense.search(query, depth)) if self.dense else {}
        fused = reciprocal_rank_fusion([list(bm25), list(dense)])

        # Rank on metadata only; build full Evidence for the final k alone.
        info = self.store.rank_info([pid for pid, _ in fused])
        year = dt.date.today().year
        scored: list[tuple[int, float]] = []
        prior: dict[int, float] = {}
        intent_boost: dict[int, float] = {}
        for pid, rrf in fused:
            if pid not in info:
                continue  # deleted since the index was read
            _, level, doc_year, qtype = info[pid]
            prior[pid] = evidence_multiplier(
                EvidenceLevel(level),
                doc_year,
                strength=self.settings.evidence_prior,
                current_year=year,
            )
            if wanted_qtypes and qtype in wanted_qtypes:
                intent_boost[pid] = INTENT_BOOST  # a "What causes X?" answer for a cause question
            scored.append((pid, rrf * prior[pid] * intent_boost.get(pid, 1.0)))
        scored.sort(key=lambda item: -item[1])
        group = {pid: info[pid][0] for pid, _ in scored}
        ranked = diversify(
            scored, group, max_per_group=self.settings.max_passages_per_document, limit=k
        )

        passages = self.store.get_passages_by_id([pid for pid, _ in ranked])
        docs = self.store.get_documents(
            sorted({info[pid][0] for pid, _ in ranked}), with_body=False
        )
        out = []
        for pid, final in ranked:
            passage = passages.get(pid)
            if passage is None or passage.document_id not in docs:
                continue
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
        return Retrieval(out, analysis)


def evidence_json(ev: Evidence, n: int) -> dict[str, Any]:
    """One search hit as JSON (CLI `search --json` and `GET /api/search`)."""
    d, p = ev.document, ev.passage
    return {
        "n": n,
        "passage_id": p.id,
        "document_id": d.id,
        "title": d.title,
        "section": p.section,
        "text": p.text,
        "doc_type": d.doc_type.value,
        "type_label": d.doc_type.label,
        "evidence_level": int(d.evidence_level),
        "year": d.year,
        "source": d.source,
        "organisation": d.organisation,
        "url": d.url,
        "score": round(ev.score, 4),
        "score_parts": ev.score_parts,
    }

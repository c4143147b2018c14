"""Length-matched baselines for the answer benchmark.

A longer answer covers more key facts, so a selector is only compared with another at equal
length: each baseline below shows, for a question, as many words as medcite's own answer to it
(``LengthBudget``, filled as medcite answers; a question medcite abstains on gets nothing from
them either). Both draw on the same retrieval as the composer (the hybrid top ``k`` passages)
and take whole sentences until the budget is reached.

- ``order``: the passages' sentences in retrieval order (top passages cut to the answer's
  length: what a naive pipeline shows in the same space);
- ``zeroshot``: the passages' sentences ranked by MiniLM cosine between question and sentence
  (the int8 model of the dense index), best first: the zero-shot ranker a learned scorer must
  beat.
- ``gated``: the same ranker over the sentences medcite's subject gate kept (shown or not), not
  the raw passages: whether the composer chooses as well as zero-shot among what it allows
  itself to say. The gap between ``zeroshot`` and ``gated`` is what the judge credits in
  sentences the gate keeps out (another condition's, another drug's). The default judge embeds with MiniLM too, so it may flatter this ranker: the benchmark
  reports a second, lexical judge beside it (:func:`medcite.eval.keyfacts.lexical_judge`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from medcite.config import Settings
from medcite.ingest.chunking import sentences
from medcite.store.sqlite import SQLiteStore

RETRIEVE_K = 20  # passages each baseline draws on (the composer retrieves 30 and keeps fewer)
MIN_SENTENCE_WORDS = 3  # headings and list markers are not statements


@dataclass(slots=True)
class LengthBudget:
    """Words medcite showed per question; the length-matched baselines read it."""

    words: dict[str, int] = field(default_factory=dict)
    # The sentences medcite's subject gate kept for each question (shown or not): what the
    # ``gated`` baseline ranks.
    kept: dict[str, list[str]] = field(default_factory=dict)

    def record(self, question: str, words: int, kept: Sequence[str] = ()) -> None:
        self.words[question] = words
        self.kept[question] = list(kept)

    def of(self, question: str) -> int:
        if question not in self.words:
            raise RuntimeError(
                "a length-matched baseline ran before medcite answered this question"
            )
        return self.words[question]


def cut_to_budget(candidates: Sequence[str], budget: int) -> list[str]:
    """Whole sentences in the given order until ``budget`` words are reached (the last one may
    pass it: a sentence is never cut); nothing for a zero budget."""
    chosen: list[str] = []
    words = 0
    for text in candidates:
        if words >= budget:
            break
        chosen.append(text)
        words += len(text.split())
    return chosen


def passage_sentences(texts: Sequence[str]) -> list[str]:
    """The sentences of ``texts`` in order, each once, leaving out fragments."""
    seen: set[str] = set()
    out: list[str] = []
    for text in texts:
        for s in sentences(text):
            s = " ".join(s.split())
            if len(s.split()) >= MIN_SENTENCE_WORDS and s not in seen:
                seen.add(s)
                out.append(s)
    return out


SentenceRanker = Callable[[str, list[str]], list[str]]


def retrieval_order(question: str, candidates: list[str]) -> list[str]:
    return candidates


def minilm_ranker() -> SentenceRanker:
    """Sentences by MiniLM cosine with the question, best first (ties keep retrieval order)."""
    from medcite.index.embed import MiniLMEmbedder

    embedder = MiniLMEmbedder()

    def rank(question: str, candidates: list[str]) -> list[str]:
        if not candidates:
            return []
        vectors = embedder.embed([question, *candidates])
        sims = vectors[1:] @ vectors[0]
        order = np.argsort(-sims, kind="stable")
        return [candidates[i] for i in order]

    return rank


def length_matched_system(
    store: SQLiteStore,
    settings: Settings,
    budget: LengthBudget,
    ranker: SentenceRanker,
    k: int = RETRIEVE_K,
) -> Callable[[str], tuple[list[str], float]]:
    """(shown sentences, latency ms) for a question: the top ``k`` passages' sentences,
    ranked by ``ranker``, cut to medcite's length for that question."""
    from medcite.retrieve.hybrid import HybridRetriever

    retriever = HybridRetriever.open(store, settings)

    def answer(question: str) -> tuple[list[str], float]:
        started = time.perf_counter()
        words = budget.of(question)
        if not words:
            return [], (time.perf_counter() - started) * 1000
        hits = retriever.search(question, k).hits
        candidates = passage_sentences([h.passage.text for h in hits])
        shown = cut_to_budget(ranker(question, candidates), words)
        return shown, (time.perf_counter() - started) * 1000

    return answer


def gated_system(
    budget: LengthBudget, ranker: SentenceRanker
) -> Callable[[str], tuple[list[str], float]]:
    """(shown sentences, latency ms): the sentences medcite's gate kept for the question,
    ranked by ``ranker``, cut to medcite's length."""

    def answer(question: str) -> tuple[list[str], float]:
        started = time.perf_counter()
        words = budget.of(question)
        kept = budget.kept.get(question, [])
        shown = cut_to_budget(ranker(question, kept), words) if words else []
        return shown, (time.perf_counter() - started) * 1000

    return answer

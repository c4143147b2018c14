"""The zero-shot scorer: the rule scorer's choice of what is about the subject, ranked by MiniLM
cosine between the question and each sentence (the ranker a learned scorer is checked against).

Needs the dense extra (the int8 MiniLM); embedding the kept sentences costs ~7 ms each on two
cores, so a question of ~60 kept sentences answers in ~0.4 s more.
"""

from __future__ import annotations

from medcite.compose.candidates import Candidate
from medcite.compose.rule_scorer import RuleScorer
from medcite.compose.scoring import ScoringContext
from medcite.retrieve.vocabulary import Vocabulary


class SimilarityScorer:
    name = "similarity"
    ranks_globally = False

    def __init__(self, vocabulary: Vocabulary) -> None:
        from medcite.index.embed import MiniLMEmbedder

        self.gate = RuleScorer(vocabulary)
        self.embedder = MiniLMEmbedder()

    def score(self, candidates: list[Candidate], context: ScoringContext) -> list[Candidate]:
        kept = self.gate.score(candidates, context)
        if not kept:
            return kept
        texts = [f"{c.lead_in} {c.text}" if c.list_item and c.lead_in else c.text for c in kept]
        vectors = self.embedder.embed([context.question, *texts])
        for c, cosine in zip(kept, vectors[1:] @ vectors[0], strict=True):
            # Scores must be positive: cosine of MiniLM sentence vectors is in [-1, 1].
            c.score = (float(cosine) + 1) / 2
            c.parts = {"cosine": round(float(cosine), 4)}
        return kept

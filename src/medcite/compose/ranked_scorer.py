"""The ranked scorer: what answers the question, by MiniLM similarity and the learned intent
model, among the sentences the subject model keeps.

Three parts, each shown by ``--explain``:

- **subject**: the rule scorer's topicality decides which sentences are about the question's
  subject (they name it, or sit on a page about it); the rest are dropped with its reason.
- **similarity**: MiniLM cosine between the question and the sentence (a list item is read
  with the sentence that introduces its list). On held-out physician key facts this zero-shot
  ranker beat the hand-written rules (docs/benchmarks.md).
- **intent**: the probability, by the intent model learned from MedQuAD (``make train``), that
  the sentence speaks of what the question asks (its causes, treatment, ...).

score = similarity + INTENT_WEIGHT * intent, both in [0, 1]. The composer then fills the article
in score order up to its length (``Scorer.ranks_globally``), each sentence under the section its
intent names, instead of filling fixed sections by cue phrases.

Needs the dense extra (the int8 MiniLM); without it :func:`make_scorer` says so.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from medcite.compose.candidates import Candidate
from medcite.compose.rule_scorer import RuleScorer
from medcite.compose.scoring import ScoringContext
from medcite.learn.intent import IntentModel, default_model
from medcite.retrieve.vocabulary import Vocabulary
from medcite.types import Intent

# Weight of the intent part against similarity. Chosen on the tuning halves of the answer
# benchmark (odd questions), never on the reported ones.
INTENT_WEIGHT = 0.3
# Sentences embedded per question, best by the subject model first: embedding costs ~5 ms a
# sentence on 2 cores, and the answer must stay under its latency budget.
MAX_EMBEDDED = 64
CACHE_SIZE = 20_000  # sentence vectors kept between questions (~30 MiB)

# Question intents -> the intent model's classes that answer them.
ASKED_CLASSES: dict[Intent, tuple[str, ...]] = {
    Intent.CAUSE: ("cause",),
    Intent.SYMPTOM: ("symptom",),
    Intent.DIAGNOSIS: ("diagnosis",),
    Intent.TREATMENT: ("treatment",),
    Intent.PREVENTION: ("prevention",),
    Intent.PROGNOSIS: ("prognosis",),
    Intent.RISK: ("risk", "cause"),
    Intent.MEDICATION: ("treatment",),
    Intent.COMPARISON: ("definition", "treatment"),
    Intent.DEFINITION: ("definition",),
}


class RankedScorer:
    name = "ranked"
    ranks_globally = True

    def __init__(self, vocabulary: Vocabulary) -> None:
        from medcite.index.embed import MiniLMEmbedder

        self.gate = RuleScorer(vocabulary)
        self.embedder = MiniLMEmbedder()
        self.intents: IntentModel | None = default_model()
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()

    def score(self, candidates: list[Candidate], context: ScoringContext) -> list[Candidate]:
        kept = self.gate.score(candidates, context)
        if not kept:
            return kept
        kept.sort(key=lambda c: -c.score)
        for c in kept[MAX_EMBEDDED:]:
            c.dropped = f"below the {MAX_EMBEDDED} most topical sentences (not embedded)"
        kept = kept[:MAX_EMBEDDED]
        texts = [c.shown for c in kept]
        query = self._embed([context.question])[0]
        similarity = self._embed(texts) @ query
        asked = {k for i in context.intents for k in ASKED_CLASSES.get(i, ())}
        for c, text, cosine in zip(kept, texts, similarity, strict=True):
            c.parts = {"subject": round(c.topical, 3), "similarity": round(float(cosine), 4)}
            intent = self._intent_share(text, asked)
            if intent is not None:
                c.parts["intent"] = round(intent, 4)
            # cosine of MiniLM sentence vectors is in [-1, 1]; a score must be positive.
            c.score = (float(cosine) + 1) / 2 + INTENT_WEIGHT * (intent or 0.0)
        return kept

    def _intent_share(self, text: str, asked: set[str]) -> float | None:
        if self.intents is None or not asked:
            return None
        probabilities = self.intents.probabilities(text)
        return sum(probabilities.get(k, 0.0) for k in asked)

    def _embed(self, texts: Sequence[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        if missing:
            for text, vector in zip(missing, self.embedder.embed(missing), strict=True):
                self._vectors[text] = vector
            while len(self._vectors) > CACHE_SIZE:
                self._vectors.popitem(last=False)
        for text in texts:
            self._vectors.move_to_end(text)
        return np.stack([self._vectors[t] for t in texts])

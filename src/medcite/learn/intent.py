"""What a sentence speaks of (cause, symptom, treatment, ...), learned from MedQuAD.

Every MedQuAD answer is labelled by the question type it answers; each of its sentences is taken
as an example of that type, grouped into the intents a question can ask (:data:`GROUPS`). The
model is softmax regression over the sentence's stems (the keyword index's analyzer): linear,
so the words that made a sentence "a cause" can be listed. It replaces hand-written cue lists
for ranking; `make train` rebuilds it (medcite.learn.train) and reports its accuracy on pages it
did not see.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from medcite.index.analysis import analyze

MODEL_FILE = Path(__file__).parent / "data" / "intent.json"

# MedQuAD question types -> the intent a question asks (medcite.kinds.Intent values); "other"
# collects what no question intent asks for (research, considerations, support groups).
GROUPS: dict[str, str] = {
    "information": "definition",
    "symptoms": "symptom",
    "treatment": "treatment",
    "causes": "cause",
    "genetic changes": "cause",
    "susceptibility": "risk",
    "inheritance": "risk",
    "frequency": "risk",
    "exams and tests": "diagnosis",
    "prevention": "prevention",
    "outlook": "prognosis",
    "stages": "prognosis",
    "complications": "prognosis",
    "research": "other",
    "considerations": "other",
    "support groups": "other",
}
CLASSES: tuple[str, ...] = tuple(dict.fromkeys(GROUPS.values()))


def features(text: str) -> list[str]:
    """The sentence's distinct stems (binary bag of words)."""
    return sorted(set(analyze(text)))


@dataclass(frozen=True, slots=True)
class IntentModel:
    classes: tuple[str, ...]
    bias: tuple[float, ...]
    weights: dict[str, tuple[float, ...]]

    @classmethod
    def load(cls, path: Path = MODEL_FILE) -> IntentModel:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            tuple(data["classes"]),
            tuple(data["bias"]),
            {k: tuple(v) for k, v in data["weights"].items()},
        )

    def save(self, path: Path, meta: dict[str, object]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {
            "meta": meta,
            "classes": list(self.classes),
            "bias": [round(b, 4) for b in self.bias],
            "weights": {k: [round(x, 3) for x in v] for k, v in sorted(self.weights.items())},
        }
        path.write_text(json.dumps(data, separators=(",", ":")) + "\n", encoding="utf-8")

    def logits(self, stems: Iterable[str]) -> list[float]:
        out = list(self.bias)
        for stem in stems:
            row = self.weights.get(stem)
            if row is not None:
                out = [a + b for a, b in zip(out, row, strict=True)]
        return out

    def probabilities(self, text: str) -> dict[str, float]:
        logits = self.logits(features(text))
        top = max(logits)
        exp = [math.exp(x - top) for x in logits]
        total = sum(exp)
        return {c: e / total for c, e in zip(self.classes, exp, strict=True)}

    def evidence(self, text: str, intent: str, limit: int = 3) -> list[tuple[str, float]]:
        """The sentence's words that most raise ``intent`` (for --explain)."""
        k = self.classes.index(intent)
        scored = [(s, self.weights[s][k]) for s in features(text) if s in self.weights]
        return sorted(scored, key=lambda item: -item[1])[:limit]


@cache
def default_model() -> IntentModel | None:
    """The shipped model (None when it has not been trained: rules then decide alone)."""
    return IntentModel.load() if MODEL_FILE.exists() else None

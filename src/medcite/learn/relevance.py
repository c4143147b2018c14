"""The learned relevance model: does this sentence answer this question?

Logistic regression over the features of medcite.learn.features, standardised. Trained by
medcite.learn.train on MedQuAD questions (see docs/answers.md for the data and its held-out
accuracy). A score is a probability; its explanation is each feature's contribution
(weight x standardised value), which sum with the bias to the log-odds.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

MODEL_FILE = Path(__file__).parent / "data" / "relevance.json"


@dataclass(frozen=True, slots=True)
class RelevanceModel:
    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float

    @classmethod
    def load(cls, path: Path = MODEL_FILE) -> RelevanceModel:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            tuple(data["features"]),
            tuple(data["mean"]),
            tuple(data["scale"]),
            tuple(data["weights"]),
            float(data["bias"]),
        )

    def save(self, path: Path, meta: dict[str, object]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {
            "meta": meta,
            "features": list(self.features),
            "mean": [round(x, 6) for x in self.mean],
            "scale": [round(x, 6) for x in self.scale],
            "weights": [round(x, 6) for x in self.weights],
            "bias": round(self.bias, 6),
        }
        path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")

    def contributions(self, row: Sequence[float]) -> list[float]:
        return [
            w * (x - m) / s
            for w, x, m, s in zip(self.weights, row, self.mean, self.scale, strict=True)
        ]

    def log_odds(self, row: Sequence[float]) -> float:
        return self.bias + sum(self.contributions(row))

    def probability(self, row: Sequence[float]) -> float:
        z = self.log_odds(row)
        return 1 / (1 + math.exp(-z)) if z > -700 else 0.0

    def explain(self, row: Sequence[float], limit: int = 4) -> list[tuple[str, float]]:
        """The features that moved this score most, with their contribution to the log-odds."""
        parts = sorted(
            zip(self.features, self.contributions(row), strict=True), key=lambda p: -abs(p[1])
        )
        return [(name, round(value, 3)) for name, value in parts[:limit]]


@cache
def default_model() -> RelevanceModel | None:
    """The shipped model (None when it has not been trained)."""
    return RelevanceModel.load() if MODEL_FILE.exists() else None

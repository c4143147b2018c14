"""Pure ranking functions: reciprocal rank fusion, an evidence prior, per-document diversity.

No state and no I/O, so each is tested on its own and reused by every retriever.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import TypeVar

from medcite.types import EvidenceLevel

K = TypeVar("K", bound=Hashable)

RRF_K = 60  # Cormack et al. 2009: k=60 works across collections


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[K]], *, k: int = RRF_K, weights: Sequence[float] | None = None
) -> list[tuple[K, float]]:
    """Fuse ranked lists: score(d) = sum_i w_i / (k + rank_i(d)), ranks from 1.

    Ties keep the order in which items were first seen, so the result is deterministic.
    """
    if weights is None:
        weights = [1.0] * len(rankings)
    if len(weights) != len(rankings):
        raise ValueError("one weight per ranking")
    scores: dict[K, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
    order = {item: i for i, item in enumerate(scores)}
    return sorted(scores.items(), key=lambda kv: (-kv[1], order[kv[0]]))


def evidence_multiplier(
    level: EvidenceLevel,
    year: int | None,
    *,
    strength: float = 0.1,
    current_year: int,
    half_life: float = 15.0,
) -> float:
    """A gentle prior: stronger evidence and newer sources score a little higher.

    Level 1 gets (1 + strength), level 5 gets 1.0, linearly between. Age multiplies by
    1 - strength/4 at ``half_life`` years and 1 - strength/2 from twice that on; undated sources
    count as ``half_life`` years old. ``strength=0`` turns the prior off (returns 1.0).
    """
    if strength <= 0:
        return 1.0
    level_boost = 1.0 + strength * (int(EvidenceLevel.CONSUMER) - int(level)) / 4
    age = max(current_year - year, 0) if year else half_life
    age_factor = 1.0 - (strength / 2) * min(age / (2 * half_life), 1.0)
    return level_boost * age_factor


def diversify(
    ranked: Sequence[tuple[K, float]],
    group_of: Mapping[K, Hashable],
    *,
    max_per_group: int = 2,
    limit: int | None = None,
) -> list[tuple[K, float]]:
    """Keep at most ``max_per_group`` items per group (document), in ranked order.

    Items over the cap are not dropped outright: they fill remaining slots at the end, so a
    corpus with one relevant document still returns ``limit`` items.
    """
    counts: dict[Hashable, int] = {}
    kept: list[tuple[K, float]] = []
    overflow: list[tuple[K, float]] = []
    for item, score in ranked:
        group = group_of.get(item, item)
        if counts.get(group, 0) < max_per_group:
            counts[group] = counts.get(group, 0) + 1
            kept.append((item, score))
        else:
            overflow.append((item, score))
    out = kept + overflow
    return out[:limit] if limit is not None else out

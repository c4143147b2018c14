"""The scoring contract: which candidate sentences to keep, and how well each answers.

A :class:`Scorer` takes the candidates of one question and returns the ones worth showing, each
with a ``score`` (higher is better; only the order within one question matters), ``parts`` (the
named factors or contributions the score is made of) and, for those left out, ``dropped`` (why).
The composer then builds the article from the kept ones. Implementations: the hand-written
:class:`medcite.compose.rule_scorer.RuleScorer` (the default) and the zero-shot
:class:`medcite.compose.similarity_scorer.SimilarityScorer` (MiniLM cosine; dense extra).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from medcite.types import Audience, Intent

if TYPE_CHECKING:
    from medcite.compose.candidates import Candidate
    from medcite.compose.topicality import Focus
    from medcite.retrieve.vocabulary import Vocabulary


@dataclass(frozen=True, slots=True)
class ScoringContext:
    question: str  # as searched (spelling corrected, follow-up context added)
    focus: Focus
    intents: tuple[Intent, ...]  # every intent asked, the main one first
    audience: Audience
    vocabulary: Vocabulary


class Scorer(Protocol):
    name: str
    # True: the composer fills the article in score order up to its length, each sentence under
    # the section of what it speaks of; False: fixed sections, each filled by its cue phrases.
    ranks_globally: bool

    def score(self, candidates: list[Candidate], context: ScoringContext) -> list[Candidate]:
        """The candidates worth showing, scored; every candidate left out gets ``dropped``."""
        ...


SCORERS = ("rule", "similarity", "ranked")


def make_scorer(name: str, vocabulary: Vocabulary) -> Scorer:
    """The scorer called ``name`` (ConfigError for another name or a missing extra)."""
    from medcite.errors import ConfigError

    if name == "rule":
        from medcite.compose.rule_scorer import RuleScorer

        return RuleScorer(vocabulary)
    if name in ("similarity", "ranked"):
        try:
            if name == "ranked":
                from medcite.compose.ranked_scorer import RankedScorer

                return RankedScorer(vocabulary)
            from medcite.compose.similarity_scorer import SimilarityScorer

            return SimilarityScorer(vocabulary)
        except ImportError as exc:
            raise ConfigError(
                f"the {name} scorer needs the dense extra",
                hint="pip install 'medcite[dense]'",
            ) from exc
    raise ConfigError(f"unknown scorer {name!r}", hint="Known: " + ", ".join(SCORERS))

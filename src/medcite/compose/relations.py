"""Evidence gathered by relation: for "What causes S?", the other conditions whose own pages
list S among their signs and symptoms (MedQuAD symptom answers, GARD's Human Phenotype Ontology
tables: "Bartter syndrome ... - Muscle cramps - ...").

A cause page names a few causes; the conditions that have S as a sign are spread over their
own pages, which a search for "what causes S" does not rank. Each one found is quoted from its
own symptom passage (the sentence or list item naming S, cited), labelled with the condition it
is about and grouped by the condition's MeSH branch. The heading says what the sources say:
these conditions list S among their signs, not that S has no other cause.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from medcite.compose.candidates import Candidate, content_stems, extract
from medcite.compose.focus import names_another
from medcite.compose.topicality import COPULA_RE, Focus, definition_head, together
from medcite.index.analysis import analyze
from medcite.retrieve.hybrid import HybridRetriever
from medcite.retrieve.vocabulary import Vocabulary, norm
from medcite.types import Evidence

SYMPTOM_KIND = "symptoms"  # the passage kind (MedQuAD qtype) of a condition's signs and symptoms
SEARCHED = 60  # symptom passages read, one per document
MAX_CONDITIONS = 8
# A listed sign must name the subject as the question did (share of a name's words, as the rule
# scorer's topicality gate asks).
MIN_NAMED = 0.6
KIND_WEIGHT = 0.9  # a kind's name names the subject nearly as well as its own names


@dataclass(frozen=True, slots=True)
class Related:
    """A condition whose symptom passage names the subject, and the statement that does."""

    condition: str  # the page's topic ("Bartter syndrome")
    tree_numbers: tuple[str, ...]  # its MeSH places (empty when MeSH lacks it)
    candidate: Candidate


def conditions_listing(
    focus: Focus,
    names: Sequence[str],
    retriever: HybridRetriever,
    kinds: Sequence[str] = (),
) -> list[Related]:
    """Up to ``MAX_CONDITIONS`` other conditions whose symptom passages name the subject:
    those MeSH knows first (a descriptor marks a condition common enough to be named in a
    consumer article), then by keyword score; one per condition family ("Bartter syndrome"
    stands for "Bartter syndrome antenatal type 1"). ``names``: the subject's names, searched;
    ``kinds``: topics the sources define as a kind of the subject (see :func:`kinds_of`), whose
    names count as the subject's ("muscle cramps are ... spasms")."""
    if not focus.names or focus.specific:
        return []  # no concept, or narrowed to what the question names: nothing to relate
    vocabulary = retriever.vocabulary
    assert vocabulary is not None
    kind_names = [(stems, KIND_WEIGHT) for k in kinds if (stems := content_stems(k))]
    focus = replace(focus, names=[*focus.names, *kind_names])
    query = " ".join(dict.fromkeys([*names, *kinds]))
    found: list[tuple[bool, int, Related]] = []
    for rank, hit in enumerate(retriever.search_kind(query, SYMPTOM_KIND, SEARCHED)):
        condition = hit.document.focus or hit.document.title
        if focus.match(condition) >= MIN_NAMED:
            continue  # the subject's own pages, or a kind of it named after it
        statement = _naming_statement(hit, focus, vocabulary, [n for n, _ in kind_names])
        if statement is None:
            continue
        trees = tuple(vocabulary.tree_numbers(condition))
        found.append((not trees, rank, Related(condition, trees, statement)))
    picked: list[Related] = []
    for _, _, related in sorted(found, key=lambda f: (f[0], f[1])):
        key = norm(related.condition)
        if any(
            key.startswith(norm(p.condition)) or norm(p.condition).startswith(key) for p in picked
        ):
            continue
        picked.append(related)
        if len(picked) == MAX_CONDITIONS:
            break
    return picked


def _naming_statement(
    hit: Evidence, focus: Focus, vocabulary: Vocabulary, kinds: Sequence[frozenset[str]]
) -> Candidate | None:
    """The first sentence or list item of ``hit`` that names the subject as asked, or one of
    its ``kinds`` whole (MeSH may place a kind apart: that is why the page counted it)."""
    for c in extract([hit]):
        terms = analyze(c.text)
        if any(together(k, terms) for k in kinds) or (
            focus.match_as_asked(c.text) >= MIN_NAMED
            and not names_another(c.text, focus, vocabulary)
        ):
            return c
    return None


def kinds_of(focus: Focus, candidates: Sequence[Candidate]) -> list[str]:
    """Topics whose own page defines them by the subject: the opening sentence of the page
    names the subject as asked ("Muscle cramps are sudden, involuntary contractions or spasms"
    makes muscle cramps a kind of muscle spasms, though MeSH files them side by side)."""
    kinds: dict[str, None] = {}
    for c in candidates:
        topic = c.evidence.document.focus
        if not topic or not c.opens_page or focus.match(topic) >= MIN_NAMED:
            continue
        # What the page says its topic is, before what marks it: "sudden, involuntary
        # contractions or spasms", not "a rare condition" (characterized by muscle spasms).
        said = COPULA_RE.split(definition_head(c.text), maxsplit=1)
        if len(said) == 2 and focus.match(said[1]) >= MIN_NAMED:
            kinds[topic] = None
    return list(kinds)

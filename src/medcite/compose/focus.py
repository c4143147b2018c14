"""The subject of a question, as the composer gates quoted sentences by it: the names it goes
by (weighted, each word by how telling it is), what else the question asks, its MeSH places."""

from __future__ import annotations

import math
import re

from medcite.compose.candidates import content_stems
from medcite.compose.topicality import Focus
from medcite.retrieve.hybrid import HybridRetriever
from medcite.retrieve.query import QueryAnalysis
from medcite.retrieve.vocabulary import Vocabulary, related_places
from medcite.store.sqlite import SQLiteStore
from medcite.types import Concept

# A question word held by at most this share of passages names what the question is about.
SPECIFIC_SHARE = 0.005
SPECIFIC_WORDS = 2  # the rarest ones: "peroxide" and "wax", not "clean"
MIN_SPECIFIC_LETTERS = 3  # shorter words ("oz", "ml") are units or abbreviations
# Share of the passages holding a word that must sit on one topic's pages for the word alone to
# name the topic (MTHFR: 0.32 on the default corpus; cortisone 0.02, taper 0.01).
TOPIC_WORD_SHARE = 0.15
MIN_UNKNOWN_SUBJECT = 5  # letters of a word unknown to the corpus that can name a subject
MIN_SHARE = 1e-5  # passage share taken for a name word the corpus lacks, for its idf
_ACRONYM_RE = re.compile(r"\b[A-Z][A-Z0-9]{1,5}\b")
_NOT_ACRONYMS = frozenset({"OK", "US", "USA", "UK", "AM", "PM", "MD", "DR"})


def question_focus(
    analysis: QueryAnalysis, question: str, retriever: HybridRetriever, store: SQLiteStore
) -> Focus:
    """The question's subject: the concept the analysis found, with its names and their
    weights, or else the topic one of its rare words names, or else its rare words."""
    qstems = content_stems(question)
    if analysis.focus is None:
        # No known concept: the subject is in the question's rare words ("methylprednisolone",
        # not "body"); words no passage holds are misspellings or outside the corpus.
        # Numbers and units ("150 mg", "oz") name no subject.
        shares = {
            t: retriever.passage_share(t)
            for t in qstems
            if len(t) >= MIN_SPECIFIC_LETTERS and not t[:1].isdigit()
        }
        rare = sorted((v, t) for t, v in shares.items() if 0 < v <= SPECIFIC_SHARE)
        specific = frozenset(t for _, t in rare[:SPECIFIC_WORDS])
        # An acronym the question spells in capitals ("Is CFS a lifelong disease?") is its
        # subject: a sentence carrying only its other rare word ("lifelong") is not about it.
        named = specific & _acronyms(question)
        specific = named or specific
        if not specific:
            # Only common words known ("Does zibberfloxacin make panels sparkle?"): a word
            # no passage holds is then the subject, and nothing can speak for it.
            specific = frozenset(
                t for t, v in shares.items() if v == 0 and len(t) >= MIN_UNKNOWN_SUBJECT
            )
        # A rare word that belongs to one topic's name names that topic ("MTHFR A1298C").
        topic = next(
            (c for _, t in rare[:SPECIFIC_WORDS] if (c := _topic_named_by(t, retriever, store))),
            None,
        )
        if topic is None:
            return Focus(None, [], qstems, specific=specific)
        # Its rare words still gate what is quoted, as for a question with no concept.
        return _concept_focus(topic, qstems, topic.name, retriever, specific)
    return _concept_focus(analysis.focus, qstems, analysis.focus.matched, retriever)


def _acronyms(question: str) -> frozenset[str]:
    """Index terms of the words the question writes in capitals ("CFS", "NMO")."""
    return frozenset().union(
        *(content_stems(w) for w in _ACRONYM_RE.findall(question) if w not in _NOT_ACRONYMS)
    )


def _topic_named_by(word: str, retriever: HybridRetriever, store: SQLiteStore) -> Concept | None:
    """The topic whose name holds ``word`` when the corpus uses the word mostly on that
    topic's pages: "MTHFR" names "MTHFR gene mutation", but "oil" does not name "Oil
    Spills", nor "cortisone" "Cortisone reductase deficiency"."""
    assert retriever.vocabulary is not None
    topic = retriever.vocabulary.topic_named_by(word)
    if topic is None:
        return None
    holders = retriever.documents_holding(word)
    own = store.document_ids_with_focus(topic.name)
    if not holders or sum(d in own for d in holders) < TOPIC_WORD_SHARE * len(holders):
        return None
    return topic


def _concept_focus(
    f: Concept,
    qstems: frozenset[str],
    matched: str,
    retriever: HybridRetriever,
    specific: frozenset[str] = frozenset(),
) -> Focus:
    weighted = [(matched, 1.0), (f.name, 0.95)] + [(n, 0.85) for n in f.synonyms]
    names = [(content_stems(n), w) for n, w in weighted]
    assert retriever.vocabulary is not None
    trees = f.tree_numbers or retriever.vocabulary.tree_numbers(f.name)
    names = [(n, w) for n, w in names if n]
    idf = {
        t: math.log(1 / max(retriever.passage_share(t), MIN_SHARE))
        for t in frozenset().union(*(n for n, _ in names))
    }
    return Focus(matched, names, qstems, trees, specific=specific, idf=idf)


def names_another(text: str, focus: Focus, vocabulary: Vocabulary) -> bool:
    """True when ``text`` names the subject only through another concept's name.

    Either it names no name of the subject whole, and the words it shares with one belong to
    another concept ("low blood pressure" for high blood pressure, "high blood cholesterol"),
    or each name of the subject it holds sits inside the MeSH name of a homonym: a heading
    that holds the subject's name but that MeSH places apart from it ("infantile spasms", an
    epilepsy, for muscle spasms; "diabetes insipidus" for diabetes mellitus). Kinds of the
    subject ("hemifacial spasm", "gestational diabetes") still name it.
    """
    if not focus.names:
        return False
    text_stems = content_stems(text)
    whole = [n for n, _ in focus.names if n <= text_stems]
    if not whole:
        return any(
            (stems := content_stems(surface)) & focus.stems
            and not any(stems <= n for n, _ in focus.names)
            for surface, _ in vocabulary.mentions(text)
        )
    if not focus.tree_numbers:
        return False  # with no MeSH place, nothing tells a homonym from a kind of the subject
    homonyms: set[str] = set()
    for surface, entry in vocabulary.mentions(text, mesh_only=True):
        stems = content_stems(surface)
        if not stems & focus.stems:
            continue
        if not entry.tree_numbers or related_places(entry.tree_numbers, focus.tree_numbers):
            return False  # the subject itself, a kind of it, or what it is a kind of
        if any(n <= content_stems(entry.name) for n in whole):
            homonyms |= stems
    return bool(homonyms) and all(n <= homonyms for n in whole)

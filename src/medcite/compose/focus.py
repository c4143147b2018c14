"""The subject of a question, as the composer gates quoted sentences by it: the names it goes
by (weighted, each word by how telling it is), what else the question asks, its MeSH places."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence

from medcite.compose.candidates import content_stems
from medcite.compose.topicality import Focus
from medcite.retrieve.drugs import DrugMention
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
ACRONYM_PASSAGES = 100  # passages holding an acronym read to learn what it abbreviates
MIN_SPELLED_OUT = 2
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
        # An acronym written in capitals names the topic the corpus spells it out for ("Early
        # AMD": age-related macular degeneration); the topic is then the whole subject.
        expanded = topic_abbreviated(question, retriever)
        if expanded is not None:  # named in full: "AMD" alone would not tell a reader which
            return _concept_focus(expanded, qstems, expanded.name, retriever)
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


def topic_abbreviated(question: str, retriever: HybridRetriever) -> Concept | None:
    """The topic an acronym of the question abbreviates, as the corpus uses it: of the topics
    that list the acronym among their names, the one whose name the passages holding the
    acronym spell out most often, in at least ``MIN_SPELLED_OUT`` of them ("AMD": macular
    degeneration, not Pompe disease, an acid maltase deficiency). None when no passage does.
    """
    assert retriever.vocabulary is not None
    for acronym in dict.fromkeys(_ACRONYM_RE.findall(question)):
        if acronym in _NOT_ACRONYMS:
            continue
        stems = content_stems(acronym)
        if len(stems) != 1:
            continue
        topics = retriever.vocabulary.topics_named_by(next(iter(stems)))
        if not topics:
            continue
        held = [
            content_stems(p.text) for p in retriever.passages_holding(acronym, ACRONYM_PASSAGES)
        ]
        best: tuple[int, Concept] | None = None
        for topic in topics:
            spelled = [w for n in (topic.name, *topic.synonyms) if len(w := content_stems(n)) > 1]
            count = sum(any(words <= stems for words in spelled) for stems in held)
            if count >= MIN_SPELLED_OUT and (best is None or count > best[0]):
                best = (count, topic)
        if best is not None:
            return best[1].model_copy(update={"matched": acronym})
    return None


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


def narrow_to_specific(
    focus: Focus,
    question: str,
    drugs: Sequence[DrugMention],
    retriever: HybridRetriever,
    matched: str | None = None,
) -> Focus:
    """The subject narrowed to what the question names most specifically: "the side effects of
    valsartan" are about valsartan, "Citrobacter infections" about Citrobacter, "Giant Cell
    Vasculitis" about giant cell vasculitis, "Is uveitis an autoimmune disease?" about uveitis.
    A kept sentence (or its list's lead-in, or its page's title) must then carry one of the
    specific words.

    Specific words, each only when rarer than the concept's name (the share of passages
    holding its rarest word):
    - a drug the question names, when it is specific itself (its rarest name in at most
      ``SPECIFIC_SHARE`` of passages; "antibiotics" is not): each of its names' rarest word;
    - else a word no passage holds right before the concept's name ("Citrobacter" infections:
      the answer then abstains, naming it);
    - else, when the concept is common in the corpus (more than ``SPECIFIC_SHARE``), the rarest
      other concept the question names ("uveitis"), or an acronym it writes in capitals
      ("HIV"), or its two rarest other words that some passage holds.
    A question with no concept already has specific words (see :func:`question_focus`); a
    drug's names then replace them ("ketorolac", not "drops").
    """
    share = retriever.passage_share
    concept_share = min((share(t) for n, _ in focus.names[:1] for t in n), default=1.0)
    limit = min(concept_share, SPECIFIC_SHARE)
    anchors: set[str] = set()
    for drug in drugs:
        anchors.update(_drug_anchors(drug, share, limit))
    if anchors:
        # The other drugs the question names are its subject too, when rarer than the concept
        # ("Diclofenac with ... other NSAIDs": sentences on NSAIDs speak to it).
        for drug in drugs:
            if not _drug_anchors(drug, share, limit):
                anchors.update(_drug_anchors(drug, share, concept_share, most=concept_share))
    if focus.specific:  # no concept: its rare words, or the drug's names
        return _with_specific(focus, frozenset(anchors), question) if anchors else focus
    specific = set(anchors)
    guessed = False  # the specific words were picked for rarity alone
    names: list[frozenset[str]] = [frozenset({t}) for t in sorted(anchors)]
    if matched and not specific:  # a drug named is the subject: a modifier would widen it
        # A word no passage holds right before the concept's name makes a subject the sources
        # lack ("Citrobacter infections"); a rarer word there is not enough ("Giant Cell
        # Vasculitis" would gate on "giant", which names other conditions too).
        before = question[: max(question.lower().find(matched.lower()), 0)].split()[-1:]
        unknown = {t for w in before for t in content_stems(w) if share(t) == 0}
        specific |= unknown
        names += [frozenset({t}) for t in sorted(unknown)]
    if concept_share > SPECIFIC_SHARE and not specific:
        # Another concept the question names, rarer than this one: "HIV" in "Can HIV be
        # transmitted ... with contaminated blood?", "uveitis" in "Is uveitis an autoimmune
        # disease?". Else its two rarest words that some passage holds.
        assert retriever.vocabulary is not None
        concepts = sorted(
            (min(share(t) for t in words), sorted(words), entry.name)
            for surface, entry in retriever.vocabulary.mentions(question)
            if (words := frozenset(t for t in content_stems(surface) if not t[:1].isdigit()))
            and not words <= focus.stems
        )
        acronyms = sorted(
            (v, t) for t in _acronyms(question) - focus.stems if 0 < (v := share(t)) < concept_share
        )
        if concepts and 0 < concepts[0][0] < concept_share:
            # A sentence must carry its rarest word: "hepatitis" alone is not "hepatitis E".
            specific.add(min(concepts[0][1], key=share))
            names.append(frozenset(concepts[0][1]))
            # Its name as the vocabulary gives it, when the question used another ("HNPP"):
            # pages spelling it out carry the subject too.
            full = content_stems(concepts[0][2])
            if full and not full <= frozenset(concepts[0][1]):
                specific.add(min(full, key=share))
                names.append(full)
        elif acronyms:  # "HIV", written in capitals, as in :func:`question_focus`
            specific.add(acronyms[0][1])
            names.append(frozenset({acronyms[0][1]}))
            # The topic it abbreviates, when the corpus spells it out ("HNPP": its page says
            # "hereditary neuropathy with liability to pressure palsies"): its name's rarest
            # word carries the subject too.
            spelled = topic_abbreviated(
                next(
                    w for w in _ACRONYM_RE.findall(question) if acronyms[0][1] in content_stems(w)
                ),
                retriever,
            )
            if spelled is not None and (words := content_stems(spelled.name)):
                specific.add(min(words, key=share))
                names.append(words)
        else:
            # A word no passage holds (a misspelling, a brand the corpus lacks) gates nothing.
            rare = sorted(
                (v, t)
                for t in content_stems(question) - focus.stems
                if len(t) >= MIN_SPECIFIC_LETTERS
                and not t[:1].isdigit()
                and 0 < (v := share(t)) <= SPECIFIC_SHARE
            )
            for _, t in rare[:SPECIFIC_WORDS]:
                specific.add(t)
                names.append(frozenset({t}))
            guessed = bool(rare)
    if not specific:
        return focus
    return _with_specific(focus, frozenset(specific), question, names, guessed=guessed)


def _drug_anchors(
    drug: DrugMention,
    share: Callable[[str], float],
    limit: float,
    most: float = SPECIFIC_SHARE,
) -> frozenset[str]:
    """The words that name ``drug`` in a sentence: the rarest word of each of its names
    (generic, brands, spellings, "zoster" of "herpes zoster vaccine") that some passage holds,
    in at most ``most`` of passages.

    Nothing when the drug is not specific: when the name the question used and its canonical
    name are as common as ``limit`` ("calcium supplement": calcium is everywhere; its brand
    "Tums" would otherwise gate the answer; "insulin", whose "soluble insulin" would gate on
    "soluble"). Names no passage holds (foreign spellings, chemical names) gate nothing.
    """
    said = [t for n in (drug.surface, drug.name) for t in content_stems(n) if not t[:1].isdigit()]
    if not said or min(share(t) for t in said) > limit:
        return frozenset()
    rarest = [
        min((share(t), t) for t in stems)
        for name in drug.names
        if (stems := [t for t in content_stems(name) if not t[:1].isdigit()])
    ]
    return frozenset(t for v, t in rarest if 0 < v <= most)


def _with_specific(
    focus: Focus,
    specific: frozenset[str],
    question: str,
    names: Sequence[frozenset[str]] | None = None,
    *,
    guessed: bool = False,
) -> Focus:
    """``focus`` with the specific subject's ``names`` (default: each specific word alone)
    first; the broad concept's names count half (what a sentence names must be the subject,
    not the concept), and its MeSH places go (they are the broad concept's)."""
    weighted = [(n, 1.0) for n in names or [frozenset({t}) for t in sorted(specific)]]
    weighted += [(n, 0.5 * w) for n, w in focus.names]
    said = [w.strip("?.,;:!\"'()") for w in question.split() if content_stems(w) & specific]
    subject = " ".join(said) or focus.subject
    return Focus(
        subject,
        weighted,
        focus.question,
        [],
        specific=specific,
        idf=dict(focus.idf),
        guessed=guessed,
    )


def follow_up_aspect(focus: Focus, follow_up: str, retriever: HybridRetriever) -> Focus:
    """The earlier subject, narrowed to what a follow-up that names no subject asks about it:
    after "What causes muscle spasms?", "what about at night?" keeps muscle spasms as the
    subject and needs sentences that carry "night". Words no passage holds are left out."""
    aspect = frozenset(
        t
        for t in content_stems(follow_up) - focus.stems
        if not t[:1].isdigit() and retriever.passage_share(t) > 0
    )
    if not aspect:
        return focus
    return Focus(
        focus.subject,
        focus.names,
        focus.question,
        focus.tree_numbers,
        specific=focus.specific | aspect,
        idf=focus.idf,
    )

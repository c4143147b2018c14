"""The reading grade keeps textstat 0.7.3's figures without importing textstat."""

from __future__ import annotations

import subprocess
import sys

import pytest

from medcite import readability

# Each figure was computed by textstat 0.7.3 (flesch_kincaid_grade, syllable_count) before it was
# replaced; the texts are synthetic.
TEXTSTAT_0_7_3 = [
    ("The cat sat on the mat.", -1.5, 6),
    (
        "Sparkle fatigue is a made-up condition of test robots. "
        "Its antennas wobble when the batteries run low.",
        6.6,
        27,
    ),
    (
        "Interdisciplinary collaboration necessitates comprehensive understanding of "
        "organisational responsibilities.",
        40.6,
        36,
    ),
    # Sentences of one or two words are not counted as sentences.
    ("Hi. Yes. No. The robot hums quietly at night while it charges.", 4.4, 15),
    ("Wobbly antennas", 14.7, 5),
    ("", -15.7, 0),
]


@pytest.mark.parametrize(("text", "grade", "syllables"), TEXTSTAT_0_7_3)
def test_grade_and_syllables_match_textstat(text: str, grade: float, syllables: int) -> None:
    assert readability.flesch_kincaid_grade(text) == grade
    assert readability.syllable_count(text) == syllables


@pytest.mark.parametrize(
    ("word", "count"),
    [("hyphenation", 3), ("interdisciplinary", 6), ("robot", 2), ("antennas", 3), ("a", 1)],
)
def test_syllables_follow_the_hyphenation_patterns(word: str, count: int) -> None:
    assert readability.syllable_count(word) == count


def test_patterns_parse_like_liang() -> None:
    # First line names the encoding; values sit between letters; all-zero patterns are dropped.
    text = "UTF-8\nLEFTHYPHENMIN 2\n.ach4\n1ba\nzz0\n% comment\n"
    assert readability.parse_patterns(text) == {".ach": (4, (4,)), "ba": (0, (1,))}


def test_importing_the_grade_needs_no_pkg_resources() -> None:
    """Current virtualenvs have no pkg_resources (setuptools 81+, or no setuptools at all)."""
    code = (
        "import sys; sys.modules['pkg_resources'] = None\n"
        "from medcite.readability import flesch_kincaid_grade\n"
        "print(flesch_kincaid_grade('The cat sat on the mat.'))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "-1.5"

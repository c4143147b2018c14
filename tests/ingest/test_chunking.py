from __future__ import annotations

import re

from hypothesis import given, settings, strategies as st

from medcite.ingest.chunking import (
    PassageCutter,
    build_passages,
    sentences,
    split_sentences,
    word_count,
)
from medcite.types import Passage, Section


def test_abbreviations_do_not_end_sentences() -> None:
    text = (
        "Take the synthetic tablet b.i.d. with food. Dr. Testcase agreed, e.g. in the lab. "
        "J. Doe measured 2.5 units. See Fig. 3 for the plot. It was no. 4 on the list. Done."
    )
    assert sentences(text) == [
        "Take the synthetic tablet b.i.d. with food.",
        "Dr. Testcase agreed, e.g. in the lab.",
        "J. Doe measured 2.5 units.",
        "See Fig. 3 for the plot.",
        "It was no. 4 on the list.",
        "Done.",
    ]


def test_sentence_ends_at_units_and_question_marks() -> None:
    assert sentences("The dose was 5 mg. Then it stopped! Why? Nobody knows.") == [
        "The dose was 5 mg.",
        "Then it stopped!",
        "Why?",
        "Nobody knows.",
    ]


def test_list_items_and_paragraphs_are_hard_breaks() -> None:
    text = (
        "Synthetic causes are\n- widgets\n- gadgets and gizmos\n\nA new paragraph without a period"
    )
    assert sentences(text) == [
        "Synthetic causes are",
        "widgets",
        "gadgets and gizmos",
        "A new paragraph without a period",
    ]


def test_a_footnote_number_glued_to_a_period_ends_the_sentence() -> None:
    text = "Widgets hum in the test lab.1 Gadgets hum too.12,13 Version 2.1 Beta hums. Done."
    assert sentences(text) == [
        "Widgets hum in the test lab.",
        "Gadgets hum too.",
        "Version 2.1 Beta hums.",
        "Done.",
    ]


def test_lowercase_continuation_and_closing_quotes() -> None:
    assert sentences('He said "stop." Then left. The ratio vs. control was odd.') == [
        'He said "stop."',
        "Then left.",
        "The ratio vs. control was odd.",
    ]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab .!?\n-A1e.g")), max_size=300))
def test_spans_are_ordered_trimmed_and_cover_all_words(text: str) -> None:
    spans = split_sentences(text)
    prev_end = 0
    for span in spans:
        assert prev_end <= span.start < span.end <= len(text)
        piece = text[span.start : span.end]
        assert piece == piece.strip() and piece
        prev_end = span.end
    # Everything outside the spans is whitespace, a list-item marker ("-", "3.") or a
    # footnote number glued to a sentence's period ("end.1 Next").
    covered = set()
    for span in spans:
        covered.update(range(span.start, span.end))
    leftovers = "".join(ch if i not in covered else " " for i, ch in enumerate(text))
    assert all(re.fullmatch(r"-|\d{1,2}[.)]|\d{1,2}(,\d{1,2})*", tok) for tok in leftovers.split())


def _sentence_block(n: int, words: int = 10) -> str:
    return " ".join(f"Synthetic sentence {i} " + "filler " * (words - 3) + "end." for i in range(n))


def test_passages_are_exact_body_spans_within_sections() -> None:
    sections = [
        Section(heading="One", text=_sentence_block(50), meta={"qtype": "causes"}),
        Section(heading="Two", text="Short synthetic section."),
    ]
    body, passages = build_passages(sections, min_words=80, max_words=200)
    assert [p.ord for p in passages] == list(range(len(passages)))
    for p in passages:
        assert body[p.char_start : p.char_end] == p.text
    one = [p for p in passages if p.section == "One"]
    assert len(one) == 3  # 500 words -> ceil(500/200) balanced runs
    assert all(80 <= word_count(p.text) <= 200 for p in one)
    assert all(p.meta == {"qtype": "causes"} for p in one)
    assert passages[-1].section == "Two" and passages[-1].text == "Short synthetic section."
    assert "Short synthetic section." not in one[-1].text  # never crosses a section


def test_short_section_is_one_passage_and_long_sentence_is_split() -> None:
    long_sentence = " ".join(["word"] * 450) + "."
    body, passages = build_passages(
        [Section(text="Tiny."), Section(text=long_sentence)], max_words=200
    )
    assert passages[0].text == "Tiny."
    rest = passages[1:]
    assert len(rest) == 3 and all(word_count(p.text) <= 200 for p in rest)
    assert all(body[p.char_start : p.char_end] == p.text for p in passages)


def test_no_runt_tail_passage() -> None:
    # 210 words: one run would exceed max, but a 10-word tail must not stand alone below min.
    text = _sentence_block(21)
    _, passages = build_passages([Section(text=text)], min_words=80, max_words=200)
    assert all(word_count(p.text) >= 80 for p in passages)


def test_empty_sections_are_ignored() -> None:
    body, passages = build_passages([Section(text="  "), Section(heading="H", text="Only text.")])
    assert body == "Only text." and len(passages) == 1 and passages[0].section == "H"


_PIECES = [
    "Word ",
    "word. ",
    "Next one. ",
    "\n\n",
    "\n- item ",
    "\n3. step ",
    "  ",
    "\n",
    "e.g. ",
    "x" * 30,
]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.one_of(st.none(), st.just("H")),
            st.lists(st.lists(st.sampled_from(_PIECES), max_size=12).map("".join), max_size=8),
        ),
        max_size=5,
    ),
    st.sampled_from([None, 1, 40, 200]),
)
def test_passage_cutter_streams_what_build_passages_cuts(
    sections: list[tuple[str | None, list[str]]], window: int | None
) -> None:
    """Sections fed in parts give build_passages' body; passages are exact spans of it, and
    without a window (or one larger than every section) the very same passages."""
    cutter = PassageCutter(min_words=3, max_words=6, window_chars=window)
    body_parts, passages = [], []
    for heading, parts in sections:
        passages += cutter.section(heading)
        for part in parts:
            text, done = cutter.add(part)
            body_parts.append(text)
            passages += done
    passages += cutter.close()
    whole = [Section(heading=h, text="".join(parts)) for h, parts in sections]
    body, expected = build_passages(whole, min_words=3, max_words=6)
    assert "".join(body_parts) == body
    assert [p.ord for p in passages] == list(range(len(passages)))
    for p in passages:
        assert body[p.char_start : p.char_end] == p.text and p.text == p.text.strip()
    if window is None or all(len("".join(parts)) < window for _, parts in sections):
        assert passages == expected
    else:  # windows only move passage boundaries (a list marker may fall between two)

        def words(ps: list[Passage]) -> list[str]:
            return [w for p in ps for w in p.text.split() if not re.fullmatch(r"-|\d+\.", w)]

        assert words(passages) == words(expected)

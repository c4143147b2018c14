"""Rendering answers as text, markdown, HTML and JSON, and the answer-schema doc."""

from __future__ import annotations

import html
import importlib.util
import io
import json
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from markdown_it import MarkdownIt
from rich.console import Console

from medcite.compose.render import (
    FORMATS,
    md_escape,
    render,
    render_html,
    render_markdown,
    render_rich,
)
from medcite.types import (
    Answer,
    AnswerItem,
    AnswerSection,
    Audience,
    DocType,
    EvidenceNote,
    Gloss,
    Intent,
    RedFlag,
    Reference,
    Summary,
)

ROOT = Path(__file__).resolve().parents[2]
# Top-level keys the issue requires of the answer JSON (docs/answer-schema.md).
REQUIRED_KEYS = frozenset(
    {
        "question",
        "intent",
        "audience",
        "abstained",
        "summary",
        "sections",
        "references",
        "red_flags",
        "disclaimer",
        "category",
        "follow_up_suggestions",
        "reading_grade",
        "timings_ms",
        "id",
    }
)
TEXT_FORMATS = ("text", "markdown", "html")
MARKDOWN = MarkdownIt("commonmark").enable(["strikethrough", "table"])


def item(
    text: str,
    citations: list[int],
    passage_id: int = 1,
    *,
    supported: bool = True,
    category: str | None = None,
    glosses: list[Gloss] | None = None,
) -> AnswerItem:
    return AnswerItem(
        text=text,
        citations=citations,
        passage_id=passage_id,
        span=(0, len(text)),
        supported=supported,
        category=category,
        glosses=glosses or [],
    )


def ref(n: int, title: str, doc_type: DocType = DocType.GUIDELINE, **kw: Any) -> Reference:
    fields: dict[str, Any] = {
        "n": n,
        "title": title,
        "source": "Society of Made-up Medicine",
        "doc_type": doc_type,
        "type_label": doc_type.label,
        "evidence_level": doc_type.evidence_level,
        "evidence_label": doc_type.evidence_level.label,
        "year": 2020 + n,
        "url": f"https://example.org/zorblax/{n}",
        "document_id": 100 + n,
        "passage_ids": [n],
    }
    fields.update(kw)
    return Reference(**fields)


CAUSE = "Zorblax fever is caused by the glimmer bug."
SPREAD = "The glimmer bug spreads through moonlit puddles."
RASH = "A sparkly rash may follow the fever."
GLOSS = "The glimmer bug is a tiny imaginary insect that glows at night."
STRONG = "Zorblax fever is not spread by handshakes."
WEAK = "Some people say Zorblax fever spreads by handshakes."
DISCLAIMER = "Synthetic disclaimer: this is not medical advice."


def make_answer(**overrides: Any) -> Answer:
    fields: dict[str, Any] = {
        "id": "zorb01",
        "question": "What causes Zorblax fever?",
        "intent": Intent.CAUSE,
        "audience": Audience.PATIENT,
        "summary": Summary(text=CAUSE, citations=[1], items=[item(CAUSE, [1], 11)]),
        "sections": [
            AnswerSection(
                key="causes",
                title="Causes",
                items=[
                    item(
                        CAUSE,
                        [1, 3],
                        11,
                        category="Infections",
                        glosses=[
                            Gloss(
                                term="glimmer bug",
                                text=GLOSS,
                                citation=2,
                                passage_id=22,
                                supported=True,
                            )
                        ],
                    ),
                    item(RASH, [2], 21, category="Skin"),
                    item(SPREAD, [3], 31, category="Infections"),
                ],
            ),
            AnswerSection(key="empty", title="Empty section", items=[]),
        ],
        "evidence_notes": [
            EvidenceNote(
                stronger=item(STRONG, [1], 12),
                stronger_type="Guideline",
                weaker=item(WEAK, [2], 23),
                weaker_type="Consumer health",
            )
        ],
        "references": [
            ref(1, "Zorblax fever guideline"),
            ref(2, "Zorblax fever patient page", DocType.CONSUMER, year=None),
            ref(3, "Glimmer bug trial", DocType.RCT, source=None),
        ],
        "disclaimer": DISCLAIMER,
        "category": "Infections",
        "last_updated": 2023,
        "follow_up_suggestions": ["How is Zorblax fever treated?"],
        "reading_grade": 6.44,
        "support_rate": 1.0,
        "timings_ms": {"retrieve": 10.0, "compose": 5.0, "total": 16.0},
    }
    fields.update(overrides)
    return Answer(**fields)


def visible(fmt: str, out: str) -> str:
    """What a reader sees, whitespace-normalised (HTML tags dropped, entities decoded)."""
    if fmt == "markdown":
        out, fmt = "<body>" + MARKDOWN.render(out), "html"
    if fmt == "html":
        body = out.split("<body>", 1)[1]
        body = re.sub(r"</?(p|li|br|h\d|ul|ol|section|article|main)\b[^>]*>", " ", body)
        out = html.unescape(re.sub(r"<[^>]+>", "", body))
        out = re.sub(r"\[\s+", "[", re.sub(r"\s+\]", "]", re.sub(r"\s+,", ",", out)))
    return " ".join(out.split())


def shown(answer: Answer, fmt: str) -> str:
    return visible(fmt, render(answer, fmt, width=200))


# --- Content ----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
def test_every_statement_and_citation_is_shown(fmt: str) -> None:
    out = shown(make_answer(), fmt)
    assert "What causes Zorblax fever?" in out
    for text, cites in [
        (CAUSE, "[1]"),  # bottom line
        (CAUSE, "[1, 3]"),
        (RASH, "[2]"),
        (SPREAD, "[3]"),
        (GLOSS, "[2]"),
    ]:
        assert f"{text} {cites}" in out, (text, cites)
    assert f"{STRONG}” [1]" in out or f"{STRONG} [1]" in out
    assert f"{WEAK}” [2]" in out or f"{WEAK} [2]" in out
    assert "glimmer bug:" in out
    for title in ("Zorblax fever guideline", "Zorblax fever patient page", "Glimmer bug trial"):
        assert title in out
    assert DISCLAIMER in out
    assert "How is Zorblax fever treated?" in out
    assert "Empty section" not in out


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
def test_layout_order(fmt: str) -> None:
    out = shown(make_answer(), fmt)
    marks = [
        "What causes Zorblax fever?",
        "Bottom line",
        "Causes",
        "What the evidence says",
        "References",
        "Filed under: Infections",
        DISCLAIMER,
        "Follow-up questions",
    ]
    positions = [out.index(m) for m in marks]
    assert positions == sorted(positions), dict(zip(marks, positions, strict=True))
    assert out.index(STRONG) < out.index(WEAK)


def test_json_holds_every_statement_and_round_trips() -> None:
    answer = make_answer(red_flags=[RedFlag(trigger="t", found_in="question", advice="a")])
    out = render(answer, "json")
    assert Answer.model_validate_json(out) == answer
    data = json.loads(out)
    assert data["sections"][0]["items"][1] == {**data["sections"][0]["items"][1], "text": RASH}
    assert data.keys() >= REQUIRED_KEYS
    assert {"text", "citations"} <= data["summary"].keys()
    assert {"title", "items"} <= data["sections"][0].keys()
    assert {"text", "citations", "supported"} <= data["sections"][0]["items"][0].keys()
    assert {"n", "title", "source", "doc_type", "evidence_level", "year", "url"} <= data[
        "references"
    ][0].keys()
    assert set(data["timings_ms"]) == {"retrieve", "compose", "total"}


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
def test_items_grouped_by_category_in_first_seen_order(fmt: str) -> None:
    out = render(make_answer(), fmt, width=200)
    heading = {
        "text": lambda c: f"\n  {c}\n",
        "markdown": lambda c: f"\n### {c}\n",
        "html": lambda c: f"<h3>{c}</h3>",
    }[fmt]
    infections, skin = out.index(heading("Infections")), out.index(heading("Skin"))
    section = out[out.index("Causes") :]
    cause, spread = section.index(CAUSE), section.index(SPREAD)
    offset = out.index("Causes")
    assert infections < offset + cause < offset + spread < skin < offset + section.index(RASH)


def test_uncategorised_items_next_to_categorised_go_under_other() -> None:
    section = AnswerSection(
        key="causes",
        title="Causes",
        items=[item(CAUSE, [1], category="Infections"), item(RASH, [2])],
    )
    out = render_markdown(make_answer(sections=[section]))
    out = out[out.index("## Causes") :]
    assert out.index("### Infections") < out.index(CAUSE) < out.index("### Other") < out.index(RASH)
    plain = render_markdown(
        make_answer(sections=[section.model_copy(update={"items": [item(RASH, [2])]})])
    )
    assert "###" not in plain and RASH in plain


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
def test_abstained_shows_reason_and_disclaimer_only(fmt: str) -> None:
    answer = make_answer(abstained=True, abstain_reason="No source mentions Zorblax fever.")
    out = shown(answer, fmt)
    assert "No source mentions Zorblax fever." in out and DISCLAIMER in out
    for absent in (CAUSE, RASH, "Bottom line", "Causes", "References", "Follow-up questions"):
        assert absent not in out, absent
    assert "follow-up-of" not in out
    default = shown(make_answer(abstained=True, abstain_reason=None), fmt)
    assert "did not find enough evidence" in default


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
def test_red_flag_banner_comes_first(fmt: str) -> None:
    flags = [
        RedFlag(trigger="trouble breathing", found_in="question", advice="Call emergency now."),
        RedFlag(trigger="a seizure", found_in="answer", advice="Seizure advice.", citation=2),
    ]
    out = shown(make_answer(red_flags=flags), fmt)
    banner = out.index("Get urgent care")
    assert out.index("What causes Zorblax fever?") < banner < out.index("Bottom line")
    assert banner < out.index("Call emergency now.") < out.index("Bottom line")
    assert "trouble breathing" in out and "a seizure" in out
    assert "Seizure advice." in out and re.search(r"a seizure \(found in the sources\) \[2\]", out)
    abstained = shown(make_answer(red_flags=flags, abstained=True), fmt)
    assert "Get urgent care" in abstained and "Call emergency now." in abstained
    assert "Get urgent care" not in shown(make_answer(), fmt)


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
def test_a_page_topic_label_comes_before_its_sentence(fmt: str) -> None:
    labelled = item(SPREAD, [3])
    labelled.topic = "Moonlit Zorblax"
    section = AnswerSection(key="causes", title="Causes", items=[item(CAUSE, [1]), labelled])
    out = shown(make_answer(sections=[section]), fmt)
    assert re.search(r"Moonlit Zorblax:\W*" + re.escape(SPREAD), out)
    assert "Moonlit Zorblax" not in shown(make_answer(), fmt)


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
def test_a_bottom_line_that_does_not_answer_says_so_first(fmt: str) -> None:
    note = "No source found answers this directly."
    assert note not in shown(make_answer(), fmt)
    summary = Summary(text=CAUSE, citations=[1], items=[item(CAUSE, [1], 11)], direct=False)
    out = shown(make_answer(summary=summary), fmt)
    assert note in out and out.index("Bottom line") < out.index(note) < out.index(CAUSE)


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
def test_unsupported_items_are_marked(fmt: str) -> None:
    assert "not verified" not in shown(make_answer(), fmt)
    section = AnswerSection(
        key="causes",
        title="Causes",
        items=[item(CAUSE, [1]), item(SPREAD, [3], supported=False)],
    )
    out = shown(make_answer(sections=[section]), fmt)
    assert out.count("⚠ not verified") == 1
    assert re.search(re.escape(SPREAD) + r" \[3\] \W*⚠ not verified", out)
    gloss = Gloss(term="glimmer bug", text=GLOSS, citation=2, passage_id=22, supported=False)
    section.items[0].glosses.append(gloss)
    out = shown(make_answer(sections=[section]), fmt)
    assert re.search(re.escape(GLOSS) + r" \[2\] \W*⚠ not verified", out)


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
def test_evidence_labels_for_clinicians_only(fmt: str) -> None:
    level = DocType.GUIDELINE.evidence_level.label
    patient = shown(make_answer(), fmt)
    clinician = shown(make_answer(audience=Audience.CLINICIAN), fmt)
    assert "[Guideline]" in patient and level not in patient
    assert f"[Guideline; {level}]" in clinician
    assert f"[Trial; {DocType.RCT.evidence_level.label}]" in clinician


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
def test_meta_line(fmt: str) -> None:
    out = shown(make_answer(support_rate=0.996), fmt)
    for part in ("Filed under: Infections", "Last updated: 2023", "Reading grade: 6.4", "99%"):
        assert part in out
    assert "100%" not in out
    unknown = shown(make_answer(last_updated=None, category=None), fmt)
    assert "source dates unknown" in unknown and "Filed under" not in unknown


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_follow_up_hint_in_text_formats(fmt: str) -> None:
    assert 'medcite ask "..." --follow-up-of zorb01' in render(make_answer(), fmt)
    assert "--follow-up-of" not in render(make_answer(id=""), fmt)


def test_reference_lines() -> None:
    out = render(make_answer(), "text", width=200)
    assert (
        "1. Zorblax fever guideline. Society of Made-up Medicine, 2021. [Guideline] "
        "https://example.org/zorblax/1"
    ) in out
    assert "Zorblax fever patient page. Society of Made-up Medicine, n.d. [Consumer health]" in out
    assert "3. Glimmer bug trial. 2023. [Trial]" in out


def test_summary_text_without_items() -> None:
    answer = make_answer(summary=Summary(text=RASH, citations=[2]))
    for fmt in TEXT_FORMATS:
        assert f"{RASH} [2]" in shown(answer, fmt)


def test_unknown_format() -> None:
    assert set(FORMATS) == {"text", "markdown", "html", "json"}
    with pytest.raises(ValueError, match="unknown format"):
        render(make_answer(), "pdf")


# --- Escaping -----------------------------------------------------------------------------

NASTY = "<script>alert('zorb')</script>"


def nasty_answer() -> Answer:
    section = AnswerSection(
        key="causes",
        title=f"Causes {NASTY}",
        items=[
            item(f"Zorblax {NASTY} fever.", [1], 7, category=f"Cat {NASTY}"),
            item('Quote " and & ampersand.', [2, 9], 8),
        ],
    )
    refs = [
        ref(1, f"Title {NASTY}", url='https://example.org/a"onmouseover="alert(1)'),
        ref(2, "Plain title", url="javascript:alert(1)"),
    ]
    return make_answer(
        question=f"Why {NASTY}?",
        sections=[section],
        references=refs,
        follow_up_suggestions=[NASTY],
        disclaimer=NASTY,
    )


def test_html_escapes_all_text() -> None:
    out = render_html(nasty_answer())
    assert "<script" not in out.lower()
    assert "&lt;script&gt;" in out
    assert out.count("&lt;script&gt;") >= 6  # title tag, h1, section, category, item, reference...
    assert 'onmouseover="' not in out
    assert out.startswith("<!DOCTYPE html>")
    assert '<html lang="en">' in out and 'name="viewport"' in out


def test_html_citations_link_to_existing_references() -> None:
    for answer in (make_answer(), nasty_answer()):
        out = render_html(answer)
        targets = re.findall(r'href="#(ref-\d+)"', out)
        anchors = set(re.findall(r'<li id="(ref-\d+)"', out))
        assert targets and anchors == {f"ref-{r.n}" for r in answer.references}
        assert set(targets) <= anchors
    # Citation 9 has no reference: shown as a number, not a dangling link.
    assert 'href="#ref-9"' not in render_html(nasty_answer())
    assert ", 9]" in visible("html", render_html(nasty_answer()))


def test_html_items_carry_passage_ids() -> None:
    out = render_html(make_answer())
    for pid in (11, 21, 31, 12, 23, 22):
        assert f'data-passage-id="{pid}"' in out
    assert re.search(r'<li data-passage-id="21">' + re.escape(RASH), out)


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        " JavaScript:alert(1)",
        "java\tscript:alert(1)",
        "data:text/html,<b>zorb</b>",
        "vbscript:msgbox(1)",
        "//example.org/no-scheme",
        "https://",
    ],
)
def test_only_http_urls_become_links(url: str) -> None:
    answer = make_answer(references=[ref(1, "Zorblax", url=url)])
    out = render_html(answer)
    hrefs = re.findall(r'href="([^"]*)"', out)
    assert all(h.startswith("#ref-") for h in hrefs), hrefs
    assert html.escape(url.strip(), quote=True) in out or html.escape(url, quote=True) in out
    md = render_markdown(answer)
    assert "](" not in md and f"<{url.strip()}>" not in md
    good = render_html(make_answer(references=[ref(1, "Zorblax", url="HTTPS://example.org/z")]))
    assert '<a href="HTTPS://example.org/z" rel="noopener">' in good


@pytest.mark.parametrize(
    "text",
    [
        "*Zorblax* fever, **bold** claim.",
        "The _glimmer_ bug and snake_case_name.",
        "See [the bug](https://evil.example) now.",
        "Inline <b>tag</b> and <script>alert(1)</script> here.",
        "`code` and a ``double`` tick.",
        "1. Zorblax starts a list?",
        "2) Another list start.",
        "# Not a heading #",
        "- Not a list item.",
        "+ Not a list item either.",
        "> Not a quote.",
        "Ampersands & entities &amp; &#169; stay.",
        "Back\\slash\\ and ~~strike~~ and a|pipe.",
        "![image](https://evil.example/x.png)",
    ],
)
def test_markdown_renders_quotes_faithfully(text: str) -> None:
    answer = make_answer(
        question=text,
        summary=Summary(items=[item(text, [1])]),
        sections=[AnswerSection(key="k", title="Causes", items=[item(text, [1], category=text)])],
        evidence_notes=[],
    )
    rendered = MARKDOWN.render(render_markdown(answer))
    body = rendered.split("<h2>References</h2>")[0]
    for tag in (
        "<em>",
        "<strong>",
        "<code>",
        "<img",
        "<a ",
        "<s>",
        "<ol",
        "<blockquote>",
        "<script",
    ):
        assert tag not in body, tag
    assert body.count("<h1>") == 1 and body.count("<h3>") == 1 and body.count("<li>") == 1
    # Each place the quote appears (title, bottom line, category, item) shows it verbatim.
    assert html.unescape(re.sub(r"<[^>]+>", "", rendered)).count(text) >= 4


def test_md_escape_collapses_whitespace() -> None:
    assert md_escape("Zorblax\n- fever\n\n# rash") == r"Zorblax - fever \# rash"


def test_rich_never_interprets_markup_or_emoji() -> None:
    text = "Zorblax [bold]fever[/] and [/] and :pill: and a trailing backslash\\"
    answer = make_answer(
        question=text, sections=[AnswerSection(key="k", title="T", items=[item(text, [1])])]
    )
    out = render(answer, "text", width=300)
    assert out.count(text) == 2
    console = Console(file=io.StringIO(), force_terminal=True, color_system="truecolor", width=300)
    render_rich(answer, console)
    ansi = re.sub(r"\x1b\[[0-9;]*m", "", console.file.getvalue())  # type: ignore[attr-defined]
    assert text in ansi and "\x1b[" in console.file.getvalue()  # type: ignore[attr-defined]


# --- Schema doc ------------------------------------------------------------------------------

SCHEMA_DOC = ROOT / "docs/answer-schema.md"


def _gen_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "gen_answer_schema", ROOT / "scripts/gen_answer_schema.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_schema_doc_is_up_to_date() -> None:
    doc = SCHEMA_DOC.read_text(encoding="utf-8")
    assert _gen_module().update(doc) == doc, "run: python scripts/gen_answer_schema.py"


def test_schema_doc_documents_every_field() -> None:
    doc = SCHEMA_DOC.read_text(encoding="utf-8")
    sections = {
        m[1]: m[2] for m in re.finditer(r"^## `(\w+)`[^\n]*\n(.*?)(?=^## )", doc, re.M | re.S)
    }
    for model in (
        Answer,
        Summary,
        AnswerSection,
        AnswerItem,
        Gloss,
        EvidenceNote,
        Reference,
        RedFlag,
    ):
        assert model.__name__ in sections, model.__name__
        for name in model.model_fields:
            assert f"| `{name}` |" in sections[model.__name__], f"{model.__name__}.{name}"


def test_schema_doc_example_is_a_valid_answer() -> None:
    doc = SCHEMA_DOC.read_text(encoding="utf-8")
    example = re.search(r"<!-- BEGIN example -->\n```json\n(.*?)\n```", doc, re.S)
    assert example is not None
    answer = Answer.model_validate_json(example[1])
    assert "Zorblax" in answer.question
    for fmt in FORMATS:
        assert "Zorblax fever is caused by the glimmer bug." in render(answer, fmt)


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
def test_technical_items_come_folded_after_the_plain_ones(fmt: str) -> None:
    hard = item(SPREAD, [3], 31).model_copy(update={"technical": True})
    answer = make_answer(
        sections=[AnswerSection(key="causes", title="Causes", items=[hard, item(RASH, [2], 21)])]
    )
    raw = render(answer, fmt, width=200)
    out = visible(fmt, raw)
    # the plain item first, then the label, then the technical one: nothing is left out
    assert out.index(RASH) < out.index("In more technical terms") < out.index(SPREAD)
    if fmt == "html":
        folded = raw[raw.index('<details class="technical">') : raw.index("</details>")]
        assert SPREAD in folded and RASH not in folded
    # no label where nothing is technical
    assert "In more technical terms" not in shown(make_answer(), fmt)

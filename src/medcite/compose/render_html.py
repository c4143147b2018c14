"""Render an answer as one standalone, accessible HTML5 page.

Every piece of text (question, quotes, titles, labels) goes through :func:`html.escape`:
questions and source documents are untrusted and may hold ``<script>``. Citation numbers link
to the reference list, each quoted statement carries ``data-passage-id`` so a reviewer can trace
it, and only http(s) URLs become links.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from html import escape

from medcite.compose.render_text import (
    BOTTOM_LINE_HEADING,
    EVIDENCE_HEADING,
    EVIDENCE_INTRO,
    FOLLOW_UP_HEADING,
    INDIRECT_NOTE,
    REFERENCES_HEADING,
    TECHNICAL_HEADING,
    UNCITED,
    UNVERIFIED,
    URGENT_HEADING,
    abstain_text,
    group_by_category,
    has_summary,
    meta_line,
    red_flag_where,
    reference_labels,
    reference_title,
    safe_url,
    source_year,
    split_technical,
)
from medcite.types import Answer, AnswerItem, Gloss, Reference

# Colours keep at least 4.5:1 contrast on their backgrounds (WCAG AA).
CSS = """
:root { color-scheme: light; }
body { margin: 0; background: #fff; color: #1b1b1b;
  font: 1rem/1.6 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { max-width: 46rem; margin: 0 auto; padding: 1rem 1.25rem 3rem; }
h1 { font-size: 1.6rem; line-height: 1.25; }
h2 { font-size: 1.25rem; margin-top: 2rem; padding-bottom: .25rem; border-bottom: 1px solid #ccc; }
h3 { font-size: 1.05rem; margin: 1rem 0 .25rem; }
li { margin-bottom: .4rem; }
a { color: #0b57d0; }
a:focus { outline: 2px solid #0b57d0; outline-offset: 2px; }
.urgent { margin: 1rem 0; padding: .25rem 1rem .5rem; background: #fff4f4; color: #3d0000;
  border: 2px solid #b00020; border-left-width: .5rem; border-radius: .25rem; }
.urgent h2 { margin-top: .5rem; color: #8b0000; border: 0; }
.cite { white-space: nowrap; font-size: .9em; }
.flag { padding: 0 .25em; background: #fff3cd; color: #6b3600; font-weight: bold; }
.gloss { color: #333; }
.lead-in { font-style: italic; color: #333; }
.topic { font-weight: 600; }
.muted, .refs .label { color: #444; }
.meta { margin-top: 2rem; font-size: .9rem; color: #444; }
.disclaimer { padding-top: .75rem; border-top: 1px solid #ccc; font-size: .9rem; }
.refs li { overflow-wrap: anywhere; }
.refs li:target { background: #eef3fd; }
"""


def _e(text: str) -> str:
    return escape(text, quote=True)


def _cites(citations: Sequence[int], anchors: Collection[int]) -> str:
    """``[1, 3]`` with each number linking to its reference (a number with no reference: text)."""
    if not citations:
        return f'<span class="flag">{_e(UNCITED)}</span>'
    links = [
        f'<a href="#ref-{n}" aria-label="reference {n}">{n}</a>' if n in anchors else str(n)
        for n in citations
    ]
    return f'<span class="cite">[{", ".join(links)}]</span>'


def _unverified(supported: bool) -> str:
    return "" if supported else f' <strong class="flag">{_e(UNVERIFIED)}</strong>'


def _gloss(gloss: Gloss, anchors: Collection[int]) -> str:
    return (
        f' <span class="gloss" data-passage-id="{gloss.passage_id}">(<dfn>{_e(gloss.term)}</dfn>: '
        f"{_e(gloss.text)} {_cites([gloss.citation], anchors)}{_unverified(gloss.supported)})</span>"
    )


def _statement(item: AnswerItem, anchors: Collection[int], quoted: bool = False) -> str:
    text = f"<q>{_e(item.text)}</q>" if quoted else _e(item.text)
    if item.lead_in:
        text = f'<span class="lead-in">{_e(item.lead_in)} …</span> {text}'
    if item.topic:
        text = f'<span class="topic">{_e(item.topic)}:</span> {text}'
    glosses = "".join(_gloss(g, anchors) for g in item.glosses)
    return f"{text} {_cites(item.citations, anchors)}{_unverified(item.supported)}{glosses}"


def _li(item: AnswerItem, anchors: Collection[int]) -> str:
    return f'<li data-passage-id="{item.passage_id}">{_statement(item, anchors)}</li>'


def _reference(ref: Reference, answer: Answer) -> str:
    url = safe_url(ref.url)
    if url:
        link = f' <a href="{_e(url)}" rel="noopener">{_e(url)}</a>'
    else:
        link = f' <span class="muted">{_e(ref.url)}</span>' if ref.url else ""
    return (
        f'<li id="ref-{ref.n}" value="{ref.n}"><cite>{_e(reference_title(ref))}</cite> '
        f"{_e(source_year(ref))} "
        f'<span class="label">[{_e(reference_labels(ref, answer.audience))}]</span>{link}</li>'
    )


def _section(heading_id: str, title: str, body: list[str], cls: str = "") -> list[str]:
    attr = f' class="{cls}"' if cls else ""
    return [
        f'<section{attr} aria-labelledby="{heading_id}">',
        f'<h2 id="{heading_id}">{_e(title)}</h2>',
        *body,
        "</section>",
    ]


def _body(answer: Answer) -> list[str]:
    anchors = {ref.n for ref in answer.references}
    out = [f"<h1>{_e(answer.question)}</h1>"]
    if answer.red_flags:
        flags = []
        for flag in answer.red_flags:
            cite = f" {_cites([flag.citation], anchors)}" if flag.citation is not None else ""
            flags.append(
                f"<li><strong>{_e(flag.advice)}</strong><br>"
                f"Warning sign: {_e(flag.trigger)} ({_e(red_flag_where(flag))}){cite}</li>"
            )
        out += _section("urgent", "⚠ " + URGENT_HEADING, ["<ul>", *flags, "</ul>"], "urgent")
    if answer.abstained:
        out.append(f'<p class="abstain">{_e(abstain_text(answer))}</p>')
        return out + _disclaimer(answer)
    if has_summary(answer):
        if answer.summary.items:
            spans = " ".join(
                f'<span data-passage-id="{i.passage_id}">{_statement(i, anchors)}</span>'
                for i in answer.summary.items
            )
        else:
            spans = f"{_e(answer.summary.text)} {_cites(answer.summary.citations, anchors)}"
        indirect = (
            []
            if answer.summary.direct
            else [f'<p class="indirect"><em>{_e(INDIRECT_NOTE)}</em></p>']
        )
        out += _section("bottom-line", BOTTOM_LINE_HEADING, [*indirect, f"<p>{spans}</p>"])
    for n, section in enumerate(answer.sections, 1):
        if not section.items:
            continue
        body = []
        for category, items in group_by_category(section.items):
            if category is not None:
                body.append(f"<h3>{_e(category)}</h3>")
            plain, technical = split_technical(items)
            if plain:
                body += ["<ul>", *(_li(item, anchors) for item in plain), "</ul>"]
            if technical:
                body += [
                    f'<details class="technical"><summary>{_e(TECHNICAL_HEADING)}</summary>',
                    "<ul>",
                    *(_li(item, anchors) for item in technical),
                    "</ul>",
                    "</details>",
                ]
        out += _section(f"section-{n}", section.title, body)
    if answer.evidence_notes:
        notes = []
        for note in answer.evidence_notes:
            sides = [
                f'<p data-passage-id="{note.stronger.passage_id}"><strong>'
                f"{_e(note.stronger_type)}:</strong> {_statement(note.stronger, anchors, True)}</p>"
            ]
            if note.weaker is not None:
                sides.append(
                    f'<p data-passage-id="{note.weaker.passage_id}"><strong>'
                    f"{_e(note.weaker_type or 'Other source')}:</strong> "
                    f"{_statement(note.weaker, anchors, True)}</p>"
                )
            notes.append("<li>" + "".join(sides) + "</li>")
        body = [f'<p class="muted">{_e(EVIDENCE_INTRO)}</p>', "<ul>", *notes, "</ul>"]
        out += _section("evidence", EVIDENCE_HEADING, body)
    if answer.references:
        refs = [_reference(ref, answer) for ref in answer.references]
        out += _section("references", REFERENCES_HEADING, ['<ol class="refs">', *refs, "</ol>"])
    out.append(f'<p class="meta">{_e(meta_line(answer))}</p>')
    out += _disclaimer(answer)
    if answer.follow_up_suggestions:
        questions = [f"<li>{_e(q)}</li>" for q in answer.follow_up_suggestions]
        out += _section("follow-up", FOLLOW_UP_HEADING, ["<ul>", *questions, "</ul>"])
    return out


def _disclaimer(answer: Answer) -> list[str]:
    return [f'<p class="disclaimer">{_e(answer.disclaimer)}</p>'] if answer.disclaimer else []


def render_html(answer: Answer) -> str:
    """A complete HTML5 document (inline CSS, no scripts, no external resources)."""
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            '<meta name="generator" content="medcite">',
            f"<title>{_e(answer.question)} · medcite</title>",
            f"<style>{CSS}</style>",
            "</head>",
            "<body>",
            "<main>",
            "<article>",
            *_body(answer),
            "</article>",
            "</main>",
            "</body>",
            "</html>",
            "",
        ]
    )

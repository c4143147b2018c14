"""Render a composed :class:`~medcite.types.Answer` as terminal text, markdown, HTML or JSON.

Every format shows the same layout, in this order: the question as title; an urgent-care banner
when there are red flags; for an abstained answer only the reason and the disclaimer; otherwise
the bottom line, each section (items grouped by category), what the evidence says, the
references, the meta line, the disclaimer and follow-up suggestions. Statements are verbatim
quotes, so renderers only escape them, never reword them; an unverified statement is marked,
never hidden.
"""

from __future__ import annotations

import io
import re
from typing import Literal, get_args

from rich.console import Console

from medcite.compose.render_html import render_html
from medcite.compose.render_text import (
    BOTTOM_LINE_HEADING,
    EVIDENCE_HEADING,
    EVIDENCE_INTRO,
    FOLLOW_UP_HEADING,
    INDIRECT_NOTE,
    REFERENCES_HEADING,
    TECHNICAL_HEADING,
    UNVERIFIED,
    URGENT_HEADING,
    abstain_text,
    cite_label,
    follow_up_hint,
    group_by_category,
    has_summary,
    meta_line,
    red_flag_where,
    reference_labels,
    reference_title,
    render_rich,
    safe_url,
    source_year,
    split_technical,
)
from medcite.types import Answer, AnswerItem, Gloss

__all__ = [
    "FORMATS",
    "Format",
    "render",
    "render_html",
    "render_markdown",
    "render_plain",
    "render_rich",
]

Format = Literal["text", "markdown", "html", "json"]
FORMATS: tuple[str, ...] = get_args(Format)


def render(answer: Answer, fmt: str, *, width: int = 100) -> str:
    """``answer`` in one of :data:`FORMATS` (``width`` applies to text only)."""
    if fmt == "text":
        return render_plain(answer, width=width)
    if fmt == "markdown":
        return render_markdown(answer)
    if fmt == "html":
        return render_html(answer)
    if fmt == "json":
        return answer.model_dump_json(indent=2) + "\n"
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")


def render_plain(answer: Answer, *, width: int = 100) -> str:
    """Plain text (no colour codes) of what :func:`render_rich` prints, for files and pipes."""
    console = Console(
        file=io.StringIO(),
        record=True,
        width=width,
        color_system=None,
        force_terminal=False,
        force_jupyter=False,
        legacy_windows=False,
    )
    render_rich(answer, console)
    text = console.export_text(styles=False)
    return "\n".join(line.rstrip() for line in text.splitlines()) + "\n"


# --- Markdown -----------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<~#|])")
_MD_ENTITY = re.compile(r"&(?=#?\w+;)")
_MD_BLOCK_START = re.compile(r"^(\d+)([.)])|^([>+=-])")


def md_escape(text: str) -> str:
    """Escape ``text`` so markdown shows it literally, on one line.

    Backslash-escapes emphasis, link, code, HTML and heading characters, entity-like ``&``,
    and a leading block marker (``-``, ``+``, ``>``, ``1.``) that would turn a quote into a
    list or blockquote. Whitespace (including newlines) collapses to single spaces.
    """
    text = " ".join(text.split())
    text = _MD_SPECIAL.sub(r"\\\1", text)
    text = _MD_ENTITY.sub("&amp;", text)
    return _MD_BLOCK_START.sub(lambda m: f"{m[1]}\\{m[2]}" if m[1] else f"\\{m[3]}", text)


def _md_flag(supported: bool) -> str:
    return "" if supported else f" **{UNVERIFIED}**"


def _md_gloss(gloss: Gloss) -> str:
    return (
        f" (*{md_escape(gloss.term)}*: {md_escape(gloss.text)} {cite_label([gloss.citation])}"
        f"{_md_flag(gloss.supported)})"
    )


def _md_statement(item: AnswerItem, quoted: bool = False) -> str:
    text = f"“{md_escape(item.text)}”" if quoted else md_escape(item.text)
    if item.lead_in:
        text = f"*{md_escape(item.lead_in)} …* {text}"
    if item.topic:
        text = f"**{md_escape(item.topic)}:** {text}"
    glosses = "".join(_md_gloss(g) for g in item.glosses)
    return f"{text} {cite_label(item.citations)}{_md_flag(item.supported)}{glosses}"


def _md_url(url: str | None) -> str:
    safe = safe_url(url)
    if safe and not any(ch in safe for ch in "<>"):
        return f" <{safe}>"
    return f" {md_escape(url)}" if url else ""


def render_markdown(answer: Answer) -> str:
    """CommonMark/GFM; quoted text is escaped so it renders exactly as the source wrote it."""
    out = [f"# {md_escape(answer.question)}", ""]
    if answer.red_flags:
        out += [f"> **⚠ {URGENT_HEADING}**", ">"]
        for flag in answer.red_flags:
            cite = f" {cite_label([flag.citation])}" if flag.citation is not None else ""
            out.append(
                f"> - **{md_escape(flag.advice)}** Warning sign: {md_escape(flag.trigger)} "
                f"({red_flag_where(flag)}){cite}"
            )
        out.append("")
    if answer.abstained:
        out += [md_escape(abstain_text(answer)), ""]
        return _md_finish(out + _md_disclaimer(answer))
    if has_summary(answer):
        if answer.summary.items:
            summary = " ".join(_md_statement(item) for item in answer.summary.items)
        else:
            summary = f"{md_escape(answer.summary.text)} {cite_label(answer.summary.citations)}"
        indirect = [] if answer.summary.direct else [f"*{INDIRECT_NOTE}*", ""]
        out += [f"## {BOTTOM_LINE_HEADING}", "", *indirect, summary, ""]
    for section in answer.sections:
        if not section.items:
            continue
        out += [f"## {md_escape(section.title)}", ""]
        for category, items in group_by_category(section.items):
            if category is not None:
                out += [f"### {md_escape(category)}", ""]
            plain, technical = split_technical(items)
            out += [f"- {_md_statement(item)}" for item in plain]
            if technical:
                out += [f"- *{TECHNICAL_HEADING}:*"]
                out += [f"  - {_md_statement(item)}" for item in technical]
            out.append("")
    if answer.evidence_notes:
        out += [f"## {EVIDENCE_HEADING}", "", EVIDENCE_INTRO, ""]
        for note in answer.evidence_notes:
            out.append(
                f"- **{md_escape(note.stronger_type)}:** {_md_statement(note.stronger, True)}"
            )
            if note.weaker is not None:
                label = md_escape(note.weaker_type or "Other source")
                out.append(f"  - **{label}:** {_md_statement(note.weaker, True)}")
        out.append("")
    if answer.references:
        out += [f"## {REFERENCES_HEADING}", ""]
        for ref in answer.references:
            out.append(
                f"{ref.n}. {md_escape(reference_title(ref))} {md_escape(source_year(ref))} "
                f"{md_escape('[' + reference_labels(ref, answer.audience) + ']')}{_md_url(ref.url)}"
            )
        out.append("")
    out += ["---", "", md_escape(meta_line(answer)), ""]
    out += _md_disclaimer(answer)
    if answer.follow_up_suggestions:
        out += [f"## {FOLLOW_UP_HEADING}", ""]
        out += [f"- {md_escape(q)}" for q in answer.follow_up_suggestions]
        out.append("")
    hint = follow_up_hint(answer)
    if hint:
        out += [f"`{hint}`" if "`" not in hint else md_escape(hint), ""]
    return _md_finish(out)


def _md_disclaimer(answer: Answer) -> list[str]:
    return [f"*{md_escape(answer.disclaimer)}*", ""] if answer.disclaimer else []


def _md_finish(lines: list[str]) -> str:
    return "\n".join(lines).rstrip("\n") + "\n"

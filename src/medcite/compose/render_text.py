"""Wording shared by every output format, and the rich terminal renderer.

All formats lay an answer out the same way (see :func:`medcite.compose.render.render`); the
labels, reference lines and meta lines are built here once so the formats cannot drift apart.
The rich renderer builds :class:`rich.text.Text` objects from plain strings, so quoted text is
never parsed as console markup or emoji codes (``[bold]`` or ``:pill:`` in a source prints as is).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

from rich.console import Console, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from medcite.types import Answer, AnswerItem, Audience, EvidenceNote, Gloss, RedFlag, Reference

URGENT_HEADING = "Get urgent care"
BOTTOM_LINE_HEADING = "Bottom line"
INDIRECT_NOTE = "No source found answers this directly. The closest statement on the subject:"
EVIDENCE_HEADING = "What the evidence says"
EVIDENCE_INTRO = "Where sources differ, the stronger evidence is shown first."
REFERENCES_HEADING = "References"
FOLLOW_UP_HEADING = "Follow-up questions"
UNVERIFIED = "⚠ not verified"
UNCITED = "⚠ no citation"
OTHER_CATEGORY = "Other"
DEFAULT_ABSTAIN = "medcite did not find enough evidence in its sources to answer this question."


# --- Shared wording -------------------------------------------------------------------------


def cite_label(citations: Sequence[int]) -> str:
    """``[1, 3]``; an uncited statement is flagged rather than silently shown bare."""
    return "[" + ", ".join(str(n) for n in citations) + "]" if citations else UNCITED


def group_by_category(items: Sequence[AnswerItem]) -> list[tuple[str | None, list[AnswerItem]]]:
    """Items grouped by ``category`` in first-seen order.

    Uncategorised items next to categorised ones go under "Other" so that no item appears to
    sit under the previous category's heading; when no item has a category there is one
    ``None`` group (no subheadings).
    """
    if not any(item.category for item in items):
        return [(None, list(items))] if items else []
    groups: dict[str, list[AnswerItem]] = {}
    for item in items:
        groups.setdefault(item.category or OTHER_CATEGORY, []).append(item)
    return list(groups.items())


# Patient answers fold sentences harder than a lay reader should meet in the main text
# (AnswerItem.technical) under this label, after the section's plain ones.
TECHNICAL_HEADING = "In more technical terms"


def split_technical(items: Sequence[AnswerItem]) -> tuple[list[AnswerItem], list[AnswerItem]]:
    """(plain items, technical items), each in order."""
    return [i for i in items if not i.technical], [i for i in items if i.technical]


def red_flag_where(flag: RedFlag) -> str:
    return "mentioned in your question" if flag.found_in == "question" else "found in the sources"


def terminate(text: str) -> str:
    """``text`` ending in one full stop (or its own ``?``/``!``), for reference lines."""
    text = text.strip()
    return text if text.endswith((".", "?", "!")) else text + "."


def reference_title(ref: Reference) -> str:
    return terminate(ref.title)


def source_year(ref: Reference) -> str:
    """``Source, year.`` (either may be missing; "n.d." marks an undated source)."""
    year = str(ref.year) if ref.year else "n.d."
    return terminate(", ".join(part for part in (ref.source, year) if part))


def reference_labels(ref: Reference, audience: Audience) -> str:
    """Type label always; the evidence level only for clinicians (patients get the plain type)."""
    if audience == Audience.CLINICIAN:
        return f"{ref.type_label}; {ref.evidence_label}"
    return ref.type_label


def safe_url(url: str | None) -> str | None:
    """The URL if it may become a link: http(s) with a host and no whitespace or control chars.

    Anything else (``javascript:``, ``data:``, relative paths) is shown as text only.
    """
    if not url:
        return None
    url = url.strip()
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url


def percent(rate: float) -> str:
    """Support rate as a whole percent, rounded down so 99.6% never reads as 100%."""
    return f"{math.floor(round(rate * 100, 6))}%"


def meta_line(answer: Answer) -> str:
    """Filed-under, freshness, readability and verification figures on one line."""
    parts = []
    if answer.category:
        parts.append(f"Filed under: {answer.category}")
    if answer.last_updated is not None:
        parts.append(f"Last updated: {answer.last_updated} (newest source year)")
    else:
        parts.append("Last updated: source dates unknown")
    if answer.reading_grade is not None:
        parts.append(f"Reading grade: {answer.reading_grade:.1f}")
    if answer.support_rate is not None:
        parts.append(f"Support rate: {percent(answer.support_rate)} of statements verified")
    return " · ".join(parts)


def follow_up_hint(answer: Answer) -> str | None:
    if not answer.id:
        return None
    return f'Ask a follow-up: medcite ask "..." --follow-up-of {answer.id}'


def abstain_text(answer: Answer) -> str:
    return answer.abstain_reason or DEFAULT_ABSTAIN


def has_summary(answer: Answer) -> bool:
    return bool(answer.summary.items or answer.summary.text)


# --- Rich -------------------------------------------------------------------------------------

_HEADING = "bold cyan"
_CITE = "cyan"
_WARN = "bold yellow"
_DIM = "dim"


def _statement(
    text: str, citations: Sequence[int], supported: bool, glosses: Iterable[Gloss] = ()
) -> Text:
    out = Text(text)
    out.append(" ")
    out.append(cite_label(citations), style=_CITE if citations else _WARN)
    if not supported:
        out.append(" " + UNVERIFIED, style=_WARN)
    for gloss in glosses:
        out.append(" (")
        out.append(gloss.term, style="italic")
        out.append(": " + gloss.text + " ")
        out.append(cite_label([gloss.citation]), style=_CITE)
        if not gloss.supported:
            out.append(" " + UNVERIFIED, style=_WARN)
        out.append(")")
    return out


def _item(item: AnswerItem) -> Text:
    out = _statement(item.text, item.citations, item.supported, item.glosses)
    if item.lead_in:
        out = Text(item.lead_in + " … ", style="italic") + out
    if item.topic:
        out = Text(item.topic + ": ", style="bold") + out
    return out


def _bullets(rows: Iterable[RenderableType], marker: str = "•", indent: int = 0) -> Table:
    """A bullet list whose wrapped lines hang under the text, not under the bullet."""
    grid = Table.grid(padding=(0, 1))
    if indent:
        grid.add_column(width=indent)
    grid.add_column(no_wrap=True)
    grid.add_column(ratio=1)
    for row in rows:
        grid.add_row(*(("",) if indent else ()), marker, row)
    return grid


def _heading(console: Console, title: str) -> None:
    console.print()
    console.print(Text(title, style=_HEADING))


def _note(note: EvidenceNote) -> Text:
    out = Text(note.stronger_type + ": ", style="bold")
    out.append(
        _statement(
            f"“{note.stronger.text}”",
            note.stronger.citations,
            note.stronger.supported,
            note.stronger.glosses,
        )
    )
    if note.weaker is not None:
        out.append("\n")
        out.append((note.weaker_type or "Other source") + ": ", style="bold")
        out.append(
            _statement(
                f"“{note.weaker.text}”",
                note.weaker.citations,
                note.weaker.supported,
                note.weaker.glosses,
            )
        )
    return out


def _reference(ref: Reference, audience: Audience) -> Text:
    out = Text(reference_title(ref) + " ", style="bold")
    out.append(source_year(ref) + " ")
    out.append("[" + reference_labels(ref, audience) + "]", style=_DIM)
    if ref.url:
        out.append(" " + ref.url, style="underline" if safe_url(ref.url) else "")
    return out


def render_rich(answer: Answer, console: Console) -> None:
    """Print ``answer`` to a rich console (colour on terminals, plain text elsewhere)."""
    console.print(Text(answer.question, style="bold underline"))
    if answer.red_flags:
        flags = []
        for flag in answer.red_flags:
            line = Text(flag.advice, style="bold")
            line.append(f"\nWarning sign: {flag.trigger} ({red_flag_where(flag)})")
            if flag.citation is not None:
                line.append(" " + cite_label([flag.citation]), style=_CITE)
            flags.append(line)
        console.print()
        console.print(
            Panel(
                _bullets(flags, marker="!"),
                title=Text("⚠ " + URGENT_HEADING, style="bold red"),
                title_align="left",
                border_style="bold red",
            )
        )
    if answer.abstained:
        console.print()
        console.print(Text(abstain_text(answer)))
        _rich_disclaimer(answer, console)
        return
    if has_summary(answer):
        _heading(console, BOTTOM_LINE_HEADING)
        if not answer.summary.direct:
            console.print(Text(INDIRECT_NOTE, style="italic"))
        if answer.summary.items:
            console.print(Text(" ").join(_item(item) for item in answer.summary.items))
        else:
            console.print(_statement(answer.summary.text, answer.summary.citations, True))
    for section in answer.sections:
        if not section.items:
            continue
        _heading(console, section.title)
        for category, items in group_by_category(section.items):
            if category is not None:
                console.print(Text("  " + category, style="bold"))
            indent = 2 if category else 0
            plain, technical = split_technical(items)
            if plain:
                console.print(_bullets((_item(i) for i in plain), indent=indent))
            if technical:
                console.print(Text(" " * indent + TECHNICAL_HEADING + ":", style=_DIM))
                console.print(_bullets((_item(i) for i in technical), indent=indent + 2))
    if answer.evidence_notes:
        _heading(console, EVIDENCE_HEADING)
        console.print(Text(EVIDENCE_INTRO, style=_DIM))
        console.print(_bullets(_note(note) for note in answer.evidence_notes))
    if answer.references:
        _heading(console, REFERENCES_HEADING)
        console.print(_references_grid(answer))
    console.print()
    console.print(Text(meta_line(answer), style=_DIM))
    _rich_disclaimer(answer, console)
    if answer.follow_up_suggestions:
        _heading(console, FOLLOW_UP_HEADING)
        console.print(_bullets(Text(q) for q in answer.follow_up_suggestions))
    hint = follow_up_hint(answer)
    if hint:
        console.print()
        console.print(Text(hint, style=_DIM))


def _references_grid(answer: Answer) -> Table:
    grid = Table.grid(padding=(0, 1))
    grid.add_column(justify="right", no_wrap=True)
    grid.add_column(ratio=1)
    for ref in answer.references:
        grid.add_row(f"{ref.n}.", _reference(ref, answer.audience))
    return grid


def _rich_disclaimer(answer: Answer, console: Console) -> None:
    if answer.disclaimer:
        console.print()
        console.print(Text(answer.disclaimer, style="italic"))


def explanation_table(answer: Answer, limit: int = 40) -> Table:
    """`medcite ask --explain`: each candidate sentence, its outcome, score, parts and reason."""
    notes = answer.explanation or []
    table = Table(
        title=f"Why these sentences ({answer.scorer or 'rule'} scorer; {len(notes)} candidates)",
        title_justify="left",
        show_lines=False,
        expand=True,
    )
    table.add_column("outcome", no_wrap=True)
    table.add_column("score", justify="right", no_wrap=True)
    table.add_column("parts / reason", ratio=2)
    table.add_column("sentence", ratio=3)
    for note in notes[:limit]:
        parts = ", ".join(f"{k} {v:g}" for k, v in note.parts.items())
        why = note.reason if note.outcome == "dropped" else parts
        if note.outcome == "kept" and note.reason:
            why = f"{parts}; {note.reason}"
        score = f"{note.score:.3f}" if note.score is not None else ""
        table.add_row(note.outcome, score, why, f"{note.text[:160]} [dim]({note.source})[/dim]")
    if len(notes) > limit:
        table.caption = f"… and {len(notes) - limit} more: --json lists them all"
    return table

"""Edits an editor may make to an article without breaking its traceability.

Editors can retitle an article, drop statements, or replace the body with a freshly composed
answer. They cannot type new statements: every sentence must stay a quote of a cited passage.
After a drop, references no longer cited are removed and the rest renumbered in order.
"""

from __future__ import annotations

from medcite.errors import InvalidRequestError
from medcite.types import Answer, AnswerItem


def item_refs(answer: Answer) -> dict[str, AnswerItem]:
    """Every droppable statement by its stable reference: ``summary:0``, ``causes:2``, ``note:1``."""
    refs: dict[str, AnswerItem] = {}
    for i, item in enumerate(answer.summary.items):
        refs[f"summary:{i}"] = item
    for section in answer.sections:
        for i, item in enumerate(section.items):
            refs[f"{section.key}:{i}"] = item
    for i, note in enumerate(answer.evidence_notes):
        refs[f"note:{i}"] = note.stronger
    return refs


def drop_items(answer: Answer, refs: list[str]) -> Answer:
    """A copy of ``answer`` without the statements named in ``refs`` (see :func:`item_refs`)."""
    known = item_refs(answer)
    unknown = [r for r in refs if r not in known]
    if unknown:
        raise InvalidRequestError(
            f"no statement {', '.join(map(repr, unknown))} in this article",
            hint="Statements are named section_key:index, e.g. causes:0, summary:1, note:0.",
        )
    drop = set(refs)
    out = answer.model_copy(deep=True)
    out.summary.items = [i for n, i in enumerate(out.summary.items) if f"summary:{n}" not in drop]
    out.summary.text = " ".join(item.text for item in out.summary.items)
    for section in out.sections:
        section.items = [i for n, i in enumerate(section.items) if f"{section.key}:{n}" not in drop]
    out.sections = [s for s in out.sections if s.items]
    out.evidence_notes = [n for i, n in enumerate(out.evidence_notes) if f"note:{i}" not in drop]
    if not out.statements():
        raise InvalidRequestError("an article needs at least one statement")
    return renumber_references(out)


def renumber_references(answer: Answer) -> Answer:
    """Drop references nothing cites and number the rest 1..n in their old order (in place)."""
    items = answer.statements()
    glosses = [g for item in items for g in item.glosses]
    used: set[int] = {n for item in items for n in item.citations}
    used |= {g.citation for g in glosses}
    used |= {f.citation for f in answer.red_flags if f.citation is not None}
    kept = [ref for ref in answer.references if ref.n in used]
    new_n = {ref.n: i for i, ref in enumerate(kept, start=1)}
    for ref in kept:
        ref.n = new_n[ref.n]
    answer.references = kept
    for item in items:
        item.citations = [new_n[n] for n in item.citations if n in new_n]
    for gloss in glosses:
        gloss.citation = new_n[gloss.citation]
    for flag in answer.red_flags:
        if flag.citation is not None:
            flag.citation = new_n.get(flag.citation)
    answer.summary.citations = sorted({n for i in answer.summary.items for n in i.citations})
    years = [ref.year for ref in kept if ref.year]
    answer.last_updated = max(years) if years else None
    return answer

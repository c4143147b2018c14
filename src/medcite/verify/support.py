"""The verifier: every statement of an answer must be found, verbatim, in the passage it cites.

The composer builds answers by quotation, so this should never fail; it is checked anyway,
independently of how the answer was made (a later LLM backend must pass the same check), and
the result is carried in the answer (``supported`` per item, ``support_rate`` overall).
"""

from __future__ import annotations

import re

from medcite.types import Answer, AnswerItem, Gloss, Passage

_SPACE_RE = re.compile(r"\s+")


def _norm(text: str) -> str:
    return _SPACE_RE.sub(" ", text).strip()


def is_supported(text: str, span: tuple[int, int] | None, passage: Passage | None) -> bool:
    """``text`` is the passage's text at ``span`` or, whitespace aside, a contiguous part of it."""
    if passage is None or not text.strip():
        return False
    if span is not None:
        start, end = span
        if 0 <= start <= end <= len(passage.text) and passage.text[start:end] == text:
            return True
    return _norm(text) in _norm(passage.text)


def verify_answer(answer: Answer, passages: dict[int, Passage]) -> Answer:
    """Set ``supported`` on every item and gloss and ``support_rate`` on the answer, in place.

    An item is supported only if its text (and its list lead-in, when it has one) is in its
    passage AND its first citation is the reference that holds that passage.
    """
    holder = {pid: ref.n for ref in answer.references for pid in ref.passage_ids}
    checked = 0
    ok = 0

    def check_item(item: AnswerItem) -> None:
        nonlocal checked, ok
        passage = passages.get(item.passage_id)
        cited = bool(item.citations) and holder.get(item.passage_id) == item.citations[0]
        item.supported = (
            cited
            and is_supported(item.text, item.span, passage)
            and (item.lead_in is None or is_supported(item.lead_in, None, passage))
        )
        checked += 1
        ok += item.supported
        for gloss in item.glosses:
            check_gloss(gloss)

    def check_gloss(gloss: Gloss) -> None:
        passage = passages.get(gloss.passage_id)
        gloss.supported = holder.get(gloss.passage_id) == gloss.citation and is_supported(
            gloss.text, None, passage
        )

    for item in answer.statements():
        check_item(item)
    answer.support_rate = (ok / checked) if checked else None
    return answer

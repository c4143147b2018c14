"""Regenerate the generated blocks of docs/answer-schema.md (a test checks they are current).

The example answer and the JSON Schema are written between ``<!-- BEGIN name -->`` and
``<!-- END name -->`` markers; the hand-written field tables around them are left alone.
Run ``python scripts/gen_answer_schema.py`` after changing the answer models, or with
``--check`` to fail when the doc is stale.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

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

DOC = Path(__file__).resolve().parent.parent / "docs/answer-schema.md"


def example_answer() -> Answer:
    """A small, obviously synthetic answer showing every part of the schema."""
    cause = AnswerItem(
        text="Zorblax fever is caused by the glimmer bug.",
        citations=[1],
        passage_id=101,
        span=(0, 43),
        supported=True,
        category="Infections",
        glosses=[
            Gloss(
                term="glimmer bug",
                text="The glimmer bug is a tiny imaginary insect that glows at night.",
                citation=2,
                passage_id=202,
                supported=True,
            )
        ],
    )
    guideline_ref = Reference(
        n=1,
        title="Zorblax fever: an imaginary guideline",
        source="Society of Made-up Medicine",
        doc_type=DocType.GUIDELINE,
        type_label=DocType.GUIDELINE.label,
        evidence_level=DocType.GUIDELINE.evidence_level,
        evidence_label=DocType.GUIDELINE.evidence_level.label,
        year=2021,
        url="https://example.org/zorblax-guideline",
        document_id=11,
        passage_ids=[101, 102],
    )
    consumer_ref = Reference(
        n=2,
        title="Zorblax fever (patient page)",
        source="Example Health Library",
        doc_type=DocType.CONSUMER,
        type_label=DocType.CONSUMER.label,
        evidence_level=DocType.CONSUMER.evidence_level,
        evidence_label=DocType.CONSUMER.evidence_level.label,
        year=None,
        url="https://example.org/zorblax",
        document_id=22,
        passage_ids=[202, 203],
    )
    return Answer(
        id="0f3c2a9e4b7d",
        question="What causes Zorblax fever?",
        effective_question="What causes Zorblax fever?",
        intent=Intent.CAUSE,
        audience=Audience.PATIENT,
        focus="Zorblax fever",
        summary=Summary(
            text=cause.text,
            citations=[1],
            items=[cause.model_copy(update={"category": None, "glosses": []})],
        ),
        sections=[AnswerSection(key="causes", title="Causes", items=[cause])],
        evidence_notes=[
            EvidenceNote(
                stronger=AnswerItem(
                    text="Zorblax fever is not spread by handshakes.",
                    citations=[1],
                    passage_id=102,
                    span=(0, 42),
                    supported=True,
                ),
                stronger_type=DocType.GUIDELINE.label,
                weaker=AnswerItem(
                    text="Some people say Zorblax fever spreads by handshakes.",
                    citations=[2],
                    passage_id=203,
                    span=(10, 62),
                    supported=True,
                ),
                weaker_type=DocType.CONSUMER.label,
            )
        ],
        references=[guideline_ref, consumer_ref],
        red_flags=[
            RedFlag(
                trigger="trouble breathing",
                found_in="answer",
                advice="If you or someone with you has trouble breathing now, call your local "
                "emergency number.",
                citation=2,
            )
        ],
        disclaimer="This is general information quoted from its sources, not medical advice.",
        category="Infections",
        last_updated=2021,
        follow_up_suggestions=["How is Zorblax fever treated?"],
        reading_grade=6.4,
        support_rate=1.0,
        timings_ms={"retrieve": 41.5, "compose": 12.25, "total": 58.0},
        created_at="2024-01-01T00:00:00+00:00",
    )


def blocks() -> dict[str, str]:
    """The generated blocks by marker name, as fenced code."""
    schema = json.dumps(Answer.model_json_schema(), indent=2, ensure_ascii=False)
    return {
        "example": f"```json\n{example_answer().model_dump_json(indent=2)}\n```",
        "schema": f"```json\n{schema}\n```",
    }


def update(doc: str) -> str:
    """``doc`` with every generated block replaced by its current content."""
    for name, content in blocks().items():
        pattern = re.compile(
            rf"(<!-- BEGIN {name} -->\n)(?:.*?\n)?(<!-- END {name} -->)", flags=re.DOTALL
        )
        if not pattern.search(doc):
            raise ValueError(f"docs/answer-schema.md lacks the {name} markers")
        doc = pattern.sub(lambda m, c=content: m[1] + c + "\n" + m[2], doc)
    return doc


def main() -> int:
    current = DOC.read_text(encoding="utf-8")
    fresh = update(current)
    if "--check" in sys.argv[1:]:
        if fresh != current:
            print(f"{DOC} is stale: run python scripts/gen_answer_schema.py", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(fresh, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

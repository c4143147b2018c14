"""Numbered references: documents in order of first citation, with the passages they back."""

from __future__ import annotations

from medcite.types import Passage, Reference, StoredDocument


class References:
    """Numbers documents in order of first citation; remembers which passages each one backs."""

    def __init__(self) -> None:
        self._by_doc: dict[int, Reference] = {}
        self.passages: dict[int, Passage] = {}

    def cite(self, doc: StoredDocument, passage: Passage) -> int:
        ref = self._by_doc.get(doc.id)
        if ref is None:
            ref = Reference(
                n=len(self._by_doc) + 1,
                title=doc.title,
                source=doc.organisation or doc.journal or doc.source,
                doc_type=doc.doc_type,
                type_label=doc.doc_type.label,
                evidence_level=doc.evidence_level,
                evidence_label=doc.evidence_level.label,
                year=doc.year,
                url=doc.url,
                document_id=doc.id,
            )
            self._by_doc[doc.id] = ref
        assert passage.id is not None
        if passage.id not in ref.passage_ids:
            ref.passage_ids.append(passage.id)
        self.passages[passage.id] = passage
        return ref.n

    def references(self) -> list[Reference]:
        return sorted(self._by_doc.values(), key=lambda r: r.n)

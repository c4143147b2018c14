"""The store contract that ingest, retrieval and the web layer rely on."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from medcite.types import Document, Passage, StoredDocument


class WriteOutcome(StrEnum):
    ADDED = "added"
    UPDATED = "updated"  # same (source, source_id), different content: passages replaced
    UNCHANGED = "unchanged"  # already stored exactly like this
    DUPLICATE = "duplicate"  # same title and body already stored under another key


@dataclass(slots=True)
class PreparedDocument:
    """A loaded document with its body and passages, ready to be written."""

    document: Document
    body: str
    passages: list[Passage]
    file_path: str | None = None
    content_hash: str = field(init=False)
    record_hash: str = field(init=False)

    def __post_init__(self) -> None:
        self.content_hash = self.document.content_hash(self.body)
        self.record_hash = self.document.record_hash()


@dataclass(frozen=True, slots=True)
class FileMark:
    """Written with the last batch of a file: the file is complete and need not be read again."""

    path: str
    fingerprint: str
    format: str
    documents: int


@dataclass(frozen=True, slots=True)
class IndexState:
    """How far an external index (keyword, dense) has caught up with the store."""

    name: str
    last_passage_id: int
    last_tombstone: int
    passages: int


@dataclass(frozen=True, slots=True)
class IndexRow:
    """What an index needs of one passage: its text, heading and what its document is about."""

    passage_id: int
    document_id: int
    section: str
    text: str
    about: str  # document title, focus and synonyms


@dataclass(frozen=True, slots=True)
class SourceStats:
    source: str
    doc_type: str
    documents: int
    passages: int


class DocumentStore(Protocol):
    """Documents and passages, with the bookkeeping of ingest runs."""

    def write_documents(
        self,
        items: Sequence[PreparedDocument],
        *,
        run_id: int | None = None,
        done_file: FileMark | None = None,
    ) -> list[WriteOutcome]: ...

    def get_document(self, document_id: int) -> StoredDocument | None: ...

    def get_passages(self, document_id: int) -> list[Passage]: ...

    def iter_passages(self, *, after_id: int = 0) -> Iterator[Passage]: ...

    def stats(self) -> list[SourceStats]: ...

    def count_documents(self) -> int: ...

    def start_run(self, args: dict[str, Any]) -> int: ...

    def finish_run(self, run_id: int, status: str, stats: dict[str, Any]) -> None: ...

    def record_error(self, run_id: int | None, path: str, reason: str) -> None: ...

    def file_done(self, path: str, fingerprint: str) -> bool: ...

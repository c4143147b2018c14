"""The store contract that ingest, retrieval and the web layer rely on."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from medcite.types import Document, Passage, Role, StoredDocument, User


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


class ReviewRepository(Protocol):
    """The review workflow's rows: users, tokens, sessions, articles, versions, audit log
    (rows as dicts of column name -> value). The service (medcite.review) decides; this stores."""

    def transaction(self) -> AbstractContextManager[None]: ...

    def insert_user(
        self, name: str, display_name: str, role: Role, password_hash: str | None, at: str
    ) -> int: ...

    def user(self, user_id: int) -> User | None: ...

    def user_named(self, name: str) -> tuple[User, str | None] | None: ...

    def users(self) -> list[User]: ...

    def display_names(self, user_ids: Sequence[int | None]) -> dict[int, str]: ...

    def set_password_hash(self, name: str, password_hash: str) -> bool: ...

    def set_disabled(self, name: str, disabled: bool) -> bool: ...

    def insert_token(
        self, user_id: int, label: str, prefix: str, token_hash: str, at: str
    ) -> None: ...

    def tokens(self, user_name: str | None = None) -> list[dict[str, Any]]: ...

    def revoke_token(self, token_id: int, at: str) -> bool: ...

    def user_for_token(self, token_hash: str, at: str) -> User | None: ...

    def insert_session(
        self, id_hash: str, user_id: int, csrf: str, created_at: str, expires_at: str
    ) -> None: ...

    def session(self, id_hash: str, now: str) -> tuple[User, str] | None: ...

    def end_session(self, id_hash: str, now: str) -> None: ...

    def insert_article(self, row: dict[str, Any]) -> None: ...

    def insert_version(self, row: dict[str, Any]) -> None: ...

    def article(self, article_id: str) -> dict[str, Any] | None: ...

    def version(self, article_id: str, version: int) -> dict[str, Any] | None: ...

    def versions(self, article_id: str, only: int | None = None) -> list[dict[str, Any]]: ...

    def version_category(self, article_id: str, version: int) -> str | None: ...

    def record_edit(
        self, article_id: str, title: str, status: str, version: int, at: str, category: str | None
    ) -> None: ...

    def approve(self, article_id: str, version: int, reviewer_id: int, at: str) -> None: ...

    def set_status(self, article_id: str, status: str, at: str) -> None: ...

    def newer_source(self, focus: str, since: str | None) -> str | None: ...

    def article_ids(
        self,
        *,
        published_only: bool,
        status: str | None,
        category: str | None,
        query: str | None,
        limit: int,
    ) -> list[str]: ...

    def category_counts(self, *, published_only: bool) -> list[tuple[str, int]]: ...

    def insert_event(self, row: dict[str, Any], comments: Sequence[tuple[str, str]]) -> None: ...

    def events(self, article_id: str) -> list[dict[str, Any]]: ...

    def comments(self, article_id: str) -> list[dict[str, Any]]: ...

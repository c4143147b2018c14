"""The store contract that ingest, retrieval and the web layer rely on."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, Self, runtime_checkable

from medcite.store.vectors import VectorSource
from medcite.types import (
    Answer,
    DocType,
    Document,
    EvidenceLevel,
    Passage,
    Role,
    StoredDocument,
    User,
    stable_json,
)


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


class VectorTable(Protocol):
    """A store's dense vectors of passages (medcite.store.vectors, medcite.store.pg_vectors):
    what the dense index (medcite.index.dense) builds and loads; values are float16 bytes."""

    def pending(self, model: str) -> int: ...

    def drop_other_models(self, model: str) -> None: ...

    def without_vector(self, model: str, limit: int) -> list[VectorSource]: ...

    def put(self, model: str, vectors: Sequence[tuple[int, bytes]]) -> None: ...

    def state(self, model: str) -> tuple[int, int]: ...

    def all(self, model: str) -> list[tuple[int, object]]: ...

    def delete(self, model: str, passage_ids: Sequence[int]) -> None: ...


class Store(DocumentStore, Protocol):
    """Everything the product asks of a store (ingest, indexes, retrieval, composition, the
    web app): :class:`~medcite.store.sqlite.SQLiteStore` and
    :class:`~medcite.store.pg_documents.PostgresStore`, opened by medcite.store.factory.
    tests/store/test_document_store.py checks both against it."""

    @property
    def path(self) -> Path:
        """The SQLite file, or a name for the PostgreSQL database in MEDCITE_HOME: caches
        derived from the store live beside it."""
        ...

    @property
    def readonly(self) -> bool: ...

    def close(self) -> None: ...

    def close_connections(self) -> None:
        """Close every connection, the store staying usable (fresh ones on next use)."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    # reading
    def count_passages(self) -> int: ...

    def find_document(self, source: str, source_id: str) -> StoredDocument | None: ...

    def get_documents(
        self, ids: Sequence[int], *, with_body: bool = True
    ) -> dict[int, StoredDocument]: ...

    def get_passages_by_id(self, ids: Sequence[int]) -> dict[int, Passage]: ...

    def rank_info(
        self, passage_ids: Sequence[int]
    ) -> dict[int, tuple[int, int, int | None, str | None]]: ...

    def content_stamp(self) -> str: ...

    def definition_passage(self, topic: str) -> Passage | None: ...

    def topic_names(self) -> list[tuple[str, list[str]]]: ...

    def document_ids_with_focus(self, focus: str) -> set[int]: ...

    def answer_passages(self, source: str) -> list[tuple[int, str, str, str, str, str, str]]: ...

    # answers
    def save_answer(self, answer: Answer) -> None: ...

    def get_answer(self, answer_id: str) -> Answer | None: ...

    # ingest bookkeeping
    def mark_interrupted_runs(self) -> None: ...

    def runs(self, limit: int = 20) -> list[dict[str, Any]]: ...

    def errors(self, run_id: int) -> list[tuple[str, str]]: ...

    # indexes kept outside the store
    def index_state(self, name: str) -> IndexState: ...

    def set_index_state(self, state: IndexState, meta: dict[str, Any] | None = None) -> None: ...

    def index_frontier(self) -> tuple[int, int]: ...

    def tombstones_after(self, seq: int) -> list[tuple[int, int]]: ...

    def count_passages_after(self, passage_id: int) -> int: ...

    def iter_index_rows(
        self, *, after_id: int = 0, until_id: int | None = None, batch: int = 2000
    ) -> Iterator[IndexRow]: ...

    # dense vectors
    @property
    def vectors(self) -> VectorTable: ...

    def has_vectors(self, model: str | None = None) -> bool: ...

    def count_vectors(self, model: str) -> int: ...

    # the review workflow
    def reviews(self) -> ReviewRepository: ...


@runtime_checkable
class DatabaseKeywords(Protocol):
    """A store that searches keywords itself (PostgreSQL: BM25 in SQL over postings written
    with the passages), so no keyword index is kept on disk (medcite.retrieve.sql_keyword)."""

    def keyword_hits(
        self, weighted_terms: Sequence[tuple[str, float]], k: int = 10
    ) -> list[tuple[int, int, float]]: ...

    def keyword_doc_freq(self, term: str) -> int: ...

    def keyword_passages(self) -> int: ...

    def keyword_has_phrase(self, phrases: Sequence[Sequence[str]]) -> bool: ...


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


# --- Rows shared by the backends (each backend's SQL stays in its own module) ---


class RowLike(Protocol):
    """A result row read by column name (sqlite3.Row, a psycopg dict row)."""

    def __getitem__(self, key: str, /) -> Any: ...


def document_fields(doc: Document) -> tuple[Any, ...]:
    """Values of the documents columns title .. meta, in that order."""
    return (
        doc.title,
        doc.url,
        doc.doc_type.value,
        int(doc.evidence_level),
        doc.year,
        doc.organisation,
        doc.journal,
        doc.licence,
        doc.language,
        doc.focus,
        stable_json(doc.synonyms),
        stable_json(doc.mesh_terms),
        stable_json(doc.cuis),
        stable_json(doc.meta),
    )


def passage_rows(document_id: int | None, passages: Sequence[Passage]) -> list[tuple[Any, ...]]:
    """Parameters of PASSAGE_INSERT for each passage."""
    return [
        (document_id, p.ord, p.section, p.text, p.char_start, p.char_end, stable_json(p.meta))
        for p in passages
    ]


def document_from_row(row: RowLike) -> StoredDocument:
    return StoredDocument(
        id=row["id"],
        source=row["source"],
        source_id=row["source_id"],
        title=row["title"],
        url=row["url"],
        doc_type=DocType(row["doc_type"]),
        evidence_level=EvidenceLevel(row["evidence_level"]),
        year=row["year"],
        organisation=row["organisation"],
        journal=row["journal"],
        licence=row["licence"],
        language=row["language"],
        focus=row["focus"],
        synonyms=json.loads(row["synonyms"]),
        mesh_terms=json.loads(row["mesh_terms"]),
        cuis=json.loads(row["cuis"]),
        meta=json.loads(row["meta"]),
        body=row["body"],
        content_hash=row["content_hash"],
    )


def passage_from_row(row: RowLike) -> Passage:
    return Passage(
        id=row["id"],
        document_id=row["document_id"],
        ord=row["ord"],
        section=row["section"],
        text=row["text"],
        char_start=row["char_start"],
        char_end=row["char_end"],
        meta=json.loads(row["meta"]),
    )

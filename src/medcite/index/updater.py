"""Keep the search indexes in step with the store, incrementally; open them for searching.

An index records (in the store's ``index_state``) the largest passage id it holds and the last
passage tombstone it applied; an update deletes tombstoned passages and adds newer ones. A
missing or unreadable index, or one whose size disagrees with its recorded state (a crash between
the index commit and the state write), is rebuilt from the store, with a message saying why.

Only ingest and ``medcite index`` update (they hold tantivy's writer lock). Searches open the
index read-only with :func:`keyword_reader`, which reopens it when a writer recorded a new state,
and never writes: a server process beside an ingest, or a second server, never contends for the
writer, and a stale index is reported (:func:`keyword_index_status`) rather than fixed by a reader.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from medcite.config import Settings
from medcite.errors import StoreError
from medcite.index.keyword import CorruptIndexError, KeywordIndex
from medcite.store.base import DatabaseKeywords, IndexRow, IndexState, Store

if TYPE_CHECKING:  # the read path (search, ask) must not import the ingest machinery
    from medcite.ingest.runner import IngestProgress

KEYWORD = "keyword"


@dataclass(slots=True)
class IndexUpdate:
    name: str
    added: int = 0
    deleted: int = 0
    total: int = 0
    rebuilt: str | None = None  # why the index was rebuilt from scratch, if it was


def keyword_index_path(settings: Settings) -> Path:
    return settings.home / "index" / KEYWORD


def _open_or_rebuild(
    path: Path, state: IndexState, report: IndexUpdate
) -> tuple[KeywordIndex, IndexState]:
    try:
        index = KeywordIndex.open(path)
    except CorruptIndexError as exc:
        if state.passages or path.exists():
            report.rebuilt = f"{exc}; rebuilding from the store"
        return KeywordIndex.create(path), IndexState(KEYWORD, 0, 0, 0)
    if index.num_docs() != state.passages:
        report.rebuilt = (
            f"keyword index holds {index.num_docs()} passages but the store recorded "
            f"{state.passages}; rebuilding from the store"
        )
        return KeywordIndex.create(path), IndexState(KEYWORD, 0, 0, 0)
    return index, state


def update_keyword_index(
    store: Store,
    settings: Settings,
    progress: IngestProgress | None = None,
    *,
    index: KeywordIndex | None = None,
) -> tuple[KeywordIndex, IndexUpdate]:
    """Bring the keyword index up to date with the store; returns it and what changed.

    Pass the ``index`` a previous call returned to skip re-opening it (a search loop does).
    """
    report = IndexUpdate(KEYWORD)
    path = keyword_index_path(settings)
    state = store.index_state(KEYWORD)
    last_pid, last_seq = store.index_frontier()
    frontier = (last_pid, last_seq)
    if index is not None and index.frontier == frontier:
        report.total = state.passages
        return index, report
    if index is not None and (state.last_passage_id, state.last_tombstone) == frontier:
        # Another process (an ingest beside a running server) brought the index up to date:
        # read its new segments instead of answering from the old ones.
        index.refresh()
        index.frontier = frontier
        report.total = state.passages
        return index, report
    index, state = _open_or_rebuild(path, state, report)
    if (
        state.last_passage_id == last_pid
        and state.last_tombstone == last_seq
        and not report.rebuilt
    ):
        index.frontier = frontier
        report.total = state.passages
        return index, report

    # Only what existed at the frontier: an ingest running meanwhile is picked up next time.
    # Tombstones of passages the index never saw (newer than its frontier) need no delete.
    deletes = [
        pid
        for seq, pid in store.tombstones_after(state.last_tombstone)
        if seq <= last_seq and pid <= state.last_passage_id
    ]
    label = "keyword index"

    def rows() -> Iterator[IndexRow]:
        done = 0
        for row in store.iter_index_rows(after_id=state.last_passage_id, until_id=last_pid):
            yield row
            done += 1
            if progress and done % 1000 == 0:
                progress.advance(label, files=1000)
        if progress:
            progress.advance(label, files=done % 1000)

    if progress:
        progress.start_job(
            label, store.count_passages_after(state.last_passage_id), unit="passages"
        )
    try:
        report.added = index.update(rows(), deletes)
    finally:
        if progress:
            progress.end_job(label)
    report.deleted = len(deletes)
    report.total = index.num_docs()
    store.set_index_state(IndexState(KEYWORD, last_pid, last_seq, report.total))
    index.frontier = frontier
    return index, report


def keyword_reader(
    store: Store, settings: Settings, index: KeywordIndex | None = None
) -> KeywordIndex:
    """The keyword index for searching, opened read-only.

    ``index`` (what an earlier call returned) is returned as it is while the store's recorded
    index state is unchanged; after a writer (ingest, ``medcite index``) recorded a new one, the
    index is reopened, so its new segments are searched. A store without passages searches an
    empty index; one whose index is missing or unreadable is an error saying to run
    ``medcite index`` (unless an index read before is still at hand: it is kept meanwhile).
    """
    state = store.index_state(KEYWORD)
    recorded = (state.last_passage_id, state.last_tombstone)
    if index is not None and index.frontier == recorded:
        return index
    path = keyword_index_path(settings)
    try:
        opened = KeywordIndex.open(path)
    except CorruptIndexError as exc:
        if index is not None:
            return index  # a writer is rebuilding it: the old reader still answers
        if store.count_passages() == 0:
            opened = KeywordIndex.empty(path)
        else:
            raise StoreError(
                f"{exc}: searches cannot run until it is built",
                hint="Run `medcite index` (ingest builds it too).",
            ) from exc
    opened.frontier = recorded
    return opened


def refresh_keyword_search(
    store: Store, settings: Settings, progress: IngestProgress | None = None
) -> IndexUpdate:
    """What ingest and ``medcite index`` do for keyword search: bring the tantivy index up to
    date with the store; nothing for a store that searches keywords itself (PostgreSQL writes
    its postings with the passages)."""
    if isinstance(store, DatabaseKeywords):
        return IndexUpdate(KEYWORD, total=store.keyword_passages())
    return update_keyword_index(store, settings, progress)[1]


def keyword_index_status(store: Store, settings: Settings) -> dict[str, Any]:
    """What the keyword index holds against the store: ``stale`` when passages were written or
    removed since it was last updated (``medcite index`` brings it up to date). A store that
    searches keywords itself is always current (``backend``: ``database``)."""
    if isinstance(store, DatabaseKeywords):
        return {
            "passages": store.keyword_passages(),
            "exists": True,
            "stale": False,
            "pending_passages": 0,
            "backend": "database",
        }
    state = store.index_state(KEYWORD)
    frontier = store.index_frontier()
    exists = (keyword_index_path(settings) / "meta.json").exists()
    indexed = (state.last_passage_id, state.last_tombstone)
    return {
        "passages": state.passages,
        "exists": exists,
        "stale": (not exists and frontier[0] > 0) or indexed != frontier,
        "pending_passages": store.count_passages_after(state.last_passage_id),
    }

"""The Python API: ``medcite.ask("What causes muscle spasms?")`` returns a typed Answer.

Opening a store and loading the vocabulary takes about a second, so the store and its retriever
are kept per store for the life of the process; later calls answer in milliseconds, from any
number of threads at once.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import cast

from medcite.compose import Composer
from medcite.config import Settings
from medcite.errors import MedciteError
from medcite.retrieve.hybrid import HybridRetriever
from medcite.store.factory import open_store
from medcite.store.sqlite import SQLiteStore
from medcite.types import Answer, Audience

# Per store (the SQLite file, or the PostgreSQL URL): the store and the retriever around it
# (costly: vocabulary, indexes), shared by every thread. A Composer is cheap around them but
# keeps per-use state (its definition cache), so each thread gets its own: threads answer at
# once, with no lock held while they do (the store gives each thread its own connection).
_retrievers: dict[Path | str, HybridRetriever] = {}
_lock = threading.Lock()  # guards the dict above while a store is opened; never held to answer
_local = threading.local()


def _composer(settings: Settings) -> Composer:
    where: Path | str = settings.database_url or settings.db_path.resolve()
    with _lock:
        retriever = _retrievers.get(where)
        if retriever is None:
            store = open_store(settings)
            if store.count_documents() == 0:
                store.close()
                raise MedciteError(
                    "the store is empty", hint="Run `medcite ingest --default` first."
                )
            retriever = _retrievers[where] = HybridRetriever.open(store, settings)
    mine: dict[Path | str, Composer] = _local.__dict__.setdefault("composers", {})
    composer = mine.get(where)
    if composer is None or composer.retriever is not retriever:
        # compose/ is typed to the SQLite store; both stores keep store.base.Store.
        composer = mine[where] = Composer(cast(SQLiteStore, retriever.store), settings, retriever)
    return composer


def ask(
    question: str,
    *,
    audience: Audience | str = Audience.PATIENT,
    follow_up_of: str | None = None,
    settings: Settings | None = None,
    save: bool = True,
) -> Answer:
    """Answer ``question`` from the store of ``settings`` (default: the environment's)."""
    composer = _composer(settings or Settings())
    return composer.ask(question, audience=Audience(audience), follow_up_of=follow_up_of, save=save)


def close_all() -> None:
    """Close the cached stores (tests, long-running hosts reloading data)."""
    with _lock:
        for retriever in _retrievers.values():
            retriever.store.close()
        _retrievers.clear()

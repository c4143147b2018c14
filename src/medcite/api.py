"""The Python API: ``medcite.ask("What causes muscle spasms?")`` returns a typed Answer.

Opening a store and loading the vocabulary takes about a second, so composers are kept per
store path for the life of the process; later calls answer in milliseconds.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import cast

from medcite.compose import Composer
from medcite.config import Settings
from medcite.errors import MedciteError
from medcite.store.factory import open_store
from medcite.store.sqlite import SQLiteStore
from medcite.types import Answer, Audience

_composers: dict[Path | str, Composer] = {}
_lock = threading.Lock()


def _composer(settings: Settings) -> Composer:
    # One composer per store: the SQLite file, or the PostgreSQL URL.
    where: Path | str = settings.database_url or settings.db_path.resolve()
    with _lock:
        composer = _composers.get(where)
        if composer is None:
            store = open_store(settings)
            if store.count_documents() == 0:
                store.close()
                raise MedciteError(
                    "the store is empty", hint="Run `medcite ingest --default` first."
                )
            # compose/ is typed to the SQLite store; both stores keep store.base.Store.
            composer = Composer.open(cast(SQLiteStore, store), settings)
            _composers[where] = composer
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
    with _lock:  # one composer per store: serialise its use
        return composer.ask(
            question, audience=Audience(audience), follow_up_of=follow_up_of, save=save
        )


def close_all() -> None:
    """Close the cached stores (tests, long-running hosts reloading data)."""
    with _lock:
        for composer in _composers.values():
            composer.store.close()
        _composers.clear()

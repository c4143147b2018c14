"""The one place that opens the store the settings name: SQLite at ``db_path`` (the default) or
PostgreSQL at ``database_url`` (``MEDCITE_DATABASE_URL``). Every command, the web app and the
Python API open their store here, so the backend is one setting.
"""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from medcite.errors import ConfigError

if TYPE_CHECKING:
    from medcite.config import Settings
    from medcite.store.base import Store

SCHEMES = ("postgresql", "postgres")


def check_database_url(url: str) -> str:
    """``url`` if it names a PostgreSQL database (``postgresql://[user[:password]@]host[:port]
    /database``); a ConfigError saying what is wrong otherwise."""
    hint = "Set MEDCITE_DATABASE_URL to postgresql://user:password@host:port/database."
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port  # raises ValueError for a port that is not a number
    except ValueError as exc:
        raise ConfigError(f"MEDCITE_DATABASE_URL is malformed: {exc}", hint=hint) from None
    if parts.scheme not in SCHEMES:
        raise ConfigError(
            f"MEDCITE_DATABASE_URL must start with postgresql:// (got {parts.scheme or 'no'}"
            " scheme)",
            hint=hint + " Unset it to use the SQLite store in MEDCITE_HOME.",
        )
    if not parts.hostname and "host=" not in parts.query:
        raise ConfigError("MEDCITE_DATABASE_URL names no host", hint=hint)
    if not parts.path.strip("/"):
        raise ConfigError("MEDCITE_DATABASE_URL names no database", hint=hint)
    if port is not None and not 0 < port < 65536:
        raise ConfigError(f"MEDCITE_DATABASE_URL has an invalid port {port}", hint=hint)
    return url


def postgres_installed() -> bool:
    return importlib.util.find_spec("psycopg") is not None


def open_store(settings: Settings, *, read_only: bool = False) -> Store:
    """The store of ``settings``, migrated. ``read_only``: for searching, a store that never
    writes (an older or missing one is upgraded or created first, once)."""
    if settings.database_url is None:
        from medcite.store.sqlite import SQLiteStore

        if read_only:
            return SQLiteStore.for_reading(settings.db_path)
        return SQLiteStore(settings.db_path)
    url = check_database_url(settings.database_url)
    if not postgres_installed():
        raise ConfigError(
            "MEDCITE_DATABASE_URL is set but the postgres extra is not installed",
            hint="pip install 'medcite[postgres]', or unset MEDCITE_DATABASE_URL for SQLite.",
        )
    from medcite.store.pg_documents import PostgresStore

    return PostgresStore(
        url,
        readonly=read_only,
        home=settings.home,
        pool_size=settings.database_pool_size,
        pool_timeout=settings.database_pool_timeout,
    )


def store_label(settings: Settings) -> str:
    """Where the store is, for people: the SQLite file, or the database URL without password."""
    if settings.database_url is None:
        return str(settings.db_path)
    from medcite.store.pg_connections import redact

    return redact(settings.database_url)


def uses_database_keywords(settings: Settings) -> bool:
    """Whether keyword search runs in the database (PostgreSQL) rather than a tantivy index."""
    return settings.database_url is not None

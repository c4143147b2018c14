"""Numbered SQL migrations (``migrations/NNN_name.sql``), applied in order, once each."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from importlib import resources

from medcite.errors import StoreError

_NAME_RE = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def available_migrations(folder: str = "migrations") -> list[Migration]:
    """Migrations shipped with the package, sorted by version (``folder``: ``migrations`` for
    SQLite, ``pg_migrations`` for PostgreSQL)."""
    found: list[Migration] = []
    for entry in resources.files("medcite.store").joinpath(folder).iterdir():
        m = _NAME_RE.match(entry.name)
        if m:
            found.append(Migration(int(m.group(1)), m.group(2), entry.read_text("utf-8")))
    found.sort(key=lambda mig: mig.version)
    versions = [mig.version for mig in found]
    if len(set(versions)) != len(versions):
        raise StoreError(f"duplicate migration numbers: {versions}")
    return found


def applied_versions(conn: sqlite3.Connection) -> set[int]:
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
        " applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))"
    )
    return {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}


def pending_migrations(conn: sqlite3.Connection) -> list[int]:
    """Versions not applied yet, read without writing (a store without the bookkeeping table
    has all pending)."""
    known = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
    ).fetchone()
    done = {r[0] for r in conn.execute("SELECT version FROM schema_migrations")} if known else set()
    return [m.version for m in available_migrations() if m.version not in done]


def migrate(conn: sqlite3.Connection, *, until: int | None = None) -> list[int]:
    """Apply pending migrations, each in its own transaction; return the versions applied.
    ``until`` stops after that version (tests build a store of an older schema with it)."""
    done = applied_versions(conn)
    newly: list[int] = []
    for mig in available_migrations():
        if mig.version in done or (until is not None and mig.version > until):
            continue
        try:
            conn.executescript(
                "BEGIN IMMEDIATE;\n"
                + mig.sql
                + f"\nINSERT INTO schema_migrations(version, name) VALUES ({mig.version}, '{mig.name}');"
                + "\nCOMMIT;"
            )
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise StoreError(f"migration {mig.version:03d}_{mig.name} failed: {exc}") from exc
        newly.append(mig.version)
    return newly

"""Storage: the SQLite store and its contract."""

from medcite.store.base import DocumentStore, FileMark, PreparedDocument, SourceStats, WriteOutcome
from medcite.store.sqlite import SQLiteStore

__all__ = [
    "DocumentStore",
    "FileMark",
    "PreparedDocument",
    "SQLiteStore",
    "SourceStats",
    "WriteOutcome",
]

"""SQL lives in medcite.store only: the other stages call store methods, so that a second
backend (PostgreSQL, issue 22) replaces one package, not statements spread over the tree."""

from __future__ import annotations

import re
from pathlib import Path

import medcite

SOURCE = Path(medcite.__file__).resolve().parent
_SQL = re.compile(r"\.(execute|executemany|executescript)\(|\bsqlite3\b|\.conn\b")


def test_no_module_outside_the_store_runs_sql() -> None:
    offending = sorted(
        rel
        for path in SOURCE.rglob("*.py")
        if (rel := path.relative_to(SOURCE).as_posix()).split("/")[0] != "store"
        and _SQL.search(path.read_text("utf-8"))
    )
    assert offending == []

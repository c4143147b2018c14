"""The CLI, in-process against a real store in a temporary MEDCITE_HOME."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from medcite.cli import app
from tests.ingest.test_eutils import FakeEUtils, fake  # noqa: F401 (fixture)

runner = CliRunner()


def _corpus(fixtures: Path, tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    for sub in ("medquad", "ngc", "pubmedqa"):
        shutil.copytree(fixtures / sub, root / sub)
    return root


def test_ingest_reports_failures_with_exit_status(
    fixtures: Path, tmp_path: Path, cli_env: Path
) -> None:
    root = _corpus(fixtures, tmp_path)
    result = runner.invoke(app, ["ingest", str(root), "--json"])
    assert result.exit_code == 1  # two truncated files and one bad record
    report = json.loads(result.stdout)
    (job,) = report["jobs"]
    assert job["added"] == 6 and len(job["errors"]) == 3 and report["ok"] is False

    # Only good files: exit 0, human summary table.
    good = tmp_path / "good"
    shutil.copytree(fixtures / "medquad/1_Synthetic_QA", good)
    (good / "0000004.xml").unlink()
    result = runner.invoke(app, ["ingest", str(good)])
    assert result.exit_code == 0, result.output
    assert "Ingest run" in result.stdout
    # The same documents from another path are recognised by key: nothing new is added.
    result = runner.invoke(app, ["ingest", str(good), "--json"])
    (job,) = json.loads(result.stdout)["jobs"]
    assert result.exit_code == 0 and job["files_unchanged"] == 3 and job["added"] == 0


def test_stats_json(fixtures: Path, tmp_path: Path, cli_env: Path) -> None:
    runner.invoke(app, ["ingest", str(_corpus(fixtures, tmp_path))])
    result = runner.invoke(app, ["stats", "--json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    by = {(r["source"], r["doc_type"]): r for r in data["by_source"]}
    assert by[("medquad", "consumer")]["documents"] == 2
    assert by[("ngc", "guideline")]["documents"] == 1
    assert by[("pubmedqa", "rct")]["documents"] == 1
    assert data["documents"] == 6 and data["passages"] >= 6
    assert data["dense_vectors"] == 0 and data["dense_model"]
    result = runner.invoke(app, ["stats"])
    assert f"dense vectors: 0 of {data['passages']:,} passages" in result.stdout


def test_search_and_ask(fixtures: Path, tmp_path: Path, cli_env: Path) -> None:
    runner.invoke(app, ["ingest", str(_corpus(fixtures, tmp_path))])
    result = runner.invoke(app, ["search", "What causes Zorblax syndrome?", "--json", "-k", "3"])
    assert result.exit_code == 0
    hits = json.loads(result.stdout)["results"]
    assert hits and hits[0]["title"] in {
        "Zorblax Syndrome",
        "Synthetic guideline: the placeholder intervention for Zorblax syndrome.",
    }
    assert {"doc_type", "year", "score_parts", "section"} <= set(hits[0])

    result = runner.invoke(app, ["ask", "What causes Zorblax syndrome?"])
    assert result.exit_code == 0
    assert "[1]" in result.stdout and "References" in result.stdout


def test_bad_input_gives_messages_not_tracebacks(cli_env: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["ingest", "nosuchsource"])
    assert result.exit_code == 1 and "neither a known source" in result.stderr
    assert "Traceback" not in result.output

    result = runner.invoke(app, ["search", "   \x00\x07  "])
    assert result.exit_code == 2 and "empty" in result.stderr

    result = runner.invoke(app, ["search", "x" * 5000])
    assert result.exit_code == 2 and "too long" in result.stderr

    result = runner.invoke(app, ["ask", "Anything at all?"])
    assert result.exit_code == 1 and "store is empty" in result.stderr

    result = runner.invoke(app, ["ingest", "pubmed"])
    assert result.exit_code == 2 and "--query" in result.stderr


def test_if_empty_skips_a_filled_store(fixtures: Path, tmp_path: Path, cli_env: Path) -> None:
    runner.invoke(app, ["ingest", str(_corpus(fixtures, tmp_path))])
    result = runner.invoke(app, ["ingest", "--default", "--if-empty"])
    assert result.exit_code == 0 and "skipping ingest" in result.stderr


def test_default_needs_sources(
    cli_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from medcite.config import get_settings

    monkeypatch.setenv("MEDCITE_MIRROR", str(tmp_path / "empty-mirror"))
    (tmp_path / "empty-mirror").mkdir()
    get_settings.cache_clear()
    result = runner.invoke(app, ["ingest", "--default"])
    assert result.exit_code == 1 and "no default source" in result.stderr


def test_every_setting_is_documented() -> None:
    from medcite.config import Settings

    doc = (Path(__file__).parent.parent / "docs/configuration.md").read_text(encoding="utf-8")
    for name in Settings.model_fields:
        assert f"`MEDCITE_{name.upper()}`" in doc, name


def test_ingest_pubmed_query_end_to_end(
    cli_env: Path,
    monkeypatch: pytest.MonkeyPatch,
    fake: FakeEUtils,  # noqa: F811 (the imported fixture)
) -> None:
    """`medcite ingest pubmed --query` against a local server speaking the E-utilities protocol."""
    from medcite.config import get_settings

    monkeypatch.setenv("MEDCITE_EUTILS_BASE_URL", fake.base_url)
    get_settings.cache_clear()
    result = runner.invoke(
        app, ["ingest", "pubmed", "--query", "synthetic widgets", "--max-results", "5", "--json"]
    )
    assert result.exit_code == 0, result.output
    (job,) = json.loads(result.stdout)["jobs"]
    assert job["label"] == "pubmed" and job["added"] == 5
    result = runner.invoke(app, ["stats", "--json"])
    rows = json.loads(result.stdout)["by_source"]
    assert rows == [{"source": "pubmed", "doc_type": "research", "documents": 5, "passages": 5}]
    endpoints = [seen.endpoint for seen in fake.requests]
    assert endpoints[0] == "esearch.fcgi" and "efetch.fcgi" in endpoints


def test_ingest_lists_skipped_and_failed_files_with_reasons(
    fixtures: Path, tmp_path: Path, cli_env: Path
) -> None:
    root = tmp_path / "mixed"
    shutil.copytree(fixtures / "medquad/1_Synthetic_QA", root)  # 0000004.xml is truncated
    (root / "notes.xyz").write_text("not a format medcite reads", encoding="utf-8")
    (root / "more.xyz").write_text("nor this", encoding="utf-8")
    result = runner.invoke(app, ["ingest", str(root)])
    assert result.exit_code == 1
    table = result.stdout.split("Skipped and failed", 1)[1]
    assert "unrecognised format (.xyz)" in table and "notes.xyz" in table and "more.xyz" in table
    assert "failed" in table and "0000004.xml" in table
    assert "no document with text in file" in table and "0000003.xml" in table  # a stub topic

    # `runs` keeps every skipped file with its reason, in the table and in JSON.
    result = runner.invoke(app, ["runs"])
    assert "skipped: 3" in result.stdout and "unrecognised format (.xyz)" in result.stdout
    (run,) = json.loads(runner.invoke(app, ["runs", "--json"]).stdout)
    skipped = {Path(where).name: reason for where, reason in run["skipped"]}
    assert skipped["notes.xyz"] == skipped["more.xyz"] == "unrecognised format (.xyz)"
    assert "0000003.xml" in skipped and len(run["errors"]) == 1


def test_skipped_table_is_capped(tmp_path: Path, cli_env: Path) -> None:
    root = tmp_path / "odd"
    root.mkdir()
    for i in range(25):  # 25 reasons: one unknown extension each
        (root / f"file.x{i:02d}").write_text("synthetic", encoding="utf-8")
    result = runner.invoke(app, ["ingest", str(root)])
    assert result.exit_code == 0, result.output
    assert result.stdout.count("unrecognised format") == 20
    assert "… and 5 more: see `medcite runs`" in result.stdout
    (job,) = json.loads(runner.invoke(app, ["ingest", str(root), "--json"]).stdout)["jobs"]
    assert len(job["skipped"]) == 25  # files refused by format are tried again each run


def test_ingest_offline_without_mirror_is_one_line_with_the_fix(tmp_path: Path) -> None:
    """The real CLI, as a process: no mirror and an address where nothing listens."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    dead = f"http://127.0.0.1:{port}/corpus"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEDCITE_")}
    env |= {
        "MEDCITE_HOME": str(tmp_path / "home"),
        "MEDCITE_DOWNLOAD_TIMEOUT_S": "5",
        "MEDCITE_SOURCE_URL_OVERRIDES": json.dumps(
            {"medquad": f"{dead}.zip", "ngc": f"{dead}.zip", "pubmedqa": f"{dead}.json"}
        ),
    }
    proc = subprocess.run(
        [sys.executable, "-m", "medcite", "ingest", "--default"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert lines == [
        f"error: cannot download medquad from {dead}.zip (connection refused); on an offline "
        "machine set MEDCITE_MIRROR=/path/to/corpora (a folder with medquad/, "
        "ngc-guidelines/summaries/, pubmedqa/)"
    ]
    assert "Traceback" not in proc.stderr and proc.stdout == ""

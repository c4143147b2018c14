"""`medcite ask` in-process: formats, JSON schema keys, follow-ups, bad input."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from medcite.cli import app
from tests.compose.test_render import REQUIRED_KEYS
from tests.conftest import FIXTURES

runner = CliRunner()


def _ingest() -> None:
    result = runner.invoke(app, ["ingest", str(FIXTURES / "compose")])
    assert result.exit_code == 0, result.output


def test_json_answer_has_the_documented_shape(cli_env: Path) -> None:
    _ingest()
    result = runner.invoke(app, ["ask", "What causes glimmerpox?", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) >= REQUIRED_KEYS
    assert {"text", "citations"} <= set(data["summary"])
    item = data["sections"][0]["items"][0]
    assert {"text", "citations", "supported"} <= set(item) and item["supported"] is True
    ref = data["references"][0]
    assert {"n", "title", "source", "doc_type", "evidence_level", "year", "url"} <= set(ref)
    assert {"retrieve", "compose", "total"} <= set(data["timings_ms"])
    assert data["audience"] == "patient" and data["intent"] == "cause"


def test_follow_up_by_id_and_clinician_audience(cli_env: Path) -> None:
    _ingest()
    first = json.loads(runner.invoke(app, ["ask", "What causes glimmerpox?", "--json"]).stdout)
    result = runner.invoke(
        app,
        ["ask", "what about sunshine?", "--follow-up-of", first["id"], "--json"],
    )
    assert result.exit_code == 0, result.output
    follow = json.loads(result.stdout)
    assert follow["follow_up_of"] == first["id"] and follow["intent"] == "cause"

    result = runner.invoke(
        app,
        ["ask", "How is glimmerpox treated?", "--audience", "clinician", "--format", "markdown"],
    )
    assert result.exit_code == 0
    assert "Level 1" in result.stdout  # clinicians see evidence levels
    assert "# How is glimmerpox treated?" in result.stdout


def test_text_and_html_formats(cli_env: Path) -> None:
    _ingest()
    text = runner.invoke(app, ["ask", "What causes glimmerpox?"])
    assert text.exit_code == 0 and "Bottom line" in text.stdout and "[1]" in text.stdout
    html = runner.invoke(app, ["ask", "What causes <script>glimmerpox?", "--format", "html"])
    assert html.exit_code == 0
    assert "<script>glimmerpox" not in html.stdout and "&lt;script&gt;" in html.stdout


def test_bad_ask_input(cli_env: Path) -> None:
    _ingest()
    result = runner.invoke(app, ["ask", "What causes glimmerpox?", "--format", "pdf"])
    assert result.exit_code == 2 and "unknown format" in result.stderr
    result = runner.invoke(app, ["ask", "and then?", "--follow-up-of", "nosuchid"])
    assert result.exit_code == 2 and "no earlier answer" in result.stderr
    assert "Traceback" not in result.output
    result = runner.invoke(app, ["ask", "\x00\x01  "])
    assert result.exit_code == 2 and "empty" in result.stderr

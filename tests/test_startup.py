"""Start-up: each command loads only what it needs (the timings are in docs/benchmarks.md).

`medcite --help` must not import pydantic, rich or the store; a cold `medcite ask` must not import
the ingest machinery, the web server, numpy (no dense vectors), asyncio or pkg_resources."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from medcite.config import Settings
from medcite.store.sqlite import SQLiteStore
from tests.conftest import copy_fixtures, ingest_folder

REPORT = (
    "import sys\n"
    "sys.argv = ['medcite', *sys.argv[1:]]\n"
    "from medcite.cli import main\n"
    "try:\n"
    "    main()\n"
    "except SystemExit:\n"
    "    pass\n"
    "sys.stderr.write('\\nMODULES ' + ' '.join(sorted(sys.modules)))\n"
)


def _modules(args: list[str], home: Path) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", REPORT, *args],
        env={"MEDCITE_HOME": str(home), "PATH": "", "HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    return set(done.stderr.rsplit("MODULES ", 1)[1].split())


def _loaded(modules: set[str], *names: str) -> list[str]:
    return [n for n in names if any(m == n or m.startswith(f"{n}.") for m in modules)]


def test_help_imports_neither_pydantic_nor_rich_nor_the_store(tmp_path: Path) -> None:
    modules = _modules(["--help"], tmp_path)
    assert "typer" in modules
    assert _loaded(modules, "pydantic", "rich", "sqlite3", "medcite.types", "numpy") == []


def test_a_cold_ask_loads_only_the_read_path(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home", mirror=None)
    with SQLiteStore(settings.db_path) as store:
        ingest_folder(store, settings, copy_fixtures(tmp_path / "corpus", "medquad"))
    modules = _modules(["ask", "What causes Zorblax syndrome?"], settings.home)
    assert "medcite.compose.composer" in modules  # it did answer
    heavy = _loaded(
        modules,
        "medcite.ingest.runner",
        "medcite.ingest.generic",
        "medcite.web",
        "fastapi",
        "uvicorn",
        "jinja2",
        "numpy",
        "asyncio",
        "pkg_resources",
        "textstat",
        "pydantic_settings",
    )
    # medcite.web.commands registers `serve` and `users` (typer only): the web app is not loaded.
    assert [m for m in heavy if m != "medcite.web"] == []
    assert {m for m in modules if m.startswith("medcite.web")} == {
        "medcite.web",
        "medcite.web.commands",
    }

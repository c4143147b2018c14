"""The composer over the synthetic compose fixtures, shared by the compose tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from medcite.compose import Composer
from medcite.config import Settings
from medcite.store.sqlite import SQLiteStore
from tests.conftest import FIXTURES, ingest_folder


@pytest.fixture
def composer(tmp_path: Path) -> Iterator[Composer]:
    settings = Settings(home=tmp_path / "home", mirror=None)
    with SQLiteStore(settings.db_path) as store:
        report = ingest_folder(store, settings, FIXTURES / "compose")
        assert report.ok, report.errors
        yield Composer.open(store, settings)

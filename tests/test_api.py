"""The Python API: ``medcite.ask`` returns a typed Answer from a real store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import medcite
from medcite.api import close_all
from medcite.config import Settings
from medcite.errors import MedciteError
from medcite.store.sqlite import SQLiteStore
from medcite.types import Answer, Audience
from tests.conftest import FIXTURES, ingest_folder


@pytest.fixture
def api_settings(tmp_path: Path) -> Iterator[Settings]:
    settings = Settings(home=tmp_path / "home", mirror=None)
    yield settings
    close_all()


def test_ask_returns_a_typed_answer_and_keeps_it(api_settings: Settings) -> None:
    with SQLiteStore(api_settings.db_path) as store:
        assert ingest_folder(store, api_settings, FIXTURES / "compose").ok
    answer = medcite.ask("What causes glimmerpox?", settings=api_settings, audience="clinician")
    assert isinstance(answer, Answer)
    assert answer.audience is Audience.CLINICIAN and not answer.abstained
    assert answer.support_rate == 1.0
    follow = medcite.ask("what about sunshine?", settings=api_settings, follow_up_of=answer.id)
    assert follow.follow_up_of == answer.id


def test_ask_on_an_empty_store_raises_a_medcite_error(api_settings: Settings) -> None:
    with pytest.raises(MedciteError, match="store is empty"):
        medcite.ask("What causes glimmerpox?", settings=api_settings)

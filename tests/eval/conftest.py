"""Fixtures for the answer evaluation: the real default corpus and the MedLFQA benchmark files.

Both skip (with a reason) when MEDCITE_MIRROR does not point at ../shared/corpora, or when the
benchmark folder beside it is missing.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from medcite.config import Settings
from medcite.index.updater import update_keyword_index
from medcite.ingest.formats import LOADERS_BY_FORMAT
from medcite.ingest.runner import IngestJob, run_ingest
from medcite.ingest.sources import DEFAULT_SOURCES, SOURCES, resolve_source
from medcite.store.sqlite import SQLiteStore


@pytest.fixture(scope="session")
def default_store(
    mirror: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[SQLiteStore, Settings]]:
    """The default corpus (MedQuAD, NGC, PubMedQA) ingested from the mirror into a fresh home,
    once per session (~30 s), with its keyword index built."""
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
def medlfqa_folder(mirror: Path) -> Path:
    """The real MedLFQA test files (../shared/bench/medlfqa beside the corpora mirror)."""
    folder = mirror.parent / "bench" / "medlfqa"
    if not (folder / "live_qa_test_MedLFQA.jsonl").is_file():
        pytest.skip(f"MedLFQA benchmark files not found under {folder}")
    return folder

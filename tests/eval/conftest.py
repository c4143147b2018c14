"""Fixtures for the answer evaluation: the MedLFQA benchmark files (the real default corpus is
`default_corpus` in tests/conftest.py).

It skips (with a reason) when MEDCITE_MIRROR does not point at ../shared/corpora, or when the
benchmark folder beside it is missing.
"""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def medlfqa_folder(mirror: Path) -> Path:
    """The real MedLFQA test files (../shared/bench/medlfqa beside the corpora mirror)."""
    folder = mirror.parent / "bench" / "medlfqa"
    if not (folder / "live_qa_test_MedLFQA.jsonl").is_file():
        pytest.skip(f"MedLFQA benchmark files not found under {folder}")
    return folder

"""Derived data cached on disk: rebuilt when its key changes, never fatal when it cannot be."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from medcite import cache


def test_a_value_is_built_once_and_reused_while_its_key_holds(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "value.pickle"
    builds: list[int] = []

    def build() -> dict[str, int]:
        builds.append(1)
        return {"answer": len(builds)}

    assert cache.cached(path, "k1", build) == {"answer": 1}
    assert cache.cached(path, "k1", build) == {"answer": 1}
    assert len(builds) == 1
    # Another key (the store or the code changed): rebuilt and rewritten.
    assert cache.cached(path, "k2", build) == {"answer": 2}
    assert cache.load(path, "k2") == {"answer": 2}
    assert cache.load(path, "k1") is None


def test_a_damaged_file_is_rebuilt(tmp_path: Path) -> None:
    path = tmp_path / "value.pickle"
    path.write_bytes(b"not a pickle at all")
    assert cache.load(path, "k") is None
    assert cache.cached(path, "k", lambda: [1, 2]) == [1, 2]
    assert cache.load(path, "k") == [1, 2]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_an_unwritable_folder_costs_speed_not_the_value(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        assert cache.cached(folder / "value.pickle", "k", lambda: "built") == "built"
        assert not (folder / "value.pickle").exists()
    finally:
        folder.chmod(0o700)


def test_a_file_in_the_way_of_the_folder_costs_speed_not_the_value(tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the cache folder should be")
    assert cache.save(blocker / "value.pickle", "k", 1) is False
    assert cache.cached(blocker / "value.pickle", "k", lambda: "built") == "built"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocker"]  # no temporary left behind


def test_no_path_means_no_cache(tmp_path: Path) -> None:
    assert cache.cached(None, "k", lambda: 3) == 3
    assert list(tmp_path.iterdir()) == []


def test_each_installation_keeps_its_own_file(tmp_path: Path) -> None:
    """Two virtualenvs sharing a cache folder must not rebuild each other's file at every
    start: the file name carries where its sources are."""
    mine = cache.cache_path(tmp_path, "table", "/venv-a/lib/data.bin")
    theirs = cache.cache_path(tmp_path, "table", "/venv-b/lib/data.bin")
    assert mine != theirs and mine.parent == theirs.parent == tmp_path
    assert mine == cache.cache_path(tmp_path, "table", "/venv-a/lib/data.bin")
    cache.cached(mine, "k", lambda: "a")
    cache.cached(theirs, "k", lambda: "b")
    assert cache.load(mine, "k") == "a" and cache.load(theirs, "k") == "b"

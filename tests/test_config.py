"""Settings read from the environment as documented: MEDCITE_<FIELD>, any letter case, JSON for
mappings, empty values unset; a bad value is a clear error, on the command line too."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from medcite.config import Settings
from medcite.errors import ConfigError


def test_fields_come_from_the_environment_and_arguments_win(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("MEDCITE_HOME", str(tmp_path / "envhome"))
    monkeypatch.setenv("medcite_ingest_batch_size", "7")  # any letter case, as documented
    monkeypatch.setenv("MEDCITE_COOKIE_SECURE", "yes")
    monkeypatch.setenv("MEDCITE_SOURCE_URL_OVERRIDES", '{"pubmedqa": "http://mirror.invalid/"}')
    monkeypatch.setenv("MEDCITE_NOT_A_SETTING", "ignored")
    settings = Settings()
    assert settings.home == tmp_path / "envhome"
    assert settings.ingest_batch_size == 7 and settings.cookie_secure is True
    assert settings.source_url_overrides == {"pubmedqa": "http://mirror.invalid/"}
    assert Settings(home=tmp_path / "given").home == tmp_path / "given"


def test_an_empty_value_is_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    """`MEDCITE_MIRROR=` (a Makefile exporting an empty variable) is no mirror, not the
    current folder."""
    monkeypatch.setenv("MEDCITE_MIRROR", "")
    assert Settings().mirror is None


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("MEDCITE_INGEST_BATCH_SIZE", "many", "MEDCITE_INGEST_BATCH_SIZE"),
        ("MEDCITE_INGEST_BATCH_SIZE", "0", "greater than or equal to 1"),
        ("MEDCITE_SOURCE_URL_OVERRIDES", "{not json", "not valid JSON"),
    ],
)
def test_a_bad_value_is_a_config_error_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=message) as caught:
        Settings()
    assert name in caught.value.message


def test_the_command_line_reports_a_bad_setting_without_a_traceback(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "medcite", "stats"],
        env={"MEDCITE_HOME": str(tmp_path), "MEDCITE_INGEST_BATCH_SIZE": "many", "PATH": ""},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "MEDCITE_INGEST_BATCH_SIZE" in done.stderr and "Traceback" not in done.stderr

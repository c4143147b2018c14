"""Web fixtures: a real store of synthetic documents, a team of users with tokens, an in-process
client, and a real ``medcite serve`` process on loopback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from medcite.config import Settings
from medcite.review.service import ReviewStore
from medcite.store.sqlite import SQLiteStore
from medcite.types import Role
from medcite.web.app import create_app
from tests.conftest import FIXTURES, ingest_folder

PASSWORD = "synthetic-pass-123"
CAUSE_QUESTION = "What causes glimmerpox?"


@dataclass
class Team:
    """One user per role (and a second reviewer, for the four-eyes rule), with API tokens."""

    home: Path
    tokens: dict[str, str] = field(default_factory=dict)

    def auth(self, who: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}


MEMBERS = {
    "admin": Role.ADMIN,
    "editor": Role.EDITOR,
    "reviewer": Role.REVIEWER,
    "reviewer2": Role.REVIEWER,
    "reader": Role.READER,
}


def make_home(home: Path) -> Team:
    """A store of the synthetic compose + web fixtures and one user per role."""
    settings = Settings(home=home, mirror=None)
    team = Team(home=home)
    with SQLiteStore(settings.db_path) as store:
        for folder in ("compose", "web"):
            report = ingest_folder(store, settings, FIXTURES / folder)
            assert report.ok, report.errors
        review = ReviewStore(store.reviews())
        for name, role in MEMBERS.items():
            review.add_user(name, role, display_name=f"Synthetic {name.title()}", password=PASSWORD)
            team.tokens[name] = review.create_token(name, "tests")
    return team


@pytest.fixture(scope="module")
def team(tmp_path_factory: pytest.TempPathFactory) -> Team:
    return make_home(tmp_path_factory.mktemp("web") / "home")


@pytest.fixture(scope="module")
def client(team: Team) -> Iterator[TestClient]:
    app = create_app(Settings(home=team.home, mirror=None))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen[bytes]
    log: Path


def start_server(home: Path, log: Path, *args: str, **env: str) -> LiveServer:
    """`medcite serve` on a free loopback port, with ``args`` (``--workers 2``) and ``env``."""
    port = free_port()
    environ = {**os.environ, "MEDCITE_HOME": str(home), **env}
    environ.pop("MEDCITE_MIRROR", None)
    cmd = [sys.executable, "-m", "medcite", "serve", "--host", "127.0.0.1", "--port", str(port)]
    cmd += args
    handle = log.open("wb")
    process = subprocess.Popen(cmd, env=environ, stdout=handle, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{log.read_text()}")
        try:
            if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                return LiveServer(url, process, log)
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"server did not become ready:\n{log.read_text()}")


@pytest.fixture(scope="module")
def live_server(team: Team, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = start_server(team.home, tmp_path_factory.mktemp("server") / "server.log")
    yield server
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()

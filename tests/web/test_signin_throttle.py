"""Sign-in throttling at the HTTP edge: in-process, and against a real ``medcite serve`` whose
lockouts are configured tiny through the environment.

The real server is reached from several loopback addresses (127.0.0.2, .3, ...; Linux routes
all of 127/8 to the loopback interface), so per-address limits can be told apart.
"""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from medcite.config import Settings
from medcite.errors import TooManyAttemptsError
from medcite.web.app import create_app
from tests.web.conftest import PASSWORD, LiveServer, Team, start_server
from tests.web.test_security import csrf_of

FREE_PER_ACCOUNT = 3
FREE_PER_ADDRESS = 5
LOCKOUT_ENV = {
    "MEDCITE_LOGIN_FREE_ATTEMPTS": str(FREE_PER_ACCOUNT),
    "MEDCITE_LOGIN_FREE_ATTEMPTS_PER_ADDRESS": str(FREE_PER_ADDRESS),
    "MEDCITE_LOGIN_LOCKOUT_BASE_S": "1",
    "MEDCITE_LOGIN_LOCKOUT_MAX_S": "2",
}


def can_bind(address: str) -> bool:
    try:
        with socket.socket() as s:
            s.bind((address, 0))
    except OSError:
        return False
    return True


class Visitor:
    """A browser at one client address: fetches the form, then posts the sign-in."""

    def __init__(self, server: LiveServer, address: str) -> None:
        if not can_bind(address):
            pytest.skip(f"cannot connect from {address} (loopback aliases are Linux-only)")
        transport = httpx.HTTPTransport(local_address=address)
        self.http = httpx.Client(base_url=server.url, transport=transport, timeout=30)

    def sign_in(self, name: str, password: str) -> httpx.Response:
        token = csrf_of(self.http.get("/login").text)
        return self.http.post(
            "/login",
            data={"name": name, "password": password, "csrf_token": token, "next": "/review"},
        )

    def statuses(self, name: str, password: str, times: int) -> list[int]:
        return [self.sign_in(name, password).status_code for _ in range(times)]


@pytest.fixture(scope="module")
def server(team: Team, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    log = tmp_path_factory.mktemp("throttled") / "server.log"
    live = start_server(team.home, log, **LOCKOUT_ENV)
    yield live
    live.process.terminate()
    try:
        live.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        live.process.kill()


def retry_after(response: httpx.Response) -> int:
    assert response.status_code == 429, response.text
    wait = int(response.headers["retry-after"])
    assert 1 <= wait <= 2, "the lockout is at most MEDCITE_LOGIN_LOCKOUT_MAX_S"
    return wait


def test_an_account_is_locked_after_its_free_failures_until_the_lockout_ends(
    server: LiveServer,
) -> None:
    visitor = Visitor(server, "127.0.0.2")
    assert visitor.statuses("editor", "wrong-password-1", FREE_PER_ACCOUNT) == [401] * 3
    # Now even the right password is refused, without being checked.
    refused = visitor.sign_in("editor", PASSWORD)
    wait = retry_after(refused)
    assert "Too many failed sign-ins; try again in 1 second." in refused.text
    assert 'role="alert"' in refused.text and 'value="editor"' in refused.text
    assert "medcite_session" not in refused.cookies
    time.sleep(wait)
    signed_in = visitor.sign_in("editor", PASSWORD)
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/review"
    assert "medcite_session" in signed_in.cookies
    # The success reset the count: the free failures are all there again.
    visitor.http.cookies.clear()
    assert visitor.statuses("editor", "wrong-password-2", FREE_PER_ACCOUNT) == [401] * 3
    retry_after(visitor.sign_in("editor", PASSWORD))


def test_the_address_limit_covers_every_account_name(server: LiveServer) -> None:
    here, elsewhere = Visitor(server, "127.0.0.3"), Visitor(server, "127.0.0.4")
    assert here.statuses("ghost-a", "wrong-password", FREE_PER_ACCOUNT) == [401] * 3
    retry_after(here.sign_in("ghost-a", "wrong-password"))  # the account's limit
    # A second name from the same address: two failures reach the address's limit of five.
    assert here.statuses("ghost-b", "wrong-password", 2) == [401, 401]
    # ghost-b has only two failures; the address is what is locked, for every name on it.
    retry_after(here.sign_in("ghost-b", "wrong-password"))
    retry_after(here.sign_in("reader", PASSWORD))
    # From another address the same names are let through to the password check.
    assert elsewhere.sign_in("ghost-b", "wrong-password").status_code == 401
    assert elsewhere.sign_in("reader", PASSWORD).status_code == 303


def test_refused_sign_ins_never_check_the_password(
    team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(
        home=team.home, mirror=None, login_free_attempts=2, login_lockout_base_s=60.0
    )
    app = create_app(settings)
    review = app.state.engine.review
    checked: list[str] = []
    real_check = review.check_password

    def spy(name: str, password: str) -> Any:
        checked.append(name)
        return real_check(name, password)

    monkeypatch.setattr(review, "check_password", spy)
    with TestClient(app) as client:
        token = csrf_of(client.get("/login").text)
        form = {"name": "reviewer", "password": "wrong-password", "csrf_token": token}
        statuses = [client.post("/login", data=form).status_code for _ in range(6)]
        assert statuses == [401, 401, 429, 429, 429, 429]
        assert checked == ["reviewer", "reviewer"]


def test_too_many_attempts_has_the_error_shape_and_retry_after(team: Team) -> None:
    """However it is raised, the error is a 429 with Retry-After, as JSON or as a page."""
    app = create_app(Settings(home=team.home, mirror=None))

    def locked() -> None:
        raise TooManyAttemptsError(7)

    app.add_api_route("/api/locked", locked)
    app.add_api_route("/locked", locked)
    with TestClient(app) as client:
        r = client.get("/api/locked")
        assert r.status_code == 429 and r.headers["retry-after"] == "7"
        error = r.json()["error"]
        assert error["code"] == "too_many_attempts" and error["status"] == 429
        assert error["message"] == "too many failed sign-ins; try again in 7 seconds"
        page = client.get("/locked")
        assert page.status_code == 429 and page.headers["retry-after"] == "7"
        assert "try again in 7 seconds" in page.text

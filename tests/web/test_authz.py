"""Authorisation on every route, for every kind of caller.

The table below must name every route the app serves (a test checks it), so a new route cannot
ship without its access rules being pinned. Anonymous users can never see drafts, edit, submit
or approve; readers likewise; editors cannot review; reviewers cannot edit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Mount, Route

from tests.web.conftest import CAUSE_QUESTION, Team

WHO = ("anonymous", "reader", "editor", "reviewer", "admin")


def _statuses(
    anonymous: int, reader: int, editor: int, reviewer: int, admin: int
) -> dict[str, int]:
    return dict(zip(WHO, (anonymous, reader, editor, reviewer, admin), strict=True))


ALL_OK = _statuses(200, 200, 200, 200, 200)
STAFF_ONLY = _statuses(404, 404, 200, 200, 200)  # unpublished things do not exist for readers
ADMIN_ONLY = _statuses(401, 403, 403, 403, 200)


class World:
    """Creates what each request needs, fresh per call where the request changes state."""

    def __init__(self, client: TestClient, team: Team) -> None:
        self.client, self.team = client, team
        self.answer_id = client.post("/api/ask", json={"question": CAUSE_QUESTION}).json()["id"]
        self.approved = self.article("approved")
        self.counter = 0

    def article(self, state: str) -> str:
        r = self.client.post(
            "/api/articles", json={"answer_id": self.answer_id}, headers=self.team.auth("editor")
        )
        aid = str(r.json()["id"])
        steps = {
            "draft": [],
            "submitted": [("submit", "editor")],
            "under_review": [("submit", "editor"), ("start_review", "reviewer")],
            "approved": [
                ("submit", "editor"),
                ("start_review", "reviewer"),
                ("approve", "reviewer"),
            ],
        }[state]
        for action, who in steps:
            res = self.client.post(f"/api/articles/{aid}/{action}", headers=self.team.auth(who))
            assert res.status_code == 200, res.text
        return aid

    def unique(self) -> str:
        self.counter += 1
        return f"synthetic-{self.counter}"


Request = Callable[[World], tuple[str, str, dict[str, Any]]]

# (method, route path) -> [(label, how to build the request, expected status per caller)]
RULES: dict[tuple[str, str], list[tuple[str, Request, dict[str, int]]]] = {
    ("GET", "/healthz"): [("live", lambda w: ("GET", "/healthz", {}), ALL_OK)],
    ("GET", "/readyz"): [("ready", lambda w: ("GET", "/readyz", {}), ALL_OK)],
    ("GET", "/openapi.json"): [("spec", lambda w: ("GET", "/openapi.json", {}), ALL_OK)],
    ("POST", "/api/ask"): [
        ("ask", lambda w: ("POST", "/api/ask", {"json": {"question": CAUSE_QUESTION}}), ALL_OK)
    ],
    ("GET", "/api/search"): [("search", lambda w: ("GET", "/api/search?q=glimmerpox", {}), ALL_OK)],
    ("GET", "/api/answers/{answer_id}"): [
        ("answer", lambda w: ("GET", f"/api/answers/{w.answer_id}", {}), ALL_OK)
    ],
    ("GET", "/api/answers/{answer_id}/thread"): [
        ("thread", lambda w: ("GET", f"/api/answers/{w.answer_id}/thread", {}), ALL_OK)
    ],
    ("POST", "/api/articles"): [
        (
            "save",
            lambda w: ("POST", "/api/articles", {"json": {"answer_id": w.answer_id}}),
            _statuses(401, 403, 201, 403, 201),
        )
    ],
    ("GET", "/api/articles"): [("list", lambda w: ("GET", "/api/articles", {}), ALL_OK)],
    ("GET", "/api/articles/{article_id}"): [
        ("draft", lambda w: ("GET", f"/api/articles/{w.article('draft')}", {}), STAFF_ONLY),
        ("approved", lambda w: ("GET", f"/api/articles/{w.approved}", {}), ALL_OK),
    ],
    ("PATCH", "/api/articles/{article_id}"): [
        (
            "edit draft",
            lambda w: (
                "PATCH",
                f"/api/articles/{w.article('draft')}",
                {"json": {"title": w.unique()}},
            ),
            _statuses(401, 403, 200, 403, 200),
        ),
        (
            "edit approved",
            lambda w: (
                "PATCH",
                f"/api/articles/{w.article('approved')}",
                {"json": {"title": w.unique()}},
            ),
            _statuses(401, 403, 200, 403, 200),
        ),
    ],
    ("POST", "/api/articles/{article_id}/{action}"): [
        (
            "submit draft",
            lambda w: ("POST", f"/api/articles/{w.article('draft')}/submit", {}),
            _statuses(404, 404, 200, 403, 200),
        ),
        (
            "start review",
            lambda w: ("POST", f"/api/articles/{w.article('submitted')}/start_review", {}),
            _statuses(404, 404, 403, 200, 200),
        ),
        (
            "approve",
            lambda w: ("POST", f"/api/articles/{w.article('under_review')}/approve", {}),
            _statuses(404, 404, 403, 200, 200),
        ),
        (
            "request changes",
            lambda w: (
                "POST",
                f"/api/articles/{w.article('under_review')}/request_changes",
                {"json": {"comment": "synthetic"}},
            ),
            _statuses(404, 404, 403, 200, 200),
        ),
        (
            "re-review approved",
            lambda w: ("POST", f"/api/articles/{w.article('approved')}/start_review", {}),
            _statuses(401, 403, 403, 200, 200),
        ),
        (
            "approve approved",
            lambda w: ("POST", f"/api/articles/{w.approved}/approve", {}),
            _statuses(401, 403, 403, 409, 409),
        ),
    ],
    ("GET", "/api/articles/{article_id}/audit"): [
        (
            "audit",
            lambda w: ("GET", f"/api/articles/{w.approved}/audit", {}),
            _statuses(401, 403, 200, 200, 200),
        )
    ],
    ("GET", "/api/review/queue"): [
        ("queue", lambda w: ("GET", "/api/review/queue", {}), _statuses(401, 403, 403, 200, 200))
    ],
    ("GET", "/api/categories"): [("categories", lambda w: ("GET", "/api/categories", {}), ALL_OK)],
    ("GET", "/api/me"): [("me", lambda w: ("GET", "/api/me", {}), ALL_OK)],
    ("GET", "/api/users"): [("users", lambda w: ("GET", "/api/users", {}), ADMIN_ONLY)],
    ("POST", "/api/users"): [
        (
            "add user",
            lambda w: ("POST", "/api/users", {"json": {"name": w.unique(), "role": "reader"}}),
            _statuses(401, 403, 403, 403, 201),
        )
    ],
    ("POST", "/api/tokens"): [
        (
            "token",
            lambda w: ("POST", "/api/tokens", {"json": {"user": "reader"}}),
            _statuses(401, 403, 403, 403, 201),
        )
    ],
    # Pages. Bearer tokens identify callers here too (they need no CSRF token); anonymous form
    # posts fail the CSRF check first (403): either way, nothing happens.
    ("GET", "/"): [("ask page", lambda w: ("GET", "/?q=What+causes+glimmerpox%3F", {}), ALL_OK)],
    ("GET", "/answers/{answer_id}"): [
        ("answer page", lambda w: ("GET", f"/answers/{w.answer_id}", {}), ALL_OK)
    ],
    ("POST", "/articles"): [
        (
            "save form",
            lambda w: ("POST", "/articles", {"data": {"answer_id": w.answer_id}}),
            _statuses(403, 403, 303, 403, 303),
        )
    ],
    ("GET", "/articles"): [("library", lambda w: ("GET", "/articles", {}), ALL_OK)],
    ("GET", "/articles/{article_id}"): [
        ("draft page", lambda w: ("GET", f"/articles/{w.article('draft')}", {}), STAFF_ONLY),
        ("approved page", lambda w: ("GET", f"/articles/{w.approved}", {}), ALL_OK),
    ],
    ("POST", "/articles/{article_id}/action"): [
        (
            "submit form",
            lambda w: (
                "POST",
                f"/articles/{w.article('draft')}/action",
                {"data": {"action": "submit"}},
            ),
            _statuses(403, 404, 303, 403, 303),
        ),
        (
            "approve form",
            lambda w: (
                "POST",
                f"/articles/{w.article('under_review')}/action",
                {"data": {"action": "approve"}},
            ),
            _statuses(403, 404, 403, 303, 303),
        ),
    ],
    ("POST", "/articles/{article_id}/edit"): [
        (
            "edit form",
            lambda w: (
                "POST",
                f"/articles/{w.article('draft')}/edit",
                {"data": {"title": w.unique()}},
            ),
            _statuses(403, 403, 303, 403, 303),
        )
    ],
    ("GET", "/review"): [
        ("dashboard", lambda w: ("GET", "/review", {}), _statuses(401, 403, 403, 200, 200))
    ],
    ("GET", "/login"): [("login page", lambda w: ("GET", "/login", {}), ALL_OK)],
    ("POST", "/login"): [
        (
            "login without csrf",
            lambda w: ("POST", "/login", {"data": {"name": "editor", "password": "x"}}),
            _statuses(403, 401, 401, 401, 401),  # token callers need no CSRF; wrong password
        )
    ],
    ("POST", "/logout"): [
        ("logout", lambda w: ("POST", "/logout", {}), _statuses(403, 303, 303, 303, 303))
    ],
    ("GET", "/static"): [("css", lambda w: ("GET", "/static/medcite.css", {}), ALL_OK)],
    ("GET", "/favicon.ico"): [("icon", lambda w: ("GET", "/favicon.ico", {}), ALL_OK)],
}


@pytest.fixture(scope="module")
def world(client: TestClient, team: Team) -> World:
    return World(client, team)


def _served_routes(client: TestClient) -> set[tuple[str, str]]:
    """API routes from the OpenAPI spec, pages and mounts from the app's own route list."""
    served: set[tuple[str, str]] = {
        (method.upper(), path)
        for path, ops in client.get("/openapi.json").json()["paths"].items()
        for method in ops
    }
    for route in client.app.routes:  # type: ignore[attr-defined]
        if isinstance(route, Mount):
            served.add(("GET", route.path))
        elif isinstance(route, APIRoute | Route):
            for method in route.methods or ():
                if method != "HEAD":
                    served.add((method, route.path))
    return served


def test_every_route_has_access_rules(client: TestClient) -> None:
    served = _served_routes(client)
    assert served == set(RULES), (
        f"routes without rules: {sorted(served - set(RULES))}; "
        f"rules for missing routes: {sorted(set(RULES) - served)}"
    )


CASES = [
    pytest.param(key, label, make, who, expected[who], id=f"{key[0]} {key[1]} [{label}] as {who}")
    for key, rules in RULES.items()
    for label, make, expected in rules
    for who in WHO
]


@pytest.mark.parametrize(("key", "label", "make", "who", "status"), CASES)
def test_route_access(
    client: TestClient,
    team: Team,
    world: World,
    key: tuple[str, str],
    label: str,
    make: Request,
    who: str,
    status: int,
) -> None:
    method, url, kwargs = make(world)
    headers = team.auth(None if who == "anonymous" else who)
    client.cookies.clear()
    r = client.request(method, url, headers=headers, follow_redirects=False, **kwargs)
    assert r.status_code == status, f"{method} {url} as {who}: {r.status_code} {r.text[:300]}"
    if status >= 400 and url.startswith("/api/"):
        assert set(r.json()) == {"error"}


def test_anonymous_never_sees_drafts_in_lists(client: TestClient, team: Team, world: World) -> None:
    draft = world.article("draft")
    in_review = world.article("under_review")
    client.cookies.clear()
    for who in (None, "reader"):
        listed = client.get("/api/articles", headers=team.auth(who)).json()["articles"]
        ids = {a["id"] for a in listed}
        assert draft not in ids and in_review not in ids and world.approved in ids
        assert all(a["status"] == "approved" for a in listed)
        page = client.get("/articles", headers=team.auth(who)).text
        assert f"/articles/{draft}" not in page
        cats = client.get("/api/categories", headers=team.auth(who)).json()["categories"]
        staff_cats = client.get("/api/categories", headers=team.auth("editor")).json()["categories"]
        assert sum(c["articles"] for c in cats) < sum(c["articles"] for c in staff_cats)

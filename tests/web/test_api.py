"""The JSON API, in-process and against a real server process on loopback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from medcite.config import Settings
from medcite.web.app import create_app
from tests.web.conftest import CAUSE_QUESTION, LiveServer, Team, start_server

ERROR_KEYS = {"code", "message", "status"}


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """The one error shape: {"error": {"code", "message", "status"[, "hint"][, "details"]}}."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert ERROR_KEYS <= set(error) <= ERROR_KEYS | {"hint", "details"}
    assert error["status"] == status
    assert isinstance(error["message"], str) and error["message"]
    assert "Traceback" not in response.text
    if code:
        assert error["code"] == code
    return dict(error)


def ask(client: TestClient, question: str = CAUSE_QUESTION, **extra: Any) -> dict[str, Any]:
    r = client.post("/api/ask", json={"question": question, **extra})
    assert r.status_code == 200, r.text
    return dict(r.json())


def new_article(client: TestClient, team: Team, who: str = "editor") -> dict[str, Any]:
    answer = ask(client)
    r = client.post("/api/articles", json={"answer_id": answer["id"]}, headers=team.auth(who))
    assert r.status_code == 201, r.text
    return dict(r.json())


def act(
    client: TestClient, team: Team, article_id: str, action: str, who: str, **body: Any
) -> httpx.Response:
    return client.post(f"/api/articles/{article_id}/{action}", json=body, headers=team.auth(who))


# -- answers ----------------------------------------------------------------------------------


def test_ask_returns_the_documented_answer_schema(client: TestClient) -> None:
    answer = ask(client)
    for key in (
        "id", "question", "intent", "audience", "abstained", "summary", "sections",
        "references", "red_flags", "disclaimer", "category", "follow_up_suggestions",
        "reading_grade", "timings_ms",
    ):  # fmt: skip
        assert key in answer
    assert answer["intent"] == "cause" and not answer["abstained"]
    assert answer["summary"]["citations"]
    assert all(i["supported"] for s in answer["sections"] for i in s["items"])
    assert answer["red_flags"], "the synthetic cause passage mentions chest pain"
    # saved: it can be fetched by id
    again = client.get(f"/api/answers/{answer['id']}").json()
    assert again["summary"] == answer["summary"]


def test_a_bottom_line_that_does_not_answer_is_marked_in_json_and_page(
    client: TestClient,
) -> None:
    # no synthetic sentence says how glimmerpox goes
    answer = ask(client, question="What is the outlook for glimmerpox?")
    assert not answer["abstained"] and answer["summary"]["direct"] is False
    page = client.get(f"/answers/{answer['id']}")
    assert page.status_code == 200
    assert "No source found answers this directly." in page.text
    direct = ask(client)
    assert direct["summary"]["direct"] is True
    assert "No source found answers" not in client.get(f"/answers/{direct['id']}").text


def test_clinician_audience_and_follow_up_thread(client: TestClient) -> None:
    first = ask(client, audience="clinician")
    assert first["audience"] == "clinician"
    follow = ask(client, "what about treatment?", follow_up_of=first["id"])
    assert follow["follow_up_of"] == first["id"]
    assert "glimmerpox" in follow["effective_question"].lower()
    thread = client.get(f"/api/answers/{follow['id']}/thread").json()["answers"]
    assert [a["id"] for a in thread] == [first["id"], follow["id"]]


def test_follow_up_of_an_unknown_answer_is_a_400(client: TestClient) -> None:
    r = client.post("/api/ask", json={"question": "and then?", "follow_up_of": "nope"})
    assert_error(r, 400, "bad_query")


def test_search_lists_ranked_passages_with_score_parts(client: TestClient) -> None:
    r = client.get("/api/search", params={"q": "glimmerpox causes", "k": 3})
    assert r.status_code == 200
    results = r.json()["results"]
    assert 1 <= len(results) <= 3
    assert [h["n"] for h in results] == list(range(1, len(results) + 1))
    assert {"title", "doc_type", "year", "score", "score_parts", "text"} <= set(results[0])


@pytest.mark.parametrize(
    ("request_kwargs", "status", "code"),
    [
        ({"json": {"question": ""}}, 422, "invalid_request"),
        ({"json": {"question": "x" * 1001}}, 422, "invalid_request"),
        ({"json": {"question": "ok?", "audience": "robot"}}, 422, "invalid_request"),
        ({"json": {}}, 422, "invalid_request"),
        ({"json": ["not", "an", "object"]}, 422, "invalid_request"),
        ({"content": b'{"question": "unterminated', "headers": {"content-type": "application/json"}}, 400, "malformed_json"),
        ({"json": {"question": "\x00\x01\x02"}}, 400, "bad_query"),
    ],
)  # fmt: skip
def test_bad_questions_get_a_4xx_json_error(
    client: TestClient, request_kwargs: dict[str, Any], status: int, code: str
) -> None:
    assert_error(client.post("/api/ask", **request_kwargs), status, code)


def test_unknown_answer_and_route_and_method(client: TestClient) -> None:
    assert_error(client.get("/api/answers/doesnotexist"), 404, "not_found")
    assert_error(client.get("/api/nothing-here"), 404, "not_found")
    assert_error(client.delete("/api/ask"), 405, "method_not_allowed")


def test_oversize_bodies_are_refused_before_parsing(client: TestClient) -> None:
    big = b'{"question": "' + b"a" * 70_000 + b'"}'
    r = client.post("/api/ask", content=big, headers={"content-type": "application/json"})
    assert_error(r, 413, "payload_too_large")

    def chunks() -> Any:  # no Content-Length: counted while streaming
        for _ in range(20):
            yield b"a" * 8192

    r = client.post("/api/ask", content=chunks(), headers={"content-type": "application/json"})
    assert_error(r, 413, "payload_too_large")


def test_internal_errors_are_logged_not_shown(team: Team, monkeypatch: pytest.MonkeyPatch) -> None:
    app = create_app(Settings(home=team.home, mirror=None))
    with TestClient(app, raise_server_exceptions=False) as c:

        def explode(*args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("secret internal detail /etc/passwd")

        monkeypatch.setattr(app.state.engine, "ask", explode)
        r = c.post("/api/ask", json={"question": CAUSE_QUESTION})
        error = assert_error(r, 500, "internal_error")
        assert "secret internal detail" not in r.text
        assert "passwd" not in error["message"]


# -- health, readiness, OpenAPI ---------------------------------------------------------------


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready" and ready["documents"] > 0 and ready["passages"] > 0


def test_an_empty_store_is_live_but_not_ready(tmp_path: Path) -> None:
    app = create_app(Settings(home=tmp_path / "empty", mirror=None))
    with TestClient(app, raise_server_exceptions=False) as c:
        assert c.get("/healthz").status_code == 200
        assert_error(c.get("/readyz"), 503, "not_ready")
        assert_error(c.post("/api/ask", json={"question": "anything?"}), 503, "not_ready")


def test_openapi_is_published_and_lists_the_api(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    for path in (
        "/api/ask",
        "/api/search",
        "/api/answers/{answer_id}",
        "/api/articles",
        "/api/articles/{article_id}",
        "/api/articles/{article_id}/{action}",
        "/api/articles/{article_id}/audit",
        "/api/review/queue",
        "/healthz",
        "/readyz",
    ):
        assert path in paths, path
    assert "/articles/{article_id}" not in paths, "pages stay out of the API spec"
    action = paths["/api/articles/{article_id}/{action}"]["post"]["parameters"]
    enum = next(p for p in action if p["name"] == "action")["schema"]
    assert set(enum.get("enum") or spec["components"]["schemas"]["Action"]["enum"]) == {
        "submit",
        "start_review",
        "approve",
        "request_changes",
    }


# -- articles and review ------------------------------------------------------------------------


def test_review_workflow_end_to_end(client: TestClient, team: Team) -> None:
    article = new_article(client, team)
    aid = article["id"]
    assert article["status"] == "draft" and article["current_version"] == 1
    assert article["versions"][0]["answer"]["question"] == CAUSE_QUESTION

    # a reviewer cannot approve what was never submitted
    assert_error(act(client, team, aid, "approve", "reviewer"), 409, "conflict")
    assert act(client, team, aid, "submit", "editor").json()["status"] == "submitted"
    assert act(client, team, aid, "start_review", "reviewer").json()["status"] == "under_review"
    # sending back needs a reason
    assert_error(act(client, team, aid, "request_changes", "reviewer"), 422)
    sent_back = act(
        client,
        team,
        aid,
        "request_changes",
        "reviewer",
        section_comments=[{"section_key": "causes", "comment": "Drop the third cause."}],
    )
    assert sent_back.json()["status"] == "changes_requested"

    # the editor drops a statement: a new version, still changes_requested
    edited = client.patch(
        f"/api/articles/{aid}",
        json={"drop": ["causes:0"], "note": "as asked"},
        headers=team.auth("editor"),
    )
    assert edited.status_code == 200, edited.text
    body = edited.json()
    assert body["current_version"] == 2 and body["status"] == "changes_requested"
    new, old = body["versions"][0], body["versions"][1]
    assert new["content_hash"] != old["content_hash"]
    old_causes = next(s for s in old["answer"]["sections"] if s["key"] == "causes")["items"]
    new_causes = next(s for s in new["answer"]["sections"] if s["key"] == "causes")["items"]
    assert [i["text"] for i in new_causes] == [i["text"] for i in old_causes[1:]]
    numbers = [r["n"] for r in new["answer"]["references"]]
    assert numbers == list(range(1, len(numbers) + 1))

    assert act(client, team, aid, "submit", "editor").json()["status"] == "submitted"
    assert act(client, team, aid, "start_review", "reviewer").status_code == 200
    approved = act(client, team, aid, "approve", "reviewer", comment="Checked.").json()
    assert approved["status"] == "approved" and approved["published_version"] == 2
    assert approved["last_reviewed_by"] == "Synthetic Reviewer"

    log = client.get(f"/api/articles/{aid}/audit", headers=team.auth("reviewer")).json()["events"]
    assert [(e["action"], e["from_status"], e["to_status"]) for e in log] == [
        ("create", None, "draft"),
        ("submit", "draft", "submitted"),
        ("start_review", "submitted", "under_review"),
        ("request_changes", "under_review", "changes_requested"),
        ("edit", "changes_requested", "changes_requested"),
        ("submit", "changes_requested", "submitted"),
        ("start_review", "submitted", "under_review"),
        ("approve", "under_review", "approved"),
    ]
    assert log[3]["section_comments"] == [
        {"section_key": "causes", "comment": "Drop the third cause."}
    ]
    assert log[-1]["version"] == 2 and log[-1]["version_hash"] == new["content_hash"]
    assert log[-1]["actor"] == "Synthetic Reviewer" and log[-1]["comment"] == "Checked."

    # now public: anonymous readers see it, with only the approved version
    public = client.get(f"/api/articles/{aid}").json()
    assert public["status"] == "approved" and [v["version"] for v in public["versions"]] == [2]
    assert aid in [a["id"] for a in client.get("/api/articles").json()["articles"]]


def test_editing_an_approved_article_keeps_the_approved_version_public(
    client: TestClient, team: Team
) -> None:
    aid = new_article(client, team)["id"]
    act(client, team, aid, "submit", "editor")
    act(client, team, aid, "start_review", "reviewer")
    act(client, team, aid, "approve", "reviewer")
    r = client.patch(
        f"/api/articles/{aid}", json={"title": "Retitled draft"}, headers=team.auth("editor")
    )
    assert r.status_code == 200
    assert r.json()["status"] == "draft" and r.json()["published_version"] == 1
    public = client.get(f"/api/articles/{aid}").json()
    assert public["title"] == CAUSE_QUESTION and public["versions"][0]["version"] == 1
    staff = client.get(f"/api/articles/{aid}", headers=team.auth("reviewer")).json()
    assert staff["title"] == "Retitled draft" and len(staff["versions"]) == 2


def test_four_eyes_the_author_of_a_version_cannot_approve_it(
    client: TestClient, team: Team
) -> None:
    aid = new_article(client, team, who="admin")["id"]
    act(client, team, aid, "submit", "admin")
    act(client, team, aid, "start_review", "admin")
    assert_error(act(client, team, aid, "approve", "admin"), 403, "forbidden")
    assert act(client, team, aid, "approve", "reviewer2").json()["status"] == "approved"


def test_edits_must_change_something_and_keep_traceability(client: TestClient, team: Team) -> None:
    aid = new_article(client, team)["id"]
    editor = team.auth("editor")
    assert_error(client.patch(f"/api/articles/{aid}", json={}, headers=editor), 409)
    assert_error(
        client.patch(f"/api/articles/{aid}", json={"drop": ["causes:999"]}, headers=editor), 422
    )
    assert_error(
        client.patch(
            f"/api/articles/{aid}", json={"drop": ["causes:0"], "regenerate": True}, headers=editor
        ),
        422,
    )
    # statements cannot be typed in: the edit model has no such field and rejects extras quietly
    r = client.patch(f"/api/articles/{aid}", json={"regenerate": True}, headers=editor)
    assert r.status_code in (200, 409)  # a fresh answer may equal the stored one
    # an article in review is frozen
    act(client, team, aid, "submit", "editor")
    assert_error(client.patch(f"/api/articles/{aid}", json={"title": "x"}, headers=editor), 409)


def test_a_change_made_on_a_stale_version_gets_409(client: TestClient, team: Team) -> None:
    aid = new_article(client, team)["id"]
    editor = team.auth("editor")
    seen = {"title": "Synthetic retitled article", "version": 1}
    assert client.patch(f"/api/articles/{aid}", json=seen, headers=editor).status_code == 200
    # a second editor who loaded version 1 would overwrite the first one's edit
    stale = {"title": "Synthetic other title", "version": 1}
    error = assert_error(client.patch(f"/api/articles/{aid}", json=stale, headers=editor), 409)
    assert "version 2 is current" in error["message"]
    r = client.post(f"/api/articles/{aid}/submit", json={"version": 1}, headers=editor)
    assert_error(r, 409)
    r = client.post(f"/api/articles/{aid}/submit", json={"version": 2}, headers=editor)
    assert r.status_code == 200 and r.json()["status"] == "submitted"


def test_abstained_answers_cannot_become_articles(client: TestClient, team: Team) -> None:
    answer = ask(client, "What causes the frobnication of quasars in deep space?")
    assert answer["abstained"]
    r = client.post("/api/articles", json={"answer_id": answer["id"]}, headers=team.auth("editor"))
    assert_error(r, 422)


def test_library_filters_and_review_queue(client: TestClient, team: Team) -> None:
    aid = new_article(client, team)["id"]
    act(client, team, aid, "submit", "editor")
    queue = client.get("/api/review/queue", headers=team.auth("reviewer")).json()
    assert aid in [a["id"] for a in queue["submitted"]]
    staff = client.get(
        "/api/articles", params={"status": "submitted", "q": "glimmer"}, headers=team.auth("editor")
    ).json()["articles"]
    assert aid in [a["id"] for a in staff]
    assert all(a["status"] == "submitted" for a in staff)
    none = client.get("/api/articles", params={"q": "%"}, headers=team.auth("editor")).json()
    assert none["articles"] == [], "LIKE wildcards are matched literally"
    cats = client.get("/api/categories", headers=team.auth("editor")).json()["categories"]
    assert sum(c["articles"] for c in cats) >= 1


def test_admin_creates_users_and_tokens_over_the_api(client: TestClient, team: Team) -> None:
    admin = team.auth("admin")
    r = client.post(
        "/api/users", json={"name": "newbie", "role": "editor", "password": "long-enough-pw"},
        headers=admin,
    )  # fmt: skip
    assert r.status_code == 201 and r.json()["role"] == "editor"
    assert "password" not in r.text and "scrypt" not in r.text
    assert_error(
        client.post("/api/users", json={"name": "newbie", "role": "editor"}, headers=admin), 409
    )
    token = client.post("/api/tokens", json={"user": "newbie"}, headers=admin).json()["token"]
    me = client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert me["user"]["name"] == "newbie" and me["via"] == "token"
    users = client.get("/api/users", headers=admin).json()
    assert "newbie" in [u["name"] for u in users]
    assert all("password" not in str(u) for u in users)


def test_bad_tokens_are_401_with_the_error_shape(client: TestClient) -> None:
    for header in ("Bearer nope", "Basic abc", "Bearer ", "token"):
        r = client.get("/api/articles", headers={"Authorization": header})
        assert_error(r, 401, "unauthenticated")
        assert r.headers.get("www-authenticate") == "Bearer"


def test_refusals_name_the_role_with_the_right_article(client: TestClient, team: Team) -> None:
    r = client.get("/api/users", headers=team.auth("editor"))
    assert assert_error(r, 403, "forbidden")["message"] == "an editor may not do this"
    r = client.get("/api/review/queue", headers=team.auth("reader"))
    assert assert_error(r, 403, "forbidden")["message"] == "a reader may not see the review queue"


def test_the_favicon_is_served_and_linked(client: TestClient) -> None:
    for path in ("/favicon.ico", "/static/favicon.svg"):
        r = client.get(path)
        assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")
        assert r.text.startswith("<svg") and "<script" not in r.text
    assert client.head("/favicon.ico").status_code == 200
    for page in ("/", "/login", "/no-such-page"):
        assert '<link rel="icon" href="/static/favicon.svg"' in client.get(page).text


# -- over a real socket -------------------------------------------------------------------------


def test_real_server_answers_and_reviews_over_loopback(live_server: LiveServer, team: Team) -> None:
    with httpx.Client(base_url=live_server.url, timeout=30) as http:
        answer = http.post("/api/ask", json={"question": CAUSE_QUESTION}).json()
        assert not answer["abstained"] and answer["references"]
        r = http.post(
            "/api/articles", json={"answer_id": answer["id"]}, headers=team.auth("editor")
        )
        assert r.status_code == 201
        aid = r.json()["id"]
        for action, who in (
            ("submit", "editor"),
            ("start_review", "reviewer"),
            ("approve", "reviewer"),
        ):
            r = http.post(f"/api/articles/{aid}/{action}", headers=team.auth(who))
            assert r.status_code == 200, r.text
        assert http.get(f"/api/articles/{aid}").json()["status"] == "approved"
        bad = http.post("/api/ask", content=b"{", headers={"content-type": "application/json"})
        assert_error(bad, 400, "malformed_json")
        huge = http.post(
            "/api/ask", content=b"x" * 200_000, headers={"content-type": "application/json"}
        )
        assert_error(huge, 413)
        assert http.get("/openapi.json").json()["info"]["title"] == "medcite"
    log = live_server.log.read_text()
    assert "Traceback" not in log


def test_anonymous_asking_and_reading_can_be_turned_off(team: Team, tmp_path: Path) -> None:
    server = start_server(
        team.home,
        tmp_path / "closed.log",
        MEDCITE_ALLOW_ANONYMOUS_ASK="false",
        MEDCITE_ALLOW_ANONYMOUS_READ="false",
    )
    try:
        with httpx.Client(base_url=server.url, timeout=30) as http:
            assert_error(http.post("/api/ask", json={"question": CAUSE_QUESTION}), 401)
            assert_error(http.get("/api/articles"), 401)
            assert_error(http.get("/api/search", params={"q": "glimmerpox"}), 401)
            ok = http.post(
                "/api/ask", json={"question": CAUSE_QUESTION}, headers=team.auth("reader")
            )
            assert ok.status_code == 200
    finally:
        server.process.terminate()
        server.process.wait(timeout=10)


def test_a_running_server_sees_documents_ingested_beside_it(tmp_path: Path) -> None:
    """Hospitals add documents while the server runs: no restart needed to answer from them."""
    import os
    import shutil
    import subprocess
    import sys

    from tests.conftest import FIXTURES

    home = tmp_path / "home"
    first, second = tmp_path / "first", tmp_path / "second"
    shutil.copytree(FIXTURES / "compose", first)
    shutil.copytree(FIXTURES / "web", second)
    env = {**os.environ, "MEDCITE_HOME": str(home)}
    env.pop("MEDCITE_MIRROR", None)

    def ingest(folder: Path) -> None:
        cmd = [sys.executable, "-m", "medcite", "ingest", str(folder)]
        subprocess.run(cmd, env=env, check=True, capture_output=True)

    ingest(first)
    server = start_server(home, tmp_path / "server.log")
    try:
        with httpx.Client(base_url=server.url, timeout=30) as http:
            assert http.get("/api/search", params={"q": "zappleflu"}).json()["results"] == []
            ingest(second)  # another process writes the store and the index
            hits = http.get("/api/search", params={"q": "zappleflu"}).json()["results"]
            assert hits and hits[0]["title"] == "Zappleflu"
            answer = http.post("/api/ask", json={"question": "What is zappleflu?"}).json()
            assert not answer["abstained"] and answer["focus"] == "zappleflu"
    finally:
        server.process.terminate()
        server.process.wait(timeout=10)

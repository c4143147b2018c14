"""Pages and the HTTP edge under attack: CSRF, sessions, injection, traversal, redirects."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import CAUSE_QUESTION, PASSWORD, LiveServer, Team

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "the page has a form with a CSRF token"
    return match.group(1)


def sign_in(client: TestClient, name: str) -> str:
    """Sign in through the form like a browser; returns the session's CSRF token."""
    client.cookies.clear()
    token = csrf_of(client.get("/login").text)
    r = client.post(
        "/login",
        data={"name": name, "password": PASSWORD, "csrf_token": token, "next": "/"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    return csrf_of(client.get("/").text)


def test_session_cookie_is_httponly_samesite_and_hashed_at_rest(
    client: TestClient, team: Team
) -> None:
    client.cookies.clear()
    token = csrf_of(client.get("/login").text)
    r = client.post(
        "/login",
        data={"name": "editor", "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    cookie = r.headers["set-cookie"]
    assert "medcite_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    secret = r.cookies["medcite_session"]
    db = (team.home / "medcite.db").read_bytes() + (team.home / "medcite.db-wal").read_bytes()
    assert secret.encode() not in db, "only a hash of the session id is stored"
    assert "Synthetic Editor" in client.get("/").text


def test_wrong_password_and_login_csrf(client: TestClient) -> None:
    client.cookies.clear()
    token = csrf_of(client.get("/login").text)
    r = client.post("/login", data={"name": "editor", "password": "nope", "csrf_token": token})
    assert r.status_code == 401 and "Wrong user name or password" in r.text
    assert "medcite_session" not in r.cookies
    # a cross-site form cannot sign a victim in: no double-submit token, no session
    client.cookies.clear()
    r = client.post("/login", data={"name": "editor", "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 403 and "medcite_session" not in r.cookies


def test_forms_need_the_session_csrf_token(client: TestClient, team: Team) -> None:
    csrf = sign_in(client, "editor")
    r = client.post("/api/ask", json={"question": CAUSE_QUESTION})
    assert r.status_code == 403, "a cookie-authenticated API call needs the CSRF header"
    r = client.post("/api/ask", json={"question": CAUSE_QUESTION}, headers={"X-CSRF-Token": csrf})
    answer_id = r.json()["id"]
    forged = client.post("/articles", data={"answer_id": answer_id}, follow_redirects=False)
    assert forged.status_code == 403
    wrong = client.post(
        "/articles", data={"answer_id": answer_id, "csrf_token": "x" * 43}, follow_redirects=False
    )
    assert wrong.status_code == 403
    ok = client.post(
        "/articles", data={"answer_id": answer_id, "csrf_token": csrf}, follow_redirects=False
    )
    assert ok.status_code == 303 and ok.headers["location"].startswith("/articles/")
    aid = ok.headers["location"].rsplit("/", 1)[1]
    # the JSON API with a session cookie needs the token in a header
    r = client.post(f"/api/articles/{aid}/submit")
    assert r.status_code == 403 and r.json()["error"]["code"] == "csrf_failed"
    r = client.post(f"/api/articles/{aid}/submit", headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200 and r.json()["status"] == "submitted"


def test_logout_ends_the_session_server_side(client: TestClient) -> None:
    csrf = sign_in(client, "reviewer")
    secret = client.cookies.get("medcite_session")
    assert secret
    assert client.get("/review").status_code == 200
    r = client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303
    client.cookies.clear()
    client.cookies.set("medcite_session", secret)  # a stolen copy of the old cookie
    assert client.get("/review").status_code == 401


@pytest.mark.parametrize(
    "target", ["//evil.example/x", "https://evil.example/", "/\\evil", "javascript:alert(1)"]
)
def test_sign_in_never_redirects_off_site(client: TestClient, target: str) -> None:
    client.cookies.clear()
    token = csrf_of(client.get("/login").text)
    r = client.post(
        "/login",
        data={"name": "editor", "password": PASSWORD, "csrf_token": token, "next": target},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/"


INJECTION = "<script>alert('synthetic')</script><img src=x onerror=alert(2)> glimmerpox?"


def test_questions_are_escaped_in_pages_and_json(client: TestClient) -> None:
    client.cookies.clear()
    page = client.get("/", params={"q": INJECTION}).text
    assert "<script>alert('synthetic')" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(" in page
    answer = client.post("/api/ask", json={"question": INJECTION}).json()
    page = client.get(f"/answers/{answer['id']}").text
    assert "<script>alert('synthetic')" not in page


def test_document_text_and_urls_are_escaped(client: TestClient) -> None:
    client.cookies.clear()
    page = client.get("/", params={"q": "What is zappleflu?"}).text
    assert "synthetic-xss" in page, "the synthetic document is quoted"
    assert "<script>alert('synthetic-xss')" not in page
    assert "&lt;script&gt;alert(&#39;synthetic-xss&#39;)&lt;/script&gt;" in page
    assert 'href="javascript:' not in page.lower()
    scripts = re.findall(r"<script[^>]*>", page)
    assert scripts == ['<script src="/static/medcite.js" defer>']


def test_security_headers_on_pages_and_api(client: TestClient) -> None:
    for path in ("/", "/api/articles", "/nope", "/static/medcite.css"):
        r = client.get(path)
        csp = r.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert r.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    "path",
    [
        "/static/../../../../etc/passwd",
        "/static/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/static/..%2f..%2f..%2fetc%2fpasswd",
        "/static/%2e%2e%2fapp.py",
        "/static//etc/passwd",
    ],
)
def test_static_files_cannot_escape_their_folder(live_server: LiveServer, path: str) -> None:
    # raw paths over a real socket: clients would normalise the dots away
    with httpx.Client(base_url=live_server.url) as http:
        r = http.get(path)
    assert r.status_code in (400, 404), r.status_code
    assert "root:" not in r.text and "create_app" not in r.text


def test_page_errors_are_html_pages_without_traces(client: TestClient) -> None:
    client.cookies.clear()
    r = client.get("/articles/does-not-exist")
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert "Not found" in r.text and "Traceback" not in r.text
    r = client.get("/review")
    assert r.status_code == 401 and "/login?next=" in r.text
    r = client.get("/", params={"q": "x" * 5000})
    assert r.status_code in (400, 422) and "Traceback" not in r.text


def test_oversize_form_posts_are_refused(client: TestClient) -> None:
    r = client.post("/login", data={"name": "x" * 100_000, "password": "y"})
    assert r.status_code == 413 and r.json()["error"]["code"] == "payload_too_large"

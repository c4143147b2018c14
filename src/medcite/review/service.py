"""The review store: users, credentials, articles, versions and the audit log, in SQLite.

It shares the store's database file (tables from migration 007). Every state change runs in
one transaction together with its audit-log row, so the log can never miss a transition.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from medcite.errors import (
    AuthenticationError,
    ConflictError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
)
from medcite.review.accounts import Accounts
from medcite.review.workflow import (
    Action,
    can_see_unpublished,
    next_status,
    not_allowed,
    review_due,
    status_after_edit,
)
from medcite.types import (
    Answer,
    Article,
    ArticleStatus,
    ArticleVersion,
    AuditEvent,
    ReviewComment,
    Role,
    User,
    stable_json,
)

MAX_TITLE = 300
MAX_COMMENT = 5000


def content_hash(title: str, answer: Answer) -> str:
    """What the audit log cites: the article's words, not when or how fast they were composed."""
    body = answer.model_dump(mode="json", exclude={"id", "timings_ms", "created_at"})
    return hashlib.sha256(stable_json({"title": title, "answer": body}).encode()).hexdigest()


class ReviewStore(Accounts):
    """Users, sessions, tokens and articles on one SQLite connection (callers serialise use)."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        *,
        review_interval_days: int = 365,
        session_ttl: dt.timedelta = dt.timedelta(hours=12),
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.conn = conn
        self.review_interval_days = review_interval_days
        self.session_ttl = session_ttl
        self.clock = clock

    @contextmanager
    def _tx(self) -> Iterator[None]:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    # -- articles --------------------------------------------------------------------------
    def create_article(
        self, answer: Answer, actor: User | None, title: str | None = None
    ) -> Article:
        _require(actor, {Role.EDITOR, Role.ADMIN}, "create articles")
        assert actor is not None
        if answer.abstained or not answer.statements():
            raise InvalidRequestError(
                "an abstained answer cannot become an article",
                hint="Ask a question the corpus covers, or ingest sources on the topic first.",
            )
        title = _clean_title(title or answer.question)
        article_id = secrets.token_hex(6)
        digest = content_hash(title, answer)
        now = self._now()
        with self._tx():
            self.conn.execute(
                "INSERT INTO articles(id, title, question, audience, focus, category, status,"
                " current_version, created_by, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, 'draft', 1, ?, ?, ?)",
                (
                    article_id,
                    title,
                    answer.question,
                    answer.audience.value,
                    answer.focus,
                    answer.category,
                    actor.id,
                    now,
                    now,
                ),
            )
            self._add_version(article_id, 1, title, answer, digest, actor, "created from answer")
            self._log(article_id, 1, digest, actor, "create", None, ArticleStatus.DRAFT, None, [])
        return self.get_article(article_id, actor)

    def _add_version(
        self,
        article_id: str,
        version: int,
        title: str,
        answer: Answer,
        digest: str,
        actor: User,
        note: str | None,
    ) -> None:
        self.conn.execute(
            "INSERT INTO article_versions(article_id, version, title, answer_json, content_hash,"
            " answer_id, edit_note, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                article_id,
                version,
                title,
                answer.model_dump_json(),
                digest,
                answer.id or None,
                note,
                actor.id,
                self._now(),
            ),
        )

    def _log(
        self,
        article_id: str,
        version: int,
        digest: str,
        actor: User,
        action: str,
        from_status: ArticleStatus | None,
        to_status: ArticleStatus,
        comment: str | None,
        section_comments: list[ReviewComment],
    ) -> None:
        cur = self.conn.execute(
            "INSERT INTO review_events(article_id, version, version_hash, actor_id, actor_name,"
            " action, from_status, to_status, comment, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                article_id,
                version,
                digest,
                actor.id,
                actor.display_name,
                action,
                from_status.value if from_status else None,
                to_status.value,
                comment,
                self._now(),
            ),
        )
        for sc in section_comments:
            self.conn.execute(
                "INSERT INTO review_comments(event_id, article_id, version, section_key, comment)"
                " VALUES (?, ?, ?, ?, ?)",
                (cur.lastrowid, article_id, version, sc.section_key, sc.comment),
            )

    def _row(self, article_id: str) -> sqlite3.Row:
        row: sqlite3.Row | None = self.conn.execute(
            "SELECT * FROM articles WHERE id = ?", (article_id,)
        ).fetchone()
        if row is None:
            raise NotFoundError(f"no article with id {article_id!r}")
        return row

    def _version_row(self, article_id: str, version: int) -> sqlite3.Row:
        row: sqlite3.Row | None = self.conn.execute(
            "SELECT * FROM article_versions WHERE article_id = ? AND version = ?",
            (article_id, version),
        ).fetchone()
        assert row is not None, "articles always point at an existing version"
        return row

    def edit_article(
        self,
        article_id: str,
        actor: User | None,
        *,
        title: str | None = None,
        answer: Answer | None = None,
        note: str | None = None,
    ) -> Article:
        """Make a new version with a new title and/or body; see :mod:`medcite.review.editing`."""
        row = self._visible_row(article_id, actor)
        status = ArticleStatus(row["status"])
        new_status = status_after_edit(status, actor.role if actor else None)
        assert actor is not None
        current = self._version_row(article_id, row["current_version"])
        new_title = _clean_title(title) if title is not None else current["title"]
        body = answer or Answer.model_validate_json(current["answer_json"])
        if body.abstained or not body.statements():
            raise InvalidRequestError(
                "the new body has no statements (the corpus no longer answers the question)",
                hint="Keep the current version, or ingest sources on the topic and recompose.",
            )
        digest = content_hash(new_title, body)
        if digest == current["content_hash"]:
            raise ConflictError("the edit changes nothing")
        version = row["current_version"] + 1
        with self._tx():
            self._add_version(article_id, version, new_title, body, digest, actor, _clip(note))
            self.conn.execute(
                "UPDATE articles SET title = ?, status = ?, current_version = ?, updated_at = ?,"
                " category = COALESCE(?, category) WHERE id = ?",
                (new_title, new_status.value, version, self._now(), body.category, article_id),
            )
            self._log(
                article_id, version, digest, actor, "edit", status, new_status, _clip(note), []
            )
        return self.get_article(article_id, actor)

    def act(
        self,
        article_id: str,
        action: Action,
        actor: User | None,
        *,
        comment: str | None = None,
        section_comments: list[ReviewComment] | None = None,
    ) -> Article:
        """Move an article through the workflow; the transition is written to the audit log."""
        row = self._visible_row(article_id, actor)
        status = ArticleStatus(row["status"])
        new_status = next_status(status, action, actor.role if actor else None)
        assert actor is not None
        version = row["current_version"]
        current = self._version_row(article_id, version)
        comments = [
            ReviewComment(section_key=c.section_key[:80], comment=_clip(c.comment) or "")
            for c in section_comments or []
            if c.comment.strip()
        ]
        if action is Action.REQUEST_CHANGES and not (comment or "").strip() and not comments:
            raise InvalidRequestError("say what needs to change: a comment is required")
        if action is Action.APPROVE and current["created_by"] == actor.id:
            raise PermissionDeniedError(
                "you wrote this version: another reviewer must approve it",
                hint="Approval needs a second person (four-eyes rule).",
            )
        now = self._now()
        with self._tx():
            if action is Action.APPROVE:
                if not current["approved"]:
                    self.conn.execute(
                        "UPDATE article_versions SET approved = 1 WHERE article_id = ? AND version = ?",
                        (article_id, version),
                    )
                self.conn.execute(
                    "UPDATE articles SET published_version = ?, last_reviewed_at = ?,"
                    " last_reviewed_by = ? WHERE id = ?",
                    (version, now, actor.id, article_id),
                )
            self.conn.execute(
                "UPDATE articles SET status = ?, updated_at = ? WHERE id = ?",
                (new_status.value, now, article_id),
            )
            self._log(
                article_id,
                version,
                current["content_hash"],
                actor,
                action.value,
                status,
                new_status,
                _clip(comment),
                comments,
            )
        return self.get_article(article_id, actor)

    def _visible_row(self, article_id: str, viewer: User | None) -> sqlite3.Row:
        row = self._row(article_id)
        if row["published_version"] is None and not can_see_unpublished(_role(viewer)):
            # Unpublished articles do not exist for readers: 404, not 403.
            raise NotFoundError(f"no article with id {article_id!r}")
        return row

    def get_article(self, article_id: str, viewer: User | None, *, bodies: bool = True) -> Article:
        """The article as ``viewer`` may see it: staff get every version, readers the published one."""
        row = self._visible_row(article_id, viewer)
        article = self._article(row)
        staff = can_see_unpublished(_role(viewer))
        sql = "SELECT v.*, u.display_name AS author FROM article_versions v"
        sql += " LEFT JOIN users u ON u.id = v.created_by WHERE v.article_id = ?"
        args: tuple[Any, ...] = (article_id,)
        if not staff:
            sql += " AND v.version = ?"
            args = (article_id, row["published_version"])
        for v in self.conn.execute(sql + " ORDER BY v.version DESC", args):
            article.versions.append(
                ArticleVersion(
                    version=v["version"],
                    title=v["title"],
                    content_hash=v["content_hash"],
                    answer_id=v["answer_id"],
                    edit_note=v["edit_note"],
                    created_by=v["author"],
                    created_at=v["created_at"],
                    approved=bool(v["approved"]),
                    answer=Answer.model_validate_json(v["answer_json"]) if bodies else None,
                )
            )
        if not staff:
            # Readers see the published title even while a newer draft is being edited.
            article.title = article.versions[0].title
            article.current_version = article.versions[0].version
            article.updated_at = article.versions[0].created_at  # not a newer draft's edit time
            article.category = self.conn.execute(
                "SELECT json_extract(answer_json, '$.category') FROM article_versions"
                " WHERE article_id = ? AND version = ?",
                (article_id, row["published_version"]),
            ).fetchone()[0]
            article.status = ArticleStatus.APPROVED
        return article

    def _article(self, row: sqlite3.Row) -> Article:
        names = {
            r["id"]: r["display_name"]
            for r in self.conn.execute(
                "SELECT id, display_name FROM users WHERE id IN (?, ?)",
                (row["created_by"], row["last_reviewed_by"]),
            )
        }
        article = Article(
            id=row["id"],
            title=row["title"],
            question=row["question"],
            audience=row["audience"],
            focus=row["focus"],
            category=row["category"],
            status=ArticleStatus(row["status"]),
            current_version=row["current_version"],
            published_version=row["published_version"],
            created_by=names.get(row["created_by"]),
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            last_reviewed_at=row["last_reviewed_at"],
            last_reviewed_by=names.get(row["last_reviewed_by"]),
        )
        article.stale_reason = self._stale_reason(row)
        article.stale = article.stale_reason is not None
        return article

    def _stale_reason(self, row: sqlite3.Row) -> str | None:
        if row["published_version"] is None:
            return None
        if review_due(row["last_reviewed_at"], self.clock(), self.review_interval_days):
            return f"last reviewed more than {self.review_interval_days} days ago"
        if row["focus"]:
            newer = self.conn.execute(
                "SELECT title FROM documents WHERE focus = ? COLLATE NOCASE"
                " AND (created_at > ? OR updated_at > ?) ORDER BY updated_at DESC LIMIT 1",
                (row["focus"], row["last_reviewed_at"], row["last_reviewed_at"]),
            ).fetchone()
            if newer:
                return f"a newer or revised source on {row['focus']} was ingested: {newer['title']}"
        return None

    def list_articles(
        self,
        viewer: User | None,
        *,
        status: ArticleStatus | None = None,
        category: str | None = None,
        query: str | None = None,
        limit: int = 100,
    ) -> list[Article]:
        """Articles ``viewer`` may see, newest first.

        Staff filter on the current version. Readers see published versions only, so their
        filters apply to the published title and category (never to words of a newer draft).
        """
        staff = can_see_unpublished(_role(viewer))
        where, args = [], []
        if staff:
            title, cat = "a.title", "a.category"
            sql = "SELECT a.id FROM articles a"
            if status is not None:
                where.append("a.status = ?")
                args.append(status.value)
        else:
            if status not in (None, ArticleStatus.APPROVED):
                return []  # readers see published articles only; to them they are approved
            title, cat = "v.title", "json_extract(v.answer_json, '$.category')"
            sql = (
                "SELECT a.id FROM articles a JOIN article_versions v"
                " ON v.article_id = a.id AND v.version = a.published_version"
            )
        if category:
            where.append(f"{cat} = ?")
            args.append(category)
        if query:
            where.append(f"({title} LIKE ? ESCAPE '\\' OR a.question LIKE ? ESCAPE '\\')")
            like = "%" + re.sub(r"([%_\\])", r"\\\1", query.strip()) + "%"
            args += [like, like]
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY a.updated_at DESC LIMIT ?"
        ids = [r[0] for r in self.conn.execute(sql, (*args, max(1, min(limit, 500))))]
        return [self.get_article(i, viewer, bodies=False) for i in ids]

    def categories(self, viewer: User | None) -> list[tuple[str, int]]:
        """Filed-under categories with article counts, for browsing (readers: published only)."""
        if can_see_unpublished(_role(viewer)):
            sql = "SELECT COALESCE(category, 'Other'), count(*) FROM articles"
        else:
            sql = (
                "SELECT COALESCE(json_extract(v.answer_json, '$.category'), 'Other'), count(*)"
                " FROM articles a JOIN article_versions v"
                " ON v.article_id = a.id AND v.version = a.published_version"
            )
        sql += " GROUP BY 1 ORDER BY 1"
        return [(r[0], r[1]) for r in self.conn.execute(sql)]

    def review_queue(self, viewer: User | None) -> dict[str, list[Article]]:
        """The reviewer dashboard: waiting, in review, sent back, and approved-but-stale."""
        _require(viewer, {Role.REVIEWER, Role.ADMIN}, "see the review queue")
        approved = self.list_articles(viewer, status=ArticleStatus.APPROVED, limit=500)
        return {
            "submitted": self.list_articles(viewer, status=ArticleStatus.SUBMITTED, limit=500),
            "under_review": self.list_articles(
                viewer, status=ArticleStatus.UNDER_REVIEW, limit=500
            ),
            "changes_requested": self.list_articles(
                viewer, status=ArticleStatus.CHANGES_REQUESTED, limit=500
            ),
            "stale": [a for a in approved if a.stale],
        }

    def audit_log(self, article_id: str, viewer: User | None) -> list[AuditEvent]:
        _require(viewer, {Role.EDITOR, Role.REVIEWER, Role.ADMIN}, "read the audit log")
        self._row(article_id)
        comments: dict[int, list[ReviewComment]] = {}
        for c in self.conn.execute(
            "SELECT event_id, section_key, comment FROM review_comments WHERE article_id = ?"
            " ORDER BY id",
            (article_id,),
        ):
            comments.setdefault(c["event_id"], []).append(
                ReviewComment(section_key=c["section_key"], comment=c["comment"])
            )
        return [
            AuditEvent(
                id=r["id"],
                article_id=r["article_id"],
                version=r["version"],
                version_hash=r["version_hash"],
                actor=r["actor_name"],
                action=r["action"],
                from_status=r["from_status"],
                to_status=r["to_status"],
                comment=r["comment"],
                section_comments=comments.get(r["id"], []),
                at=r["at"],
            )
            for r in self.conn.execute(
                "SELECT * FROM review_events WHERE article_id = ? ORDER BY id", (article_id,)
            )
        ]


def _role(user: User | None) -> Role | None:
    return user.role if user else None


def _require(user: User | None, roles: set[Role], what: str) -> None:
    if user is None:
        raise AuthenticationError(f"sign in to {what}")
    if user.role not in roles:
        raise not_allowed(user.role, what)


def _clean_title(title: str) -> str:
    title = " ".join(title.split())
    if not title:
        raise InvalidRequestError("an article needs a title")
    if len(title) > MAX_TITLE:
        raise InvalidRequestError(f"titles are at most {MAX_TITLE} characters")
    return title


def _clip(text: str | None) -> str | None:
    if text is None:
        return None
    text = text.strip()
    if len(text) > MAX_COMMENT:
        raise InvalidRequestError(f"comments are at most {MAX_COMMENT} characters")
    return text or None

"""The review service: who may create, edit, submit, review and approve articles, and what each
step writes (users, credentials, articles, versions and the audit log).

Rows live in a :class:`medcite.store.base.ReviewRepository` (SQLite: tables of migration 007,
in the store's database file). Every state change runs in one repository transaction together
with its audit-log row, so the log can never miss a transition.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable
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
from medcite.store.base import ReviewRepository
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
    """Users, sessions, tokens and articles over one repository (callers serialise use)."""

    def __init__(
        self,
        repo: ReviewRepository,
        *,
        review_interval_days: int = 365,
        session_ttl: dt.timedelta = dt.timedelta(hours=12),
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.repo = repo
        self.review_interval_days = review_interval_days
        self.session_ttl = session_ttl
        self.clock = clock

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
        with self.repo.transaction():
            self.repo.insert_article(
                {
                    "id": article_id,
                    "title": title,
                    "question": answer.question,
                    "audience": answer.audience.value,
                    "focus": answer.focus,
                    "category": answer.category,
                    "created_by": actor.id,
                    "created_at": now,
                    "updated_at": now,
                }
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
        self.repo.insert_version(
            {
                "article_id": article_id,
                "version": version,
                "title": title,
                "answer_json": answer.model_dump_json(),
                "content_hash": digest,
                "answer_id": answer.id or None,
                "edit_note": note,
                "created_by": actor.id,
                "created_at": self._now(),
            }
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
        self.repo.insert_event(
            {
                "article_id": article_id,
                "version": version,
                "version_hash": digest,
                "actor_id": actor.id,
                "actor_name": actor.display_name,
                "action": action,
                "from_status": from_status.value if from_status else None,
                "to_status": to_status.value,
                "comment": comment,
                "at": self._now(),
            },
            [(sc.section_key, sc.comment) for sc in section_comments],
        )

    def _row(self, article_id: str) -> dict[str, Any]:
        row = self.repo.article(article_id)
        if row is None:
            raise NotFoundError(f"no article with id {article_id!r}")
        return row

    def _version_row(self, article_id: str, version: int) -> dict[str, Any]:
        row = self.repo.version(article_id, version)
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
        expected_version: int | None = None,
    ) -> Article:
        """Make a new version with a new title and/or body; see :mod:`medcite.review.editing`.
        ``expected_version``: the version the editor saw; another one current is a conflict."""
        note = _clip(note)
        with self.repo.transaction():  # read, decide and write under the write lock
            row = self._visible_row(article_id, actor)
            _check_version(row, expected_version)
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
            self._add_version(article_id, version, new_title, body, digest, actor, note)
            self.repo.record_edit(
                article_id, new_title, new_status.value, version, self._now(), body.category
            )
            self._log(article_id, version, digest, actor, "edit", status, new_status, note, [])
        return self.get_article(article_id, actor)

    def act(
        self,
        article_id: str,
        action: Action,
        actor: User | None,
        *,
        comment: str | None = None,
        section_comments: list[ReviewComment] | None = None,
        expected_version: int | None = None,
    ) -> Article:
        """Move an article through the workflow; the transition is written to the audit log.
        ``expected_version``: the version the reviewer saw; another one current is a conflict."""
        comments = [
            ReviewComment(section_key=c.section_key[:80], comment=_clip(c.comment) or "")
            for c in section_comments or []
            if c.comment.strip()
        ]
        comment = _clip(comment)
        with self.repo.transaction():  # read, decide and write under the write lock
            row = self._visible_row(article_id, actor)
            _check_version(row, expected_version)
            status = ArticleStatus(row["status"])
            new_status = next_status(status, action, actor.role if actor else None)
            assert actor is not None
            if action is Action.REQUEST_CHANGES and not comment and not comments:
                raise InvalidRequestError("say what needs to change: a comment is required")
            version = row["current_version"]
            current = self._version_row(article_id, version)
            if action is Action.APPROVE and current["created_by"] == actor.id:
                raise PermissionDeniedError(
                    "you wrote this version: another reviewer must approve it",
                    hint="Approval needs a second person (four-eyes rule).",
                )
            now = self._now()
            if action is Action.APPROVE:
                self.repo.approve(article_id, version, actor.id, now)
            self.repo.set_status(article_id, new_status.value, now)
            self._log(
                article_id,
                version,
                current["content_hash"],
                actor,
                action.value,
                status,
                new_status,
                comment,
                comments,
            )
        return self.get_article(article_id, actor)

    def _visible_row(self, article_id: str, viewer: User | None) -> dict[str, Any]:
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
        for v in self.repo.versions(article_id, None if staff else row["published_version"]):
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
            article.category = self.repo.version_category(article_id, row["published_version"])
            article.status = ArticleStatus.APPROVED
        return article

    def _article(self, row: dict[str, Any]) -> Article:
        names = self.repo.display_names([row["created_by"], row["last_reviewed_by"]])
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

    def _stale_reason(self, row: dict[str, Any]) -> str | None:
        if row["published_version"] is None:
            return None
        if review_due(row["last_reviewed_at"], self.clock(), self.review_interval_days):
            return f"last reviewed more than {self.review_interval_days} days ago"
        if row["focus"]:
            newer = self.repo.newer_source(row["focus"], row["last_reviewed_at"])
            if newer:
                return f"a newer or revised source on {row['focus']} was ingested: {newer}"
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
        if not staff and status not in (None, ArticleStatus.APPROVED):
            return []  # readers see published articles only; to them they are approved
        ids = self.repo.article_ids(
            published_only=not staff,
            status=status.value if staff and status is not None else None,
            category=category,
            query=query,
            limit=max(1, min(limit, 500)),
        )
        return [self.get_article(i, viewer, bodies=False) for i in ids]

    def categories(self, viewer: User | None) -> list[tuple[str, int]]:
        """Filed-under categories with article counts, for browsing (readers: published only)."""
        return self.repo.category_counts(published_only=not can_see_unpublished(_role(viewer)))

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
        for c in self.repo.comments(article_id):
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
            for r in self.repo.events(article_id)
        ]


def _check_version(row: dict[str, Any], expected: int | None) -> None:
    """Optimistic versioning: a change made on a version that is no longer current is stale."""
    if expected is not None and expected != row["current_version"]:
        raise ConflictError(
            f"the article changed: version {row['current_version']} is current, not {expected}",
            hint="Reload the article, check the newer version, and try again.",
        )


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

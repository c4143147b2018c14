"""The review workflow's tables in SQLite (migration 007): users, API tokens, browser sessions,
articles, their versions, the audit log and its section comments.

:class:`SQLiteReviewRepository` implements :class:`medcite.store.base.ReviewRepository`. It holds
every statement the review service runs; the service decides who may do what and which rows to
write. Rows come back as plain dicts (column name -> value), users as :class:`User`.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from medcite.errors import ConflictError
from medcite.types import Role, User

Row = dict[str, Any]


def _user(row: sqlite3.Row) -> User:
    return User(
        id=row["id"],
        name=row["name"],
        display_name=row["display_name"],
        role=Role(row["role"]),
        disabled=bool(row["disabled"]),
        created_at=row["created_at"],
    )


class SQLiteReviewRepository:
    """Review rows on one SQLite connection (its callers serialise use of it)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction, taken at once (BEGIN IMMEDIATE): no other writer between the
        reads that decided it and its writes."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def _one(self, sql: str, args: Sequence[Any] = ()) -> Row | None:
        row = self.conn.execute(sql, tuple(args)).fetchone()
        return dict(row) if row is not None else None

    def _all(self, sql: str, args: Sequence[Any] = ()) -> list[Row]:
        return [dict(r) for r in self.conn.execute(sql, tuple(args))]

    # -- users -----------------------------------------------------------------------------
    def insert_user(
        self, name: str, display_name: str, role: Role, password_hash: str | None, at: str
    ) -> int:
        try:
            cur = self.conn.execute(
                "INSERT INTO users(name, display_name, role, password_hash, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (name, display_name, role.value, password_hash, at),
            )
        except sqlite3.IntegrityError as exc:
            raise ConflictError(f"a user named {name!r} already exists") from exc
        return int(cur.lastrowid or 0)

    def user(self, user_id: int) -> User | None:
        row = self.conn.execute("SELECT * FROM users WHERE id = ?", (user_id,)).fetchone()
        return _user(row) if row else None

    def user_named(self, name: str) -> tuple[User, str | None] | None:
        """The user called ``name`` and their password hash (None: no password set)."""
        row = self.conn.execute("SELECT * FROM users WHERE name = ?", (name,)).fetchone()
        return (_user(row), row["password_hash"]) if row else None

    def users(self) -> list[User]:
        return [_user(r) for r in self.conn.execute("SELECT * FROM users ORDER BY name")]

    def display_names(self, user_ids: Sequence[int | None]) -> dict[int, str]:
        wanted = [i for i in user_ids if i is not None]
        if not wanted:
            return {}
        marks = ",".join("?" * len(wanted))
        rows = self.conn.execute(
            f"SELECT id, display_name FROM users WHERE id IN ({marks})", wanted
        )
        return {int(r["id"]): r["display_name"] for r in rows}

    def set_password_hash(self, name: str, password_hash: str) -> bool:
        cur = self.conn.execute(
            "UPDATE users SET password_hash = ? WHERE name = ?", (password_hash, name)
        )
        return cur.rowcount > 0

    def set_disabled(self, name: str, disabled: bool) -> bool:
        """Enable or disable ``name``; disabling ends their sessions. False: no such user."""
        cur = self.conn.execute(
            "UPDATE users SET disabled = ? WHERE name = ?", (int(disabled), name)
        )
        if cur.rowcount == 0:
            return False
        if disabled:
            self.conn.execute(
                "DELETE FROM web_sessions WHERE user_id = (SELECT id FROM users WHERE name = ?)",
                (name,),
            )
        return True

    # -- API tokens ------------------------------------------------------------------------
    def insert_token(self, user_id: int, label: str, prefix: str, token_hash: str, at: str) -> None:
        self.conn.execute(
            "INSERT INTO api_tokens(user_id, label, prefix, token_hash, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (user_id, label, prefix, token_hash, at),
        )

    def tokens(self, user_name: str | None = None) -> list[Row]:
        sql = (
            "SELECT t.id, u.name AS user, t.label, t.prefix, t.created_at, t.last_used_at,"
            " t.revoked_at FROM api_tokens t JOIN users u ON u.id = t.user_id"
        )
        args: tuple[Any, ...] = ()
        if user_name:
            sql += " WHERE u.name = ?"
            args = (user_name,)
        return self._all(sql + " ORDER BY t.id", args)

    def revoke_token(self, token_id: int, at: str) -> bool:
        cur = self.conn.execute(
            "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
            (at, token_id),
        )
        return cur.rowcount > 0

    def user_for_token(self, token_hash: str, at: str) -> User | None:
        """The enabled user of a live token, noting its use at ``at``."""
        row = self.conn.execute(
            "SELECT u.*, t.id AS token_id FROM api_tokens t JOIN users u ON u.id = t.user_id"
            " WHERE t.token_hash = ? AND t.revoked_at IS NULL AND u.disabled = 0",
            (token_hash,),
        ).fetchone()
        if row is None:
            return None
        self.conn.execute(
            "UPDATE api_tokens SET last_used_at = ? WHERE id = ?", (at, row["token_id"])
        )
        return _user(row)

    # -- browser sessions ------------------------------------------------------------------
    def insert_session(
        self, id_hash: str, user_id: int, csrf: str, created_at: str, expires_at: str
    ) -> None:
        self.conn.execute(
            "INSERT INTO web_sessions(id_hash, user_id, csrf_token, created_at, expires_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (id_hash, user_id, csrf, created_at, expires_at),
        )

    def session(self, id_hash: str, now: str) -> tuple[User, str] | None:
        row = self.conn.execute(
            "SELECT u.*, s.csrf_token FROM web_sessions s JOIN users u ON u.id = s.user_id"
            " WHERE s.id_hash = ? AND s.expires_at > ? AND u.disabled = 0",
            (id_hash, now),
        ).fetchone()
        return (_user(row), row["csrf_token"]) if row else None

    def end_session(self, id_hash: str, now: str) -> None:
        """Delete the session ``id_hash`` and every expired one."""
        self.conn.execute("DELETE FROM web_sessions WHERE id_hash = ?", (id_hash,))
        self.conn.execute("DELETE FROM web_sessions WHERE expires_at <= ?", (now,))

    # -- articles --------------------------------------------------------------------------
    def insert_article(self, row: Row) -> None:
        """A new draft article at version 1 (``row``: its columns)."""
        self.conn.execute(
            "INSERT INTO articles(id, title, question, audience, focus, category, status,"
            " current_version, created_by, created_at, updated_at)"
            " VALUES (:id, :title, :question, :audience, :focus, :category, 'draft', 1,"
            " :created_by, :created_at, :updated_at)",
            row,
        )

    def insert_version(self, row: Row) -> None:
        self.conn.execute(
            "INSERT INTO article_versions(article_id, version, title, answer_json, content_hash,"
            " answer_id, edit_note, created_by, created_at) VALUES (:article_id, :version,"
            " :title, :answer_json, :content_hash, :answer_id, :edit_note, :created_by,"
            " :created_at)",
            row,
        )

    def article(self, article_id: str) -> Row | None:
        return self._one("SELECT * FROM articles WHERE id = ?", (article_id,))

    def version(self, article_id: str, version: int) -> Row | None:
        return self._one(
            "SELECT * FROM article_versions WHERE article_id = ? AND version = ?",
            (article_id, version),
        )

    def versions(self, article_id: str, only: int | None = None) -> list[Row]:
        """Versions of an article, newest first, each with its author's display name
        (``author``); ``only``: that version alone."""
        sql = "SELECT v.*, u.display_name AS author FROM article_versions v"
        sql += " LEFT JOIN users u ON u.id = v.created_by WHERE v.article_id = ?"
        args: tuple[Any, ...] = (article_id,)
        if only is not None:
            sql += " AND v.version = ?"
            args = (article_id, only)
        return self._all(sql + " ORDER BY v.version DESC", args)

    def version_category(self, article_id: str, version: int) -> str | None:
        row = self.conn.execute(
            "SELECT json_extract(answer_json, '$.category') FROM article_versions"
            " WHERE article_id = ? AND version = ?",
            (article_id, version),
        ).fetchone()
        return row[0] if row else None

    def record_edit(
        self, article_id: str, title: str, status: str, version: int, at: str, category: str | None
    ) -> None:
        self.conn.execute(
            "UPDATE articles SET title = ?, status = ?, current_version = ?, updated_at = ?,"
            " category = COALESCE(?, category) WHERE id = ?",
            (title, status, version, at, category, article_id),
        )

    def approve(self, article_id: str, version: int, reviewer_id: int, at: str) -> None:
        """Mark ``version`` approved and published, reviewed by ``reviewer_id`` at ``at``."""
        # Approved versions are immutable (a trigger refuses any update of one): a re-approval
        # of the same version leaves it alone.
        self.conn.execute(
            "UPDATE article_versions SET approved = 1"
            " WHERE article_id = ? AND version = ? AND approved = 0",
            (article_id, version),
        )
        self.conn.execute(
            "UPDATE articles SET published_version = ?, last_reviewed_at = ?,"
            " last_reviewed_by = ? WHERE id = ?",
            (version, at, reviewer_id, article_id),
        )

    def set_status(self, article_id: str, status: str, at: str) -> None:
        self.conn.execute(
            "UPDATE articles SET status = ?, updated_at = ? WHERE id = ?",
            (status, at, article_id),
        )

    def newer_source(self, focus: str, since: str | None) -> str | None:
        """The title of a document on ``focus`` added or revised after ``since``, if any."""
        row = self.conn.execute(
            "SELECT title FROM documents WHERE focus = ? COLLATE NOCASE"
            " AND (created_at > ? OR updated_at > ?) ORDER BY updated_at DESC LIMIT 1",
            (focus, since, since),
        ).fetchone()
        return row["title"] if row else None

    def article_ids(
        self,
        *,
        published_only: bool,
        status: str | None,
        category: str | None,
        query: str | None,
        limit: int,
    ) -> list[str]:
        """Article ids, newest first. ``published_only``: filters apply to the published
        version (its title and category), and only published articles are listed."""
        where: list[str] = []
        args: list[Any] = []
        if published_only:
            title, cat = "v.title", "json_extract(v.answer_json, '$.category')"
            sql = (
                "SELECT a.id FROM articles a JOIN article_versions v"
                " ON v.article_id = a.id AND v.version = a.published_version"
            )
        else:
            title, cat = "a.title", "a.category"
            sql = "SELECT a.id FROM articles a"
            if status is not None:
                where.append("a.status = ?")
                args.append(status)
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
        return [r[0] for r in self.conn.execute(sql, (*args, limit))]

    def category_counts(self, *, published_only: bool) -> list[tuple[str, int]]:
        if published_only:
            sql = (
                "SELECT COALESCE(json_extract(v.answer_json, '$.category'), 'Other'), count(*)"
                " FROM articles a JOIN article_versions v"
                " ON v.article_id = a.id AND v.version = a.published_version"
            )
        else:
            sql = "SELECT COALESCE(category, 'Other'), count(*) FROM articles"
        return [(r[0], r[1]) for r in self.conn.execute(sql + " GROUP BY 1 ORDER BY 1")]

    # -- audit log -------------------------------------------------------------------------
    def insert_event(self, row: Row, comments: Sequence[tuple[str, str]]) -> None:
        """An audit-log event (``row``: its columns) with its section comments (key, text)."""
        cur = self.conn.execute(
            "INSERT INTO review_events(article_id, version, version_hash, actor_id, actor_name,"
            " action, from_status, to_status, comment, at) VALUES (:article_id, :version,"
            " :version_hash, :actor_id, :actor_name, :action, :from_status, :to_status,"
            " :comment, :at)",
            row,
        )
        for key, text in comments:
            self.conn.execute(
                "INSERT INTO review_comments(event_id, article_id, version, section_key, comment)"
                " VALUES (?, ?, ?, ?, ?)",
                (cur.lastrowid, row["article_id"], row["version"], key, text),
            )

    def events(self, article_id: str) -> list[Row]:
        return self._all(
            "SELECT * FROM review_events WHERE article_id = ? ORDER BY id", (article_id,)
        )

    def comments(self, article_id: str) -> list[Row]:
        return self._all(
            "SELECT event_id, section_key, comment FROM review_comments WHERE article_id = ?"
            " ORDER BY id",
            (article_id,),
        )

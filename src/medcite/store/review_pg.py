"""The review workflow's tables in PostgreSQL: the second :class:`ReviewRepository`, proved by
the same conformance suite as the SQLite one (tests/store/test_review_repository.py).

Differences from SQLite, kept here: numbered migrations of their own (``pg_migrations/``,
recorded in ``schema_migrations``); user names unique ignoring case through ``lower(name)``;
JSON read with ``::jsonb``; and write transactions serialised by a transaction-level advisory
lock, as SQLite's ``BEGIN IMMEDIATE`` serialises them (review writes are few; each reads,
decides and writes under it). Needs the ``postgres`` extra (psycopg).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from medcite.errors import ConflictError, StoreError
from medcite.store.migrate import available_migrations
from medcite.types import Role, User

if TYPE_CHECKING:
    import psycopg

Row = dict[str, Any]
REVIEW_LOCK = 0x6D656463  # advisory lock key of review writes ("medc")


def connect(url: str) -> psycopg.Connection[Row]:
    """A connection to ``url`` (autocommit: transactions are explicit), migrated."""
    import psycopg
    from psycopg.rows import dict_row

    try:
        conn = psycopg.connect(url, autocommit=True, row_factory=dict_row)
    except psycopg.Error as exc:
        raise StoreError(f"cannot connect to PostgreSQL: {exc}".strip()) from exc
    migrate(conn)
    return conn


def migrate(conn: psycopg.Connection[Row]) -> list[int]:
    """Apply the pending PostgreSQL migrations, each in its own transaction, once each (an
    advisory lock lets concurrent first starts wait for one another)."""
    import psycopg

    newly: list[int] = []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (REVIEW_LOCK + 1,))
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY,"
            " name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
        )
        done = {r["version"] for r in conn.execute("SELECT version FROM schema_migrations")}
        for mig in available_migrations("pg_migrations"):
            if mig.version in done:
                continue
            try:
                with conn.transaction():
                    conn.execute(mig.sql.encode())  # no parameters: '%' is literal
                    conn.execute(
                        "INSERT INTO schema_migrations(version, name) VALUES (%s, %s)",
                        (mig.version, mig.name),
                    )
            except psycopg.Error as exc:
                raise StoreError(f"migration {mig.version:03d}_{mig.name} failed: {exc}") from exc
            newly.append(mig.version)
    return newly


def _user(row: Row) -> User:
    return User(
        id=row["id"],
        name=row["name"],
        display_name=row["display_name"],
        role=Role(row["role"]),
        disabled=bool(row["disabled"]),
        created_at=row["created_at"],
    )


class PostgresReviewRepository:
    """Review rows on one PostgreSQL connection (its callers serialise use of it)."""

    def __init__(self, conn: psycopg.Connection[Row]) -> None:
        self.conn = conn

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self.conn.transaction():
            self.conn.execute("SELECT pg_advisory_xact_lock(%s)", (REVIEW_LOCK,))
            yield

    def _one(self, sql: str, args: Sequence[Any] = ()) -> Row | None:
        return self.conn.execute(sql, tuple(args)).fetchone()

    def _all(self, sql: str, args: Sequence[Any] = ()) -> list[Row]:
        return self.conn.execute(sql, tuple(args)).fetchall()

    # -- users -----------------------------------------------------------------------------
    def insert_user(
        self, name: str, display_name: str, role: Role, password_hash: str | None, at: str
    ) -> int:
        import psycopg.errors

        try:
            with self.conn.transaction():
                row = self._one(
                    "INSERT INTO users(name, display_name, role, password_hash, created_at)"
                    " VALUES (%s, %s, %s, %s, %s) RETURNING id",
                    (name, display_name, role.value, password_hash, at),
                )
        except psycopg.errors.UniqueViolation as exc:
            raise ConflictError(f"a user named {name!r} already exists") from exc
        assert row is not None
        return int(row["id"])

    def user(self, user_id: int) -> User | None:
        row = self._one("SELECT * FROM users WHERE id = %s", (user_id,))
        return _user(row) if row else None

    def user_named(self, name: str) -> tuple[User, str | None] | None:
        row = self._one("SELECT * FROM users WHERE lower(name) = lower(%s)", (name,))
        return (_user(row), row["password_hash"]) if row else None

    def users(self) -> list[User]:
        return [_user(r) for r in self._all("SELECT * FROM users ORDER BY lower(name)")]

    def display_names(self, user_ids: Sequence[int | None]) -> dict[int, str]:
        wanted = [i for i in user_ids if i is not None]
        if not wanted:
            return {}
        rows = self._all("SELECT id, display_name FROM users WHERE id = ANY(%s)", (wanted,))
        return {int(r["id"]): r["display_name"] for r in rows}

    def set_password_hash(self, name: str, password_hash: str) -> bool:
        cur = self.conn.execute(
            "UPDATE users SET password_hash = %s WHERE lower(name) = lower(%s)",
            (password_hash, name),
        )
        return cur.rowcount > 0

    def set_disabled(self, name: str, disabled: bool) -> bool:
        with self.conn.transaction():
            cur = self.conn.execute(
                "UPDATE users SET disabled = %s WHERE lower(name) = lower(%s)",
                (int(disabled), name),
            )
            if cur.rowcount == 0:
                return False
            if disabled:
                self.conn.execute(
                    "DELETE FROM web_sessions WHERE user_id ="
                    " (SELECT id FROM users WHERE lower(name) = lower(%s))",
                    (name,),
                )
        return True

    # -- API tokens ------------------------------------------------------------------------
    def insert_token(self, user_id: int, label: str, prefix: str, token_hash: str, at: str) -> None:
        self.conn.execute(
            "INSERT INTO api_tokens(user_id, label, prefix, token_hash, created_at)"
            " VALUES (%s, %s, %s, %s, %s)",
            (user_id, label, prefix, token_hash, at),
        )

    def tokens(self, user_name: str | None = None) -> list[Row]:
        sql = (
            "SELECT t.id, u.name AS user, t.label, t.prefix, t.created_at, t.last_used_at,"
            " t.revoked_at FROM api_tokens t JOIN users u ON u.id = t.user_id"
        )
        args: tuple[Any, ...] = ()
        if user_name:
            sql += " WHERE lower(u.name) = lower(%s)"
            args = (user_name,)
        return self._all(sql + " ORDER BY t.id", args)

    def revoke_token(self, token_id: int, at: str) -> bool:
        cur = self.conn.execute(
            "UPDATE api_tokens SET revoked_at = %s WHERE id = %s AND revoked_at IS NULL",
            (at, token_id),
        )
        return cur.rowcount > 0

    def user_for_token(self, token_hash: str, at: str) -> User | None:
        row = self._one(
            "SELECT u.*, t.id AS token_id FROM api_tokens t JOIN users u ON u.id = t.user_id"
            " WHERE t.token_hash = %s AND t.revoked_at IS NULL AND u.disabled = 0",
            (token_hash,),
        )
        if row is None:
            return None
        self.conn.execute(
            "UPDATE api_tokens SET last_used_at = %s WHERE id = %s", (at, row["token_id"])
        )
        return _user(row)

    # -- browser sessions ------------------------------------------------------------------
    def insert_session(
        self, id_hash: str, user_id: int, csrf: str, created_at: str, expires_at: str
    ) -> None:
        self.conn.execute(
            "INSERT INTO web_sessions(id_hash, user_id, csrf_token, created_at, expires_at)"
            " VALUES (%s, %s, %s, %s, %s)",
            (id_hash, user_id, csrf, created_at, expires_at),
        )

    def session(self, id_hash: str, now: str) -> tuple[User, str] | None:
        row = self._one(
            "SELECT u.*, s.csrf_token FROM web_sessions s JOIN users u ON u.id = s.user_id"
            " WHERE s.id_hash = %s AND s.expires_at > %s AND u.disabled = 0",
            (id_hash, now),
        )
        return (_user(row), row["csrf_token"]) if row else None

    def end_session(self, id_hash: str, now: str) -> None:
        with self.conn.transaction():
            self.conn.execute("DELETE FROM web_sessions WHERE id_hash = %s", (id_hash,))
            self.conn.execute("DELETE FROM web_sessions WHERE expires_at <= %s", (now,))

    # -- articles --------------------------------------------------------------------------
    def insert_article(self, row: Row) -> None:
        self.conn.execute(
            "INSERT INTO articles(id, title, question, audience, focus, category, status,"
            " current_version, created_by, created_at, updated_at)"
            " VALUES (%(id)s, %(title)s, %(question)s, %(audience)s, %(focus)s, %(category)s,"
            " 'draft', 1, %(created_by)s, %(created_at)s, %(updated_at)s)",
            row,
        )

    def insert_version(self, row: Row) -> None:
        self.conn.execute(
            "INSERT INTO article_versions(article_id, version, title, answer_json, content_hash,"
            " answer_id, edit_note, created_by, created_at) VALUES (%(article_id)s, %(version)s,"
            " %(title)s, %(answer_json)s, %(content_hash)s, %(answer_id)s, %(edit_note)s,"
            " %(created_by)s, %(created_at)s)",
            row,
        )

    def article(self, article_id: str) -> Row | None:
        return self._one("SELECT * FROM articles WHERE id = %s", (article_id,))

    def version(self, article_id: str, version: int) -> Row | None:
        return self._one(
            "SELECT * FROM article_versions WHERE article_id = %s AND version = %s",
            (article_id, version),
        )

    def versions(self, article_id: str, only: int | None = None) -> list[Row]:
        sql = "SELECT v.*, u.display_name AS author FROM article_versions v"
        sql += " LEFT JOIN users u ON u.id = v.created_by WHERE v.article_id = %s"
        args: tuple[Any, ...] = (article_id,)
        if only is not None:
            sql += " AND v.version = %s"
            args = (article_id, only)
        return self._all(sql + " ORDER BY v.version DESC", args)

    def version_category(self, article_id: str, version: int) -> str | None:
        row = self._one(
            "SELECT answer_json::jsonb ->> 'category' AS category FROM article_versions"
            " WHERE article_id = %s AND version = %s",
            (article_id, version),
        )
        return row["category"] if row else None

    def record_edit(
        self, article_id: str, title: str, status: str, version: int, at: str, category: str | None
    ) -> None:
        self.conn.execute(
            "UPDATE articles SET title = %s, status = %s, current_version = %s, updated_at = %s,"
            " category = COALESCE(%s, category) WHERE id = %s",
            (title, status, version, at, category, article_id),
        )

    def approve(self, article_id: str, version: int, reviewer_id: int, at: str) -> None:
        self.conn.execute(
            "UPDATE article_versions SET approved = 1"
            " WHERE article_id = %s AND version = %s AND approved = 0",
            (article_id, version),
        )
        self.conn.execute(
            "UPDATE articles SET published_version = %s, last_reviewed_at = %s,"
            " last_reviewed_by = %s WHERE id = %s",
            (version, at, reviewer_id, article_id),
        )

    def set_status(self, article_id: str, status: str, at: str) -> None:
        self.conn.execute(
            "UPDATE articles SET status = %s, updated_at = %s WHERE id = %s",
            (status, at, article_id),
        )

    def newer_source(self, focus: str, since: str | None) -> str | None:
        """Documents are not stored in PostgreSQL yet (issue 22): none is ever newer."""
        if self._one("SELECT to_regclass('documents') AS t")["t"] is None:  # type: ignore[index]
            return None
        row = self._one(
            "SELECT title FROM documents WHERE lower(focus) = lower(%s)"
            " AND (created_at > %s OR updated_at > %s) ORDER BY updated_at DESC LIMIT 1",
            (focus, since, since),
        )
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
        where: list[str] = []
        args: list[Any] = []
        if published_only:
            title, cat = "v.title", "(v.answer_json::jsonb ->> 'category')"
            sql = (
                "SELECT a.id FROM articles a JOIN article_versions v"
                " ON v.article_id = a.id AND v.version = a.published_version"
            )
        else:
            title, cat = "a.title", "a.category"
            sql = "SELECT a.id FROM articles a"
            if status is not None:
                where.append("a.status = %s")
                args.append(status)
        if category:
            where.append(f"{cat} = %s")
            args.append(category)
        if query:
            where.append(f"({title} LIKE %s ESCAPE '\\' OR a.question LIKE %s ESCAPE '\\')")
            like = "%" + re.sub(r"([%_\\])", r"\\\1", query.strip()) + "%"
            args += [like, like]
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY a.updated_at DESC LIMIT %s"
        return [r["id"] for r in self._all(sql, (*args, limit))]

    def category_counts(self, *, published_only: bool) -> list[tuple[str, int]]:
        if published_only:
            sql = (
                "SELECT COALESCE(v.answer_json::jsonb ->> 'category', 'Other') AS c, count(*) AS n"
                " FROM articles a JOIN article_versions v"
                " ON v.article_id = a.id AND v.version = a.published_version"
            )
        else:
            sql = "SELECT COALESCE(category, 'Other') AS c, count(*) AS n FROM articles"
        return [(r["c"], int(r["n"])) for r in self._all(sql + " GROUP BY 1 ORDER BY 1")]

    # -- audit log -------------------------------------------------------------------------
    def insert_event(self, row: Row, comments: Sequence[tuple[str, str]]) -> None:
        event = self.conn.execute(
            "INSERT INTO review_events(article_id, version, version_hash, actor_id, actor_name,"
            " action, from_status, to_status, comment, at) VALUES (%(article_id)s, %(version)s,"
            " %(version_hash)s, %(actor_id)s, %(actor_name)s, %(action)s, %(from_status)s,"
            " %(to_status)s, %(comment)s, %(at)s) RETURNING id",
            row,
        ).fetchone()
        assert event is not None
        for key, text in comments:
            self.conn.execute(
                "INSERT INTO review_comments(event_id, article_id, version, section_key, comment)"
                " VALUES (%s, %s, %s, %s, %s)",
                (event["id"], row["article_id"], row["version"], key, text),
            )

    def events(self, article_id: str) -> list[Row]:
        return self._all(
            "SELECT * FROM review_events WHERE article_id = %s ORDER BY id", (article_id,)
        )

    def comments(self, article_id: str) -> list[Row]:
        return self._all(
            "SELECT event_id, section_key, comment FROM review_comments WHERE article_id = %s"
            " ORDER BY id",
            (article_id,),
        )

"""Accounts: users, passwords, API tokens and browser sessions (tables of migration 007).

A mixin of :class:`medcite.review.service.ReviewStore`, which supplies the connection, clock and
session lifetime.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import secrets
import sqlite3
from collections.abc import Callable
from typing import Any

from medcite.errors import AuthenticationError, ConflictError, InvalidRequestError, NotFoundError
from medcite.review.credentials import (
    MIN_PASSWORD_LENGTH,
    hash_password,
    new_secret,
    new_token,
    secret_hash,
    verify_password,
)
from medcite.review.workflow import format_time
from medcite.types import Role, User

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{1,63}$")


def user_from_row(row: sqlite3.Row) -> User:
    return User(
        id=row["id"],
        name=row["name"],
        display_name=row["display_name"],
        role=Role(row["role"]),
        disabled=bool(row["disabled"]),
        created_at=row["created_at"],
    )


@functools.cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


class Accounts:
    """User, token and session operations; the class using it provides these attributes."""

    conn: sqlite3.Connection
    session_ttl: dt.timedelta
    clock: Callable[[], dt.datetime]

    def _now(self) -> str:
        return format_time(self.clock())

    # -- users -----------------------------------------------------------------------------
    def add_user(
        self,
        name: str,
        role: Role,
        *,
        display_name: str | None = None,
        password: str | None = None,
    ) -> User:
        if not _NAME_RE.match(name):
            raise InvalidRequestError(
                f"invalid user name {name!r}",
                hint="2-64 characters: letters, digits, '.', '_', '@', '-'.",
            )
        if password is not None and len(password) < MIN_PASSWORD_LENGTH:
            raise InvalidRequestError(f"passwords need at least {MIN_PASSWORD_LENGTH} characters")
        try:
            cur = self.conn.execute(
                "INSERT INTO users(name, display_name, role, password_hash, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (
                    name,
                    (display_name or name).strip()[:120] or name,
                    role.value,
                    hash_password(password) if password else None,
                    self._now(),
                ),
            )
        except sqlite3.IntegrityError as exc:
            raise ConflictError(f"a user named {name!r} already exists") from exc
        user = self.get_user(int(cur.lastrowid or 0))
        assert user is not None
        return user

    def get_user(self, user_id: int) -> User | None:
        row = self.conn.execute("SELECT * FROM users WHERE id = ?", (user_id,)).fetchone()
        return user_from_row(row) if row else None

    def find_user(self, name: str) -> User | None:
        row = self.conn.execute("SELECT * FROM users WHERE name = ?", (name,)).fetchone()
        return user_from_row(row) if row else None

    def list_users(self) -> list[User]:
        return [user_from_row(r) for r in self.conn.execute("SELECT * FROM users ORDER BY name")]

    def set_password(self, name: str, password: str) -> None:
        if len(password) < MIN_PASSWORD_LENGTH:
            raise InvalidRequestError(f"passwords need at least {MIN_PASSWORD_LENGTH} characters")
        cur = self.conn.execute(
            "UPDATE users SET password_hash = ? WHERE name = ?", (hash_password(password), name)
        )
        if cur.rowcount == 0:
            raise NotFoundError(f"no user named {name!r}")

    def set_disabled(self, name: str, disabled: bool) -> None:
        cur = self.conn.execute(
            "UPDATE users SET disabled = ? WHERE name = ?", (int(disabled), name)
        )
        if cur.rowcount == 0:
            raise NotFoundError(f"no user named {name!r}")
        if disabled:
            self.conn.execute(
                "DELETE FROM web_sessions WHERE user_id = (SELECT id FROM users WHERE name = ?)",
                (name,),
            )

    def check_password(self, name: str, password: str) -> User:
        row = self.conn.execute("SELECT * FROM users WHERE name = ?", (name,)).fetchone()
        stored = row["password_hash"] if row else None
        # One scrypt run whatever the account, so timing does not reveal which names exist.
        ok = verify_password(password, stored or _dummy_hash()) and stored is not None
        if not row or not ok or row["disabled"]:
            raise AuthenticationError("wrong user name or password")
        return user_from_row(row)

    # -- API tokens ------------------------------------------------------------------------
    def create_token(self, user_name: str, label: str = "api") -> str:
        """A new token for ``user_name``; the secret is returned once and stored hashed."""
        user = self.find_user(user_name)
        if user is None:
            raise NotFoundError(f"no user named {user_name!r}")
        token = new_token()
        self.conn.execute(
            "INSERT INTO api_tokens(user_id, label, prefix, token_hash, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (user.id, label[:80], token[:10], secret_hash(token), self._now()),
        )
        return token

    def list_tokens(self, user_name: str | None = None) -> list[dict[str, Any]]:
        sql = (
            "SELECT t.id, u.name AS user, t.label, t.prefix, t.created_at, t.last_used_at,"
            " t.revoked_at FROM api_tokens t JOIN users u ON u.id = t.user_id"
        )
        args: tuple[Any, ...] = ()
        if user_name:
            sql += " WHERE u.name = ?"
            args = (user_name,)
        return [dict(r) for r in self.conn.execute(sql + " ORDER BY t.id", args)]

    def revoke_token(self, token_id: int) -> None:
        cur = self.conn.execute(
            "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
            (self._now(), token_id),
        )
        if cur.rowcount == 0:
            raise NotFoundError(f"no active token with id {token_id}")

    def user_for_token(self, token: str) -> User | None:
        row = self.conn.execute(
            "SELECT u.*, t.id AS token_id FROM api_tokens t JOIN users u ON u.id = t.user_id"
            " WHERE t.token_hash = ? AND t.revoked_at IS NULL AND u.disabled = 0",
            (secret_hash(token),),
        ).fetchone()
        if row is None:
            return None
        self.conn.execute(
            "UPDATE api_tokens SET last_used_at = ? WHERE id = ?", (self._now(), row["token_id"])
        )
        return user_from_row(row)

    # -- browser sessions ------------------------------------------------------------------
    def create_session(self, user: User) -> tuple[str, str]:
        """A new session for ``user``: (cookie secret, CSRF token)."""
        secret, csrf = new_secret(), new_secret()
        now = self.clock()
        self.conn.execute(
            "INSERT INTO web_sessions(id_hash, user_id, csrf_token, created_at, expires_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (
                secret_hash(secret),
                user.id,
                csrf,
                format_time(now),
                format_time(now + self.session_ttl),
            ),
        )
        return secret, csrf

    def session(self, secret: str) -> tuple[User, str] | None:
        """The user and CSRF token of a live session, or None."""
        row = self.conn.execute(
            "SELECT u.*, s.csrf_token FROM web_sessions s JOIN users u ON u.id = s.user_id"
            " WHERE s.id_hash = ? AND s.expires_at > ? AND u.disabled = 0",
            (secret_hash(secret), self._now()),
        ).fetchone()
        return (user_from_row(row), row["csrf_token"]) if row else None

    def end_session(self, secret: str) -> None:
        self.conn.execute("DELETE FROM web_sessions WHERE id_hash = ?", (secret_hash(secret),))
        self.conn.execute("DELETE FROM web_sessions WHERE expires_at <= ?", (self._now(),))

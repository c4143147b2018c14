"""Accounts: users, passwords, API tokens and browser sessions (tables of migration 007).

A mixin of :class:`medcite.review.service.ReviewStore`, which supplies the repository (the
rows, medcite.store), clock and session lifetime. Secrets are hashed here: the repository only
ever sees hashes.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import secrets
from collections.abc import Callable
from typing import Any

from medcite.errors import AuthenticationError, InvalidRequestError, NotFoundError
from medcite.review.credentials import (
    MIN_PASSWORD_LENGTH,
    hash_password,
    new_secret,
    new_token,
    secret_hash,
    verify_password,
)
from medcite.review.workflow import format_time
from medcite.store.base import ReviewRepository
from medcite.types import Role, User

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{1,63}$")


@functools.cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


class Accounts:
    """User, token and session operations; the class using it provides these attributes."""

    repo: ReviewRepository
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
        user_id = self.repo.insert_user(
            name,
            (display_name or name).strip()[:120] or name,
            role,
            hash_password(password) if password else None,
            self._now(),
        )
        user = self.get_user(user_id)
        assert user is not None
        return user

    def get_user(self, user_id: int) -> User | None:
        return self.repo.user(user_id)

    def find_user(self, name: str) -> User | None:
        found = self.repo.user_named(name)
        return found[0] if found else None

    def list_users(self) -> list[User]:
        return self.repo.users()

    def set_password(self, name: str, password: str) -> None:
        if len(password) < MIN_PASSWORD_LENGTH:
            raise InvalidRequestError(f"passwords need at least {MIN_PASSWORD_LENGTH} characters")
        if not self.repo.set_password_hash(name, hash_password(password)):
            raise NotFoundError(f"no user named {name!r}")

    def set_disabled(self, name: str, disabled: bool) -> None:
        if not self.repo.set_disabled(name, disabled):
            raise NotFoundError(f"no user named {name!r}")

    def check_password(self, name: str, password: str) -> User:
        found = self.repo.user_named(name)
        stored = found[1] if found else None
        # One scrypt run whatever the account, so timing does not reveal which names exist.
        ok = verify_password(password, stored or _dummy_hash()) and stored is not None
        if not found or not ok or found[0].disabled:
            raise AuthenticationError("wrong user name or password")
        return found[0]

    # -- API tokens ------------------------------------------------------------------------
    def create_token(self, user_name: str, label: str = "api") -> str:
        """A new token for ``user_name``; the secret is returned once and stored hashed."""
        user = self.find_user(user_name)
        if user is None:
            raise NotFoundError(f"no user named {user_name!r}")
        token = new_token()
        self.repo.insert_token(user.id, label[:80], token[:10], secret_hash(token), self._now())
        return token

    def list_tokens(self, user_name: str | None = None) -> list[dict[str, Any]]:
        return self.repo.tokens(user_name)

    def revoke_token(self, token_id: int) -> None:
        if not self.repo.revoke_token(token_id, self._now()):
            raise NotFoundError(f"no active token with id {token_id}")

    def user_for_token(self, token: str) -> User | None:
        return self.repo.user_for_token(secret_hash(token), self._now())

    # -- browser sessions ------------------------------------------------------------------
    def create_session(self, user: User) -> tuple[str, str]:
        """A new session for ``user``: (cookie secret, CSRF token)."""
        secret, csrf = new_secret(), new_secret()
        now = self.clock()
        self.repo.insert_session(
            secret_hash(secret),
            user.id,
            csrf,
            format_time(now),
            format_time(now + self.session_ttl),
        )
        return secret, csrf

    def session(self, secret: str) -> tuple[User, str] | None:
        """The user and CSRF token of a live session, or None."""
        return self.repo.session(secret_hash(secret), self._now())

    def end_session(self, secret: str) -> None:
        self.repo.end_session(secret_hash(secret), self._now())

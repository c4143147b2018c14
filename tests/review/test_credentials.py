"""Passwords, API tokens and browser sessions: hashed at rest, and dead once revoked or expired."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from medcite.errors import (
    AuthenticationError,
    ConflictError,
    InvalidRequestError,
    NotFoundError,
)
from medcite.review.credentials import (
    MIN_PASSWORD_LENGTH,
    TOKEN_PREFIX,
    hash_password,
    new_secret,
    new_token,
    same_secret,
    secret_hash,
    verify_password,
)
from medcite.review.service import ReviewStore
from medcite.review.workflow import format_time
from medcite.store.sqlite import SQLiteStore
from medcite.types import Role

PASSWORD = "synthetic-pass-123"
OTHER_PASSWORD = "synthetic-pass-456"


class Clock:
    """A clock that stands still until a test moves it."""

    def __init__(self) -> None:
        self.now = dt.datetime(2031, 5, 6, 7, 8, 9, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def db(tmp_path: Path) -> Iterator[SQLiteStore]:
    with SQLiteStore(tmp_path / "review.db") as s:
        yield s


@pytest.fixture
def review(db: SQLiteStore, clock: Clock) -> ReviewStore:
    return ReviewStore(db.reviews(), clock=clock, session_ttl=dt.timedelta(hours=2))


def _all_text(conn: sqlite3.Connection) -> str:
    """Every value of every table, as text."""
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    parts = []
    for table in tables:
        for row in conn.execute(f'SELECT * FROM "{table}"'):
            parts.extend(str(v) for v in tuple(row))
    return "\n".join(parts)


def _file_bytes(db: SQLiteStore) -> bytes:
    """The database file and its WAL, as written to disk."""
    data = b""
    for suffix in ("", "-wal"):
        path = Path(str(db.path) + suffix)
        if path.exists():
            data += path.read_bytes()
    return data


# -- password hashing --------------------------------------------------------------------------
def test_password_hash_verifies_only_the_right_password() -> None:
    stored = hash_password(PASSWORD)
    assert stored.startswith("scrypt$16384$8$1$")
    assert PASSWORD not in stored
    assert verify_password(PASSWORD, stored)
    assert not verify_password(OTHER_PASSWORD, stored)
    assert not verify_password(PASSWORD.upper(), stored)
    assert not verify_password("", stored)


def test_each_hash_has_its_own_salt() -> None:
    a, b = hash_password(PASSWORD), hash_password(PASSWORD)
    assert a != b
    assert a.split("$")[4] != b.split("$")[4]  # salts differ
    assert verify_password(PASSWORD, a) and verify_password(PASSWORD, b)


def _flip(text: str) -> str:
    """The same text with its first character changed (still valid base64)."""
    return ("B" if text[0] == "A" else "A") + text[1:]


def test_tampered_hashes_do_not_verify() -> None:
    scheme, n, r, p, salt, digest = hash_password(PASSWORD).split("$")
    tampered = [
        "$".join([scheme, n, r, p, salt, _flip(digest)]),
        "$".join([scheme, n, r, p, _flip(salt), digest]),
        "$".join([scheme, n, "4", p, salt, digest]),
        "$".join(["bcrypt", n, r, p, salt, digest]),
        "$".join([scheme, "lots", r, p, salt, digest]),
        "$".join([scheme, n, r, p, salt]),
        "$".join([scheme, n, r, p, salt, digest, "extra"]),
        "$".join([scheme, n, r, p, salt, digest[:-4]]),
        "$".join([scheme, n, r, p, salt, "!!not base64!!"]),
        PASSWORD,
        "",
    ]
    for stored in tampered:
        assert not verify_password(PASSWORD, stored), stored
    assert not verify_password(PASSWORD, None)


def test_tokens_and_secrets_are_random_and_hashed_deterministically() -> None:
    tokens = {new_token() for _ in range(50)}
    assert len(tokens) == 50
    assert all(t.startswith(TOKEN_PREFIX) and len(t) >= 40 for t in tokens)
    assert len({new_secret() for _ in range(50)}) == 50
    token = new_token()
    digest = secret_hash(token)
    assert digest == secret_hash(token) and len(digest) == 64 and token not in digest
    assert secret_hash(token + "x") != digest
    assert same_secret("abc", "abc") and not same_secret("abc", "abd")
    assert not same_secret("abc", "abcd")


# -- users and password sign-in ------------------------------------------------------------------
def test_check_password(review: ReviewStore) -> None:
    added = review.add_user(
        "editor-one", Role.EDITOR, display_name="Synthetic Editor", password=PASSWORD
    )
    assert added.display_name == "Synthetic Editor" and added.role is Role.EDITOR
    user = review.check_password("editor-one", PASSWORD)
    assert user.id == added.id and user.name == "editor-one"
    # Login names are case-insensitive.
    assert review.check_password("EDITOR-ONE", PASSWORD).id == added.id
    with pytest.raises(AuthenticationError) as wrong:
        review.check_password("editor-one", OTHER_PASSWORD)
    # Unknown names go through the same (hashing) path and fail with the same message.
    with pytest.raises(AuthenticationError) as unknown:
        review.check_password("nobody-here", PASSWORD)
    assert unknown.value.message == wrong.value.message


def test_token_only_accounts_cannot_sign_in_with_a_password(review: ReviewStore) -> None:
    review.add_user("robot", Role.EDITOR)
    row = review.repo.conn.execute(
        "SELECT password_hash FROM users WHERE name = 'robot'"
    ).fetchone()
    assert row[0] is None
    for attempt in ("", PASSWORD, "x" * 12):
        with pytest.raises(AuthenticationError):
            review.check_password("robot", attempt)


def test_passwords_are_not_stored(db: SQLiteStore, review: ReviewStore) -> None:
    review.add_user("alice", Role.EDITOR, password=PASSWORD)
    review.set_password("alice", OTHER_PASSWORD)
    assert PASSWORD not in _all_text(db.conn) and OTHER_PASSWORD not in _all_text(db.conn)
    assert PASSWORD.encode() not in _file_bytes(db)
    assert OTHER_PASSWORD.encode() not in _file_bytes(db)


def test_set_password(review: ReviewStore) -> None:
    review.add_user("alice", Role.EDITOR, password=PASSWORD)
    review.set_password("alice", OTHER_PASSWORD)
    with pytest.raises(AuthenticationError):
        review.check_password("alice", PASSWORD)
    assert review.check_password("alice", OTHER_PASSWORD).name == "alice"
    with pytest.raises(InvalidRequestError, match=str(MIN_PASSWORD_LENGTH)):
        review.set_password("alice", "short")
    assert review.check_password("alice", OTHER_PASSWORD).name == "alice"
    with pytest.raises(NotFoundError):
        review.set_password("nobody-here", OTHER_PASSWORD)


@pytest.mark.parametrize(
    "name", ["a", "-leading-dash", "has space", "semi;colon", "x" * 65, "", "émile"]
)
def test_invalid_user_names_are_refused(review: ReviewStore, name: str) -> None:
    with pytest.raises(InvalidRequestError):
        review.add_user(name, Role.EDITOR)
    assert review.list_users() == []


def test_user_validation_and_duplicates(review: ReviewStore) -> None:
    with pytest.raises(InvalidRequestError, match="at least"):
        review.add_user("alice", Role.EDITOR, password="x" * (MIN_PASSWORD_LENGTH - 1))
    with pytest.raises(InvalidRequestError):
        review.add_user("alice", Role.EDITOR, password="")
    assert review.find_user("alice") is None
    alice = review.add_user("alice", Role.REVIEWER, password="x" * MIN_PASSWORD_LENGTH)
    assert alice.display_name == "alice"  # defaults to the login name
    for dup in ("alice", "ALICE", "Alice"):
        with pytest.raises(ConflictError, match="already exists"):
            review.add_user(dup, Role.ADMIN)
    assert [u.name for u in review.list_users()] == ["alice"]
    assert review.find_user("Alice") == alice
    assert review.get_user(alice.id) == alice
    assert review.get_user(alice.id + 100) is None


def test_disabled_users_cannot_sign_in(review: ReviewStore) -> None:
    review.add_user("alice", Role.EDITOR, password=PASSWORD)
    review.set_disabled("alice", True)
    with pytest.raises(AuthenticationError):
        review.check_password("alice", PASSWORD)
    assert review.find_user("alice").disabled  # type: ignore[union-attr]
    review.set_disabled("alice", False)
    assert review.check_password("alice", PASSWORD).name == "alice"
    with pytest.raises(NotFoundError):
        review.set_disabled("nobody-here", True)


# -- API tokens ----------------------------------------------------------------------------------
def test_tokens_authenticate_their_owner(review: ReviewStore, clock: Clock) -> None:
    alice = review.add_user("alice", Role.EDITOR)
    bob = review.add_user("bob", Role.REVIEWER)
    ta, tb = review.create_token("alice", "ci"), review.create_token("bob")
    assert ta.startswith(TOKEN_PREFIX) and ta != tb
    assert review.user_for_token(ta) == alice
    assert review.user_for_token(tb) == bob
    assert review.user_for_token(ta + "x") is None
    assert review.user_for_token(ta[:-1]) is None
    assert review.user_for_token("") is None
    with pytest.raises(NotFoundError):
        review.create_token("nobody-here")
    # Use is recorded with the (injected) time.
    clock.advance(minutes=5)
    review.user_for_token(ta)
    rows = {t["label"]: t for t in review.list_tokens()}
    assert rows["ci"]["last_used_at"] == format_time(clock.now)
    assert rows["api"]["last_used_at"] is not None  # used once above, at the earlier time
    assert rows["api"]["last_used_at"] < rows["ci"]["last_used_at"]


def test_tokens_are_hashed_at_rest(db: SQLiteStore, review: ReviewStore) -> None:
    review.add_user("alice", Role.EDITOR)
    token = review.create_token("alice")
    secret_part = token[len(TOKEN_PREFIX) :]
    (row,) = db.conn.execute("SELECT token_hash, prefix FROM api_tokens").fetchall()
    assert row["token_hash"] == secret_hash(token)
    assert token.startswith(row["prefix"]) and len(row["prefix"]) < len(token) // 3
    text = _all_text(db.conn)
    assert token not in text and secret_part not in text
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw = _file_bytes(db)
    assert token.encode() not in raw and secret_part.encode() not in raw
    # Nothing that lists tokens shows the secret (or its hash).
    for listed in review.list_tokens():
        assert set(listed) == {
            "id",
            "user",
            "label",
            "prefix",
            "created_at",
            "last_used_at",
            "revoked_at",
        }
        assert all(secret_part not in str(v) for v in listed.values())
        assert all(row["token_hash"] not in str(v) for v in listed.values())


def test_revoked_tokens_stop_working(review: ReviewStore, clock: Clock) -> None:
    alice = review.add_user("alice", Role.EDITOR)
    review.add_user("bob", Role.EDITOR)
    keep, drop = review.create_token("alice", "keep"), review.create_token("alice", "drop")
    bobs = review.create_token("bob")
    ids = {t["label"]: t["id"] for t in review.list_tokens("alice")}
    assert set(ids) == {"keep", "drop"}
    assert [t["user"] for t in review.list_tokens("bob")] == ["bob"]
    review.revoke_token(ids["drop"])
    assert review.user_for_token(drop) is None
    assert review.user_for_token(keep) == alice
    assert review.user_for_token(bobs) is not None
    revoked = {t["label"]: t for t in review.list_tokens()}
    assert revoked["drop"]["revoked_at"] == format_time(clock.now)
    assert revoked["keep"]["revoked_at"] is None
    with pytest.raises(NotFoundError):
        review.revoke_token(ids["drop"])  # already revoked
    with pytest.raises(NotFoundError):
        review.revoke_token(9999)


def test_disabled_users_tokens_stop_working(review: ReviewStore) -> None:
    review.add_user("alice", Role.EDITOR)
    token = review.create_token("alice")
    review.set_disabled("alice", True)
    assert review.user_for_token(token) is None
    # Re-enabling restores tokens that were not revoked.
    review.set_disabled("alice", False)
    user = review.user_for_token(token)
    assert user is not None and user.name == "alice" and not user.disabled


# -- browser sessions ----------------------------------------------------------------------------
def test_sessions_are_hashed_and_expire(db: SQLiteStore, review: ReviewStore, clock: Clock) -> None:
    alice = review.add_user("alice", Role.EDITOR, password=PASSWORD)
    secret, csrf = review.create_session(alice)
    assert secret != csrf
    found = review.session(secret)
    assert found is not None and found[0] == alice and found[1] == csrf
    assert review.session(secret + "x") is None
    (row,) = db.conn.execute("SELECT * FROM web_sessions").fetchall()
    assert row["id_hash"] == secret_hash(secret)
    assert secret not in _all_text(db.conn)
    assert row["expires_at"] == format_time(clock.now + dt.timedelta(hours=2))
    clock.advance(hours=2, seconds=-1)
    assert review.session(secret) is not None
    clock.advance(seconds=1)
    assert review.session(secret) is None, "expired at exactly the TTL"
    clock.advance(days=30)
    assert review.session(secret) is None


def test_end_session_signs_out_and_purges_expired(
    db: SQLiteStore, review: ReviewStore, clock: Clock
) -> None:
    alice = review.add_user("alice", Role.EDITOR)
    bob = review.add_user("bob", Role.EDITOR)
    old, _ = review.create_session(bob)
    clock.advance(hours=1)
    mine, _ = review.create_session(alice)
    theirs, _ = review.create_session(bob)
    clock.advance(hours=1, seconds=30)  # `old` has expired, the other two have not
    assert review.session(old) is None
    review.end_session(mine)
    assert review.session(mine) is None
    assert review.session(theirs) is not None
    hashes = {r[0] for r in db.conn.execute("SELECT id_hash FROM web_sessions")}
    assert hashes == {secret_hash(theirs)}, "the ended and the expired sessions are gone"


def test_disabling_a_user_ends_their_sessions(db: SQLiteStore, review: ReviewStore) -> None:
    alice = review.add_user("alice", Role.EDITOR)
    bob = review.add_user("bob", Role.EDITOR)
    a1, _ = review.create_session(alice)
    a2, _ = review.create_session(alice)
    b1, _ = review.create_session(bob)
    review.set_disabled("alice", True)
    assert review.session(a1) is None and review.session(a2) is None
    assert review.session(b1) is not None
    count = db.conn.execute(
        "SELECT count(*) FROM web_sessions WHERE user_id = ?", (alice.id,)
    ).fetchone()[0]
    assert count == 0
    # Re-enabling does not bring the old sessions back.
    review.set_disabled("alice", False)
    assert review.session(a1) is None


def test_session_of_a_user_disabled_by_raw_flag_is_refused(review: ReviewStore) -> None:
    """Even if a session row survives (e.g. written concurrently), a disabled user has none."""
    alice = review.add_user("alice", Role.EDITOR)
    secret, _ = review.create_session(alice)
    review.repo.conn.execute("UPDATE users SET disabled = 1 WHERE id = ?", (alice.id,))
    assert review.session(secret) is None

"""`medcite users ...` and `medcite tokens ...`, in-process against a real store."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from medcite.cli import app
from medcite.config import Settings
from medcite.errors import AuthenticationError
from medcite.review.credentials import TOKEN_PREFIX, secret_hash
from medcite.review.service import ReviewStore
from medcite.store.sqlite import SQLiteStore
from medcite.types import Role, User

runner = CliRunner()
PASSWORD = "synthetic-pass-123"
NEW_PASSWORD = "synthetic-pass-456"


@contextmanager
def review_store(home: Path) -> Iterator[ReviewStore]:
    with SQLiteStore(Settings(home=home, mirror=None).db_path) as store:
        yield ReviewStore(store.reviews())


def invoke(args: list[str], stdin: str | None = None) -> Result:
    return runner.invoke(app, args, input=stdin)


def ok(args: list[str], stdin: str | None = None) -> Result:
    result = invoke(args, stdin)
    assert result.exit_code == 0, result.output
    return result


def failed(args: list[str], message: str, stdin: str | None = None) -> Result:
    """Exit status 2, the message on stderr, no traceback."""
    result = invoke(args, stdin)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert "Traceback" not in result.output and result.exception is not None
    assert isinstance(result.exception, SystemExit)
    return result


def sign_in(home: Path, name: str, password: str) -> User:
    with review_store(home) as review:
        return review.check_password(name, password)


def token_user(home: Path, token: str) -> User | None:
    with review_store(home) as review:
        return review.user_for_token(token)


def add_user(name: str, role: str = "editor") -> None:
    ok(["users", "add", name, "--role", role, "--password-stdin"], PASSWORD + "\n")


def test_users_add_with_password_from_stdin(cli_env: Path) -> None:
    result = ok(
        [
            "users",
            "add",
            "alice",
            "--role",
            "reviewer",
            "--display-name",
            "Synthetic Alice",
            "--password-stdin",
        ],
        PASSWORD + "\n",
    )
    assert "Added alice (reviewer)" in result.stdout
    assert PASSWORD not in result.output
    user = sign_in(cli_env, "alice", PASSWORD)
    assert user.role is Role.REVIEWER and user.display_name == "Synthetic Alice"
    with pytest.raises(AuthenticationError):
        sign_in(cli_env, "alice", NEW_PASSWORD)


def test_users_add_defaults_to_reader_and_prints_json(cli_env: Path) -> None:
    result = ok(["users", "add", "bob", "--password-stdin", "--json"], PASSWORD + "\n")
    data = json.loads(result.stdout)
    # Least privilege: more than reading must be asked for with --role.
    assert data["name"] == "bob" and data["role"] == "reader" and data["display_name"] == "bob"
    assert data["disabled"] is False and isinstance(data["id"], int)
    assert "password" not in json.dumps(data)


def test_users_add_prompts_for_the_password_twice(cli_env: Path) -> None:
    ok(["users", "add", "carol"], f"{PASSWORD}\n{PASSWORD}\n")
    assert sign_in(cli_env, "carol", PASSWORD).name == "carol"
    result = invoke(["users", "add", "dave"], f"{PASSWORD}\n{NEW_PASSWORD}\n")
    assert result.exit_code != 0  # mismatched confirmation, then end of input
    with review_store(cli_env) as review:
        assert review.find_user("dave") is None


def test_users_add_token_only(cli_env: Path) -> None:
    ok(["users", "add", "robot", "--no-password"])
    with pytest.raises(AuthenticationError):
        sign_in(cli_env, "robot", PASSWORD)
    token = ok(["tokens", "create", "robot"]).stdout.strip()
    user = token_user(cli_env, token)
    assert user is not None and user.name == "robot"


def test_users_add_refusals(cli_env: Path) -> None:
    add_user("alice")
    failed(["users", "add", "alice", "--no-password"], "already exists")
    failed(["users", "add", "ALICE", "--password-stdin"], "already exists", PASSWORD + "\n")
    failed(["users", "add", "eve", "--password-stdin"], "at least 10 characters", "short\n")
    failed(["users", "add", "eve", "--password-stdin"], "at least 10 characters", "")
    failed(["users", "add", "bad name", "--no-password"], "invalid user name")
    result = invoke(["users", "add", "eve", "--role", "superuser", "--no-password"])
    assert result.exit_code == 2 and "Traceback" not in result.output
    with review_store(cli_env) as review:
        assert [u.name for u in review.list_users()] == ["alice"]


def test_users_list(cli_env: Path) -> None:
    add_user("zed", "admin")
    add_user("amy", "reader")
    ok(["users", "disable", "zed"])
    rows = json.loads(ok(["users", "list", "--json"]).stdout)
    assert [(r["name"], r["role"], r["disabled"]) for r in rows] == [
        ("amy", "reader", False),
        ("zed", "admin", True),
    ]
    assert all("password" not in key for r in rows for key in r)
    table = ok(["users", "list"]).stdout
    assert "amy" in table and "zed" in table and "admin" in table and "yes" in table
    with review_store(cli_env) as review:
        stored = review.repo.conn.execute("SELECT password_hash FROM users").fetchall()
    for (digest,) in stored:
        assert digest not in table


def test_users_passwd(cli_env: Path) -> None:
    add_user("alice")
    result = ok(["users", "passwd", "alice", "--password-stdin"], NEW_PASSWORD + "\n")
    assert "Password of alice changed" in result.stdout
    assert sign_in(cli_env, "alice", NEW_PASSWORD).name == "alice"
    with pytest.raises(AuthenticationError):
        sign_in(cli_env, "alice", PASSWORD)
    failed(["users", "passwd", "alice", "--password-stdin"], "at least", "short\n")
    failed(["users", "passwd", "nobody", "--password-stdin"], "no user named", NEW_PASSWORD + "\n")
    assert sign_in(cli_env, "alice", NEW_PASSWORD).name == "alice"


def test_tokens_create_prints_a_working_token_once(cli_env: Path) -> None:
    add_user("alice")
    result = ok(["tokens", "create", "alice", "--label", "synthetic ci"])
    token = result.stdout.strip()
    assert "\n" not in token and token.startswith(TOKEN_PREFIX)
    assert "shown only now" in result.stderr
    user = token_user(cli_env, token)
    assert user is not None and user.name == "alice" and user.role is Role.EDITOR
    data = json.loads(ok(["tokens", "create", "alice", "--json"]).stdout)
    assert data["user"] == "alice" and data["label"] == "api"
    assert data["token"] != token and token_user(cli_env, data["token"]) == user
    failed(["tokens", "create", "nobody"], "no user named")


def test_tokens_list_never_prints_secrets(cli_env: Path) -> None:
    add_user("alice")
    add_user("bob")
    secrets = [
        ok(["tokens", "create", "alice", "--label", "first"]).stdout.strip(),
        ok(["tokens", "create", "bob", "--label", "second"]).stdout.strip(),
    ]
    token_user(cli_env, secrets[0])  # marks it used
    table = ok(["tokens", "list"])
    as_json = ok(["tokens", "list", "--json"])
    for output in (table.output, as_json.output):
        for token in secrets:
            assert token not in output
            assert token[len(TOKEN_PREFIX) + 8 :] not in output
            assert secret_hash(token) not in output
    rows = json.loads(as_json.stdout)
    assert [(r["user"], r["label"]) for r in rows] == [("alice", "first"), ("bob", "second")]
    assert [r["prefix"] for r in rows] == [t[:10] for t in secrets]
    assert rows[0]["last_used_at"] and rows[1]["last_used_at"] is None
    assert "first" in table.stdout and "second" in table.stdout
    only_bob = json.loads(ok(["tokens", "list", "--user", "bob", "--json"]).stdout)
    assert [r["label"] for r in only_bob] == ["second"]


def test_tokens_revoke(cli_env: Path) -> None:
    add_user("alice")
    keep = ok(["tokens", "create", "alice", "--label", "keep"]).stdout.strip()
    drop = ok(["tokens", "create", "alice", "--label", "drop"]).stdout.strip()
    rows = json.loads(ok(["tokens", "list", "--json"]).stdout)
    drop_id = next(r["id"] for r in rows if r["label"] == "drop")
    assert "revoked" in ok(["tokens", "revoke", str(drop_id)]).stdout
    assert token_user(cli_env, drop) is None
    assert token_user(cli_env, keep) is not None
    rows = {r["label"]: r for r in json.loads(ok(["tokens", "list", "--json"]).stdout)}
    assert rows["drop"]["revoked_at"] and rows["keep"]["revoked_at"] is None
    failed(["tokens", "revoke", str(drop_id)], "no active token")
    failed(["tokens", "revoke", "999"], "no active token")
    failed(["tokens", "revoke", "0"], "start at 1")


def test_users_disable_and_enable(cli_env: Path) -> None:
    add_user("alice")
    token = ok(["tokens", "create", "alice"]).stdout.strip()
    with review_store(cli_env) as review:
        secret, _ = review.create_session(review.check_password("alice", PASSWORD))
    assert "alice disabled" in ok(["users", "disable", "alice"]).stdout
    assert token_user(cli_env, token) is None
    with pytest.raises(AuthenticationError):
        sign_in(cli_env, "alice", PASSWORD)
    with review_store(cli_env) as review:
        assert review.session(secret) is None
    assert "alice enabled" in ok(["users", "disable", "alice", "--enable"]).stdout
    assert token_user(cli_env, token) is not None
    assert sign_in(cli_env, "alice", PASSWORD).name == "alice"
    failed(["users", "disable", "nobody"], "no user named")

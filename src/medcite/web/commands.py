"""CLI commands of the web side: ``medcite serve``, ``medcite users ...``, ``medcite tokens ...``."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from medcite.config import Settings, get_settings
from medcite.errors import InvalidRequestError
from medcite.review.service import ReviewStore
from medcite.store.sqlite import SQLiteStore
from medcite.types import Role

T = TypeVar("T")
Guard = Callable[[Callable[[], T]], T]

out = Console()
err = Console(stderr=True)


@contextmanager
def _review(settings: Settings) -> Iterator[ReviewStore]:
    """The review store of ``settings``, closed afterwards."""
    with SQLiteStore(settings.db_path) as store:
        yield ReviewStore(store.conn, review_interval_days=settings.review_interval_days)


def _password(from_stdin: bool, prompt: bool) -> str | None:
    """Passwords come from stdin or a hidden prompt, never from the command line (shell history)."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    if prompt:
        value: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
        return value
    return None


def register(app: typer.Typer, guard: Guard[Any], print_json: Callable[[Any], None]) -> None:
    """Add the web and account commands to the main CLI."""

    @app.command()
    def serve(
        host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="Port to listen on.", min=0, max=65535)] = 8000,
        workers: Annotated[
            int, typer.Option(help="Worker processes (each loads its own index).", min=1)
        ] = 1,
        log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
    ) -> None:
        """Serve the web app and the JSON API (OpenAPI at /openapi.json)."""
        import uvicorn

        settings = get_settings()
        if not settings.db_path.exists():
            err.print(
                "[yellow]warning:[/yellow] no store yet; the server will answer 503 until "
                "`medcite ingest --default` has run."
            )
        os.environ.setdefault("MEDCITE_HOME", str(settings.home))
        err.print(f"medcite serving on http://{host}:{port}/ (store {settings.db_path})")
        uvicorn.run(
            "medcite.web.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level=log_level,
            proxy_headers=False,
            server_header=False,
        )

    users = typer.Typer(
        help="Manage user accounts (editors, reviewers, admins).", no_args_is_help=True
    )
    tokens = typer.Typer(help="Manage API tokens.", no_args_is_help=True)
    app.add_typer(users, name="users")
    app.add_typer(tokens, name="tokens")

    @users.command("add")
    def users_add(
        name: Annotated[str, typer.Argument(help="Login name.")],
        role: Annotated[
            Role, typer.Option(help="reader, editor, reviewer or admin.")
        ] = Role.EDITOR,
        display_name: Annotated[
            str | None, typer.Option(help="Name shown as author or reviewer.")
        ] = None,
        password_stdin: Annotated[
            bool, typer.Option("--password-stdin", help="Read the password from stdin.")
        ] = False,
        no_password: Annotated[
            bool, typer.Option("--no-password", help="Token-only account (no browser sign-in).")
        ] = False,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ) -> None:
        """Add a user. Prompts for a password unless --password-stdin or --no-password."""
        settings = get_settings()
        password = _password(password_stdin, prompt=not no_password)

        def body() -> dict[str, Any]:
            with _review(settings) as review:
                user = review.add_user(name, role, display_name=display_name, password=password)
            return user.model_dump(mode="json")

        user = guard(body)
        if as_json:
            print_json(user)
        else:
            out.print(f"Added {escape(user['name'])} ({user['role']}).")

    @users.command("list")
    def users_list(
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ) -> None:
        """List users."""
        settings = get_settings()

        def body() -> list[dict[str, Any]]:
            with _review(settings) as review:
                return [u.model_dump(mode="json") for u in review.list_users()]

        rows = guard(body)
        if as_json:
            print_json(rows)
            return
        table = Table("name", "display name", "role", "disabled", "created")
        for u in rows:
            table.add_row(
                escape(u["name"]),
                escape(u["display_name"]),
                u["role"],
                "yes" if u["disabled"] else "",
                (u["created_at"] or "")[:10],
            )
        out.print(table)

    @users.command("passwd")
    def users_passwd(
        name: Annotated[str, typer.Argument(help="Login name.")],
        password_stdin: Annotated[
            bool, typer.Option("--password-stdin", help="Read the password from stdin.")
        ] = False,
    ) -> None:
        """Set a user's password."""
        settings = get_settings()
        password = _password(password_stdin, prompt=True) or ""

        def body() -> None:
            with _review(settings) as review:
                review.set_password(name, password)

        guard(body)
        out.print(f"Password of {escape(name)} changed.")

    @users.command("disable")
    def users_disable(
        name: Annotated[str, typer.Argument(help="Login name.")],
        enable: Annotated[bool, typer.Option("--enable", help="Re-enable instead.")] = False,
    ) -> None:
        """Disable (or re-enable) a user; their sessions end and tokens stop working."""
        settings = get_settings()

        def body() -> None:
            with _review(settings) as review:
                review.set_disabled(name, not enable)

        guard(body)
        out.print(f"{escape(name)} {'enabled' if enable else 'disabled'}.")

    @tokens.command("create")
    def tokens_create(
        user: Annotated[str, typer.Argument(help="Login name of the token's owner.")],
        label: Annotated[str, typer.Option(help="What the token is for.")] = "api",
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ) -> None:
        """Create an API token. It is printed once; only its hash is stored."""
        settings = get_settings()

        def body() -> str:
            with _review(settings) as review:
                return review.create_token(user, label)

        token = guard(body)
        if as_json:
            print_json({"user": user, "label": label, "token": token})
            return
        err.print("Keep this token secret; it is shown only now:")
        sys.stdout.write(token + "\n")

    @tokens.command("list")
    def tokens_list(
        user: Annotated[str | None, typer.Option(help="Only this user's tokens.")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ) -> None:
        """List tokens (ids, prefixes and use; never the secrets)."""
        settings = get_settings()

        def body() -> list[dict[str, Any]]:
            with _review(settings) as review:
                return review.list_tokens(user)

        rows = guard(body)
        if as_json:
            print_json(rows)
            return
        table = Table("id", "user", "label", "prefix", "created", "last used", "revoked")
        for t in rows:
            table.add_row(
                str(t["id"]),
                escape(t["user"]),
                escape(t["label"]),
                t["prefix"] + "…",
                (t["created_at"] or "")[:10],
                (t["last_used_at"] or "")[:16],
                (t["revoked_at"] or "")[:10],
            )
        out.print(table)

    @tokens.command("revoke")
    def tokens_revoke(
        token_id: Annotated[int, typer.Argument(help="Token id (see tokens list).")],
    ) -> None:
        """Revoke a token."""
        settings = get_settings()

        def body() -> None:
            if token_id < 1:
                raise InvalidRequestError("token ids start at 1")
            with _review(settings) as review:
                review.revoke_token(token_id)

        guard(body)
        out.print(f"Token {token_id} revoked.")

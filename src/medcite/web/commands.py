"""CLI commands of the web side: ``medcite serve``, ``medcite users ...``, ``medcite tokens ...``.

Like medcite.cli (see there): no postponed annotations, heavy imports inside the commands.
"""

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer

from medcite.errors import InvalidRequestError
from medcite.kinds import Role
from medcite.terminal import Guard, PrintJson, err, escape, out, read_settings

# The store, the review service and the server are imported by the commands that use them (a
# fast `medcite --help`).
if TYPE_CHECKING:
    from rich.table import Table

    from medcite.config import Settings
    from medcite.review.service import ReviewStore


def _table(*headers: str) -> "Table":
    from rich.table import Table

    return Table(*headers)


@contextmanager
def _review(settings: "Settings") -> "Iterator[ReviewStore]":
    """The review store of ``settings``, closed afterwards."""
    from medcite.review.service import ReviewStore
    from medcite.store.factory import open_store

    with open_store(settings) as store:
        yield ReviewStore(store.reviews(), review_interval_days=settings.review_interval_days)


def _password(from_stdin: bool, prompt: bool) -> str | None:
    """Passwords come from stdin or a hidden prompt, never from the command line (shell history)."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    if prompt:
        value: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
        return value
    return None


def register(app: typer.Typer, guard: Guard[Any], print_json: PrintJson) -> None:
    """Add the web and account commands to the main CLI."""

    @app.command()
    def serve(
        host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="Port to listen on.", min=0, max=65535)] = 8000,
        workers: Annotated[
            int,
            typer.Option(
                help="Worker processes. More than one: the store's vocabularies and indexes "
                "are loaded once and the workers forked from it share them (docs/scale-out.md).",
                min=1,
            ),
        ] = 1,
        log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
    ) -> None:
        """Serve the web app and the JSON API (OpenAPI at /openapi.json)."""
        import uvicorn

        from medcite.store.factory import store_label

        settings = guard(read_settings)
        if settings.database_url is None and not settings.db_path.exists():
            err().print(
                "[yellow]warning:[/yellow] no store yet; the server will answer 503 until "
                "`medcite ingest --default` has run."
            )
        os.environ.setdefault("MEDCITE_HOME", str(settings.home))
        err().print(
            f"medcite serving on http://{host}:{port}/ (store {escape(store_label(settings))})"
        )
        from medcite.web import prefork

        prefork.limit_malloc_arenas()  # before any thread: flat memory under load
        if workers > 1:
            raise typer.Exit(prefork.serve(settings, host, port, workers, log_level))
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
        help="Manage user accounts (readers, editors, reviewers, admins).", no_args_is_help=True
    )
    tokens = typer.Typer(help="Manage API tokens.", no_args_is_help=True)
    app.add_typer(users, name="users")
    app.add_typer(tokens, name="tokens")

    @users.command("add")
    def users_add(
        name: Annotated[str, typer.Argument(help="Login name.")],
        role: Annotated[
            Role,
            typer.Option(help="What the user may do; reader, the least privilege, unless named."),
        ] = Role.READER,
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
        """Add a user (a reader unless --role says otherwise). Prompts for a password unless
        --password-stdin or --no-password."""
        settings = guard(read_settings)
        password = _password(password_stdin, prompt=not no_password)

        def body() -> dict[str, Any]:
            with _review(settings) as review:
                user = review.add_user(name, role, display_name=display_name, password=password)
            return user.model_dump(mode="json")

        user = guard(body)
        if as_json:
            print_json(user)
        else:
            out().print(f"Added {escape(user['name'])} ({user['role']}).")

    @users.command("list")
    def users_list(
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ) -> None:
        """List users."""
        settings = guard(read_settings)

        def body() -> list[dict[str, Any]]:
            with _review(settings) as review:
                return [u.model_dump(mode="json") for u in review.list_users()]

        rows = guard(body)
        if as_json:
            print_json(rows)
            return
        table = _table("name", "display name", "role", "disabled", "created")
        for u in rows:
            table.add_row(
                escape(u["name"]),
                escape(u["display_name"]),
                u["role"],
                "yes" if u["disabled"] else "",
                (u["created_at"] or "")[:10],
            )
        out().print(table)

    @users.command("passwd")
    def users_passwd(
        name: Annotated[str, typer.Argument(help="Login name.")],
        password_stdin: Annotated[
            bool, typer.Option("--password-stdin", help="Read the password from stdin.")
        ] = False,
    ) -> None:
        """Set a user's password."""
        settings = guard(read_settings)
        password = _password(password_stdin, prompt=True) or ""

        def body() -> None:
            with _review(settings) as review:
                review.set_password(name, password)

        guard(body)
        out().print(f"Password of {escape(name)} changed.")

    @users.command("disable")
    def users_disable(
        name: Annotated[str, typer.Argument(help="Login name.")],
        enable: Annotated[bool, typer.Option("--enable", help="Re-enable instead.")] = False,
    ) -> None:
        """Disable (or re-enable) a user; their sessions end and tokens stop working."""
        settings = guard(read_settings)

        def body() -> None:
            with _review(settings) as review:
                review.set_disabled(name, not enable)

        guard(body)
        out().print(f"{escape(name)} {'enabled' if enable else 'disabled'}.")

    @tokens.command("create")
    def tokens_create(
        user: Annotated[str, typer.Argument(help="Login name of the token's owner.")],
        label: Annotated[str, typer.Option(help="What the token is for.")] = "api",
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ) -> None:
        """Create an API token. It is printed once; only its hash is stored."""
        settings = guard(read_settings)

        def body() -> str:
            with _review(settings) as review:
                return review.create_token(user, label)

        token = guard(body)
        if as_json:
            print_json({"user": user, "label": label, "token": token})
            return
        err().print("Keep this token secret; it is shown only now:")
        sys.stdout.write(token + "\n")

    @tokens.command("list")
    def tokens_list(
        user: Annotated[str | None, typer.Option(help="Only this user's tokens.")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ) -> None:
        """List tokens (ids, prefixes and use; never the secrets)."""
        settings = guard(read_settings)

        def body() -> list[dict[str, Any]]:
            with _review(settings) as review:
                return review.list_tokens(user)

        rows = guard(body)
        if as_json:
            print_json(rows)
            return
        table = _table("id", "user", "label", "prefix", "created", "last used", "revoked")
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
        out().print(table)

    @tokens.command("revoke")
    def tokens_revoke(
        token_id: Annotated[int, typer.Argument(help="Token id (see tokens list).")],
    ) -> None:
        """Revoke a token."""
        settings = guard(read_settings)

        def body() -> None:
            if token_id < 1:
                raise InvalidRequestError("token ids start at 1")
            with _review(settings) as review:
                review.revoke_token(token_id)

        guard(body)
        out().print(f"Token {token_id} revoked.")

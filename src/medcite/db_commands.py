"""CLI commands for a local PostgreSQL server: ``medcite db start|stop|status``.

Like medcite.cli (see there): no postponed annotations, heavy imports inside the commands. It
sits outside medcite.store, whose package imports the SQLite store (pydantic): `medcite --help`
must not.
"""

from typing import Annotated, Any

import typer

from medcite.terminal import Guard, PrintJson, escape, out, read_settings


def register(app: typer.Typer, guard: Guard[Any], print_json: PrintJson) -> None:
    """Add ``medcite db ...`` to the main CLI."""
    db = typer.Typer(
        help="A local PostgreSQL server (with pgvector) kept under MEDCITE_HOME, for users who "
        "have none.",
        no_args_is_help=True,
    )
    app.add_typer(db, name="db")

    def report(action: str, as_json: bool) -> None:
        from medcite.store.pg_server import LocalPostgres

        settings = guard(read_settings)
        server = LocalPostgres(settings.home / "postgres")
        status = guard(getattr(server, action))
        if as_json:
            print_json(status.to_dict())
        elif status.running:
            out().print(f"PostgreSQL running (pid {status.pid}) at {escape(status.url or '')}")
            out().print(f"  data {escape(status.data_dir)}, log {escape(status.log)}")
        else:
            out().print(f"PostgreSQL not running (data {escape(status.data_dir)})")

    @db.command("start")
    def db_start(
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ) -> None:
        """Start the local server (created on first start) on 127.0.0.1 and a free port."""
        report("start", as_json)

    @db.command("stop")
    def db_stop(
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ) -> None:
        """Stop the local server."""
        report("stop", as_json)

    @db.command("status")
    def db_status(
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ) -> None:
        """Whether the local server runs, and its URL (``{"url": "postgresql://..."}``)."""
        report("status", as_json)

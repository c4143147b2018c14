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

    @app.command("migrate")
    def migrate(
        to: Annotated[
            str, typer.Option("--to", help="The PostgreSQL database: postgresql://user@host/db.")
        ],
        batch: Annotated[
            int, typer.Option(min=1, help="Documents (with their passages) per transaction.")
        ] = 500,
        as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    ) -> None:
        """Copy this install's SQLite store (MEDCITE_HOME) into a PostgreSQL database, ids kept;
        resumable (run it again after an interruption), refuses a database holding other data.
        Then set MEDCITE_DATABASE_URL to the URL."""
        from medcite.console import RichIngestProgress
        from medcite.store.factory import check_database_url, postgres_installed
        from medcite.store.pg_migrate import migrate_to_postgres
        from medcite.terminal import err

        settings = guard(read_settings)
        url = guard(lambda: check_database_url(to))
        if not postgres_installed():
            from medcite.errors import ConfigError

            guard(
                lambda: _raise(
                    ConfigError(
                        "the postgres extra is not installed",
                        hint="pip install 'medcite[postgres]'",
                    )
                )
            )
        label = "documents"

        def body() -> Any:
            with RichIngestProgress(err()) as progress:
                try:
                    return migrate_to_postgres(
                        settings.db_path,
                        url,
                        batch=batch,
                        on_start=lambda n: progress.start_job(label, n, unit="documents"),
                        on_progress=lambda n: progress.advance(label, files=n, documents=n),
                    )
                finally:
                    if label in progress.tasks:
                        progress.end_job(label)

        report = guard(body)
        if as_json:
            print_json(report.to_dict())
        else:
            verb = "resumed and finished" if report.resumed else "copied"
            out().print(
                f"{verb}: {report.documents_copied:,} documents into {escape(report.target)}"
                f" in {report.seconds:.1f}s"
            )
            for table, c in report.counts.items():
                mark = "" if c["source"] == c["target"] else "  [red]MISMATCH[/red]"
                out().print(f"  {table:<16} {c['source']:>10,} -> {c['target']:>10,}{mark}")
            if report.ok:
                out().print(f"Now set MEDCITE_DATABASE_URL={escape(report.target)}")
        if not report.ok:
            raise typer.Exit(1)


def _raise(exc: Exception) -> None:
    raise exc

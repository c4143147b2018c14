"""The ``medcite`` command line (typer + rich). Errors are translated to messages here only.

Start-up matters (users run one command per question): heavy modules are imported inside the
commands that use them, and this module has no ``from __future__ import annotations`` because
typer would then ``eval`` every option's annotation string at start (~30 ms); names imported only
for type checking are quoted instead.
"""

import hashlib
import json
import re
import shutil
import sys
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar, cast

import typer

from medcite import __version__
from medcite.errors import MedciteError, QueryError
from medcite.kinds import Audience, DocType
from medcite.terminal import err, escape, out, read_settings

# Everything else is imported by the command that needs it: `medcite --help` and a cold
# `medcite ask` must not pay for ingest, evaluation or the web server (docs/benchmarks.md).
if TYPE_CHECKING:
    from medcite.config import Settings
    from medcite.console import RichIngestProgress
    from medcite.ingest.base import LoadOptions
    from medcite.ingest.runner import IngestJob, IngestReport
    from medcite.store.base import Store
    from medcite.store.sqlite import SQLiteStore
    from medcite.types import Answer, Evidence

app = typer.Typer(
    name="medcite",
    help="Evidence-backed medical answers: every sentence cited to a real source.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain (click) help: rich-formatted help costs ~0.2 s of imports on every `--help`.
    rich_markup_mode=None,
)
T = TypeVar("T")


def _guard(fn: Callable[[], T]) -> T:
    """Run a command body; a MedciteError becomes a message and an exit code, not a traceback."""
    try:
        return fn()
    except MedciteError as exc:
        # soft_wrap: one line per message, however long (rich would break it at 80 columns).
        err().print(f"[bold red]error:[/bold red] {escape(exc.message)}", soft_wrap=True)
        if exc.hint:
            err().print(f"[dim]hint: {escape(exc.hint)}[/dim]", soft_wrap=True)
        raise typer.Exit(exc.exit_code) from None


def _settings() -> "Settings":
    """The settings from the environment; a bad value is an error message, not a traceback."""
    return _guard(read_settings)


def _open_store(settings: "Settings", *, read_only: bool = False) -> "Store":
    """The store the settings name: SQLite in MEDCITE_HOME, or PostgreSQL at
    MEDCITE_DATABASE_URL (medcite.store.factory)."""
    from medcite.store.factory import open_store

    return open_store(settings, read_only=read_only)


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


@app.callback(invoke_without_command=True)
def _root(
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    if version:
        out().print(f"medcite {__version__}")
        raise typer.Exit()


# ---------------------------------------------------------------------------------------- ingest
def _jobs_for(
    targets: list[str],
    settings: "Settings",
    options: "LoadOptions",
    query: str | None,
    max_results: int,
) -> "list[IngestJob]":
    from medcite.ingest.base import LoadOptions
    from medcite.ingest.eutils import fetch_pubmed
    from medcite.ingest.formats import LOADERS_BY_FORMAT, walk_files
    from medcite.ingest.runner import IngestJob
    from medcite.ingest.sources import SOURCES, get_source, resolve_source

    jobs: list[IngestJob] = []
    for target in targets:
        if target.lower() == "pubmed":
            if not query:
                raise QueryError('`medcite ingest pubmed` needs --query "..."')
            dest = settings.sources_dir / "pubmed" / _slug(query)
            err().print(f"Fetching PubMed results for {query!r} from NCBI E-utilities…")
            files = fetch_pubmed(query, dest, settings, max_results=max_results)
            opts = LoadOptions(source="pubmed", doc_type=options.doc_type)
            jobs.append(IngestJob("pubmed", files, LOADERS_BY_FORMAT["pubmed"], opts))
        elif target.lower() in SOURCES:
            source = get_source(target)
            root = resolve_source(source, settings)
            jobs.append(
                IngestJob(
                    source.name,
                    source.files(root),
                    LOADERS_BY_FORMAT[source.format],
                    LoadOptions(doc_type=options.doc_type),
                )
            )
        else:
            path = Path(target).expanduser()
            if not path.exists():
                raise MedciteError(
                    f"{target!r} is neither a known source nor an existing path",
                    hint="Known sources: " + ", ".join(sorted([*SOURCES, "pubmed"])),
                )
            root = path if path.is_dir() else path.parent
            opts = LoadOptions(
                source=options.source,
                doc_type=options.doc_type,
                root=root,
                organisation=options.organisation,
                licence=options.licence,
            )
            jobs.append(
                IngestJob(target, list(walk_files(path)), None, opts, explicit=path.is_file())
            )
    return jobs


def _slug(text: str) -> str:
    """A folder name for a PubMed query: readable prefix plus a hash (different queries never share)."""
    base = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40]
    return f"{base}-{hashlib.sha1(text.encode()).hexdigest()[:8]}"


def _default_targets(settings: "Settings") -> list[str]:
    """Default corpus: every default source that is mirrored, or all of them when no mirror is set."""
    from medcite.ingest.sources import DEFAULT_SOURCES, SOURCES, mirror_location

    if settings.mirror is None:
        return list(DEFAULT_SOURCES)
    present = [name for name in DEFAULT_SOURCES if mirror_location(SOURCES[name], settings)]
    if not present:
        raise MedciteError(
            f"no default source found under the mirror {settings.mirror}",
            hint="Expected " + ", ".join(SOURCES[n].mirror_path for n in DEFAULT_SOURCES),
        )
    return present


@app.command()
def ingest(
    targets: Annotated[
        list[str] | None,
        typer.Argument(
            help="Named sources (medquad, ngc, pubmedqa, pubmed) and/or files and folders."
        ),
    ] = None,
    default: Annotated[bool, typer.Option("--default", help="Ingest the default corpus.")] = False,
    if_empty: Annotated[
        bool, typer.Option("--if-empty", help="Do nothing when the store already has documents.")
    ] = False,
    query: Annotated[
        str | None, typer.Option("--query", "-q", help="PubMed query for `pubmed`.")
    ] = None,
    max_results: Annotated[int, typer.Option(help="Most PubMed records to fetch.")] = 100,
    source: Annotated[str, typer.Option(help="Source label for files given by path.")] = "local",
    doc_type: Annotated[
        DocType | None, typer.Option(help="Force the document type of everything ingested.")
    ] = None,
    organisation: Annotated[
        str | None, typer.Option(help="Publisher of files given by path.")
    ] = None,
    licence: Annotated[str | None, typer.Option(help="Licence of files given by path.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Ingest named sources or files (MedQuAD, NGC, PubMedQA, MedlinePlus, PubMed, JSONL, MD, HTML, TXT, PDF)."""
    from medcite.console import RichIngestProgress, ingest_summary_table, problems_table
    from medcite.index.updater import refresh_keyword_search
    from medcite.ingest.base import LoadOptions
    from medcite.ingest.runner import run_ingest
    from medcite.retrieve.vocabulary import prepare_vocabulary

    settings = _settings()

    def body() -> "IngestReport | None":
        with _open_store(settings) as store:
            if if_empty and store.count_documents() > 0:
                err().print(
                    f"[dim]Store already holds {store.count_documents():,} documents; skipping ingest.[/dim]"
                )
                return None
            names = list(targets or [])
            if default:
                names = _default_targets(settings) + names
            if not names:
                raise MedciteError("nothing to ingest", hint="Give sources or paths, or --default.")
            options = LoadOptions(
                source=source, doc_type=doc_type, organisation=organisation, licence=licence
            )
            jobs = _jobs_for(names, settings, options, query, max_results)
            with RichIngestProgress(err()) as progress:
                report = run_ingest(store, jobs, settings, progress, args={"targets": names})
                # Searches only read the index: the ingest brings it up to what it wrote (a
                # PostgreSQL store wrote its keyword postings with the documents).
                update = refresh_keyword_search(store, settings, progress)
                if settings.dense_on_ingest:
                    _embed_pending(store, progress)
            prepare_vocabulary(store)
            if update.rebuilt:
                err().print(f"[yellow]{escape(update.rebuilt)}[/yellow]")
            return report

    report = _guard(body)
    if report is None:
        return
    if as_json:
        _print_json(report.to_dict())
    else:
        out().print(ingest_summary_table(report))
        if problems := problems_table(report.skipped, report.errors):
            out().print(problems)
    if not report.ok:
        raise typer.Exit(1)


@app.command()
def index(
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Rebuild the keyword index.")] = False,
    dense: Annotated[
        bool, typer.Option("--dense", help="Also embed passages that have no dense vector yet.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Bring the search indexes up to date with the store (ingest does the keyword index too)."""
    from medcite.console import RichIngestProgress
    from medcite.index.updater import keyword_index_path, refresh_keyword_search
    from medcite.retrieve.vocabulary import prepare_vocabulary
    from medcite.store.base import IndexState

    settings = _settings()

    def body() -> dict[str, Any]:
        with _open_store(settings) as store:
            if rebuild and settings.database_url is None:
                shutil.rmtree(keyword_index_path(settings), ignore_errors=True)
                store.set_index_state(IndexState("keyword", 0, 0, 0))
            with RichIngestProgress(err()) as progress:
                update = refresh_keyword_search(store, settings, progress)
                embedded = _embed_pending(store, progress) if dense else 0
            prepare_vocabulary(store)
            return {**asdict(update), "embedded": embedded}

    result = _guard(body)
    if as_json:
        _print_json(result)
        return
    if result["rebuilt"]:
        err().print(f"[yellow]{escape(result['rebuilt'])}[/yellow]")
    out().print(
        f"keyword index: {result['total']:,} passages (+{result['added']:,}, -{result['deleted']:,})"
        + (f"; dense vectors added: {result['embedded']:,}" if dense else "")
    )


def _embed_pending(store: "Store", progress: "RichIngestProgress") -> int:
    """Embed passages without a dense vector, with a progress bar; resumable (commits per batch)."""
    try:
        from medcite.index.dense import DenseIndex
        from medcite.index.embed import MiniLMEmbedder

        dense_index = DenseIndex(store, MiniLMEmbedder())
        pending = dense_index.pending()
    except ImportError as exc:
        raise MedciteError(
            "dense retrieval needs the dense extra", hint="pip install 'medcite[dense]'"
        ) from exc
    label = "dense vectors"
    progress.start_job(label, pending, unit="passages")
    try:
        return dense_index.update(on_progress=lambda n: progress.advance(label, files=n))
    finally:
        progress.end_job(label)


@app.command()
def stats(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Documents and passages per source and document type, how many have dense vectors, and
    whether the keyword index is up to date."""
    from medcite.console import stats_table
    from medcite.index.embed import MODEL_NAME
    from medcite.index.updater import keyword_index_status
    from medcite.store.factory import store_label

    settings = _settings()

    def body() -> None:
        with _open_store(settings) as store:
            rows = store.stats()
            vectors = store.count_vectors(MODEL_NAME)
            keyword = keyword_index_status(store, settings)
        passages = sum(r.passages for r in rows)
        if as_json:
            _print_json(
                {
                    "db": store_label(settings),
                    "documents": sum(r.documents for r in rows),
                    "passages": passages,
                    "dense_model": MODEL_NAME,
                    "dense_vectors": vectors,
                    "keyword_index": keyword,
                    "by_source": [
                        {
                            "source": r.source,
                            "doc_type": r.doc_type,
                            "documents": r.documents,
                            "passages": r.passages,
                        }
                        for r in rows
                    ],
                }
            )
        else:
            out().print(stats_table(rows))
            hint = " (`medcite index --dense` adds the rest)" if vectors < passages else ""
            out().print(f"dense vectors: {vectors:,} of {passages:,} passages{hint}")
            if keyword["stale"]:
                out().print(
                    f"[yellow]keyword index out of date[/yellow] ({keyword['passages']:,} passages "
                    f"indexed, {keyword['pending_passages']:,} newer): run `medcite index`"
                )
            out().print(f"[dim]{escape(store_label(settings))}[/dim]")

    _guard(body)


@app.command()
def sources(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """The named sources, their public addresses and whether the mirror has them."""
    from medcite.ingest.sources import SOURCES, mirror_location

    settings = _settings()
    rows = [
        {
            "name": s.name,
            "title": s.title,
            "url": s.url,
            "licence": s.licence,
            "mirror": str(mirror_location(s, settings) or ""),
        }
        for s in SOURCES.values()
    ]
    if as_json:
        _print_json(rows)
        return
    for r in rows:
        where = f"mirror: {r['mirror']}" if r["mirror"] else "download on first use"
        out().print(
            f"[bold]{r['name']}[/bold]  {r['title']}\n  {r['url']}\n  licence: {r['licence']}; {where}"
        )


@app.command()
def runs(
    limit: Annotated[int, typer.Option(help="How many recent runs.")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Recent ingest runs with their status, and the files they skipped or failed on, with why."""
    from medcite.console import problems_table

    settings = _settings()

    def body() -> None:
        with _open_store(settings) as store:
            rows = store.runs(limit)
            for r in rows:
                r["errors"] = store.errors(r["id"])
                jobs = r["stats"].get("jobs", [])
                r["skipped"] = [tuple(s) for job in jobs for s in job.get("skipped", [])]
        if as_json:
            _print_json(rows)
            return
        for r in rows:
            out().print(
                f"[bold]run {r['id']}[/bold] {r['status']}  {r['started_at']} → {r['finished_at'] or '…'}"
                f"  skipped: {len(r['skipped'])}  errors: {len(r['errors'])}"
            )
            more = "see `medcite runs --json`"
            if problems := problems_table(r["skipped"], r["errors"], limit=10, more=more):
                out().print(problems)

    _guard(body)


# ------------------------------------------------------------------------------- search and ask
@app.command()
def search(
    query: Annotated[str, typer.Argument(help="Search words or a question.")],
    k: Annotated[int, typer.Option("-k", help="How many passages.", min=1, max=100)] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Ranked passages for a query, with document title, type, year and score."""
    from medcite.retrieve.hybrid import HybridRetriever, evidence_json

    settings = _settings()

    def body() -> "list[Evidence]":
        # Read-only: a search beside an ingest or a server writes nothing.
        with _open_store(settings, read_only=True) as store:
            return HybridRetriever.open(store, settings).search(query, k).hits

    hits = _guard(body)
    if as_json:
        _print_json(
            {"query": query, "results": [evidence_json(h, i + 1) for i, h in enumerate(hits)]}
        )
        return
    if not hits:
        out().print("No passages match.")
    for i, h in enumerate(hits, 1):
        d = h.document
        out().print(
            f"[bold]{i}.[/bold] {escape(d.title)} [dim]({d.doc_type.label}, {d.year or 'n.d.'}; "
            f"score {h.score:.2f})[/dim]"
        )
        out().print(f"   [italic]{escape(h.passage.section or '')}[/italic]")
        out().print(f"   {escape(h.passage.text[:300])}{'…' if len(h.passage.text) > 300 else ''}")


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="A health question.")],
    audience: Annotated[
        Audience, typer.Option(help="Who is reading: patient (default) or clinician.")
    ] = Audience.PATIENT,
    fmt: Annotated[
        str, typer.Option("--format", help="text (default), markdown, html or json.")
    ] = "text",
    as_json: Annotated[bool, typer.Option("--json", help="Same as --format json.")] = False,
    follow_up_of: Annotated[
        str | None,
        typer.Option("--follow-up-of", help="Id of an earlier answer this question follows up."),
    ] = None,
    scorer: Annotated[
        str,
        typer.Option(help="rule (default) or similarity (MiniLM cosine; needs the dense extra)."),
    ] = "rule",
    explain: Annotated[
        bool,
        typer.Option(
            "--explain", help="Also show every candidate sentence: its score, parts and fate."
        ),
    ] = False,
) -> None:
    """Answer a health question with a structured article quoted from cited sources."""
    from medcite.compose import Composer
    from medcite.compose.render import FORMATS, render, render_rich

    if as_json:
        fmt = "json"
    if fmt not in FORMATS:
        err().print(f"[bold red]error:[/bold red] unknown format {escape(fmt)!r}")
        err().print(f"[dim]hint: choose one of {', '.join(FORMATS)}[/dim]")
        raise typer.Exit(2)
    settings = _settings()

    def body() -> "Answer":
        with _open_store(settings) as store:
            if store.count_documents() == 0:
                raise MedciteError(
                    "the store is empty", hint="Run `medcite ingest --default` first."
                )
            # compose/ is typed to the SQLite store; both stores keep store.base.Store.
            composer = Composer.open(cast("SQLiteStore", store), settings, scorer=scorer)
            return composer.ask(
                question, audience=audience, follow_up_of=follow_up_of, explain=explain
            )

    answer = _guard(body)
    if fmt == "text" and out().is_terminal:
        render_rich(answer, out())
    else:
        sys.stdout.write(render(answer, fmt))
    if explain and fmt in ("text", "markdown"):
        from medcite.compose.render_text import explanation_table

        out().print(explanation_table(answer))


from medcite.db_commands import register as _register_db  # noqa: E402
from medcite.eval.commands import register as _register_eval  # noqa: E402 - needs the helpers above
from medcite.web.commands import register as _register_web  # noqa: E402

_register_eval(app, _guard, _print_json)
_register_web(app, _guard, _print_json)
_register_db(app, _guard, _print_json)


def main() -> None:
    app()

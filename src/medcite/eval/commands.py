"""CLI commands of evaluation: ``medcite eval retrieval``, ``medcite eval answers`` and
``medcite eval subject``.

Like medcite.cli (see there): no postponed annotations, heavy imports inside the commands.
"""

from pathlib import Path
from typing import Annotated, Any

import typer

from medcite.errors import MedciteError
from medcite.terminal import Guard, PrintJson, compact_table, err, out, read_settings


def register(app: typer.Typer, guard: Guard[Any], print_json: PrintJson) -> None:
    """Add the ``eval`` commands to the main CLI."""
    eval_app = typer.Typer(
        help="Measure retrieval and answers on benchmark sets.", no_args_is_help=True
    )
    app.add_typer(eval_app, name="eval")

    @eval_app.command("retrieval")
    def eval_retrieval(
        dataset: Annotated[str, typer.Option(help="nfcorpus or bioasq.")],
        data: Annotated[Path, typer.Option(help="Folder holding the dataset files.")],
        systems: Annotated[
            str,
            typer.Option(
                help="Comma-separated: bm25, bm25_qe, bm25_prf, rank_bm25, dense, hybrid, hybrid_prf."
            ),
        ] = "bm25,bm25_qe,rank_bm25,dense,hybrid",
        split: Annotated[
            str | None,
            typer.Option(
                help="nfcorpus: dev|test (test); bioasq: dev (7B-9B)|test (10B-11B)|all (all)."
            ),
        ] = None,
        limit: Annotated[
            int | None, typer.Option(help="Evaluate only the first N queries.")
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ) -> None:
        """nDCG@10, recall@10 and MRR of our retrievers and baselines, in one run."""

        from medcite.eval.datasets import load_dataset
        from medcite.eval.retrieval import SYSTEMS, evaluate

        settings = guard(read_settings)
        chosen = tuple(s.strip() for s in systems.split(",") if s.strip())

        def body() -> list[dict[str, float | str]]:
            unknown = [s for s in chosen if s not in SYSTEMS]
            if unknown:
                raise MedciteError(
                    f"unknown system(s): {', '.join(unknown)}", hint="Known: " + ", ".join(SYSTEMS)
                )
            ds = load_dataset(dataset, data, split)
            if limit is not None:
                keep = list(ds.queries)[:limit]
                ds.queries = {q: ds.queries[q] for q in keep}
                ds.qrels = {q: ds.qrels[q] for q in keep}
            err().print(f"{ds.name}: {len(ds.corpus):,} documents, {len(ds.queries):,} queries")
            results = evaluate(ds, chosen, cache=settings.home / "eval-cache")
            return [r.summary() for r in results]

        rows = guard(body)
        if as_json:
            print_json({"dataset": dataset, "results": rows})
            return
        table = compact_table(f"Retrieval on {dataset}")
        for col in rows[0] if rows else []:
            name = col.replace("_", " ")
            table.add_column(name, justify="left" if col == "system" else "right", no_wrap=True)
        for row in rows:
            table.add_row(*(str(v) for v in row.values()))
        out().print(table)

    @eval_app.command("answers")
    def eval_answers(
        data: Annotated[
            Path, typer.Option(help="Dataset folder (for --agreement: the MedLFQA folder).")
        ],
        dataset: Annotated[
            str | None,
            typer.Option(help="medlfqa-liveqa, medlfqa-medication or liveqa-trec2017."),
        ] = None,
        systems: Annotated[
            str,
            typer.Option(
                help="Comma-separated: medcite, top5, order, zeroshot (the last two are cut to "
                "medcite's length: list medcite first)."
            ),
        ] = "medcite,top5",
        limit: Annotated[
            int | None, typer.Option(help="Evaluate only the first N questions.")
        ] = None,
        split: Annotated[
            str,
            typer.Option(help="Questions by number: odd (tuning), even (reporting) or all."),
        ] = "all",
        numbers: Annotated[
            str | None,
            typer.Option(help="Only questions numbered in this range, e.g. 101-666."),
        ] = None,
        judge: Annotated[
            str,
            typer.Option(help="minilm (MiniLM cosine + word overlap) or lexical (overlap only)."),
        ] = "minilm",
        scorer: Annotated[
            str, typer.Option(help="The composer's scorer: rule (default) or similarity.")
        ] = "rule",
        agreement: Annotated[
            bool,
            typer.Option(
                "--agreement", help="Report the key-fact judge's agreement with the hand labels."
            ),
        ] = False,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ) -> None:
        """Key-fact recall, length, support, abstention, reading grade and latency of answers."""

        from medcite.console import RichIngestProgress
        from medcite.eval.answers import (
            answered_questions,
            build_systems,
            evaluate_answers,
            load_answer_dataset as load_answers,
            select_questions,
        )
        from medcite.eval.keyfacts import KeyFactJudge, lexical_judge
        from medcite.eval.labels import label_agreement
        from medcite.store.sqlite import SQLiteStore

        settings = guard(read_settings)
        chosen = [s.strip() for s in systems.split(",") if s.strip()]

        def body() -> dict[str, Any]:
            with SQLiteStore(settings.db_path) as store:
                if agreement:
                    return label_agreement(store, data).to_dict()
                if dataset is None:
                    raise MedciteError("--dataset is required", hint="Or pass --agreement.")
                if judge not in ("minilm", "lexical"):
                    raise MedciteError(f"unknown judge {judge!r}", hint="minilm or lexical")
                span = None
                if numbers:
                    low, _, high = numbers.partition("-")
                    if not (low.isdigit() and high.isdigit()):
                        raise MedciteError(f"--numbers {numbers!r}: expected FIRST-LAST")
                    span = (int(low), int(high))
                questions = select_questions(
                    load_answers(dataset, data), split=split, numbers=span
                )[:limit]
                runners = build_systems(chosen, store, settings, scorer=scorer)
                err().print(f"{dataset}: {len(questions):,} questions")
                with RichIngestProgress(err()) as progress:
                    for name in runners:
                        progress.start_job(name, len(questions), unit="questions")

                    def tick(system: str, done: int, total: int) -> None:
                        progress.advance(system, files=1)
                        if done == total:
                            progress.end_job(system)

                    reports = evaluate_answers(
                        questions,
                        runners,
                        judge=KeyFactJudge() if judge == "minilm" else lexical_judge(),
                        progress=tick,
                    )
                answered = answered_questions(reports) if "medcite" in chosen else None
                return {
                    "dataset": dataset,
                    "split": split,
                    "judge": judge,
                    "results": [r.summary(answered) for r in reports],
                }

        result = guard(body)
        if as_json:
            print_json(result)
            return
        if agreement:
            t, missing = result["thresholds"], result["missing_passages"]
            out().print(
                f"Key-fact judge vs hand labels: n={result['n']} ({result['positives']} covered), "
                f"accuracy {result['accuracy']:.3f}, precision {result['precision']:.3f}, "
                f"recall {result['recall']:.3f}, Cohen's kappa {result['kappa']:.3f}"
                + (f"; {missing} labelled passages not in this store" if missing else "")
                + f"\n[dim]covered when cos >= {t['cos_min']} and overlap >= {t['overlap_min']}, "
                f"or overlap >= {t['overlap_alone']} with >= {t['min_words_alone']} content words[/dim]"
            )
            return
        rows = result["results"]
        table = compact_table(f"Answers on {dataset} (recall: key facts covered)")
        headers = {"questions": "n", "key_fact_recall": "recall", "support_rate": "support"}
        headers |= {"recall_answered": "answered"}
        headers |= {"abstention_rate": "abstained", "reading_grade": "grade"}
        for col in rows[0] if rows else []:
            name = headers.get(col, col.replace("_", " "))
            table.add_column(name, justify="left" if col == "system" else "right", no_wrap=True)
        for row in rows:
            table.add_row(*("—" if v is None else str(v) for v in row.values()))
        out().print(table)

    @eval_app.command("subject")
    def eval_subject(
        data: Annotated[
            Path, typer.Option(help="The bench folder (holding medlfqa/ and liveqa-trec2017/).")
        ],
        scorer: Annotated[
            str,
            typer.Option(help="The composer's scorer (comma-separated for several): rule, ..."),
        ] = "rule",
        labels: Annotated[
            Path | None, typer.Option(help="Labels file (default: the shipped hand labels).")
        ] = None,
        all_questions: Annotated[
            bool,
            typer.Option(
                "--all", help="Ask every report-half question, not only the labelled ones."
            ),
        ] = False,
        unlabelled: Annotated[
            Path | None,
            typer.Option(help="Write the statements no label covers to this JSONL file."),
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ) -> None:
        """Off-subject rate of the composer's statements against hand labels."""

        import json

        from medcite.compose.scoring import SCORERS
        from medcite.eval.subject import (
            check_questions,
            composer_statements,
            labelled_questions,
            load_subject_labels,
            report_questions,
            subject_report,
            unlabelled_rows,
        )
        from medcite.store.sqlite import SQLiteStore

        settings = guard(read_settings)
        chosen = [s.strip() for s in scorer.split(",") if s.strip()]

        def body() -> dict[str, Any]:
            unknown = [s for s in chosen if s not in SCORERS]
            if unknown or not chosen:
                raise MedciteError(
                    f"unknown scorer(s): {', '.join(unknown) or scorer!r}",
                    hint="Known: " + ", ".join(SCORERS),
                )
            rows = load_subject_labels(labels)
            questions = report_questions(data) if all_questions else labelled_questions(rows)
            if not all_questions:
                check_questions(questions, data)
            reports = []
            with SQLiteStore(settings.db_path) as store:
                if store.count_documents() == 0:
                    raise MedciteError(
                        "the store is empty", hint="Run `medcite ingest --default` first."
                    )
                for name in chosen:
                    err().print(f"scorer {name}: {len(questions)} questions")
                    answer = composer_statements(store, settings, scorer=name)
                    reports.append(subject_report(answer, rows, scorer=name, questions=questions))
            if unlabelled is not None:
                lines = [json.dumps(r, ensure_ascii=False) for r in unlabelled_rows(reports)]
                unlabelled.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
            return {"labels": len(rows), "results": [r.to_dict() for r in reports]}

        result = guard(body)
        if as_json:
            print_json(result)
            return
        table = compact_table(f"Off-subject statements ({result['labels']} labels)")
        for col in ("scorer", "questions", "shown", "labelled", "unlabelled"):
            table.add_column(col, justify="left" if col == "scorer" else "right", no_wrap=True)
        for col in ("off subject", "answers", "on subject"):
            table.add_column(col, justify="right", no_wrap=True)
        for r in result["results"]:
            rates = (r["off_subject_rate"], r["answers_rate"], r["on_subject_rate"])
            table.add_row(
                r["scorer"],
                *(str(r[k]) for k in ("questions", "shown", "labelled", "unlabelled")),
                *("—" if v is None else f"{v:.1%}" for v in rates),
            )
        out().print(table)
        if unlabelled is not None:
            err().print(f"unlabelled statements written to {unlabelled}")

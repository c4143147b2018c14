"""The drug subject model on benchmark questions (by hand; not part of `make bench` or CI).

Per set: questions naming a drug, and those naming one the corpus has no passage on (what the
composer would abstain on), with examples to judge precision; how many mentions the everyday-word
rule removed; the time per question. With --retrieve, also the MedicationQA questions whose
drugs are all covered but none of whose top five retrieved passages names one.

    MEDCITE_HOME=... .venv/bin/python scripts/bench_drugs.py [--bench ../shared/bench]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from medcite.config import get_settings
from medcite.eval.answers import load_answer_dataset
from medcite.retrieve.drugs import (
    _find,
    corpus_has_source,
    drug_mentions,
    names_drug,
    uncovered_drugs,
)
from medcite.retrieve.hybrid import HybridRetriever
from medcite.store.sqlite import SQLiteStore

ROOT = Path(__file__).resolve().parent.parent


def questions(bench: Path) -> dict[str, list[str]]:
    sets = {
        "MedicationQA": [
            q.question for q in load_answer_dataset("medlfqa-medication", bench / "medlfqa")
        ],
        "MedLFQA LiveQA": [
            q.question for q in load_answer_dataset("medlfqa-liveqa", bench / "medlfqa")
        ],
        "TREC LiveQA 2017": [
            q.question for q in load_answer_dataset("liveqa-trec2017", bench / "liveqa-trec2017")
        ],
    }
    health = bench / "medlfqa" / "healthsearch_qa_test.jsonl"
    if health.is_file():  # consumer search questions, rarely about a drug: more for precision
        lines = health.read_text("utf-8").splitlines()
        sets["HealthSearchQA"] = [json.loads(line)["Question"] for line in lines if line.strip()]
    return sets


def show(title: str, rows: list[str], n: int) -> None:
    print(f"  {title} ({len(rows)}; {min(n, len(rows))} shown)")
    for row in rows[:n]:
        print(f"    - {row}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bench", type=Path, default=ROOT.parent / "shared" / "bench")
    parser.add_argument("--examples", type=int, default=20)
    parser.add_argument("--retrieve", action="store_true", help="also search (slow)")
    args = parser.parse_args()

    settings = get_settings()
    store = SQLiteStore(settings.db_path)
    retriever = HybridRetriever.open(store, settings)
    has_source = corpus_has_source(retriever)
    drug_mentions("warm-up: aspirin")  # loads the name table
    has_source(["aspirin"])  # opens the keyword index

    for name, qs in questions(args.bench).items():
        named, uncovered, covered, rejected, none = [], [], [], [], []
        find_ms, check_ms = [], []
        for q in qs:
            t0 = time.perf_counter()
            mentions = drug_mentions(q)
            t1 = time.perf_counter()
            missing = uncovered_drugs(q, has_source)
            t2 = time.perf_counter()
            find_ms.append((t1 - t0) * 1000)
            check_ms.append((t2 - t1) * 1000)
            kept = {m.name for m in mentions}
            dropped = [m.surface for m in _find(q, everyday=True) if m.name not in kept]
            if dropped:
                rejected.append(f"{dropped} <- {q}")
            if not mentions:
                none.append(q)
                continue
            named.append(q)
            surfaces = ", ".join(f"{m.surface} ({m.name})" for m in mentions)
            if missing:
                uncovered.append(
                    f"[{', '.join(m.surface for m in missing)}] of [{surfaces}] <- {q}"
                )
            else:
                covered.append(f"[{surfaces}] <- {q}")
        print(f"\n== {name}: {len(qs)} questions")
        print(f"  name a drug: {len(named)} ({len(named) / len(qs):.0%})")
        print(f"  name a drug with no passage in the corpus: {len(uncovered)}")
        print(f"  mentions removed by the everyday-word rule: {len(rejected)} questions")
        p95 = statistics.quantiles(check_ms, n=20)[-1] if len(check_ms) > 1 else check_ms[0]
        print(
            f"  ms per question: find {statistics.mean(find_ms):.2f} mean, "
            f"coverage {statistics.mean(check_ms):.2f} mean / {p95:.2f} p95 / {max(check_ms):.2f} max"
        )
        show("uncovered drug", uncovered, args.examples)
        show("drug mentions, all covered", covered, args.examples)
        show("removed by the everyday-word rule", rejected, args.examples)
        if name == "MedicationQA":
            show("no drug found", none, args.examples)
            if args.retrieve:
                unnamed = [
                    q
                    for q in covered
                    if not any(
                        names_drug(ev.passage.text, m)
                        for ev in retriever.search(q.split(" <- ", 1)[1], 5).hits
                        for m in drug_mentions(q.split(" <- ", 1)[1])
                    )
                ]
                show("covered, but no top-5 passage names the drug", unnamed, args.examples)


if __name__ == "__main__":
    main()

"""How medcite's PostgreSQL tables would be laid out on Citus (docs/scale-out.md, "Sharding with
Citus"): the one place that says which tables are sharded, by which column, which are reference
tables (a full copy on every node) and which stay local on the coordinator.

Nothing here talks to Citus (medcite does not run on it yet): the plan is data, the statements
that would distribute the tables are derived from it (:func:`distribution_sql`), and
tests/store/test_citus_schema.py checks the PostgreSQL schema against the rules Citus sets for
each kind of table. Where the schema breaks a rule today, :data:`PENDING` names the case and the
change planned for it; the test marks exactly those cases as expected failures (strict), so a
fix that lands without updating this plan and the document fails the suite.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Placement = Literal["distributed", "reference", "local"]


@dataclass(frozen=True)
class TablePlan:
    """Where one table lives: ``column`` is the distribution column of a distributed table,
    ``colocate_with`` the table whose shards it shares (None: it anchors its co-location group)."""

    placement: Placement
    column: str | None = None
    colocate_with: str | None = None


def _sharded(column: str, colocate_with: str | None = "documents") -> TablePlan:
    return TablePlan("distributed", column, colocate_with)


REFERENCE = TablePlan("reference")
LOCAL = TablePlan("local")

# Every table of pg_migrations/ (and schema_migrations, which medcite.store.review_pg.migrate
# creates). Order matters for distribution_sql: reference tables before the distributed tables
# whose foreign keys point at them, and a co-location anchor before the tables joining it.
PLAN: dict[str, TablePlan] = {
    # Reference: ingest_runs because documents.run_id references it (a distributed table may
    # only reference a co-located distributed table or a reference table); ingest_files and
    # ingest_errors because they reference ingest_runs; keyword_totals because every BM25 query
    # reads it beside the postings, on whichever node holds them.
    "ingest_runs": REFERENCE,
    "ingest_files": REFERENCE,
    "ingest_errors": REFERENCE,
    "keyword_totals": REFERENCE,
    # Sharded by document: a document, its passages, postings, keyword rows and vectors share a
    # shard (documents by id, every other table by document_id, all co-located).
    "documents": _sharded("id", colocate_with=None),
    "passages": _sharded("document_id"),
    "passage_keywords": _sharded("document_id"),
    "passage_terms": _sharded("document_id"),
    "passage_vectors": _sharded("document_id"),
    # Local on the coordinator: small, written and read only by the coordinator, no foreign key
    # to or from a sharded or reference table (so the coordinator need not join the metadata).
    "schema_migrations": LOCAL,
    "index_state": LOCAL,
    # Where `medcite migrate` copied the database from: one row, written by the coordinator.
    "migrated_from": LOCAL,
    # Composed answers: keyed by their own id, a foreign key to themselves only, read by id.
    "answers": LOCAL,
    "passage_tombstones": LOCAL,
    "users": LOCAL,
    "api_tokens": LOCAL,
    "web_sessions": LOCAL,
    "articles": LOCAL,
    "article_versions": LOCAL,
    "review_events": LOCAL,
    "review_comments": LOCAL,
}

# The rules the schema checks (tests/store/test_citus_schema.py), by name.
Rule = Literal["distribution_column", "unique", "foreign_keys", "triggers", "identity"]

# Where the schema breaks a Citus rule today: (table, rule) -> the violation and the change
# planned for it (docs/scale-out.md, "What the schema must change first").
PENDING: dict[tuple[str, Rule], str] = {
    ("documents", "unique"): (
        "UNIQUE (source, source_id) lacks the distribution column id; planned: a coordinator-"
        "local table document_keys(source, source_id PRIMARY KEY, document_id) written in the "
        "same transaction, and documents keeps a plain index on (source, source_id)"
    ),
    ("passages", "unique"): (
        "unique index passages_id on (id) lacks the distribution column document_id; planned: "
        "a plain index on (id), ids kept unique by their bigint identity (and medcite migrate "
        "moving the identity past copied ids)"
    ),
    ("passages", "triggers"): (
        "trigger passages_tombstone (statement, AFTER DELETE) writes passage_tombstones; "
        "planned: the write path deletes with RETURNING id and inserts the tombstones itself"
    ),
    ("passage_keywords", "triggers"): (
        "triggers passage_keywords_added/_gone keep keyword_totals; planned: the write path "
        "adds the batch's lengths and subtracts the deleted rows' (DELETE ... RETURNING) itself"
    ),
}


def distribution_sql() -> list[str]:
    """The statements that distribute the tables as :data:`PLAN` says, in order (run on the
    coordinator after the migrations, with every node added; local tables need none)."""
    statements = []
    for table, plan in PLAN.items():
        if plan.placement == "reference":
            statements.append(f"SELECT create_reference_table('{table}');")
        elif plan.placement == "distributed":
            colocate = plan.colocate_with or "none"
            statements.append(
                f"SELECT create_distributed_table('{table}', '{plan.column}', "
                f"colocate_with => '{colocate}');"
            )
    return statements

"""The PostgreSQL schema against the rules Citus sets for the layout of medcite.store.citus.PLAN
(docs/scale-out.md, "Sharding with Citus"). Citus is not installed here: the schema is applied to
a real PostgreSQL server (both migrations, through PostgresStore) and read back from pg_catalog,
and each rule is checked per table. The cases the schema breaks today (citus.PENDING) are strict
expected failures: fixing one without updating the plan and the document fails the suite.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from medcite.store.citus import PENDING, PLAN, Rule, distribution_sql
from tests.conftest import fresh_database

DOC = Path(__file__).resolve().parents[2] / "docs" / "scale-out.md"


@dataclass
class Column:
    name: str
    type: str
    type_oid: int
    not_null: bool
    sequence: bool  # an identity, or a default drawn from a sequence (serial)
    hashable: bool  # the type has a default hash operator class (Citus hashes it to a shard)


@dataclass
class UniqueKey:
    name: str
    kind: str  # "primary key", "unique index", "exclusion constraint"
    columns: list[str | None]  # key columns; None for an expression


@dataclass
class ForeignKey:
    name: str
    table: str
    columns: list[str]
    target: str
    target_columns: list[str]
    # pg_constraint's action codes: a no action, r restrict, c cascade, n set null, d set default
    on_delete: str
    on_update: str


@dataclass
class Schema:
    columns: dict[str, dict[str, Column]] = field(default_factory=dict)
    unique: dict[str, list[UniqueKey]] = field(default_factory=dict)
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    triggers: dict[str, list[str]] = field(default_factory=dict)


def read_schema(conn: Any) -> Schema:
    """Tables, columns, unique keys, foreign keys and user triggers of the public schema."""
    schema = Schema()
    for r in conn.execute(
        "SELECT c.relname AS tbl, a.attname AS col, format_type(a.atttypid, a.atttypmod) AS type,"
        " a.atttypid::int AS type_oid, a.attnotnull AS not_null,"
        " (a.attidentity <> '' OR coalesce(pg_get_expr(d.adbin, d.adrelid), '') LIKE 'nextval(%%')"
        "  AS sequence,"
        " EXISTS (SELECT 1 FROM pg_opclass oc JOIN pg_am am ON am.oid = oc.opcmethod"
        "  WHERE am.amname = 'hash' AND oc.opcdefault AND oc.opcintype = a.atttypid) AS hashable"
        " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped"
        " LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum"
        " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY c.relname, a.attnum"
    ):
        schema.columns.setdefault(r["tbl"], {})[r["col"]] = Column(
            r["col"], r["type"], r["type_oid"], r["not_null"], r["sequence"], r["hashable"]
        )
        schema.unique.setdefault(r["tbl"], [])
        schema.triggers.setdefault(r["tbl"], [])
    # Unique indexes (primary keys and unique constraints own one) and exclusion constraints
    # (whose indexes are not unique); key columns only (INCLUDE columns are not part of the key).
    for r in conn.execute(
        "SELECT t.relname AS tbl, i.relname AS name,"
        " CASE WHEN x.indisprimary THEN 'primary key' ELSE 'unique index' END AS kind,"
        " ARRAY(SELECT a.attname FROM unnest((x.indkey::int2[])[0:x.indnkeyatts - 1])"
        "   WITH ORDINALITY AS k(attnum, o)"
        "   LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum ORDER BY k.o)"
        "  AS columns"
        " FROM pg_index x JOIN pg_class t ON t.oid = x.indrelid JOIN pg_class i ON i.oid = x.indexrelid"
        " JOIN pg_namespace n ON n.oid = t.relnamespace"
        " WHERE n.nspname = 'public' AND x.indisunique"
        " UNION ALL"
        " SELECT t.relname, c.conname, 'exclusion constraint',"
        " ARRAY(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY AS k(attnum, o)"
        "   JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum ORDER BY k.o)"
        " FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid"
        " JOIN pg_namespace n ON n.oid = t.relnamespace"
        " WHERE n.nspname = 'public' AND c.contype = 'x'"
        " ORDER BY 1, 2"
    ):
        schema.unique[r["tbl"]].append(UniqueKey(r["name"], r["kind"], list(r["columns"])))
    for r in conn.execute(
        "SELECT c.conname AS name, t.relname AS tbl, f.relname AS target,"
        " ARRAY(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY AS k(attnum, o)"
        "   JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum ORDER BY k.o)"
        "  AS columns,"
        " ARRAY(SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY AS k(attnum, o)"
        "   JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum ORDER BY k.o)"
        "  AS target_columns,"
        " c.confdeltype AS on_delete, c.confupdtype AS on_update"
        " FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid"
        " JOIN pg_class f ON f.oid = c.confrelid JOIN pg_namespace n ON n.oid = t.relnamespace"
        " WHERE n.nspname = 'public' AND c.contype = 'f' ORDER BY t.relname, c.conname"
    ):
        schema.foreign_keys.append(
            ForeignKey(
                r["name"],
                r["tbl"],
                list(r["columns"]),
                r["target"],
                list(r["target_columns"]),
                r["on_delete"],
                r["on_update"],
            )
        )
    for r in conn.execute(
        "SELECT c.relname AS tbl, g.tgname AS name FROM pg_trigger g"
        " JOIN pg_class c ON c.oid = g.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = 'public' AND NOT g.tgisinternal ORDER BY c.relname, g.tgname"
    ):
        schema.triggers[r["tbl"]].append(r["name"])
    return schema


@pytest.fixture(scope="module")
def schema(postgres_server: str) -> Iterator[Schema]:
    from medcite.store.pg_documents import PostgresStore

    with fresh_database(postgres_server) as url, PostgresStore(url) as store:
        yield read_schema(store.conn)


# -- the rules, per table: each returns what breaks it (empty: the table keeps the rule) --------


def _anchor(table: str) -> str:
    """The table anchoring ``table``'s co-location group."""
    while (above := PLAN[table].colocate_with) is not None:
        table = above
    return table


def _dist_column(table: str) -> str:
    column = PLAN[table].column
    assert column is not None, f"{table} has no distribution column"
    return column


def check_distribution_column(schema: Schema, table: str) -> list[str]:
    """The distribution column exists, is NOT NULL (Citus refuses rows without one) and hashable,
    and has the type of its co-location anchor's (co-located tables hash the same type)."""
    name = _dist_column(table)
    column = schema.columns[table].get(name)
    if column is None:
        return [f"{table} has no column {name}"]
    problems = []
    if not column.not_null:
        problems.append(f"{table}.{name} may be NULL")
    if not column.hashable:
        problems.append(f"{table}.{name} ({column.type}) has no default hash operator class")
    anchor = _anchor(table)
    anchor_column = schema.columns[anchor][_dist_column(anchor)]
    if column.type_oid != anchor_column.type_oid:
        problems.append(
            f"{table}.{name} is {column.type}, {anchor}.{anchor_column.name} {anchor_column.type}"
        )
    return problems


def check_unique(schema: Schema, table: str) -> list[str]:
    """Primary keys, unique indexes and exclusion constraints include the distribution column
    (as a column, not inside an expression): Citus can only enforce them within a shard."""
    name = _dist_column(table)
    return [
        f"{key.kind} {key.name} on {table} ({', '.join(c or '<expression>' for c in key.columns)})"
        f" lacks the distribution column {name}"
        for key in schema.unique[table]
        if name not in key.columns
    ]


def check_foreign_keys(schema: Schema, table: str) -> list[str]:
    """Foreign keys Citus accepts between the kinds of table: distributed -> co-located
    distributed (distribution column to distribution column) or reference; reference ->
    reference; local -> local (the plan keeps the coordinator out of the metadata). Foreign keys
    touching a distribution column take no SET NULL or SET DEFAULT action."""
    kind = PLAN[table].placement
    problems = []
    for fk in schema.foreign_keys:
        if table not in (fk.table, fk.target):
            continue
        source, target = PLAN[fk.table], PLAN[fk.target]
        what = f"foreign key {fk.name} ({fk.table} -> {fk.target})"
        if fk.table != table:  # incoming: only a distributed table's own rule decides these
            if kind == "distributed" and source.placement != "distributed":
                problems.append(f"{what}: a {source.placement} table references a distributed one")
            continue
        if source.placement == "distributed":
            if target.placement == "distributed":
                pairs = dict(zip(fk.columns, fk.target_columns, strict=True))
                if _anchor(fk.table) != _anchor(fk.target):
                    problems.append(f"{what}: the tables are not co-located")
                elif pairs.get(_dist_column(fk.table)) != _dist_column(fk.target):
                    problems.append(
                        f"{what}: does not join distribution column to distribution column"
                    )
            elif target.placement != "reference":
                problems.append(f"{what}: a distributed table references a {target.placement} one")
            if _dist_column(fk.table) in fk.columns and {fk.on_delete, fk.on_update} & {"n", "d"}:
                problems.append(f"{what}: SET NULL / SET DEFAULT on the distribution column")
        elif target.placement != source.placement:
            problems.append(
                f"{what}: a {source.placement} table references a {target.placement} one"
            )
    return problems


def check_triggers(schema: Schema, table: str) -> list[str]:
    """No triggers: Citus refuses to distribute a table with triggers unless
    citus.enable_unsafe_triggers is on, and then they fire per shard, on the workers."""
    return [f"trigger {t} on {table}" for t in schema.triggers[table]]


def check_identity(schema: Schema, table: str) -> list[str]:
    """Identity and sequence-default columns are bigint: Citus hands each node its own range of
    a bigint sequence; int and smallint ones can only be drawn on the coordinator."""
    return [
        f"{table}.{c.name} draws from a sequence as {c.type}, not bigint"
        for c in schema.columns[table].values()
        if c.sequence and c.type != "bigint"
    ]


RULES: dict[Rule, Callable[[Schema, str], list[str]]] = {
    "distribution_column": check_distribution_column,
    "unique": check_unique,
    "foreign_keys": check_foreign_keys,
    "triggers": check_triggers,
    "identity": check_identity,
}
RULES_BY_PLACEMENT: dict[str, tuple[Rule, ...]] = {
    "distributed": ("distribution_column", "unique", "foreign_keys", "triggers", "identity"),
    "reference": ("foreign_keys", "triggers", "identity"),
    "local": ("foreign_keys",),
}
CASES = [
    (table, rule) for table, plan in PLAN.items() for rule in RULES_BY_PLACEMENT[plan.placement]
]


def _case(table: str, rule: Rule) -> Any:
    reason = PENDING.get((table, rule))
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(table, rule, marks=marks, id=f"{table}-{rule}")


@pytest.mark.parametrize(("table", "rule"), [_case(t, r) for t, r in CASES])
def test_table_keeps_the_citus_rule(schema: Schema, table: str, rule: Rule) -> None:
    assert RULES[rule](schema, table) == []


def test_the_rules_catch_what_citus_refuses(postgres_server: str) -> None:
    """The checks are not vacuous: constructs the schema does not have today are reported."""
    from medcite.store.pg_documents import PostgresStore

    with fresh_database(postgres_server) as url, PostgresStore(url) as store:
        for ddl in (
            "ALTER TABLE keyword_totals ADD COLUMN seq integer GENERATED BY DEFAULT AS IDENTITY",
            "ALTER TABLE index_state ADD COLUMN document_id bigint REFERENCES documents(id)",
            "ALTER TABLE passage_terms ADD CONSTRAINT by_id FOREIGN KEY (passage_id)"
            " REFERENCES passages(id)",
            "ALTER TABLE passage_vectors ADD CONSTRAINT to_null FOREIGN KEY (document_id)"
            " REFERENCES documents(id) ON DELETE SET NULL",
            "ALTER TABLE passage_vectors ADD CONSTRAINT no_model EXCLUDE (model WITH =)",
            "CREATE UNIQUE INDEX by_expression ON passage_keywords ((document_id + 0), passage_id)",
        ):
            store.conn.execute(ddl)
        schema = read_schema(store.conn)
    assert check_identity(schema, "keyword_totals") == [
        "keyword_totals.seq draws from a sequence as integer, not bigint"
    ]
    local_to_sharded = "foreign key index_state_document_id_fkey (index_state -> documents)"
    assert check_foreign_keys(schema, "index_state") == [
        f"{local_to_sharded}: a local table references a distributed one"
    ]
    assert check_foreign_keys(schema, "documents") == [
        f"{local_to_sharded}: a local table references a distributed one"
    ]
    assert check_foreign_keys(schema, "passage_terms") == [
        "foreign key by_id (passage_terms -> passages): does not join distribution column to"
        " distribution column"
    ]
    assert check_foreign_keys(schema, "passage_vectors") == [
        "foreign key to_null (passage_vectors -> documents): SET NULL / SET DEFAULT on the"
        " distribution column"
    ]
    assert check_unique(schema, "passage_vectors") == [
        "exclusion constraint no_model on passage_vectors (model) lacks the distribution column"
        " document_id"
    ]
    assert check_unique(schema, "passage_keywords") == [
        "unique index by_expression on passage_keywords (<expression>, passage_id) lacks the"
        " distribution column document_id"
    ]


def test_the_plan_places_every_table(schema: Schema) -> None:
    assert sorted(PLAN) == sorted(schema.columns)


def test_pending_cases_are_checked_cases() -> None:
    assert set(PENDING) <= set(CASES)


def test_co_location_groups_are_anchored_by_a_distributed_table() -> None:
    for table, plan in PLAN.items():
        if plan.placement == "distributed":
            assert plan.column
            assert PLAN[_anchor(table)].placement == "distributed"
        else:
            assert plan.column is None and plan.colocate_with is None


def test_the_document_gives_the_plan() -> None:
    """docs/scale-out.md shows the statements distribution_sql derives from the plan, and the
    planned schema changes name the cases citus.PENDING holds."""
    text = DOC.read_text(encoding="utf-8")
    assert "## Sharding with Citus" in text
    section = text.split("## Sharding with Citus", 1)[1].split("\n## ", 1)[0]
    for statement in distribution_sql():
        assert statement in section
    for table, rule in PENDING:
        assert f"`{table}`" in section and f"`{rule}`" in section
    for table in PLAN:
        assert f"`{table}`" in section, table

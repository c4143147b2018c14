"""What the answer path reads from the PostgreSQL store beyond documents and passages: answers,
topics and definitions, ranking metadata, the content stamp caches are keyed by, and the
keyword statistics retrieval asks for (document frequencies, phrases). Each method has the
semantics of its namesake in medcite.store.sqlite (tests/store/test_document_store.py runs the
same checks on both backends).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from medcite.store.base import passage_from_row
from medcite.store.pg_connections import PostgresBase
from medcite.store.pg_vectors import PostgresVectors
from medcite.types import Answer, Passage

_PASSAGE_COLUMNS = "id, document_id, ord, section, text, char_start, char_end, meta"


def lexeme(term: str) -> str:
    """An index term as a tsvector or tsquery lexeme (quoted, nothing of PostgreSQL's parser)."""
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


def phrase_tsquery(terms: Sequence[str]) -> str:
    """Terms in this order, next to each other, in tsquery syntax (``'a' <-> 'b'``)."""
    return " <-> ".join(lexeme(t) for t in terms)


class PostgresReads(PostgresBase):
    # -- answers ---------------------------------------------------------------------------
    def save_answer(self, answer: Answer) -> None:
        """Keep a composed answer (its id must be set) so follow-ups and articles can refer to it."""
        self.conn.execute(
            "INSERT INTO answers(id, question, audience, follow_up_of, abstained, json)"
            " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO UPDATE SET"
            " question=excluded.question, audience=excluded.audience,"
            " follow_up_of=excluded.follow_up_of, abstained=excluded.abstained,"
            " json=excluded.json, created_at=medcite_now()",
            (
                answer.id,
                answer.question,
                answer.audience.value,
                answer.follow_up_of,
                int(answer.abstained),
                answer.model_dump_json(),
            ),
        )

    def get_answer(self, answer_id: str) -> Answer | None:
        row = self._one("SELECT json FROM answers WHERE id = %s", (answer_id,))
        return Answer.model_validate_json(row["json"]) if row else None

    # -- topics ----------------------------------------------------------------------------
    def definition_passage(self, topic: str) -> Passage | None:
        """The opening passage of a document whose topic is ``topic`` (any case) and that
        defines it (a MedQuAD "What is X?" answer), for glosses."""
        row = self._one(
            f"SELECT {', '.join('p.' + c for c in _PASSAGE_COLUMNS.split(', '))}"
            " FROM documents d JOIN passages p ON p.document_id = d.id AND p.ord = 0"
            " WHERE lower(d.focus) = lower(%s) AND p.meta::jsonb ->> 'qtype' = 'information'"
            " ORDER BY d.evidence_level DESC, d.id LIMIT 1",
            (topic,),
        )
        return passage_from_row(row) if row else None

    def topic_names(self) -> list[tuple[str, list[str]]]:
        """(focus, synonyms) of every distinct topic the documents are about."""
        rows = self._all("SELECT DISTINCT focus, synonyms FROM documents WHERE focus IS NOT NULL")
        return [(str(r["focus"]), list(json.loads(r["synonyms"]))) for r in rows]

    def document_ids_with_focus(self, focus: str) -> set[int]:
        """Documents whose topic is ``focus`` (a MedQuAD focus, a guideline's condition)."""
        rows = self._all("SELECT id FROM documents WHERE focus = %s", (focus,))
        return {int(r["id"]) for r in rows}

    def answer_passages(self, source: str) -> list[tuple[int, str, str, str, str, str, str]]:
        """(document id, source id, focus, question, question id, question type, text) of the
        passages of ``source`` that answer a stated question, in passage order."""
        rows = self._all(
            "SELECT d.id, d.source_id, coalesce(d.focus, d.title) AS focus, p.section,"
            " p.meta::jsonb ->> 'qid' AS qid, p.meta::jsonb ->> 'qtype' AS qtype, p.text"
            " FROM passages p JOIN documents d ON d.id = p.document_id"
            " WHERE d.source = %s AND p.meta::jsonb ->> 'qid' IS NOT NULL ORDER BY p.id",
            (source,),
        )
        return [
            (
                int(r["id"]),
                str(r["source_id"]),
                str(r["focus"]),
                str(r["section"] or ""),
                str(r["qid"]),
                str(r["qtype"]),
                str(r["text"]),
            )
            for r in rows
        ]

    # -- ranking ---------------------------------------------------------------------------
    def rank_info(
        self, passage_ids: Sequence[int]
    ) -> dict[int, tuple[int, int, int | None, str | None]]:
        """passage id -> (document id, evidence level, year, qtype): what ranking needs, cheaply."""
        if not passage_ids:
            return {}
        rows = self._all(
            "SELECT p.id, p.document_id, d.evidence_level, d.year,"
            " p.meta::jsonb ->> 'qtype' AS qtype"
            " FROM passages p JOIN documents d ON d.id = p.document_id WHERE p.id = ANY(%s)",
            (list(passage_ids),),
        )
        return {
            int(r["id"]): (int(r["document_id"]), int(r["evidence_level"]), r["year"], r["qtype"])
            for r in rows
        }

    def content_stamp(self) -> str:
        """A value that changes whenever documents are added, changed or removed: the key of
        caches derived from the documents (the tombstone counter, not its largest row, as
        applied tombstones are pruned)."""
        row = self._one(
            "SELECT (SELECT count(*) FROM documents) AS documents,"
            " (SELECT coalesce(max(id), 0) FROM passages) AS passage,"
            " coalesce(pg_sequence_last_value("
            "pg_get_serial_sequence('passage_tombstones', 'seq')::regclass), 0) AS tombstone"
        )
        assert row is not None
        return f"{row['documents']}-{row['passage']}-{row['tombstone']}"

    # -- ingest bookkeeping ----------------------------------------------------------------
    def mark_interrupted_runs(self) -> None:
        """Ingest runs left 'running' by a process killed mid-way were interrupted."""
        self.conn.execute("UPDATE ingest_runs SET status='interrupted' WHERE status='running'")

    # -- vectors ---------------------------------------------------------------------------
    @property
    def vectors(self) -> PostgresVectors:
        """The dense vectors table (medcite.store.pg_vectors), as SQLiteStore.vectors."""
        return PostgresVectors(self)

    def has_vectors(self, model: str | None = None) -> bool:
        """Whether any passage has a dense vector (of ``model``, when given)."""
        if model is None:
            return self._one("SELECT 1 FROM passage_vectors LIMIT 1") is not None
        found = self._one("SELECT 1 FROM passage_vectors WHERE model = %s LIMIT 1", (model,))
        return found is not None

    # -- keyword statistics ----------------------------------------------------------------
    def keyword_doc_freq(self, term: str) -> int:
        """Passages holding the index term ``term`` in its most used field (as the embedded
        index's doc_freq)."""
        return self._count(
            "SELECT coalesce(max(n), 0) FROM (SELECT count(*) AS n FROM passage_terms"
            " WHERE term = %s GROUP BY field) f",
            (term,),
        )

    def keyword_passages(self) -> int:
        """Passages the keyword side holds (the embedded index's num_docs)."""
        return self._count("SELECT passages FROM keyword_totals WHERE field = 0")

    def keyword_has_phrase(self, phrases: Sequence[Sequence[str]]) -> bool:
        """Whether any passage holds one of ``phrases`` (index terms, adjacent, in order)."""
        usable = [list(p) for p in phrases if p]
        if not usable:
            return False
        query = " | ".join(f"({phrase_tsquery(p)})" for p in usable)
        row = self._one(
            "SELECT 1 FROM passage_terms t JOIN passage_keywords k USING (document_id, passage_id)"
            " WHERE t.term = ANY(%s) AND k.tsv @@ %s::tsquery LIMIT 1",
            (sorted({p[0] for p in usable}), query),
        )
        return row is not None

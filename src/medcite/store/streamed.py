"""Writing a document that is never held whole (a large plain-text or Markdown file).

The whole document is one transaction, as an ordinary batch is, so a killed ingest leaves
nothing of it. A placeholder row is written first so that passages can be inserted batch by
batch while the file is still being read. At the end the row gets the document's metadata,
and its body is copied from a spool file into place with SQLite's incremental blob I/O. The
body is therefore never in memory whole, and passage offsets point into the same text as for
any other document.

Such a body is stored as a BLOB of UTF-8 bytes, because blob I/O cannot write a TEXT value in
place. The store reads every body as ``CAST(body AS TEXT)``, so readers see text either way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import BinaryIO

from medcite.store.base import WriteOutcome, document_fields, passage_rows
from medcite.store.sqlite import PASSAGE_INSERT, SQLiteStore
from medcite.types import Document, Passage

_COPY_BYTES = 1 << 20


class StreamedWrite:
    """One streamed document: ``add_passages`` while reading, then ``finish`` or ``abort``."""

    def __init__(
        self,
        store: SQLiteStore,
        source: str,
        source_id: str,
        *,
        run_id: int | None,
        file_path: str | None,
    ) -> None:
        self.conn = store.conn
        self.run_id, self.file_path = run_id, file_path
        self._cur = self.conn.cursor()
        self._cur.execute("BEGIN IMMEDIATE")
        try:
            row = self._cur.execute(
                "SELECT id, record_hash FROM documents WHERE source = ? AND source_id = ?",
                (source, source_id),
            ).fetchone()
            # An unchanged or duplicate document is rolled back to here at the end.
            self._cur.execute("SAVEPOINT streamed_document")
            if row is None:
                self._old_hash: str | None = None
                self._cur.execute(
                    "INSERT INTO documents(source, source_id, title, doc_type, evidence_level, "
                    "body, content_hash, record_hash, file_path, run_id) "
                    "VALUES (?, ?, '', 'reference', 4, '', '', '', ?, ?)",
                    (source, source_id, file_path, run_id),
                )
                assert self._cur.lastrowid is not None
                self.document_id: int = self._cur.lastrowid
            else:
                self.document_id, self._old_hash = int(row[0]), str(row[1])
                self._cur.execute("DELETE FROM passages WHERE document_id = ?", (self.document_id,))
        except BaseException:
            self.abort()
            raise

    def add_passages(self, passages: Sequence[Passage]) -> None:
        try:
            self._cur.executemany(PASSAGE_INSERT, passage_rows(self.document_id, passages))
        except BaseException:
            self.abort()
            raise

    def finish(
        self, document: Document, body: BinaryIO, *, content_hash: str, record_hash: str
    ) -> WriteOutcome:
        """Store the metadata and the body (UTF-8 bytes in ``body``) and commit."""
        try:
            outcome = self._outcome(content_hash, record_hash)
            if outcome in (WriteOutcome.UNCHANGED, WriteOutcome.DUPLICATE):
                self._cur.execute("ROLLBACK TO streamed_document")
            else:
                size = body.seek(0, 2)
                body.seek(0)
                self._cur.execute(
                    "UPDATE documents SET title=?, url=?, doc_type=?, evidence_level=?, year=?, "
                    "organisation=?, journal=?, licence=?, language=?, focus=?, synonyms=?, "
                    "mesh_terms=?, cuis=?, meta=?, body=zeroblob(?), content_hash=?, "
                    "record_hash=?, file_path=?, run_id=?, "
                    "updated_at=strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE id = ?",
                    (
                        *document_fields(document),
                        size,
                        content_hash,
                        record_hash,
                        self.file_path,
                        self.run_id,
                        self.document_id,
                    ),
                )
                if size:
                    with self.conn.blobopen("documents", "body", self.document_id) as blob:
                        while chunk := body.read(_COPY_BYTES):
                            blob.write(chunk)
            self._cur.execute("RELEASE streamed_document")
            self._cur.execute("COMMIT")
        except BaseException:
            self.abort()
            raise
        return outcome

    def abort(self) -> None:
        """Forget everything written for this document."""
        if self.conn.in_transaction:
            self._cur.execute("ROLLBACK")

    def _outcome(self, content_hash: str, record_hash: str) -> WriteOutcome:
        if self._old_hash is not None:
            return WriteOutcome.UNCHANGED if self._old_hash == record_hash else WriteOutcome.UPDATED
        dup = self._cur.execute(
            "SELECT 1 FROM documents WHERE content_hash = ? AND id != ? LIMIT 1",
            (content_hash, self.document_id),
        ).fetchone()
        return WriteOutcome.DUPLICATE if dup else WriteOutcome.ADDED

"""Ingest of a document too large to hold (a large plain-text or Markdown file), as it is read.

Each part of a :class:`~medcite.ingest.base.StreamedDocument` goes through the passage cutter
(:class:`~medcite.ingest.chunking.PassageCutter`), the limits
(:class:`~medcite.ingest.guards.DocumentGuard`) and a spool file that collects the body's UTF-8
bytes next to the store. Passages are written in batches as they are cut; at the end the store
copies the spool into the document's row (:mod:`medcite.store.streamed`). Memory stays at about
one cutter window and one batch of passages, whatever the size of the file.
"""

from __future__ import annotations

import hashlib
import tempfile

from medcite.config import Settings
from medcite.errors import MalformedInputError
from medcite.ingest import chunking
from medcite.ingest.base import StreamedDocument
from medcite.ingest.guards import DocumentGuard, DocumentRefused
from medcite.store.base import Store, WriteOutcome
from medcite.store.sqlite import SQLiteStore
from medcite.store.streamed import StreamedWrite
from medcite.types import Passage

PASSAGE_BATCH = 1000
_READ_BYTES = 1 << 20


def write_streamed(
    store: Store, item: StreamedDocument, file_path: str, settings: Settings, run_id: int
) -> tuple[WriteOutcome, int] | None:
    """Cut, check and store ``item``: (outcome, passages), or None when it has no text.

    Raises DocumentRefused (a limit) or the loader's errors; nothing of the document is kept then.
    Only the SQLite store takes a streamed document yet: PostgreSQL refuses it (reported as
    skipped, with why).
    """
    if not isinstance(store, SQLiteStore):
        raise DocumentRefused(
            "a text file this large is streamed, and streamed documents are not yet written "
            "to PostgreSQL (split the file, or ingest it with the SQLite store)"
        )
    cutter = chunking.PassageCutter(
        min_words=settings.passage_min_words,
        max_words=settings.passage_max_words,
        window_chars=chunking.WINDOW_CHARS,
    )
    guard = DocumentGuard(settings)
    loaded = hashlib.sha256()  # everything loaded (headings too): the record hash
    writer = StreamedWrite(store, item.source, item.source_id, run_id=run_id, file_path=file_path)
    pending: list[Passage] = []

    def take(passages: list[Passage]) -> None:
        guard.add_passages(len(passages))
        pending.extend(passages)
        if len(pending) >= PASSAGE_BATCH:
            writer.add_passages(pending)
            pending.clear()

    try:
        with tempfile.TemporaryFile(prefix="medcite-body-", dir=store.path.parent) as body:
            for part in item.parts:
                if part.first:
                    take(cutter.section(part.heading))
                    loaded.update(b"\x01" + (part.heading or "").encode("utf-8") + b"\x02")
                loaded.update(part.text.encode("utf-8"))
                text, done = cutter.add(part.text)
                if text:
                    guard.add_text(text)
                    body.write(text.encode("utf-8"))
                take(done)
            take(cutter.close())
            guard.close()
            if not cutter.count:
                writer.abort()
                return None
            writer.add_passages(pending)
            document = item.finish()
            if (document.source, document.source_id) != (item.source, item.source_id):
                raise MalformedInputError("the document's source or id changed while reading")
            body.seek(0)
            content = hashlib.sha256((document.title.strip() + "\x00").encode("utf-8"))
            while chunk := body.read(_READ_BYTES):
                content.update(chunk)
            record = hashlib.sha256(document.model_dump_json().encode("utf-8") + b"\x00")
            record.update(loaded.digest())
            outcome = writer.finish(
                document, body, content_hash=content.hexdigest(), record_hash=record.hexdigest()
            )
    except BaseException:
        writer.abort()
        raise
    return outcome, cutter.count

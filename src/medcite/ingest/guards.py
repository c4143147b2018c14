"""Limits that keep oversized documents and junk out of the store.

- A file that is one document (plain text, Markdown, HTML, MedQuAD, NGC: see
  ``Loader.limit_file_size``) larger than ``max_document_bytes`` is refused from its size on
  disk, before it is read.
- Any document whose text is larger than ``max_document_bytes`` (UTF-8) is refused: this is the
  check for each document of a many-document file (JSON Lines, PubMed, PubMedQA) and for PDFs.
- A document cut into more than ``max_document_passages`` passages is refused (not truncated:
  half a document would be cited as if it were the whole).
- Junk: a document of at least :data:`JUNK_MIN_CHARS` characters in which one word makes up
  more than half of the words, counted over its first :data:`JUNK_SAMPLE_CHARS` characters,
  is refused. Real prose is never like that (its commonest word, "the", is about 6%).

A refused document is reported as skipped with its reason; its file is not marked finished,
so raising the limit and ingesting again picks it up.
"""

from __future__ import annotations

from collections import Counter

from medcite.config import Settings

JUNK_MIN_CHARS = 50_000
JUNK_SAMPLE_CHARS = 200_000
JUNK_SHARE = 0.5


class DocumentRefused(Exception):  # a verdict on the input, never raised out of the runner
    """A document or file refused by a limit: reported as skipped, with ``reason``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def format_size(n: int) -> str:
    """'50.0 MB', '12.3 kB', '999 bytes'."""
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f} MB"
    if n >= 1000:
        return f"{n / 1000:.1f} kB"
    return f"{n:,} bytes"


def format_limit(n: int) -> str:
    """A limit as set: '20 MB' rather than '20.0 MB'."""
    for unit, name in ((1_000_000, "MB"), (1000, "kB")):
        if n >= unit and n % unit == 0:
            return f"{n // unit:,} {name}"
    return format_size(n)


def check_file_size(size: int, settings: Settings) -> None:
    if size > settings.max_document_bytes:
        raise DocumentRefused(
            f"{format_size(size)} is over the {format_limit(settings.max_document_bytes)} limit "
            "(MEDCITE_MAX_DOCUMENT_BYTES)"
        )


def junk_reason(sample: str) -> str | None:
    """Why ``sample`` is junk (one word is most of it), or None."""
    words = sample.casefold().split()
    if not words:
        return None
    word, n = Counter(words).most_common(1)[0]
    if n <= JUNK_SHARE * len(words):
        return None
    shown = word if len(word) <= 30 else word[:30] + "…"
    return f"not a document: one word ({shown!r}) is {n / len(words):.0%} of its words"


class DocumentGuard:
    """Checks one document as its text and passages arrive, whole or streamed."""

    def __init__(self, settings: Settings) -> None:
        self.max_bytes = settings.max_document_bytes
        self.max_passages = settings.max_document_passages
        self.bytes = 0
        self.chars = 0
        self.passages = 0
        self._sample: list[str] = []  # the first JUNK_SAMPLE_CHARS characters, in pieces
        self._judged = False

    def add_text(self, text: str) -> None:
        self.bytes += len(text) if text.isascii() else len(text.encode("utf-8"))
        if self.bytes > self.max_bytes:
            raise DocumentRefused(
                f"document text is over the {format_limit(self.max_bytes)} limit "
                "(MEDCITE_MAX_DOCUMENT_BYTES)"
            )
        if self.chars < JUNK_SAMPLE_CHARS:
            self._sample.append(text)
        self.chars += len(text)
        if not self._judged and self.chars >= JUNK_SAMPLE_CHARS:
            self._judge()

    def add_passages(self, n: int) -> None:
        self.passages += n
        if self.passages > self.max_passages:
            raise DocumentRefused(
                f"more than {self.max_passages:,} passages, the limit "
                "(MEDCITE_MAX_DOCUMENT_PASSAGES)"
            )

    def close(self) -> None:
        """The whole text was given: judge it if it was too short to judge on the way."""
        if not self._judged and self.chars >= JUNK_MIN_CHARS:
            self._judge()

    def _judge(self) -> None:
        self._judged = True
        sample = "".join(self._sample)[:JUNK_SAMPLE_CHARS]
        self._sample = []
        if reason := junk_reason(sample):
            raise DocumentRefused(reason)

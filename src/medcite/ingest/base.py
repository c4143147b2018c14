"""The loader contract: one small class per input format.

A loader turns one file into :class:`~medcite.types.Document` objects. A
problem with the whole file is raised as
:class:`~medcite.errors.MalformedInputError` (the file is reported and
skipped); a problem with one record inside a multi-record file is yielded as a
:class:`RecordError` and the loader goes on with the next record. A document too
large to hold in memory (a big plain-text or Markdown file) is yielded as a
:class:`StreamedDocument`, whose text arrives in parts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Protocol

from medcite.types import DocType, Document


@dataclass(frozen=True, slots=True)
class RecordError:
    """One bad record inside an otherwise readable file."""

    where: str  # "file.jsonl:12", "ori_pqal.json#12345"
    reason: str
    skipped: bool = False  # refused by a limit (reported as skipped, not failed)


@dataclass(frozen=True, slots=True)
class SectionPart:
    """A piece of a streamed document's text: ``first`` opens a section headed ``heading``;
    a part that is not first continues the section before it."""

    text: str
    heading: str | None = None
    first: bool = False


@dataclass(slots=True)
class StreamedDocument:
    """A document read part by part, never whole (large plain-text and Markdown files).

    ``parts`` can be consumed once; ``finish()`` then gives the document's metadata, with no
    sections (a Markdown title may only be known at the end). ``source`` and ``source_id`` are
    known from the start and ``finish()`` keeps them.
    """

    source: str
    source_id: str
    parts: Iterator[SectionPart]
    finish: Callable[[], Document]


LoadItem = Document | RecordError | StreamedDocument


@dataclass(frozen=True, slots=True)
class LoadOptions:
    """Caller-supplied defaults for formats that carry little metadata (generic files)."""

    source: str = "local"
    doc_type: DocType | None = None  # overrides what the loader would infer
    root: Path | None = None  # source ids of generic files are paths relative to this
    organisation: str | None = None
    licence: str | None = None
    # Set by the ingest runner: loaders that read records one by one skip a longer record
    # without holding it (a JSON Lines line).
    max_document_bytes: int | None = None

    def source_id_for(self, path: Path) -> str:
        if self.root is not None:
            try:
                return path.resolve().relative_to(self.root.resolve()).as_posix()
            except ValueError:
                pass
        return path.name


class Loader(Protocol):
    """Reads one file format."""

    format: ClassVar[str]  # short name: "medquad", "ngc", "jsonl", ...
    description: ClassVar[str]
    extensions: ClassVar[tuple[str, ...]]  # lower-case, with dot
    # The file is one document whose size on disk is about its text's (not PDF: images, fonts),
    # so the document size limit is checked on the file, before it is read.
    limit_file_size: ClassVar[bool]

    def sniff(self, path: Path, head: str) -> bool:
        """True when this loader reads ``path``; ``head`` is its first few KB as text."""
        ...

    def load(self, path: Path, options: LoadOptions) -> Iterator[LoadItem]:
        """Documents of ``path`` (and per-record errors); raise MalformedInputError for a bad file."""
        ...

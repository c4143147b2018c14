"""Registry of loaders and format detection for ``medcite ingest PATH``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from medcite.errors import MalformedInputError, UnsupportedFormatError
from medcite.ingest.base import Loader
from medcite.ingest.generic import HTMLLoader, JSONLLoader, TextLoader
from medcite.ingest.markdown import MarkdownLoader
from medcite.ingest.medlineplus import MedlinePlusLoader
from medcite.ingest.medquad import MedQuADLoader
from medcite.ingest.ngc import NGCLoader
from medcite.ingest.pdf import PDFLoader
from medcite.ingest.pubmed import PubMedXMLLoader
from medcite.ingest.pubmedqa import PubMedQALoader
from medcite.ingest.xmlutil import is_gzip, open_binary

# Specific formats first: a file is read by the first loader whose sniff() accepts it.
LOADERS: tuple[Loader, ...] = (
    MedQuADLoader(),
    NGCLoader(),
    PubMedQALoader(),
    MedlinePlusLoader(),
    PubMedXMLLoader(),
    JSONLLoader(),
    PDFLoader(),
    HTMLLoader(),
    MarkdownLoader(),
    TextLoader(),
)
LOADERS_BY_FORMAT: dict[str, Loader] = {loader.format: loader for loader in LOADERS}
# Loaders that read gzip-compressed files themselves.
GZIP_LOADERS: tuple[Loader, ...] = (LOADERS_BY_FORMAT["pubmed"],)

# Files that sit beside corpora but are not content.
IGNORED_NAMES = ("readme", "license", "licence", "copying", "notice", "changelog", "source")
_HEAD_BYTES = 8192


def read_head(path: Path) -> str:
    """The first bytes of ``path`` as text (decompressed when it is gzip)."""
    try:
        with open_binary(path) as fh:
            raw = fh.read(_HEAD_BYTES)
    except (OSError, EOFError) as exc:
        raise MalformedInputError(f"cannot read file: {exc}") from exc
    return raw.decode("utf-8", errors="replace")


def detect_format(path: Path) -> Loader:
    """The loader for ``path``, by extension and content sniffing. Gzip-compressed files
    (``name.xml.gz``) are read by the loaders that decompress them (PubMed XML)."""
    head = read_head(path)
    suffix = path.suffix.lower()
    if is_gzip(path):
        suffix = Path(path.stem).suffix.lower() if suffix == ".gz" else suffix
        candidates = [ld for ld in GZIP_LOADERS if suffix in ld.extensions] or list(GZIP_LOADERS)
        for loader in candidates:
            if loader.sniff(path, head):
                return loader
        raise UnsupportedFormatError(
            "unrecognised gzip-compressed file",
            hint="Only PubMed XML (baseline .xml.gz files) is read compressed; decompress others.",
        )
    candidates = [ld for ld in LOADERS if suffix in ld.extensions] or list(LOADERS)
    for loader in candidates:
        if loader.sniff(path, head):
            return loader
    raise UnsupportedFormatError(
        f"unrecognised format ({suffix or 'no extension'})",
        hint="Supported: " + ", ".join(sorted(LOADERS_BY_FORMAT)),
    )


def is_ignored(path: Path) -> bool:
    """Hidden files and corpus paperwork (README, LICENSE, ...) are not documents."""
    name = path.name.lower()
    return name.startswith(".") or any(name.split(".")[0] == stem for stem in IGNORED_NAMES)


def walk_files(root: Path) -> Iterator[Path]:
    """Candidate files under ``root`` (or ``root`` itself), sorted for a stable order."""
    if root.is_file():
        yield root
        return
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel_parts = path.relative_to(root).parts
        if any(part.startswith(".") for part in rel_parts) or is_ignored(path):
            continue
        yield path

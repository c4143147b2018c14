"""Safe XML parsing for loaders (defusedxml: no entity expansion bombs, no external entities)."""

from __future__ import annotations

import gzip
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

from medcite.errors import MalformedInputError


@contextmanager
def xml_errors() -> Iterator[None]:
    """Translate parser, safety and I/O errors raised inside the block into MalformedInputError."""
    try:
        yield
    except ET.ParseError as exc:
        raise MalformedInputError(f"malformed XML: {exc}") from exc
    except DefusedXmlException as exc:
        raise MalformedInputError(f"unsafe XML refused: {exc}") from exc
    except OSError as exc:
        raise MalformedInputError(f"cannot read file: {exc}") from exc
    except EOFError as exc:  # a gzip file cut short (an interrupted download)
        raise MalformedInputError(f"truncated gzip file: {exc}") from exc


GZIP_MAGIC = b"\x1f\x8b"


def is_gzip(path: Path) -> bool:
    """Whether ``path`` is gzip-compressed (by its first bytes, whatever its name)."""
    with path.open("rb") as fh:
        return fh.read(2) == GZIP_MAGIC


def open_binary(path: Path) -> BinaryIO:
    """``path`` for reading, decompressed on the fly when it is gzip (PubMed baseline files
    are ``.xml.gz``)."""
    if is_gzip(path):
        return gzip.open(path, "rb")  # type: ignore[return-value]  # a binary file object
    return path.open("rb")


def parse_xml(path: Path) -> ET.Element:
    """Root element of ``path``; a malformed, truncated or unsafe file raises MalformedInputError."""
    with xml_errors():
        root: ET.Element = SafeET.parse(str(path)).getroot()
    return root


def text_of(elem: ET.Element | None) -> str:
    """All text inside ``elem`` (empty string for None), whitespace preserved."""
    if elem is None:
        return ""
    return "".join(elem.itertext())


def root_tag(head: str) -> str | None:
    """Name of the first element in an XML prefix, skipping the declaration, comments and doctype."""
    i = 0
    n = len(head)
    while i < n:
        j = head.find("<", i)
        if j < 0 or j + 1 >= n:
            return None
        nxt = head[j + 1]
        if nxt in "?!":
            end = head.find(">", j)
            if end < 0:
                return None
            i = end + 1
            continue
        k = j + 1
        while k < n and (head[k].isalnum() or head[k] in "_-:."):
            k += 1
        return head[j + 1 : k] or None
    return None

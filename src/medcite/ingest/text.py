"""Text clean-up shared by loaders: HTML to structured plain text, whitespace, mojibake.

Output conventions (relied on by the sentence splitter): paragraphs are
separated by a blank line and list items sit on their own line starting with
``- ``. Headings found in HTML are returned separately so loaders can make
them section headings rather than body text.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from html.parser import HTMLParser

import ftfy

from medcite.errors import MalformedInputError

_BLOCK_TAGS = {
    "p",
    "div",
    "section",
    "article",
    "main",
    "blockquote",
    "pre",
    "table",
    "tr",
    "ul",
    "ol",
    "dl",
    "dt",
    "dd",
    "figure",
    "figcaption",
    "caption",
    "form",
    "body",
}
_HEADING_TAGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_SKIP_TAGS = {"script", "style", "noscript", "template", "svg", "nav", "head", "iframe", "button"}
_CELL_TAGS = {"td", "th"}

_WS_RE = re.compile(r"[ \t\r\f\v\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class Block:
    """One block of an HTML page: a heading (level 1-6), a paragraph (0) or a list item (-1)."""

    level: int
    text: str

    @property
    def is_heading(self) -> bool:
        return self.level > 0


def fix_text(text: str) -> str:
    """Repair mojibake (e.g. 'Clearinghouseâ„¢') and drop control characters."""
    if not text:
        return ""
    if not text.isascii():
        text = ftfy.fix_text(text, normalization="NFC")
    return _CONTROL_RE.sub("", text)


def squash(text: str) -> str:
    """Collapse all whitespace (newlines included) to single spaces."""
    return _WS_RE.sub(" ", text.replace("\n", " ")).strip()


def normalise_block_text(text: str) -> str:
    """Collapse spaces inside lines, drop empty lines beyond one, strip."""
    lines = [_WS_RE.sub(" ", ln).strip() for ln in text.replace("\r\n", "\n").split("\n")]
    out: list[str] = []
    for ln in lines:
        if not ln and (not out or not out[-1]):
            continue
        out.append(ln)
    return "\n".join(out).strip()


class _BlockParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self.title: str | None = None
        self._buf: list[str] = []
        self._level = 0  # level of the block being collected
        self._skip_depth = 0
        self._in_title = False
        self._title_buf: list[str] = []

    def _flush(self) -> None:
        text = squash("".join(self._buf))
        self._buf = []
        if text:
            self.blocks.append(Block(self._level, text))
        self._level = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self._skip_depth += 1
            return
        if tag == "title":
            self._in_title = True
            return
        if self._skip_depth:
            return
        if tag in _HEADING_TAGS:
            self._flush()
            self._level = int(tag[1])
        elif tag == "li":
            self._flush()
            self._level = -1
        elif tag in _BLOCK_TAGS:
            self._flush()
        elif tag == "br" or tag in _CELL_TAGS:
            self._buf.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self._skip_depth = max(0, self._skip_depth - 1)
            return
        if tag == "title":
            self._in_title = False
            self.title = squash("".join(self._title_buf)) or None
            return
        if self._skip_depth:
            return
        if tag in _HEADING_TAGS or tag == "li" or tag in _BLOCK_TAGS:
            self._flush()

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self._title_buf.append(data)
        elif not self._skip_depth:
            self._buf.append(data)

    def close(self) -> None:
        super().close()
        self._flush()


def html_blocks(markup: str) -> tuple[str | None, list[Block]]:
    """Parse HTML into (``<title>`` text, blocks in reading order)."""
    parser = _BlockParser()
    try:
        parser.feed(fix_text(markup))
        parser.close()
    except AssertionError as exc:  # html.parser asserts on some broken markup, e.g. "<![x"
        raise MalformedInputError(f"unparseable HTML: {exc or 'broken markup'}") from exc
    return parser.title, parser.blocks


class TextRenderer:
    """:func:`blocks_to_text` one block at a time, for text that is streamed rather than held."""

    def __init__(self) -> None:
        self.started = False

    def render(self, block: Block) -> str:
        """The block's text with the separator that goes before it ('' for an empty item)."""
        if block.level == -1:
            item = block.text.lstrip("-•·* ").strip()
            if not item:
                return ""
            # One newline before an item: the splitter breaks there all the same.
            out = ("\n" if self.started else "") + "- " + item
        else:
            out = ("\n\n" if self.started else "") + block.text
        self.started = True
        return out


def blocks_to_text(blocks: list[Block]) -> str:
    """Render blocks as plain text: list items as ``- item`` lines, paragraphs blank-line separated.

    Headings inside a field (rare) are kept as their own paragraph.
    """
    renderer = TextRenderer()
    return "".join(renderer.render(block) for block in blocks).strip()


def html_to_text(markup: str) -> str:
    """HTML fragment to clean structured text (see module docstring)."""
    if "<" not in markup and "&" not in markup:
        return normalise_block_text(fix_text(markup))
    _, blocks = html_blocks(markup)
    return blocks_to_text(blocks)


def unescape(text: str) -> str:
    return html.unescape(text)


_SPACED_BULLET_RE = re.compile(r"(?:^|[ \t]{2,}|\n)[ \t]*[-•][ \t]+(?=\S)")
_SPACED_BREAK_RE = re.compile(r"[ \t]{3,}(?=[A-Z0-9\"(\[])")


def spaced_text_to_blocks(text: str) -> list[Block]:
    """Recover structure from text whose HTML was flattened into runs of spaces.

    MedQuAD answers look like 'Other causes are   - A    - B       Cramps can
    hurt.': a hyphen after a run of spaces is a list item, and a run of three
    or more spaces before a capital starts a new block. A single-spaced hyphen
    ('X - Y') and wide gaps before lower-case words are left as ordinary text.
    """
    text = fix_text(text).replace("\r\n", "\n")
    text = _SPACED_BULLET_RE.sub("\n- ", text)
    text = _SPACED_BREAK_RE.sub("\n", text)
    blocks: list[Block] = []
    for line in text.split("\n"):
        line = squash(line)
        if not line or line == "-":
            continue
        if line.startswith("- "):
            blocks.append(Block(-1, line[2:].strip()))
        else:
            blocks.append(Block(0, line))
    return blocks

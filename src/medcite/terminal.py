"""What the command modules share (medcite.cli, eval/commands.py, web/commands.py): the two
consoles, markup escaping, compact tables and the settings, each created on first use.

rich and pydantic cost tens of milliseconds each to import; `medcite --help` needs neither, so
nothing here imports them until a command prints or reads its settings.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from medcite.config import Settings

T = TypeVar("T")
# Runs a command body, turning a MedciteError into a message and an exit status (cli._guard).
Guard = Callable[[Callable[[], T]], T]
PrintJson = Callable[[Any], None]


def read_settings() -> Settings:
    """The settings from the environment (read once per process)."""
    from medcite.config import get_settings

    return get_settings()


@cache
def out() -> Console:
    """The console for results (stdout)."""
    from rich.console import Console

    return Console()


@cache
def err() -> Console:
    """The console for progress, warnings and errors (stderr)."""
    from rich.console import Console

    return Console(stderr=True)


def escape(text: str) -> str:
    """``text`` shown verbatim inside rich markup (square brackets escaped)."""
    from rich.markup import escape as rich_escape

    return rich_escape(text)


def compact_table(title: str) -> Table:
    """A table without rules or edge padding: every header word stays whole at 80 columns."""
    from rich.table import Table

    return Table(
        title=title,
        title_justify="left",
        box=None,
        padding=(0, 1),
        pad_edge=False,
        collapse_padding=True,
    )

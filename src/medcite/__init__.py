"""medcite: a self-hostable, evidence-backed medical answer engine."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from medcite.types import Answer


def ask(question: str, **kwargs: Any) -> Answer:
    """Answer a health question; see :func:`medcite.api.ask` (imported lazily: the CLI starts fast)."""
    from medcite.api import ask as _ask

    return _ask(question, **kwargs)


__all__ = ["__version__", "ask"]

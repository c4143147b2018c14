"""compose stage: structured, cited answer articles built by quotation."""

from medcite.compose.composer import Composer

__all__ = ["Composer"]

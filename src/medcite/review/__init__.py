"""Editorial review: users and credentials, articles with versions, the review workflow."""

from medcite.review.service import ReviewStore
from medcite.review.workflow import Action

__all__ = ["Action", "ReviewStore"]

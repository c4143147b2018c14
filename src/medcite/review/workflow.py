"""The review workflow as data and pure functions: who may move an article from which state.

draft ─submit→ submitted ─start_review→ under_review ─approve→ approved
                   │                        │
                   └──request_changes───────┴──→ changes_requested
changes_requested ─(edit)→ changes_requested ─submit→ submitted
approved ─start_review→ under_review   (re-review of a stale article; readers keep the
                                       approved version meanwhile)
approved ─(edit)→ draft               (a new version; the approved one stays published)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from medcite.errors import AuthenticationError, ConflictError, PermissionDeniedError
from medcite.types import ArticleStatus, Role

S = ArticleStatus


class Action(StrEnum):
    SUBMIT = "submit"
    START_REVIEW = "start_review"
    APPROVE = "approve"
    REQUEST_CHANGES = "request_changes"


@dataclass(frozen=True, slots=True)
class Transition:
    sources: frozenset[ArticleStatus]
    target: ArticleStatus
    roles: frozenset[Role]


EDITORS = frozenset({Role.EDITOR, Role.ADMIN})
REVIEWERS = frozenset({Role.REVIEWER, Role.ADMIN})
STAFF = frozenset({Role.EDITOR, Role.REVIEWER, Role.ADMIN})

TRANSITIONS: dict[Action, Transition] = {
    Action.SUBMIT: Transition(frozenset({S.DRAFT, S.CHANGES_REQUESTED}), S.SUBMITTED, EDITORS),
    Action.START_REVIEW: Transition(
        frozenset({S.SUBMITTED, S.APPROVED}), S.UNDER_REVIEW, REVIEWERS
    ),
    Action.APPROVE: Transition(frozenset({S.UNDER_REVIEW}), S.APPROVED, REVIEWERS),
    Action.REQUEST_CHANGES: Transition(
        frozenset({S.SUBMITTED, S.UNDER_REVIEW}), S.CHANGES_REQUESTED, REVIEWERS
    ),
}

# Editing makes a new version; an article in review is frozen until the reviewer decides.
EDITABLE = frozenset({S.DRAFT, S.CHANGES_REQUESTED, S.APPROVED})


def with_article(role: Role) -> str:
    """The role with its indefinite article, for messages: "an editor", "a reviewer"."""
    return f"{'an' if role.value[0] in 'aeiou' else 'a'} {role.value}"


def not_allowed(role: Role, what: str) -> PermissionDeniedError:
    """The refusal of a known caller whose role does not allow ``what``."""
    return PermissionDeniedError(f"{with_article(role)} may not {what}")


def next_status(status: ArticleStatus, action: Action, role: Role | None) -> ArticleStatus:
    """The state after ``action``; raises if ``role`` may not do it or the state does not allow it."""
    rule = TRANSITIONS[action]
    if role is None:
        raise AuthenticationError(f"sign in to {action.value} articles")
    if role not in rule.roles:
        raise not_allowed(role, f"{action.value} articles")
    if status not in rule.sources:
        allowed = ", ".join(sorted(s.value for s in rule.sources))
        raise ConflictError(
            f"cannot {action.value} an article that is {status.value}",
            hint=f"{action.value} applies to articles that are: {allowed}.",
        )
    return rule.target


def status_after_edit(status: ArticleStatus, role: Role | None) -> ArticleStatus:
    if role is None:
        raise AuthenticationError("sign in to edit articles")
    if role not in EDITORS:
        raise not_allowed(role, "edit articles")
    if status not in EDITABLE:
        raise ConflictError(
            f"cannot edit an article that is {status.value}",
            hint="Wait for the reviewer's decision, or ask them to request changes.",
        )
    return S.CHANGES_REQUESTED if status is S.CHANGES_REQUESTED else S.DRAFT


def can_see_unpublished(role: Role | None) -> bool:
    return role in STAFF


def parse_time(stamp: str) -> dt.datetime:
    """Parse the store's ``YYYY-MM-DDTHH:MM:SS.fffZ`` timestamps (and plain ISO ones)."""
    return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(dt.UTC)


def format_time(moment: dt.datetime) -> str:
    """The store's timestamp format, so that SQL text comparisons order correctly."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def review_due(last_reviewed_at: str | None, now: dt.datetime, interval_days: int) -> bool:
    """An approved article is due for re-review ``interval_days`` after its last review."""
    if last_reviewed_at is None:
        return True
    return now - parse_time(last_reviewed_at) >= dt.timedelta(days=interval_days)

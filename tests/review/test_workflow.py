"""The review workflow as a table: every action x every status x every role (and anonymous)."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from medcite.errors import (
    AuthenticationError,
    ConflictError,
    InvalidRequestError,
    MedciteError,
    NotFoundError,
    PermissionDeniedError,
)
from medcite.review.workflow import (
    Action,
    can_see_unpublished,
    format_time,
    next_status,
    not_allowed,
    parse_time,
    review_due,
    status_after_edit,
    with_article,
)
from medcite.types import ArticleStatus, Role

S = ArticleStatus
ROLES: list[Role | None] = [None, *Role]

# The specification, written out independently of workflow.TRANSITIONS:
# action -> (states it applies to, state it leads to, roles allowed to do it).
SPEC: dict[Action, tuple[set[ArticleStatus], ArticleStatus, set[Role]]] = {
    Action.SUBMIT: ({S.DRAFT, S.CHANGES_REQUESTED}, S.SUBMITTED, {Role.EDITOR, Role.ADMIN}),
    Action.START_REVIEW: ({S.SUBMITTED, S.APPROVED}, S.UNDER_REVIEW, {Role.REVIEWER, Role.ADMIN}),
    Action.APPROVE: ({S.UNDER_REVIEW}, S.APPROVED, {Role.REVIEWER, Role.ADMIN}),
    Action.REQUEST_CHANGES: (
        {S.SUBMITTED, S.UNDER_REVIEW},
        S.CHANGES_REQUESTED,
        {Role.REVIEWER, Role.ADMIN},
    ),
}


def test_spec_covers_every_action() -> None:
    assert set(SPEC) == set(Action)
    assert len(list(itertools.product(Action, ArticleStatus, ROLES))) == 4 * 5 * 5


@pytest.mark.parametrize(
    ("action", "status", "role"),
    list(itertools.product(Action, ArticleStatus, ROLES)),
    ids=lambda v: str(v) if v is not None else "anonymous",
)
def test_transition_table(action: Action, status: ArticleStatus, role: Role | None) -> None:
    sources, target, roles = SPEC[action]
    if role is None:
        # Anonymous callers are told to sign in, whatever the state.
        with pytest.raises(AuthenticationError, match="sign in"):
            next_status(status, action, role)
    elif role not in roles:
        # A known caller without the right role is refused before the state is looked at.
        with pytest.raises(PermissionDeniedError, match=str(role)):
            next_status(status, action, role)
    elif status not in sources:
        with pytest.raises(ConflictError, match=status.value) as info:
            next_status(status, action, role)
        # The hint names the states the action does apply to.
        assert info.value.hint is not None
        for allowed in sources:
            assert allowed.value in info.value.hint
    else:
        assert next_status(status, action, role) is target


def test_readers_can_never_move_an_article() -> None:
    for action, status in itertools.product(Action, ArticleStatus):
        with pytest.raises(PermissionDeniedError):
            next_status(status, action, Role.READER)


@pytest.mark.parametrize(
    ("role", "phrase"),
    [
        (Role.READER, "a reader"),
        (Role.EDITOR, "an editor"),
        (Role.REVIEWER, "a reviewer"),
        (Role.ADMIN, "an admin"),
    ],
)
def test_refusals_name_the_role_with_the_right_article(role: Role, phrase: str) -> None:
    assert with_article(role) == phrase
    refusal = not_allowed(role, "do this")
    assert isinstance(refusal, PermissionDeniedError)
    assert refusal.message == f"{phrase} may not do this"


def test_workflow_refusals_read_as_sentences() -> None:
    with pytest.raises(PermissionDeniedError, match=r"^an editor may not approve articles$"):
        next_status(S.UNDER_REVIEW, Action.APPROVE, Role.EDITOR)
    with pytest.raises(PermissionDeniedError, match=r"^a reviewer may not edit articles$"):
        status_after_edit(S.DRAFT, Role.REVIEWER)


def test_editors_and_reviewers_have_separate_duties() -> None:
    with pytest.raises(PermissionDeniedError):
        next_status(S.UNDER_REVIEW, Action.APPROVE, Role.EDITOR)
    with pytest.raises(PermissionDeniedError):
        next_status(S.DRAFT, Action.SUBMIT, Role.REVIEWER)
    with pytest.raises(PermissionDeniedError):
        status_after_edit(S.DRAFT, Role.REVIEWER)
    # The admin holds both duties.
    assert next_status(S.UNDER_REVIEW, Action.APPROVE, Role.ADMIN) is S.APPROVED
    assert next_status(S.DRAFT, Action.SUBMIT, Role.ADMIN) is S.SUBMITTED


EDIT_RESULT: dict[ArticleStatus, ArticleStatus | None] = {
    S.DRAFT: S.DRAFT,
    S.CHANGES_REQUESTED: S.CHANGES_REQUESTED,
    S.APPROVED: S.DRAFT,  # a new version; the approved one stays published
    S.SUBMITTED: None,  # frozen while waiting for / in review
    S.UNDER_REVIEW: None,
}


@pytest.mark.parametrize(
    ("status", "role"),
    list(itertools.product(ArticleStatus, ROLES)),
    ids=lambda v: str(v) if v is not None else "anonymous",
)
def test_status_after_edit(status: ArticleStatus, role: Role | None) -> None:
    expected = EDIT_RESULT[status]
    if role is None:
        with pytest.raises(AuthenticationError):
            status_after_edit(status, role)
    elif role not in {Role.EDITOR, Role.ADMIN}:
        with pytest.raises(PermissionDeniedError):
            status_after_edit(status, role)
    elif expected is None:
        with pytest.raises(ConflictError, match=status.value):
            status_after_edit(status, role)
    else:
        assert status_after_edit(status, role) is expected


def test_only_staff_see_unpublished_articles() -> None:
    assert not can_see_unpublished(None)
    assert not can_see_unpublished(Role.READER)
    for role in (Role.EDITOR, Role.REVIEWER, Role.ADMIN):
        assert can_see_unpublished(role)


def test_errors_map_to_distinct_http_statuses() -> None:
    statuses = {
        AuthenticationError: 401,
        PermissionDeniedError: 403,
        NotFoundError: 404,
        ConflictError: 409,
        InvalidRequestError: 422,
    }
    for cls, status in statuses.items():
        assert issubclass(cls, MedciteError)
        assert cls.http_status == status
        assert cls("x").exit_code != 0
    assert len({cls.code for cls in statuses}) == len(statuses)


# -- timestamps and review intervals ------------------------------------------------------------
def test_format_time_matches_sqlite_and_round_trips() -> None:
    moment = dt.datetime(2031, 2, 3, 4, 5, 6, 789123, tzinfo=dt.UTC)
    text = format_time(moment)
    assert text == "2031-02-03T04:05:06.789Z"
    assert parse_time(text) == moment.replace(microsecond=789000)
    # Other time zones are converted to UTC.
    plus_two = dt.timezone(dt.timedelta(hours=2))
    assert format_time(dt.datetime(2031, 2, 3, 6, 5, 6, tzinfo=plus_two)) == (
        "2031-02-03T04:05:06.000Z"
    )
    assert parse_time("2031-02-03T06:05:06+02:00") == dt.datetime(
        2031, 2, 3, 4, 5, 6, tzinfo=dt.UTC
    )


def test_formatted_times_sort_as_text_in_time_order() -> None:
    base = dt.datetime(2031, 12, 31, 23, 59, 59, 999000, tzinfo=dt.UTC)
    moments = [base + dt.timedelta(milliseconds=k) for k in (-1000, -1, 0, 1, 1000, 86_400_000)]
    texts = [format_time(m) for m in moments]
    assert sorted(texts) == texts and len(set(texts)) == len(texts)


def test_review_due_boundaries() -> None:
    reviewed = dt.datetime(2031, 1, 1, tzinfo=dt.UTC)
    stamp = format_time(reviewed)
    assert review_due(None, reviewed, 30), "never reviewed: due"
    assert not review_due(stamp, reviewed, 30)
    assert not review_due(stamp, reviewed + dt.timedelta(days=30, seconds=-1), 30)
    assert review_due(stamp, reviewed + dt.timedelta(days=30), 30)
    assert review_due(stamp, reviewed + dt.timedelta(days=400), 365)

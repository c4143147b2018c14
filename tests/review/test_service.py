"""The review store on a real SQLite file: lifecycle, four-eyes, immutability, audit, visibility."""

from __future__ import annotations

import datetime as dt
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from medcite.compose import Composer
from medcite.config import Settings
from medcite.errors import (
    AuthenticationError,
    ConflictError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
)
from medcite.ingest.chunking import build_passages
from medcite.review.editing import drop_items
from medcite.review.service import MAX_COMMENT, MAX_TITLE, ReviewStore, content_hash
from medcite.review.workflow import Action, format_time
from medcite.store.base import PreparedDocument
from medcite.store.sqlite import SQLiteStore
from medcite.types import (
    Answer,
    Article,
    ArticleStatus,
    Audience,
    AuditEvent,
    DocType,
    Document,
    ReviewComment,
    Role,
    Section,
    User,
)
from tests.conftest import FIXTURES, ingest_folder

S = ArticleStatus
CAUSE = "What causes glimmerpox?"
TREAT = "How is glimmerpox treated?"
OFF_TOPIC = "What colour is the synthetic moon cheese of planet Zorp?"
INTERVAL = 30


class Clock:
    """Stands still until a test moves it."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@dataclass
class World:
    store: SQLiteStore
    settings: Settings
    review: ReviewStore
    clock: Clock
    users: dict[str, User]

    def __getitem__(self, name: str) -> User:
        return self.users[name]

    def audit(self, article_id: str) -> list[AuditEvent]:
        return self.review.audit_log(article_id, self.users["admin"])

    def staff_view(self, article_id: str) -> Article:
        return self.review.get_article(article_id, self.users["admin"])


@pytest.fixture(scope="module")
def answers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Answer]:
    """Real composed answers over the synthetic corpus (composed once per module)."""
    settings = Settings(home=tmp_path_factory.mktemp("answers") / "home", mirror=None)
    with SQLiteStore(settings.db_path) as store:
        assert ingest_folder(store, settings, FIXTURES / "compose").ok
        composer = Composer.open(store, settings)
        out = {
            "cause": composer.ask(CAUSE, audience=Audience.CLINICIAN, save=False),
            "treat": composer.ask(TREAT, audience=Audience.CLINICIAN, save=False),
            "patient": composer.ask(CAUSE, audience=Audience.PATIENT, save=False),
            "abstain": composer.ask(OFF_TOPIC, save=False),
        }
    assert out["abstain"].abstained and not out["cause"].abstained
    assert out["cause"].focus and out["cause"].focus.lower() == "glimmerpox"
    return out


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    settings = Settings(home=tmp_path / "home", mirror=None)
    with SQLiteStore(settings.db_path) as store:
        assert ingest_folder(store, settings, FIXTURES / "compose").ok
        clock = Clock(dt.datetime.now(dt.UTC))
        review = ReviewStore(store.reviews(), clock=clock, review_interval_days=INTERVAL)
        roles = {
            "admin": Role.ADMIN,
            "editor": Role.EDITOR,
            "editor2": Role.EDITOR,
            "reviewer": Role.REVIEWER,
            "reviewer2": Role.REVIEWER,
            "reader": Role.READER,
        }
        users = {
            name: review.add_user(name, role, display_name=f"Synthetic {name.title()}")
            for name, role in roles.items()
        }
        yield World(store, settings, review, clock, users)


def _through(w: World, article_id: str, *steps: tuple[Action, str]) -> Article:
    article = w.staff_view(article_id)
    for action, who in steps:
        w.clock.advance(seconds=1)
        article = w.review.act(article_id, action, w[who])
    return article


def _approved(w: World, answer: Answer, title: str | None = None) -> Article:
    """An article created by ``editor`` and approved by ``reviewer``."""
    article = w.review.create_article(answer, w["editor"], title)
    return _through(
        w,
        article.id,
        (Action.SUBMIT, "editor"),
        (Action.START_REVIEW, "reviewer"),
        (Action.APPROVE, "reviewer"),
    )


def _new_document(w: World, source_id: str, title: str, focus: str) -> None:
    doc = Document(
        source="test",
        source_id=source_id,
        title=title,
        doc_type=DocType.GUIDELINE,
        year=2032,
        focus=focus,
        sections=[Section(heading="H", text=f"{title}: invented text about test robots.")],
    )
    body, passages = build_passages(doc.sections)
    w.store.write_documents([PreparedDocument(doc, body, passages)])


# -- the lifecycle and its audit trail ----------------------------------------------------------
def test_full_lifecycle_with_audit_trail(world: World, answers: dict[str, Answer]) -> None:
    w = world
    expected: list[tuple[str, S | None, S, str, int]] = []

    def step(article: Article, action: str, frm: S | None, to: S, who: str) -> None:
        """The article moved, and exactly one audit row recorded it."""
        assert article.status is to
        expected.append((action, frm, to, w[who].display_name, article.current_version))
        log = w.audit(article.id)
        assert [(e.action, e.from_status, e.to_status, e.actor, e.version) for e in log] == expected
        versions = {v.version: v for v in w.staff_view(article.id).versions}
        assert log[-1].version_hash == versions[log[-1].version].content_hash
        assert log[-1].at == format_time(w.clock.now)

    article = w.review.create_article(answers["cause"], w["editor"], "Synthetic glimmerpox page")
    aid = article.id
    assert article.title == "Synthetic glimmerpox page" and article.question == CAUSE
    assert article.created_by == "Synthetic Editor" and article.audience is Audience.CLINICIAN
    assert article.current_version == 1 and article.published_version is None
    (v1,) = article.versions
    assert v1.answer is not None and v1.answer.statements() == answers["cause"].statements()
    assert v1.answer_id == answers["cause"].id and not v1.approved
    assert v1.content_hash == content_hash("Synthetic glimmerpox page", answers["cause"])
    step(article, "create", None, S.DRAFT, "editor")

    w.clock.advance(minutes=1)
    step(w.review.act(aid, Action.SUBMIT, w["editor"]), "submit", S.DRAFT, S.SUBMITTED, "editor")
    w.clock.advance(minutes=1)
    article = w.review.act(aid, Action.START_REVIEW, w["reviewer"])
    step(article, "start_review", S.SUBMITTED, S.UNDER_REVIEW, "reviewer")

    # Sending back needs a reason: nothing is changed or logged without one.
    for blank in (None, "", "   "):
        with pytest.raises(InvalidRequestError, match="comment is required"):
            w.review.act(
                aid,
                Action.REQUEST_CHANGES,
                w["reviewer"],
                comment=blank,
                section_comments=[ReviewComment(section_key="causes", comment="  ")],
            )
    assert w.staff_view(aid).status is S.UNDER_REVIEW and len(w.audit(aid)) == 3

    w.clock.advance(minutes=1)
    article = w.review.act(
        aid,
        Action.REQUEST_CHANGES,
        w["reviewer"],
        comment="  Please trim.  ",
        section_comments=[
            ReviewComment(section_key="causes", comment="Drop the second synthetic cause."),
            ReviewComment(section_key="summary", comment="   "),  # blank: not kept
            ReviewComment(section_key="more", comment="Too long."),
        ],
    )
    step(article, "request_changes", S.UNDER_REVIEW, S.CHANGES_REQUESTED, "reviewer")
    sent_back = w.audit(aid)[-1]
    assert sent_back.comment == "Please trim."
    assert sent_back.section_comments == [
        ReviewComment(section_key="causes", comment="Drop the second synthetic cause."),
        ReviewComment(section_key="more", comment="Too long."),
    ]
    assert all(not e.section_comments for e in w.audit(aid)[:-1])

    # The editor drops a statement: a new version, still "changes requested".
    w.clock.advance(minutes=1)
    trimmed = drop_items(v1.answer, ["causes:1"])
    article = w.review.edit_article(aid, w["editor"], answer=trimmed, note="dropped causes:1")
    assert article.current_version == 2 and [v.version for v in article.versions] == [2, 1]
    assert article.versions[0].edit_note == "dropped causes:1"
    assert article.versions[0].answer == trimmed
    step(article, "edit", S.CHANGES_REQUESTED, S.CHANGES_REQUESTED, "editor")
    assert w.audit(aid)[-1].comment == "dropped causes:1"

    w.clock.advance(minutes=1)
    article = w.review.act(aid, Action.SUBMIT, w["editor"])
    step(article, "submit", S.CHANGES_REQUESTED, S.SUBMITTED, "editor")
    w.clock.advance(minutes=1)
    article = w.review.act(aid, Action.START_REVIEW, w["reviewer"])
    step(article, "start_review", S.SUBMITTED, S.UNDER_REVIEW, "reviewer")
    w.clock.advance(minutes=1)
    article = w.review.act(aid, Action.APPROVE, w["reviewer"], comment="Checked.")
    step(article, "approve", S.UNDER_REVIEW, S.APPROVED, "reviewer")
    assert w.audit(aid)[-1].comment == "Checked."

    assert article.published_version == 2
    assert article.last_reviewed_by == "Synthetic Reviewer"
    assert article.last_reviewed_at == format_time(w.clock.now)
    assert {v.version: v.approved for v in article.versions} == {2: True, 1: False}
    assert not article.stale
    # Every stored version's hash is the hash of what it holds.
    for version in article.versions:
        assert version.answer is not None
        assert version.content_hash == content_hash(version.title, version.answer)
    # Distinct versions have distinct hashes.
    assert article.versions[0].content_hash != article.versions[1].content_hash


def test_audit_log_access(world: World, answers: dict[str, Answer]) -> None:
    w = world
    aid = w.review.create_article(answers["cause"], w["editor"]).id
    for who in ("editor", "reviewer", "admin"):
        assert [e.action for e in w.review.audit_log(aid, w[who])] == ["create"]
    with pytest.raises(PermissionDeniedError):
        w.review.audit_log(aid, w["reader"])
    with pytest.raises(AuthenticationError):
        w.review.audit_log(aid, None)
    with pytest.raises(NotFoundError):
        w.review.audit_log("nosuchid", w["admin"])


def test_failed_actions_change_nothing(world: World, answers: dict[str, Answer]) -> None:
    w = world
    aid = w.review.create_article(answers["cause"], w["editor"]).id
    before = (w.staff_view(aid), w.audit(aid))
    attempts = [
        (ConflictError, lambda: w.review.act(aid, Action.APPROVE, w["reviewer"])),
        (ConflictError, lambda: w.review.act(aid, Action.START_REVIEW, w["reviewer"])),
        (PermissionDeniedError, lambda: w.review.act(aid, Action.SUBMIT, w["reviewer"])),
        (NotFoundError, lambda: w.review.act(aid, Action.SUBMIT, w["reader"])),  # unpublished
        (NotFoundError, lambda: w.review.act(aid, Action.SUBMIT, None)),
        (NotFoundError, lambda: w.review.act("nosuchid", Action.SUBMIT, w["editor"])),
        (PermissionDeniedError, lambda: w.review.edit_article(aid, w["reviewer"], title="X y")),
    ]
    for error, attempt in attempts:
        with pytest.raises(error):
            attempt()
    assert (w.staff_view(aid), w.audit(aid)) == before


def test_role_checks_on_published_articles(world: World, answers: dict[str, Answer]) -> None:
    w = world
    aid = _approved(w, answers["cause"]).id
    # Once published, outsiders can see the article, so they get 401/403 rather than 404.
    with pytest.raises(AuthenticationError):
        w.review.act(aid, Action.START_REVIEW, None)
    with pytest.raises(PermissionDeniedError):
        w.review.act(aid, Action.START_REVIEW, w["reader"])
    with pytest.raises(PermissionDeniedError):
        w.review.act(aid, Action.START_REVIEW, w["editor"])
    with pytest.raises(AuthenticationError):
        w.review.edit_article(aid, None, title="Synthetic new title")
    with pytest.raises(PermissionDeniedError):
        w.review.edit_article(aid, w["reader"], title="Synthetic new title")
    assert len(w.audit(aid)) == 4


def test_only_editors_create_articles(world: World, answers: dict[str, Answer]) -> None:
    w = world
    with pytest.raises(AuthenticationError):
        w.review.create_article(answers["cause"], None)
    for who in ("reader", "reviewer", "reviewer2"):
        with pytest.raises(PermissionDeniedError):
            w.review.create_article(answers["cause"], w[who])
    assert w.store.conn.execute("SELECT count(*) FROM articles").fetchone()[0] == 0
    for who in ("editor", "admin"):
        assert w.review.create_article(answers["cause"], w[who]).status is S.DRAFT


# -- four eyes --------------------------------------------------------------------------------
def test_four_eyes_admin_cannot_approve_own_version(
    world: World, answers: dict[str, Answer]
) -> None:
    w = world
    aid = w.review.create_article(answers["cause"], w["admin"]).id
    _through(w, aid, (Action.SUBMIT, "admin"), (Action.START_REVIEW, "admin"))
    events = len(w.audit(aid))
    with pytest.raises(PermissionDeniedError, match="another reviewer") as info:
        w.review.act(aid, Action.APPROVE, w["admin"])
    assert info.value.hint and "four-eyes" in info.value.hint
    article = w.staff_view(aid)
    assert article.status is S.UNDER_REVIEW and article.published_version is None
    assert not article.versions[0].approved and len(w.audit(aid)) == events
    with pytest.raises(NotFoundError):
        w.review.get_article(aid, None)
    # A different reviewer may.
    approved = w.review.act(aid, Action.APPROVE, w["reviewer2"])
    assert approved.status is S.APPROVED and approved.published_version == 1
    assert approved.last_reviewed_by == "Synthetic Reviewer2"


def test_four_eyes_applies_to_the_author_of_the_current_version(
    world: World, answers: dict[str, Answer]
) -> None:
    w = world
    aid = w.review.create_article(answers["cause"], w["editor"]).id
    w.review.edit_article(aid, w["admin"], title="Synthetic title set by the admin")
    _through(w, aid, (Action.SUBMIT, "editor"), (Action.START_REVIEW, "admin"))
    with pytest.raises(PermissionDeniedError):
        w.review.act(aid, Action.APPROVE, w["admin"])  # the admin wrote version 2
    article = w.review.act(aid, Action.APPROVE, w["reviewer"])
    assert article.published_version == 2
    assert w.audit(aid)[-1].actor == "Synthetic Reviewer"


# -- immutability in the database itself ---------------------------------------------------
def test_approved_versions_are_immutable_in_sql(world: World, answers: dict[str, Answer]) -> None:
    w = world
    aid = _approved(w, answers["cause"], "Synthetic approved title").id
    conn = w.store.conn
    before = [tuple(r) for r in conn.execute("SELECT * FROM article_versions")]
    statements = [
        "UPDATE article_versions SET title = 'Tampered' WHERE article_id = ?",
        "UPDATE article_versions SET answer_json = '{}' WHERE article_id = ?",
        "UPDATE article_versions SET approved = 0 WHERE article_id = ?",
        "UPDATE article_versions SET content_hash = 'x' WHERE article_id = ?",
        "DELETE FROM article_versions WHERE article_id = ?",
    ]
    for sql in statements:
        with pytest.raises(sqlite3.IntegrityError, match="immutable"):
            conn.execute(sql, (aid,))
    assert [tuple(r) for r in conn.execute("SELECT * FROM article_versions")] == before
    assert w.review.get_article(aid, None).title == "Synthetic approved title"


def test_audit_log_is_append_only_in_sql(world: World, answers: dict[str, Answer]) -> None:
    w = world
    aid = _approved(w, answers["cause"]).id
    conn = w.store.conn
    before = [tuple(r) for r in conn.execute("SELECT * FROM review_events")]
    assert len(before) == 4
    for sql in (
        "UPDATE review_events SET actor_name = 'Someone else' WHERE article_id = ?",
        "UPDATE review_events SET to_status = 'draft' WHERE article_id = ?",
        "DELETE FROM review_events WHERE article_id = ?",
    ):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute(sql, (aid,))
    assert [tuple(r) for r in conn.execute("SELECT * FROM review_events")] == before


def test_section_comments_are_append_only_in_sql(world: World, answers: dict[str, Answer]) -> None:
    w = world
    aid = w.review.create_article(answers["cause"], w["editor"]).id
    _through(w, aid, (Action.SUBMIT, "editor"))
    w.review.act(
        aid,
        Action.REQUEST_CHANGES,
        w["reviewer"],
        section_comments=[ReviewComment(section_key="causes", comment="Synthetic remark.")],
    )
    conn = w.store.conn
    for sql in (
        "UPDATE review_comments SET comment = 'rewritten' WHERE article_id = ?",
        "DELETE FROM review_comments WHERE article_id = ?",
    ):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute(sql, (aid,))
    assert w.audit(aid)[-1].section_comments[0].comment == "Synthetic remark."


# -- editing ----------------------------------------------------------------------------------
def test_editing_an_approved_article_keeps_the_published_version(
    world: World, answers: dict[str, Answer]
) -> None:
    w = world
    published = _approved(w, answers["cause"], "Synthetic published title")
    aid = published.id
    approved_hash = published.versions[0].content_hash
    w.clock.advance(minutes=1)
    trimmed = drop_items(answers["cause"], ["causes:0", "summary:0"])
    draft = w.review.edit_article(
        aid, w["editor2"], title="Synthetic draft title", answer=trimmed, note="trim"
    )
    assert draft.status is S.DRAFT and draft.current_version == 2
    assert draft.published_version == 1 and draft.title == "Synthetic draft title"
    assert [(v.version, v.approved) for v in draft.versions] == [(2, False), (1, True)]
    assert w.audit(aid)[-1].action == "edit"
    assert (w.audit(aid)[-1].from_status, w.audit(aid)[-1].to_status) == (S.APPROVED, S.DRAFT)

    for viewer in (None, w["reader"]):
        seen = w.review.get_article(aid, viewer)
        assert seen.title == "Synthetic published title"
        assert seen.status is S.APPROVED and seen.current_version == 1
        assert [v.version for v in seen.versions] == [1]
        body = seen.versions[0].answer
        assert body is not None and body.statements() == answers["cause"].statements()
        assert seen.versions[0].content_hash == approved_hash
        assert seen.updated_at == seen.versions[0].created_at < draft.updated_at
        listed = w.review.list_articles(viewer)
        assert [(a.id, a.title) for a in listed] == [(aid, "Synthetic published title")]
        assert listed[0].versions[0].answer is None  # lists carry no bodies

    # The new version goes through review and replaces the published one only when approved.
    _through(w, aid, (Action.SUBMIT, "editor2"), (Action.START_REVIEW, "reviewer"))
    assert w.review.get_article(aid, None).title == "Synthetic published title"
    w.review.act(aid, Action.APPROVE, w["reviewer"])
    seen = w.review.get_article(aid, None)
    assert seen.title == "Synthetic draft title" and seen.current_version == 2
    assert seen.versions[0].answer == trimmed


def test_edits_that_change_nothing_are_refused(world: World, answers: dict[str, Answer]) -> None:
    w = world
    aid = w.review.create_article(answers["cause"], w["editor"], "Synthetic title").id
    for kwargs in (
        {},
        {"title": "Synthetic title"},
        {"title": "  Synthetic   title "},  # whitespace is normalised first
        {"answer": answers["cause"]},
        {"answer": answers["cause"].model_copy(update={"timings_ms": {"total": 1.0}})},
    ):
        with pytest.raises(ConflictError, match="changes nothing"):
            w.review.edit_article(aid, w["editor"], **kwargs)  # type: ignore[arg-type]
    assert w.staff_view(aid).current_version == 1 and len(w.audit(aid)) == 1


def test_regenerating_an_unchanged_answer_changes_nothing(
    world: World, answers: dict[str, Answer]
) -> None:
    """A fresh compose of the same question (new answer id, same words) is not a new version."""
    w = world
    aid = w.review.create_article(answers["cause"], w["editor"]).id
    again = Composer.open(w.store, w.settings).ask(CAUSE, audience=Audience.CLINICIAN, save=False)
    assert again.id != answers["cause"].id
    with pytest.raises(ConflictError, match="changes nothing"):
        w.review.edit_article(aid, w["editor"], answer=again)
    # ...while a composed answer with different words is.
    other = answers["treat"]
    article = w.review.edit_article(aid, w["editor"], answer=other, note="regenerated")
    assert article.current_version == 2 and article.versions[0].answer_id == other.id


def test_articles_in_review_are_frozen(world: World, answers: dict[str, Answer]) -> None:
    w = world
    aid = w.review.create_article(answers["cause"], w["editor"]).id
    w.review.act(aid, Action.SUBMIT, w["editor"])
    with pytest.raises(ConflictError, match="submitted"):
        w.review.edit_article(aid, w["editor"], title="Synthetic other title")
    w.review.act(aid, Action.START_REVIEW, w["reviewer"])
    with pytest.raises(ConflictError, match="under_review"):
        w.review.edit_article(aid, w["admin"], title="Synthetic other title")
    assert w.staff_view(aid).current_version == 1


def test_an_edit_cannot_replace_the_body_with_an_abstained_answer(
    world: World, answers: dict[str, Answer]
) -> None:
    w = world
    aid = w.review.create_article(answers["cause"], w["editor"]).id
    with pytest.raises(InvalidRequestError):
        w.review.edit_article(aid, w["editor"], answer=answers["abstain"])


def test_comments_are_trimmed_and_limited(world: World, answers: dict[str, Answer]) -> None:
    w = world
    aid = w.review.create_article(answers["cause"], w["editor"]).id
    with pytest.raises(InvalidRequestError, match=str(MAX_COMMENT)):
        w.review.edit_article(aid, w["editor"], title="Synthetic t", note="x" * (MAX_COMMENT + 1))
    w.review.act(aid, Action.SUBMIT, w["editor"])
    with pytest.raises(InvalidRequestError, match=str(MAX_COMMENT)):
        w.review.act(aid, Action.REQUEST_CHANGES, w["reviewer"], comment="x" * (MAX_COMMENT + 1))
    w.review.act(aid, Action.REQUEST_CHANGES, w["reviewer"], comment="x" * MAX_COMMENT)
    assert w.audit(aid)[-1].comment == "x" * MAX_COMMENT


# -- creation rules ---------------------------------------------------------------------------
def test_abstained_answers_cannot_become_articles(world: World, answers: dict[str, Answer]) -> None:
    w = world
    with pytest.raises(InvalidRequestError, match="abstained"):
        w.review.create_article(answers["abstain"], w["editor"], "Synthetic empty article")
    # Nor can an answer whose statements were all removed.
    hollow = answers["cause"].model_copy(deep=True)
    hollow.summary.items, hollow.sections, hollow.evidence_notes = [], [], []
    with pytest.raises(InvalidRequestError):
        w.review.create_article(hollow, w["editor"], "Synthetic hollow article")
    for table in ("articles", "article_versions", "review_events"):
        assert w.store.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0


def test_titles_are_validated(world: World, answers: dict[str, Answer]) -> None:
    w = world
    editor = w["editor"]
    for bad in ("   ", "\n\t", "x" * (MAX_TITLE + 1)):
        with pytest.raises(InvalidRequestError, match="title"):
            w.review.create_article(answers["cause"], editor, bad)
    assert w.store.conn.execute("SELECT count(*) FROM articles").fetchone()[0] == 0
    # No title: the question. Whitespace runs are collapsed.
    assert w.review.create_article(answers["cause"], editor).title == CAUSE
    messy = w.review.create_article(answers["cause"], editor, "  Synthetic \n  glimmer\tpage ")
    assert messy.title == "Synthetic glimmer page"
    assert w.review.create_article(answers["cause"], editor, "y" * MAX_TITLE).title == "y" * (
        MAX_TITLE
    )
    for bad in ("", "  ", "z" * (MAX_TITLE + 1)):
        with pytest.raises(InvalidRequestError):
            w.review.edit_article(messy.id, editor, title=bad)
    assert w.staff_view(messy.id).current_version == 1


# -- what readers see -----------------------------------------------------------------------
def test_readers_never_see_unapproved_articles(world: World, answers: dict[str, Answer]) -> None:
    w = world
    draft = w.review.create_article(answers["cause"], w["editor"], "Synthetic draft").id
    submitted = w.review.create_article(answers["treat"], w["editor"], "Synthetic submitted").id
    _through(w, submitted, (Action.SUBMIT, "editor"), (Action.START_REVIEW, "reviewer"))
    sent_back = w.review.create_article(answers["patient"], w["editor"], "Synthetic sent back").id
    w.review.act(sent_back, Action.SUBMIT, w["editor"])
    w.review.act(sent_back, Action.REQUEST_CHANGES, w["reviewer"], comment="Synthetic reason.")
    hidden = (draft, submitted, sent_back)
    for viewer in (None, w["reader"]):
        for aid in hidden:
            with pytest.raises(NotFoundError):
                w.review.get_article(aid, viewer)
        assert w.review.list_articles(viewer) == []
        assert w.review.list_articles(viewer, query="Synthetic") == []
        assert w.review.categories(viewer) == []
    for who in ("editor", "reviewer", "admin"):
        assert {a.id for a in w.review.list_articles(w[who])} == set(hidden)
    with pytest.raises(NotFoundError):
        w.review.get_article("nosuchid", w["admin"])

    published = _approved(w, answers["cause"], "Synthetic public").id
    for viewer in (None, w["reader"]):
        assert [a.id for a in w.review.list_articles(viewer)] == [published]
        assert w.review.categories(viewer) == [("Other", 1)]


def test_readers_see_the_approved_version_during_re_review(
    world: World, answers: dict[str, Answer]
) -> None:
    w = world
    aid = _approved(w, answers["cause"], "Synthetic public").id
    _through(w, aid, (Action.START_REVIEW, "reviewer2"))
    assert w.staff_view(aid).status is S.UNDER_REVIEW
    seen = w.review.get_article(aid, None)
    assert seen.status is S.APPROVED and seen.title == "Synthetic public"
    w.review.act(aid, Action.REQUEST_CHANGES, w["reviewer2"], comment="Synthetic concern.")
    seen = w.review.get_article(aid, w["reader"])
    assert seen.status is S.APPROVED and seen.published_version == 1


def _published_with_draft(w: World, answers: dict[str, Answer]) -> str:
    aid = _approved(w, answers["cause"], "Synthetic public title").id
    w.review.edit_article(aid, w["editor"], title="Synthetic embargoed wording")
    return aid


def test_reader_search_does_not_match_unpublished_drafts(
    world: World, answers: dict[str, Answer]
) -> None:
    w = world
    aid = _published_with_draft(w, answers)
    assert [a.id for a in w.review.list_articles(w["reader"], query="public")] == [aid]
    assert w.review.list_articles(w["reader"], query="embargoed") == []


def test_reader_status_filter_uses_the_published_status(
    world: World, answers: dict[str, Answer]
) -> None:
    w = world
    aid = _published_with_draft(w, answers)
    assert w.review.get_article(aid, w["reader"]).status is S.APPROVED
    assert [a.id for a in w.review.list_articles(w["reader"], status=S.APPROVED)] == [aid]


# -- staleness ------------------------------------------------------------------------------
def test_articles_go_stale_after_the_review_interval(
    world: World, answers: dict[str, Answer]
) -> None:
    w = world
    article = _approved(w, answers["cause"])
    aid, reviewed_at = article.id, w.clock.now
    assert not article.stale and article.stale_reason is None
    w.clock.now = reviewed_at + dt.timedelta(days=INTERVAL, seconds=-1)
    assert not w.staff_view(aid).stale
    assert w.review.review_queue(w["reviewer"])["stale"] == []
    w.clock.now = reviewed_at + dt.timedelta(days=INTERVAL)
    stale = w.staff_view(aid)
    assert stale.stale and stale.stale_reason and f"{INTERVAL} days" in stale.stale_reason
    assert w.review.get_article(aid, None).stale  # readers are told too
    assert [a.id for a in w.review.review_queue(w["reviewer"])["stale"]] == [aid]

    # A re-review (by anyone who did not write the version) makes it fresh again.
    w.review.act(aid, Action.START_REVIEW, w["reviewer2"])
    assert w.review.review_queue(w["reviewer"])["stale"] == []
    fresh = w.review.act(aid, Action.APPROVE, w["reviewer2"])
    assert not fresh.stale and fresh.published_version == 1
    assert fresh.last_reviewed_at == format_time(w.clock.now)
    assert fresh.last_reviewed_by == "Synthetic Reviewer2"
    assert [a for (a,) in w.store.conn.execute("SELECT approved FROM article_versions")] == [1]
    assert [e.action for e in w.audit(aid)][-2:] == ["start_review", "approve"]


def test_a_newer_source_on_the_topic_makes_an_article_stale(
    world: World, answers: dict[str, Answer]
) -> None:
    w = world
    aid = w.review.create_article(answers["cause"], w["editor"]).id
    _through(w, aid, (Action.SUBMIT, "editor"), (Action.START_REVIEW, "reviewer"))
    # Approve "now" (after the corpus was ingested): new documents are stamped by SQLite's clock.
    w.clock.now = dt.datetime.now(dt.UTC)
    w.review.act(aid, Action.APPROVE, w["reviewer"])
    assert not w.staff_view(aid).stale, "the sources it was composed from are older"
    time.sleep(0.01)
    _new_document(w, "other-1", "Synthetic notes on quorvantitis", focus="Quorvantitis")
    assert not w.staff_view(aid).stale, "a new source on another topic changes nothing"
    _new_document(w, "glimmer-2", "Synthetic glimmerpox update", focus="GLIMMERPOX")
    article = w.staff_view(aid)
    assert article.stale and article.stale_reason is not None
    assert "Synthetic glimmerpox update" in article.stale_reason
    assert [a.id for a in w.review.review_queue(w["admin"])["stale"]] == [aid]
    # Re-approving after the new source was ingested clears it.
    time.sleep(0.01)
    w.clock.now = dt.datetime.now(dt.UTC)
    _through(w, aid, (Action.START_REVIEW, "reviewer2"), (Action.APPROVE, "reviewer2"))
    assert not w.staff_view(aid).stale


def test_unapproved_articles_are_never_stale(world: World, answers: dict[str, Answer]) -> None:
    w = world
    aid = w.review.create_article(answers["cause"], w["editor"]).id
    w.clock.advance(days=10 * INTERVAL)
    article = w.staff_view(aid)
    assert not article.stale and article.stale_reason is None


# -- dashboards and browsing ----------------------------------------------------------------
def test_review_queue_groups(world: World, answers: dict[str, Answer]) -> None:
    w = world
    create = w.review.create_article
    draft = create(answers["cause"], w["editor"], "Synthetic draft").id
    submitted = create(answers["cause"], w["editor"], "Synthetic submitted").id
    _through(w, submitted, (Action.SUBMIT, "editor"))
    in_review = create(answers["cause"], w["editor"], "Synthetic in review").id
    _through(w, in_review, (Action.SUBMIT, "editor"), (Action.START_REVIEW, "reviewer"))
    sent_back = create(answers["cause"], w["editor"], "Synthetic sent back").id
    _through(w, sent_back, (Action.SUBMIT, "editor"))
    w.review.act(sent_back, Action.REQUEST_CHANGES, w["reviewer"], comment="Synthetic reason.")
    old = _approved(w, answers["treat"], "Synthetic old").id
    w.clock.advance(days=INTERVAL + 1)
    recent = _approved(w, answers["patient"], "Synthetic recent").id

    for who in ("reviewer", "admin"):
        queue = w.review.review_queue(w[who])
        assert {k: [a.id for a in v] for k, v in queue.items()} == {
            "submitted": [submitted],
            "under_review": [in_review],
            "changes_requested": [sent_back],
            "stale": [old],
        }
    assert draft and recent  # neither is waiting for a reviewer
    with pytest.raises(PermissionDeniedError):
        w.review.review_queue(w["editor"])
    with pytest.raises(PermissionDeniedError):
        w.review.review_queue(w["reader"])
    with pytest.raises(AuthenticationError):
        w.review.review_queue(None)


def test_categories_and_category_filter(world: World, answers: dict[str, Answer]) -> None:
    w = world
    robots = answers["cause"].model_copy(update={"category": "Synthetic robot ailments"})
    gears = answers["treat"].model_copy(update={"category": "Synthetic gear faults"})
    a1 = _approved(w, robots, "Synthetic robots one").id
    a2 = w.review.create_article(robots, w["editor"], "Synthetic robots two").id
    a3 = _approved(w, gears, "Synthetic gears").id
    a4 = _approved(w, answers["patient"], "Synthetic uncategorised").id
    assert w.review.categories(w["editor"]) == [
        ("Other", 1),
        ("Synthetic gear faults", 1),
        ("Synthetic robot ailments", 2),
    ]
    assert w.review.categories(None) == [
        ("Other", 1),
        ("Synthetic gear faults", 1),
        ("Synthetic robot ailments", 1),
    ]
    staff = w.review.list_articles(w["editor"], category="Synthetic robot ailments")
    assert {a.id for a in staff} == {a1, a2}
    assert [a.id for a in w.review.list_articles(None, category="Synthetic robot ailments")] == [a1]
    assert [a.id for a in w.review.list_articles(None, category="Synthetic gear faults")] == [a3]
    assert w.review.list_articles(None, category="Synthetic nothing") == []
    assert a4 in {a.id for a in w.review.list_articles(None)}


def test_list_articles_query_treats_wildcards_literally(
    world: World, answers: dict[str, Answer]
) -> None:
    w = world
    titles = {
        "pct": "Synthetic 100% glimmer guide",
        "digits": "Synthetic 1000 glimmer guide",
        "under": "Synthetic glimmer_pox guide",
        "letter": "Synthetic glimmerXpox guide",
        "slash": "Synthetic back\\slash guide",
    }
    ids = {
        key: w.review.create_article(answers["cause"], w["editor"], t).id
        for key, t in titles.items()
    }

    def found(query: str) -> set[str]:
        hits = {a.id for a in w.review.list_articles(w["editor"], query=query)}
        return {key for key, aid in ids.items() if aid in hits}

    assert found("100%") == {"pct"}
    assert found("%") == {"pct"}
    assert found("glimmer_pox") == {"under"}
    assert found("_") == {"under"}
    assert found("\\") == {"slash"}
    assert found("k\\s") == {"slash"}
    assert found("10%0") == set()
    assert found("SYNTHETIC") == set(ids)  # case-insensitive
    assert found("  glimmerxpox  ") == {"letter"}  # trimmed
    assert found("glimmerpox") == set(ids)  # matches the question too
    assert found("nothing like this") == set()


def test_list_articles_status_filter_order_and_limit(
    world: World, answers: dict[str, Answer]
) -> None:
    w = world
    made = []
    for i in range(4):
        w.clock.advance(minutes=1)
        made.append(w.review.create_article(answers["cause"], w["editor"], f"Synthetic {i}").id)
    w.clock.advance(minutes=1)
    w.review.act(made[1], Action.SUBMIT, w["editor"])
    listed = w.review.list_articles(w["editor"])
    assert [a.id for a in listed] == [made[1], made[3], made[2], made[0]]  # newest change first
    assert [a.id for a in w.review.list_articles(w["editor"], status=S.SUBMITTED)] == [made[1]]
    assert [a.id for a in w.review.list_articles(w["editor"], status=S.DRAFT, limit=2)] == [
        made[3],
        made[2],
    ]
    assert len(w.review.list_articles(w["editor"], limit=0)) == 1  # clamped to at least one


EDITORS = 50


def _edit_at_once(
    article_id: str, editor: User, own_review: Callable[[], AbstractContextManager[ReviewStore]]
) -> list[BaseException]:
    """``EDITORS`` threads, each with its own connection (as separate server processes would
    be), retitle one article at the same moment; the errors they met."""
    import threading

    start = threading.Barrier(EDITORS)
    errors: list[BaseException] = []

    def edit(n: int) -> None:
        with own_review() as review:
            start.wait()
            try:
                review.edit_article(article_id, editor, title=f"Synthetic title {n}")
            except BaseException as exc:  # collected for the assertion
                errors.append(exc)

    threads = [threading.Thread(target=edit, args=(n,)) for n in range(EDITORS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def _no_lost_edit(article: Article) -> None:
    assert article.current_version == EDITORS + 1
    assert sorted(v.version for v in article.versions) == list(range(1, EDITORS + 2))
    assert {v.title for v in article.versions[:-1]} == {
        f"Synthetic title {n}" for n in range(EDITORS)
    }


def test_concurrent_edits_from_separate_connections_never_lose_an_update(
    world: World, answers: dict[str, Answer]
) -> None:
    # every edit becomes its own version, none is lost or fails
    article = world.review.create_article(answers["cause"], world["editor"])

    @contextmanager
    def own_review() -> Iterator[ReviewStore]:
        with SQLiteStore(world.settings.db_path) as own:
            yield ReviewStore(own.reviews())

    assert _edit_at_once(article.id, world["editor"], own_review) == []
    _no_lost_edit(world.staff_view(article.id))
    edits = [e for e in world.audit(article.id) if e.action == "edit"]
    assert sorted(e.version for e in edits) == list(range(2, EDITORS + 2))


def test_a_change_made_on_a_stale_version_is_refused(
    world: World, answers: dict[str, Answer]
) -> None:
    article = world.review.create_article(answers["cause"], world["editor"])
    seen = article.current_version
    world.review.edit_article(
        article.id, world["editor"], title="Synthetic newer title", expected_version=seen
    )
    with pytest.raises(ConflictError) as stale:
        world.review.edit_article(
            article.id, world["editor2"], title="Synthetic other title", expected_version=seen
        )
    assert "version 2 is current" in stale.value.message
    with pytest.raises(ConflictError):
        world.review.act(article.id, Action.SUBMIT, world["editor"], expected_version=seen)
    assert world.staff_view(article.id).status is S.DRAFT  # nothing written
    moved = world.review.act(article.id, Action.SUBMIT, world["editor"], expected_version=2)
    assert moved.status is S.SUBMITTED


def test_concurrent_edits_on_postgresql_never_lose_an_update(
    postgres_server: str, answers: dict[str, Answer]
) -> None:
    # The same editors against the PostgreSQL repository: its advisory lock serialises them as
    # BEGIN IMMEDIATE does in SQLite.
    from medcite.store.review_pg import PostgresReviewRepository, connect
    from tests.conftest import fresh_database

    with fresh_database(postgres_server) as url, connect(url) as main:
        review = ReviewStore(PostgresReviewRepository(main))
        editor = review.add_user("editor", Role.EDITOR, display_name="Synthetic Editor")
        article = review.create_article(answers["cause"], editor)

        @contextmanager
        def own_review() -> Iterator[ReviewStore]:
            with connect(url) as own:
                yield ReviewStore(PostgresReviewRepository(own))

        assert _edit_at_once(article.id, editor, own_review) == []
        _no_lost_edit(review.get_article(article.id, editor))

"""The JSON API under ``/api``. Answers follow docs/answer-schema.md; errors web/errors.py."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from medcite.errors import AuthenticationError
from medcite.review.workflow import Action
from medcite.types import (
    Answer,
    Article,
    ArticleStatus,
    Audience,
    AuditEvent,
    ReviewComment,
    Role,
    User,
)
from medcite.web.engine import Engine
from medcite.web.security import CSRF_HEADER, Identity, check_csrf, identify, require_role

MAX_QUESTION = 1000


def engine_of(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def caller(request: Request) -> Identity:
    identity = identify(request, engine_of(request))
    if identity.via == "session":  # only cookies carry ambient authority a forged request could use
        check_csrf(request, identity, request.headers.get(CSRF_HEADER))
    return identity


EngineDep = Annotated[Engine, Depends(engine_of)]
CallerDep = Annotated[Identity, Depends(caller)]


def may_ask(engine: Engine, identity: Identity) -> None:
    if identity.user is None and not engine.settings.allow_anonymous_ask:
        raise AuthenticationError("sign in to ask questions (anonymous asking is turned off)")


def may_read(engine: Engine, identity: Identity) -> None:
    if identity.user is None and not engine.settings.allow_anonymous_read:
        raise AuthenticationError("sign in to read articles (anonymous reading is turned off)")


class AskRequest(BaseModel):
    question: str = Field(min_length=1, max_length=MAX_QUESTION, description="A health question.")
    audience: Audience = Audience.PATIENT
    follow_up_of: str | None = Field(
        default=None, max_length=64, description="Id of the answer this question follows up."
    )


class NewArticle(BaseModel):
    answer_id: str = Field(min_length=1, max_length=64)
    title: str | None = Field(default=None, max_length=300)


_VERSION_DOC = (
    "The article version the change was made on (current_version as read). When another "
    "version is current by then, the change is refused with 409 conflict instead of "
    "overwriting what someone else did."
)


class ArticleEdit(BaseModel):
    title: str | None = Field(default=None, max_length=300)
    drop: list[str] = Field(
        default_factory=list,
        max_length=200,
        description="Statements to remove, named section_key:index (summary:0, causes:2, note:0).",
    )
    regenerate: bool = Field(
        default=False, description="Replace the body with a fresh answer from the current corpus."
    )
    note: str | None = Field(default=None, max_length=5000, description="Why (kept in the log).")
    version: int | None = Field(default=None, ge=1, description=_VERSION_DOC)


class ReviewActionRequest(BaseModel):
    comment: str | None = Field(default=None, max_length=5000)
    section_comments: list[ReviewComment] = Field(default_factory=list, max_length=100)
    version: int | None = Field(default=None, ge=1, description=_VERSION_DOC)


class NewUser(BaseModel):
    name: str = Field(min_length=2, max_length=64)
    role: Role
    display_name: str | None = Field(default=None, max_length=120)
    password: str | None = Field(default=None, min_length=10, max_length=200)


class NewToken(BaseModel):
    user: str = Field(min_length=2, max_length=64)
    label: str = Field(default="api", max_length=80)


class ArticleList(BaseModel):
    articles: list[Article]


class AuditLog(BaseModel):
    events: list[AuditEvent]


router = APIRouter(prefix="/api")


@router.post("/ask", response_model=Answer, tags=["answers"])
def ask(body: AskRequest, engine: EngineDep, identity: CallerDep) -> Answer:
    """Answer a health question with a cited article (saved, so it can be followed up)."""
    may_ask(engine, identity)
    return engine.ask(body.question, body.audience, body.follow_up_of)


@router.get("/search", tags=["answers"])
def search(
    engine: EngineDep,
    identity: CallerDep,
    q: Annotated[str, Query(min_length=1, max_length=MAX_QUESTION)],
    k: Annotated[int, Query(ge=1, le=50)] = 10,
) -> dict[str, Any]:
    """Ranked passages with their document, type, year and score parts."""
    may_ask(engine, identity)
    return {"query": q, "results": engine.search(q, k)}


@router.get("/answers/{answer_id}", response_model=Answer, tags=["answers"])
def get_answer(answer_id: str, engine: EngineDep, identity: CallerDep) -> Answer:
    may_ask(engine, identity)
    return engine.answer(answer_id)


@router.get("/answers/{answer_id}/thread", tags=["answers"])
def get_thread(answer_id: str, engine: EngineDep, identity: CallerDep) -> dict[str, Any]:
    """The conversation an answer belongs to, oldest first."""
    may_ask(engine, identity)
    return {"answers": [a.model_dump(mode="json") for a in engine.thread(answer_id)]}


@router.post("/articles", response_model=Article, status_code=201, tags=["articles"])
def create_article(body: NewArticle, engine: EngineDep, identity: CallerDep) -> Article:
    """Save an answer as an article draft (editors)."""
    require_role(identity, Role.EDITOR, Role.ADMIN)
    answer = engine.answer(body.answer_id)
    with engine.review_lock:
        return engine.review.create_article(answer, identity.user, body.title)


@router.get("/articles", response_model=ArticleList, tags=["articles"])
def list_articles(
    engine: EngineDep,
    identity: CallerDep,
    status: ArticleStatus | None = None,
    category: Annotated[str | None, Query(max_length=200)] = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> ArticleList:
    """Articles the caller may see: readers get approved ones only."""
    may_read(engine, identity)
    with engine.review_lock:
        found = engine.review.list_articles(
            identity.user, status=status, category=category, query=q, limit=limit
        )
    return ArticleList(articles=found)


@router.get("/articles/{article_id}", response_model=Article, tags=["articles"])
def get_article(article_id: str, engine: EngineDep, identity: CallerDep) -> Article:
    """An article with its versions (staff) or its published version (readers)."""
    may_read(engine, identity)
    with engine.review_lock:
        return engine.review.get_article(article_id, identity.user)


@router.patch("/articles/{article_id}", response_model=Article, tags=["articles"])
def edit_article(
    article_id: str, body: ArticleEdit, engine: EngineDep, identity: CallerDep
) -> Article:
    """A new version: retitle, drop statements, or regenerate from the current corpus."""
    return engine.edit_article(
        article_id,
        require_role(identity, Role.EDITOR, Role.ADMIN),
        title=body.title,
        drop=body.drop,
        regenerate=body.regenerate,
        note=body.note,
        expected_version=body.version,
    )


@router.post("/articles/{article_id}/{action}", response_model=Article, tags=["review"])
def review_action(
    article_id: str,
    action: Action,
    engine: EngineDep,
    identity: CallerDep,
    body: ReviewActionRequest | None = None,
) -> Article:
    """submit (editors); start_review, approve, request_changes (reviewers)."""
    body = body or ReviewActionRequest()
    with engine.review_lock:
        return engine.review.act(
            article_id,
            action,
            identity.user,
            comment=body.comment,
            section_comments=body.section_comments,
            expected_version=body.version,
        )


@router.get("/articles/{article_id}/audit", response_model=AuditLog, tags=["review"])
def audit(article_id: str, engine: EngineDep, identity: CallerDep) -> AuditLog:
    """Every transition of an article: who, when, from, to, comment, version hash."""
    with engine.review_lock:
        return AuditLog(events=engine.review.audit_log(article_id, identity.user))


@router.get("/review/queue", tags=["review"])
def review_queue(engine: EngineDep, identity: CallerDep) -> dict[str, list[Article]]:
    """Submitted, in review, sent back, and approved articles due for re-review."""
    with engine.review_lock:
        return engine.review.review_queue(identity.user)


@router.get("/categories", tags=["articles"])
def categories(engine: EngineDep, identity: CallerDep) -> dict[str, Any]:
    may_read(engine, identity)
    with engine.review_lock:
        rows = engine.review.categories(identity.user)
    return {"categories": [{"name": name, "articles": n} for name, n in rows]}


@router.get("/me", tags=["users"])
def me(identity: CallerDep) -> dict[str, Any]:
    user = identity.user
    return {"user": user.model_dump(mode="json") if user else None, "via": identity.via}


@router.get("/users", response_model=list[User], tags=["users"])
def list_users(engine: EngineDep, identity: CallerDep) -> list[User]:
    require_role(identity, Role.ADMIN)
    with engine.review_lock:
        return engine.review.list_users()


@router.post("/users", response_model=User, status_code=201, tags=["users"])
def add_user(body: NewUser, engine: EngineDep, identity: CallerDep) -> User:
    require_role(identity, Role.ADMIN)
    with engine.review_lock:
        return engine.review.add_user(
            body.name, body.role, display_name=body.display_name, password=body.password
        )


@router.post("/tokens", status_code=201, tags=["users"])
def create_token(body: NewToken, engine: EngineDep, identity: CallerDep) -> dict[str, str]:
    """A new API token for a user; the secret is shown in this response only."""
    require_role(identity, Role.ADMIN)
    with engine.review_lock:
        token = engine.review.create_token(body.user, body.label)
    return {"user": body.user, "label": body.label, "token": token}


health = APIRouter()


@health.get("/healthz", tags=["health"])
def healthz() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


@health.get("/readyz", tags=["health"])
def readyz(engine: EngineDep) -> dict[str, Any]:
    """Readiness: the store opens and holds documents to answer from (503 until then)."""
    engine.composer()
    return {"status": "ready", **engine.counts()}

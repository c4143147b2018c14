"""Server-rendered pages: ask, answer, article, library, reviewer dashboard, sign-in.

Pages call the same engine and review store as the API. Forms post with the session's CSRF
token and redirect (303) after success, so a reload never repeats an action.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from medcite.compose.render_text import (
    BOTTOM_LINE_HEADING,
    EVIDENCE_HEADING,
    EVIDENCE_INTRO,
    FOLLOW_UP_HEADING,
    INDIRECT_NOTE,
    REFERENCES_HEADING,
    TECHNICAL_HEADING,
    URGENT_HEADING,
    abstain_text,
    group_by_category,
    has_summary,
    meta_line,
    red_flag_where,
    reference_labels,
    reference_title,
    safe_url,
    source_year,
    split_technical,
)
from medcite.errors import (
    AuthenticationError,
    InvalidRequestError,
    MedciteError,
    TooManyAttemptsError,
)
from medcite.review.editing import item_refs
from medcite.review.workflow import TRANSITIONS, Action, can_see_unpublished
from medcite.types import Answer, ArticleStatus, Audience, ReviewComment, Role
from medcite.web.api import MAX_QUESTION, may_ask, may_read
from medcite.web.engine import Engine
from medcite.web.security import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    Identity,
    check_csrf,
    identify,
    password_sign_in,
    require_role,
)

STATUS_LABELS = {
    ArticleStatus.DRAFT: "Draft",
    ArticleStatus.SUBMITTED: "Submitted",
    ArticleStatus.UNDER_REVIEW: "Under review",
    ArticleStatus.CHANGES_REQUESTED: "Changes requested",
    ArticleStatus.APPROVED: "Approved",
}
ACTION_LABELS = {
    Action.SUBMIT: "Submit for review",
    Action.START_REVIEW: "Start review",
    Action.APPROVE: "Approve",
    Action.REQUEST_CHANGES: "Request changes",
}
AUDIENCE_LABELS = {Audience.PATIENT: "Patient or caregiver", Audience.CLINICIAN: "Clinician"}
SUPPORT_CONTEXT = 240  # characters of passage shown around a quoted statement

templates = Jinja2Templates(directory=str(resources.files("medcite.web").joinpath("templates")))
templates.env.globals.update(
    BOTTOM_LINE_HEADING=BOTTOM_LINE_HEADING,
    EVIDENCE_HEADING=EVIDENCE_HEADING,
    EVIDENCE_INTRO=EVIDENCE_INTRO,
    FOLLOW_UP_HEADING=FOLLOW_UP_HEADING,
    INDIRECT_NOTE=INDIRECT_NOTE,
    REFERENCES_HEADING=REFERENCES_HEADING,
    URGENT_HEADING=URGENT_HEADING,
    TECHNICAL_HEADING=TECHNICAL_HEADING,
    STATUS_LABELS=STATUS_LABELS,
    AUDIENCE_LABELS=AUDIENCE_LABELS,
    abstain_text=abstain_text,
    group_by_category=group_by_category,
    has_summary=has_summary,
    meta_line=meta_line,
    red_flag_where=red_flag_where,
    reference_labels=reference_labels,
    reference_title=reference_title,
    safe_url=safe_url,
    source_year=source_year,
    split_technical=split_technical,
)


def _date(stamp: str | None) -> str:
    return stamp[:10] if stamp else "never"


templates.env.filters["date"] = _date


def _engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def render(
    request: Request, name: str, context: dict[str, Any], status_code: int = 200
) -> Response:
    identity = identify(request, _engine(request))
    context = {
        "user": identity.user,
        "csrf_token": identity.csrf,
        "is_staff": can_see_unpublished(identity.role),
        "is_reviewer": identity.role in (Role.REVIEWER, Role.ADMIN),
        **context,
    }
    response = templates.TemplateResponse(request, name, context, status_code=status_code)
    if identity.new_csrf_cookie:
        response.set_cookie(
            CSRF_COOKIE,
            identity.csrf,
            httponly=True,
            samesite="strict",
            secure=_engine(request).settings.cookie_secure,
        )
    response.headers["cache-control"] = "no-store"
    return response


def render_error(request: Request, status: int, message: str, hint: str | None) -> Response:
    context = {"status": status, "message": message, "hint": hint}
    try:
        identify(request, _engine(request))
    except MedciteError:  # e.g. a bad bearer header: show the error page as to a visitor
        request.state.identity = Identity(user=None, via="anonymous", csrf="")
    return render(request, "error.html", context, status)


def supports(engine: Engine, answer: Answer) -> dict[tuple[int, int, int], tuple[str, str, str]]:
    """For each quoted statement, the passage around the quote: (before, quote, after)."""
    items = answer.statements()
    passages = engine.passages(sorted({i.passage_id for i in items}))
    out: dict[tuple[int, int, int], tuple[str, str, str]] = {}
    for item in items:
        passage = passages.get(item.passage_id)
        if passage is None:
            continue
        start, end = item.span
        text = passage.text
        before = text[max(0, start - SUPPORT_CONTEXT) : start]
        after = text[end : end + SUPPORT_CONTEXT]
        out[(item.passage_id, start, end)] = (
            ("…" if start > SUPPORT_CONTEXT else "") + before,
            text[start:end],
            after + ("…" if end + SUPPORT_CONTEXT < len(text) else ""),
        )
    return out


def _local_path(target: str | None) -> str:
    """Only same-site paths are followed after sign-in (no open redirects)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


async def _checked_form(request: Request) -> tuple[Engine, Identity, dict[str, list[str]]]:
    """Every form post starts here: who is posting, their fields, and the CSRF check."""
    engine = _engine(request)
    identity = identify(request, engine)
    form: dict[str, list[str]] = {}
    for key, value in (await request.form()).multi_items():
        if isinstance(value, str):  # uploads are not expected anywhere
            form.setdefault(key, []).append(value)
    check_csrf(request, identity, _field(form, "csrf_token"))
    return engine, identity, form


def _field(form: dict[str, list[str]], key: str) -> str:
    return form.get(key, [""])[0]


def _version(form: dict[str, list[str]]) -> int | None:
    """The article version a form was rendered with (optimistic versioning), if it says."""
    value = _field(form, "version").strip()
    if not value:
        return None
    if not value.isdigit():
        raise InvalidRequestError("the form's article version is not a number")
    return int(value)


def install(app: FastAPI) -> None:
    app.state.render_error = render_error

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def ask_page(
        request: Request,
        q: str | None = None,
        audience: Audience = Audience.PATIENT,
        follow_up_of: str | None = None,
    ) -> Response:
        engine = _engine(request)
        identity = identify(request, engine)
        answer = None
        if q is not None and q.strip():
            may_ask(engine, identity)
            if len(q) > MAX_QUESTION:
                raise InvalidRequestError(f"questions are at most {MAX_QUESTION} characters")
            answer = engine.ask(q, audience, follow_up_of or None)
        context = {
            "q": q or "",
            "audience": audience,
            "answer": answer,
            "supports": supports(engine, answer) if answer else {},
            "follow_up_of": follow_up_of,
            "thread": engine.thread(answer.id)[:-1] if answer and answer.follow_up_of else [],
        }
        return render(request, "ask.html", context)

    @app.get("/answers/{answer_id}", response_class=HTMLResponse, include_in_schema=False)
    def answer_page(request: Request, answer_id: str) -> Response:
        engine = _engine(request)
        may_ask(engine, identify(request, engine))
        answer = engine.answer(answer_id)
        context = {
            "q": answer.question,
            "audience": answer.audience,
            "answer": answer,
            "supports": supports(engine, answer),
            "follow_up_of": answer.follow_up_of,
            "thread": engine.thread(answer.id)[:-1],
        }
        return render(request, "ask.html", context)

    @app.post("/articles", include_in_schema=False)
    async def save_article(request: Request) -> Response:
        engine, identity, form = await _checked_form(request)
        user = require_role(identity, Role.EDITOR, Role.ADMIN)
        answer = engine.answer(_field(form, "answer_id"))
        with engine.review_lock:
            article = engine.review.create_article(answer, user, _field(form, "title") or None)
        return RedirectResponse(f"/articles/{article.id}", status_code=303)

    @app.get("/articles", response_class=HTMLResponse, include_in_schema=False)
    def library(
        request: Request,
        q: str | None = None,
        category: str | None = None,
        status: ArticleStatus | None = None,
    ) -> Response:
        engine = _engine(request)
        identity = identify(request, engine)
        may_read(engine, identity)
        with engine.review_lock:
            found = engine.review.list_articles(
                identity.user, status=status, category=category, query=q, limit=200
            )
            cats = engine.review.categories(identity.user)
        context = {
            "articles": found,
            "categories": cats,
            "q": q or "",
            "category": category,
            "status": status,
        }
        return render(request, "library.html", context)

    @app.get("/articles/{article_id}", response_class=HTMLResponse, include_in_schema=False)
    def article_page(request: Request, article_id: str, version: int | None = None) -> Response:
        engine = _engine(request)
        identity = identify(request, engine)
        may_read(engine, identity)
        with engine.review_lock:
            article = engine.review.get_article(article_id, identity.user)
            events = (
                engine.review.audit_log(article_id, identity.user)
                if can_see_unpublished(identity.role)
                else []
            )
        shown = next((v for v in article.versions if v.version == version), article.versions[0])
        assert shown.answer is not None
        actions = [
            (a, ACTION_LABELS[a])
            for a, rule in TRANSITIONS.items()
            if article.status in rule.sources and identity.role in rule.roles
        ]
        context = {
            "article": article,
            "shown": shown,
            "answer": shown.answer,
            "supports": supports(engine, shown.answer),
            "events": events,
            "actions": actions,
            "can_edit": identity.role in (Role.EDITOR, Role.ADMIN)
            and article.status
            in (ArticleStatus.DRAFT, ArticleStatus.CHANGES_REQUESTED, ArticleStatus.APPROVED),
            "statement_refs": list(item_refs(shown.answer).items()),
        }
        return render(request, "article.html", context)

    @app.post("/articles/{article_id}/action", include_in_schema=False)
    async def article_action(request: Request, article_id: str) -> Response:
        engine, identity, form = await _checked_form(request)
        try:
            action = Action(_field(form, "action"))
        except ValueError as exc:
            raise InvalidRequestError("unknown review action") from exc
        comments = [
            ReviewComment(section_key=key.removeprefix("section:"), comment=values[0])
            for key, values in form.items()
            if key.startswith("section:") and values[0].strip()
        ]
        with engine.review_lock:
            engine.review.act(
                article_id,
                action,
                identity.user,
                comment=_field(form, "comment"),
                section_comments=comments,
                expected_version=_version(form),
            )
        return RedirectResponse(f"/articles/{article_id}", status_code=303)

    @app.post("/articles/{article_id}/edit", include_in_schema=False)
    async def article_edit(request: Request, article_id: str) -> Response:
        engine, identity, form = await _checked_form(request)
        engine.edit_article(
            article_id,
            require_role(identity, Role.EDITOR, Role.ADMIN),
            title=_field(form, "title").strip() or None,
            drop=form.get("drop", []),
            regenerate=bool(_field(form, "regenerate")),
            note=_field(form, "note"),
            expected_version=_version(form),
        )
        return RedirectResponse(f"/articles/{article_id}", status_code=303)

    @app.get("/review", response_class=HTMLResponse, include_in_schema=False)
    def review_dashboard(request: Request) -> Response:
        engine = _engine(request)
        identity = identify(request, engine)
        with engine.review_lock:
            queue = engine.review.review_queue(identity.user)
        return render(request, "review.html", {"queue": queue})

    @app.get("/login", response_class=HTMLResponse, include_in_schema=False)
    def login_page(request: Request, next: str = "/") -> Response:
        return render(request, "login.html", {"next": _local_path(next)})

    @app.post("/login", include_in_schema=False)
    async def login(request: Request) -> Response:
        engine, _, form = await _checked_form(request)
        target = _local_path(_field(form, "next"))
        name = _field(form, "name")
        try:
            # scrypt takes ~0.1 s: off the event loop, so other requests are not held up.
            secret = await run_in_threadpool(
                password_sign_in, request, engine, name, _field(form, "password")
            )
        except TooManyAttemptsError as exc:
            error = exc.message[:1].upper() + exc.message[1:] + "."  # the API's words, as prose
            context = {"next": target, "error": error, "name": name}
            response = render(request, "login.html", context, status_code=429)
            response.headers["Retry-After"] = str(exc.retry_after)
            return response
        except AuthenticationError:
            context = {"next": target, "error": "Wrong user name or password.", "name": name}
            return render(request, "login.html", context, status_code=401)
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            secret,
            max_age=int(engine.settings.session_ttl_hours * 3600),
            httponly=True,
            samesite="lax",
            secure=engine.settings.cookie_secure,
        )
        return response

    @app.post("/logout", include_in_schema=False)
    async def logout(request: Request) -> Response:
        engine, _, _ = await _checked_form(request)
        secret = request.cookies.get(SESSION_COOKIE)
        if secret:
            with engine.review_lock:
                engine.review.end_session(secret)
        response = RedirectResponse("/", status_code=303)
        response.delete_cookie(SESSION_COOKIE)
        return response

"""Who is asking: API tokens (``Authorization: Bearer``), browser sessions, or nobody.

Browser sessions are cookie-based, so every state-changing request made with one must prove it
came from our own page: forms carry the session's CSRF token, scripts send it as
``X-CSRF-Token``. Token requests carry no ambient authority and need no CSRF check. Signed-out
forms (sign-in) use a double-submit cookie. Password sign-ins are throttled per account name
and client address (web/throttle.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from medcite.errors import AuthenticationError, MedciteError, TooManyAttemptsError
from medcite.review.credentials import new_secret, same_secret
from medcite.review.workflow import not_allowed
from medcite.types import Role, User
from medcite.web.engine import Engine

SESSION_COOKIE = "medcite_session"
CSRF_COOKIE = "medcite_csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class CsrfError(MedciteError):
    code = "csrf_failed"
    http_status = 403


@dataclass(slots=True)
class Identity:
    user: User | None
    via: str  # token | session | anonymous
    csrf: str  # the token a form or script must echo back
    new_csrf_cookie: bool = False

    @property
    def role(self) -> Role | None:
        return self.user.role if self.user else None


def identify(request: Request, engine: Engine) -> Identity:
    """Resolve the caller once per request (cached on ``request.state``)."""
    cached = getattr(request.state, "identity", None)
    if isinstance(cached, Identity):
        return cached
    identity = _identify(request, engine)
    request.state.identity = identity
    return identity


def _identify(request: Request, engine: Engine) -> Identity:
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthenticationError("use `Authorization: Bearer <token>`")
        with engine.review_lock:
            user = engine.review.user_for_token(token.strip())
        if user is None:
            raise AuthenticationError(
                "unknown or revoked token", hint="Create one with `medcite tokens create USER`."
            )
        return Identity(user=user, via="token", csrf="")
    secret = request.cookies.get(SESSION_COOKIE)
    if secret:
        with engine.review_lock:
            found = engine.review.session(secret)
        if found is not None:
            user, csrf = found
            return Identity(user=user, via="session", csrf=csrf)
    pre = request.cookies.get(CSRF_COOKIE)
    if pre and 20 <= len(pre) <= 100:
        return Identity(user=None, via="anonymous", csrf=pre)
    return Identity(user=None, via="anonymous", csrf=new_secret(), new_csrf_cookie=True)


def check_csrf(request: Request, identity: Identity, submitted: str | None) -> None:
    """Refuse a cookie-authenticated (or signed-out form) unsafe request without the right token."""
    if request.method in SAFE_METHODS or identity.via == "token":
        return
    if identity.new_csrf_cookie or not submitted or not same_secret(submitted, identity.csrf):
        raise CsrfError(
            "the form is missing its security token or it has expired",
            hint="Reload the page and try again.",
        )


def require_role(identity: Identity, *roles: Role) -> User:
    if identity.user is None:
        raise AuthenticationError("sign in first")
    if identity.user.role not in roles:
        raise not_allowed(identity.user.role, "do this")
    return identity.user


def client_address(request: Request) -> str:
    """The peer that connected (uvicorn runs without proxy headers: behind a proxy, the proxy)."""
    return request.client.host if request.client else "unknown"


def password_sign_in(request: Request, engine: Engine, name: str, password: str) -> str:
    """Check a password and open a browser session; returns the session's secret.

    Throttled per account name and client address: while either is locked out this raises
    :class:`TooManyAttemptsError` before the password is looked at. A wrong name or password
    raises :class:`AuthenticationError` and counts as a failure; a right one resets both counts.
    """
    address = client_address(request)
    wait = engine.login_throttle.attempt(name, address)
    if wait:
        raise TooManyAttemptsError(wait)
    with engine.review_lock:
        user = engine.review.check_password(name, password)
        secret, _ = engine.review.create_session(user)
    engine.login_throttle.succeeded(name, address)
    return secret

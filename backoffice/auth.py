"""Console login, logout and the guards every other console page uses."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

from flask import abort, flash, g, redirect, render_template, request, session, url_for
from sqlalchemy.orm import Session

from backoffice import bp
from conversations import audit
from conversations import handoffs as queue
from conversations import staff as users
from conversations.staff_models import CsrUser
from conversations.texts import shop_name
from infra import clock
from infra.web import database, settings
from orders import inventory
from orders.errors import DomainError
from services.scope import Scope
from services.uow import UnitOfWork, transaction

P = ParamSpec("P")
T = TypeVar("T")
SESSION_KEY = "csr_token"
AGENTS = ("csr", "admin")


@bp.context_processor
def _console_globals() -> dict[str, str]:
    return {"store_name": shop_name(settings().store_name)}


def _load_user() -> CsrUser | None:
    """Who is logged in, read without a write transaction unless a seen mark is due."""
    token = session.get(SESSION_KEY)
    if not isinstance(token, str):
        return None
    now = clock.now(database())
    with database().reading() as s:
        row = users.live_session(s, token, now)
        if row is None:
            return None
        if not users.seen_mark_due(row, now):
            user = row.user
            s.expunge(user)  # keeps what was read when the read transaction ends
            return user
    with database().transaction() as s:
        return users.user_for_token(s, token)


def requires(*roles: str) -> Callable[[Callable[P, T]], Callable[P, T]]:
    """Login required; with roles, also one of them (others get 403)."""

    def decorate(view: Callable[P, T]) -> Callable[P, T]:
        @functools.wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
            user = _load_user()
            if user is None:
                session.pop(SESSION_KEY, None)
                return redirect(url_for("csr.login", next=request.full_path))  # type: ignore[return-value]
            if roles and user.role not in roles:
                abort(403)
            g.csr_user = user
            return view(*args, **kwargs)

        return wrapper

    return decorate


def current_user(s: Session) -> CsrUser:
    """The logged-in user, attached to this request's session `s`."""
    user = s.get(CsrUser, g.csr_user.id)
    assert user is not None  # `requires` found them a moment ago
    return user


@contextmanager
def _flashed(done: str) -> Iterator[None]:
    """`done` when the block commits; a DomainError is shown to the user, not raised."""
    try:
        yield
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        flash(done, "ok")


@contextmanager
def console_action(done: str) -> Iterator[Session]:
    """One transaction for a console form."""
    with _flashed(done), database().transaction() as s:
        yield s


@contextmanager
def console_work(done: str) -> Iterator[UnitOfWork]:
    """A console form that calls application services: their unit of work, with whatever
    the console adds to it (its audit row) committed together."""
    with _flashed(done), transaction(database()) as uow:
        yield uow


def staff_scope() -> Scope:
    """What the logged-in user may act on (services.scope)."""
    return Scope.staff(g.csr_user.role, g.csr_user.locations)


def _safe_next(target: str | None) -> str:
    """Only console paths: an attacker's ?next=https://evil.example stays on our site."""
    if target and target.startswith("/csr/") and target.isprintable():  # no CR/LF, no tab
        return target
    return url_for("csr.home")


@bp.get("/login")
def login():  # type: ignore[no-untyped-def]
    return render_template("csr/login.html", next=request.args.get("next", ""))


@bp.post("/login")
def login_submit():  # type: ignore[no-untyped-def]
    email = request.form.get("email", "")
    password = request.form.get("password", "")
    error: DomainError | None = None
    with database().transaction() as s:
        try:
            user = users.authenticate(s, email, password, request.remote_addr or "")
        except (users.LoginRefused, users.TooManyFailures) as exc:
            error = exc  # the failure row still commits: it is what the limit counts
            audit.record(s, email.strip().lower()[:320], "login_failed", reason=exc.code)
        else:
            users.end_stale_sessions(s)
            token = users.start_session(s, user)
            audit.record(s, user.email, "login")
            if user.auto_assign:
                queue.assign_waiting(s)
    if error is not None:
        flash(error.message, "error")
        page = render_template("csr/login.html", next=request.form.get("next", ""), email=email)
        retry_after = error.details.get("seconds")
        return page, error.http_status, {"Retry-After": str(retry_after)} if retry_after else {}
    session.clear()  # a fresh session for every login: nothing carried over from before
    session[SESSION_KEY] = token
    return redirect(_safe_next(request.form.get("next")))


@bp.post("/logout")
@requires()
def logout():  # type: ignore[no-untyped-def]
    with database().transaction() as s:
        users.end_session(s, session.get(SESSION_KEY, ""))
        audit.record(s, g.csr_user.email, "logout")
    session.clear()
    flash("You are logged out.", "ok")
    return redirect(url_for("csr.login"))


@bp.get("/")
@requires()
def home():  # type: ignore[no-untyped-def]
    if g.csr_user.role in AGENTS:
        return redirect(url_for("csr.queue_page"))
    with database().reading() as s:  # rendered inside: the read's end expires what it read
        locations = [inventory.get_location(s, code) for code in g.csr_user.locations]
        return render_template("csr/store_home.html", locations=locations)


@bp.errorhandler(403)
def forbidden(_exc):  # type: ignore[no-untyped-def]
    return render_template("csr/error.html", message="Your role cannot do that."), 403


@bp.errorhandler(DomainError)
def domain_error(exc: DomainError):  # type: ignore[no-untyped-def]
    return render_template("csr/error.html", message=exc.message), exc.http_status

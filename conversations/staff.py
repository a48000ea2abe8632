"""Console users: creation, password checks with a failed-login limit, server-side sessions."""

from __future__ import annotations

import hashlib
import math
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn

from conversations.limits import client_key
from conversations.staff_models import ROLES, CsrSession, CsrUser, LoginFailure
from infra import clock
from orders.customers import normalise_email
from orders.errors import DomainError, ValidationFailed
from orders.inventory import get_location

MIN_PASSWORD_LENGTH = 10
# zxcvbn's 0-4 scale; 3 is "safely unguessable" for an online attacker and then some.
MIN_PASSWORD_SCORE = 3
ZXCVBN_MAX_LENGTH = 72  # it refuses longer input; the first 72 characters decide
# Failed logins are throttled per client address, for one account and for all: after
# the free tries, each further try waits twice as long as the last (up to the window).
# The account itself is never locked, so its owner can still log in from elsewhere.
FREE_TRIES_PER_ACCOUNT_AND_ADDRESS = 5
FREE_TRIES_PER_ADDRESS = 20
FIRST_WAIT = timedelta(seconds=30)
FAILURE_WINDOW = timedelta(minutes=15)
SESSION_IDLE_LIMIT = timedelta(hours=12)
# last_seen_at is written at most this often, not on every poll.
SEEN_RESOLUTION = timedelta(seconds=30)
# Compared against when the email is unknown, so both cases take as long.
_DUMMY_HASH = generate_password_hash(secrets.token_hex(16))


class LoginRefused(DomainError):
    code = "login_refused"
    http_status = 401


class TooManyFailures(DomainError):
    code = "too_many_failed_logins"
    http_status = 429


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def find_user(session: Session, email: str) -> CsrUser | None:
    return session.scalar(select(CsrUser).where(CsrUser.email == email.strip().lower()))


def check_password(password: str, *known: str) -> None:
    """Refuse a short password, or one zxcvbn finds easy to guess: common and breached
    passwords, keyboard walks, dates, repeats, and variations of `known` (email, name)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(f"A password needs at least {MIN_PASSWORD_LENGTH} characters.")
    verdict = zxcvbn(password[:ZXCVBN_MAX_LENGTH], user_inputs=[k for k in known if k])
    if verdict["score"] < MIN_PASSWORD_SCORE:
        why = verdict["feedback"]["warning"] or "It is too easy to guess."
        raise ValidationFailed(
            f"Choose another password: {why.rstrip('.')}. A few unrelated words work well."
        )


def save_user(
    session: Session,
    email: str,
    password: str,
    role: str,
    *,
    name: str = "",
    locations: Sequence[str] = (),
) -> tuple[CsrUser, bool]:
    """Create the user, or reset an existing one's password, role and locations.

    Returns (user, created). Store staff need at least one location; others none.
    """
    email = normalise_email(email).lower()  # console logins ignore case
    if role not in ROLES:
        raise ValidationFailed(f"Role must be one of {', '.join(ROLES)}.")
    check_password(password, email, name)
    codes = [get_location(session, code.strip().upper()).code for code in locations]
    if role == "store" and not codes:
        raise ValidationFailed("Store staff need at least one --location.")
    if role != "store" and codes:
        raise ValidationFailed("Only store staff have locations.")
    user = find_user(session, email)
    created = user is None
    if user is None:
        user = CsrUser(email=email)
        session.add(user)
    user.password_hash = generate_password_hash(password)
    user.role = role
    user.locations = codes
    user.name = name or user.name or ""
    user.active = True
    session.flush()
    return user, created


def _wait_left(session: Session, now: datetime, free_tries: int, *where: object) -> timedelta:
    """How long the next try must still wait, given the recent failures matching `where`."""
    failures, last = session.execute(
        select(func.count(), func.max(LoginFailure.at)).where(
            LoginFailure.at >= now - FAILURE_WINDOW, *where
        )
    ).one()
    if failures < free_tries or last is None:
        return timedelta(0)
    wait = min(FIRST_WAIT * 2 ** min(failures - free_tries, 10), FAILURE_WINDOW)
    return max(last + wait - now, timedelta(0))


def authenticate(session: Session, email: str, password: str, remote_addr: str) -> CsrUser:
    """The user whose password this is, or LoginRefused / TooManyFailures.

    The throttle is checked before the password, so a throttled client cannot probe.
    A failure is recorded in the caller's transaction: the caller must commit it
    even though it reports the refusal (see backoffice.auth).
    """
    now = clock.now(session)
    email = email.strip().lower()[:320]
    remote_addr = client_key(remote_addr)[:64]  # the column holds 64
    from_here = LoginFailure.remote_addr == remote_addr
    wait = max(
        _wait_left(
            session, now, FREE_TRIES_PER_ACCOUNT_AND_ADDRESS, from_here, LoginFailure.email == email
        ),
        _wait_left(session, now, FREE_TRIES_PER_ADDRESS, from_here),
    )
    if wait:
        seconds = math.ceil(wait.total_seconds())
        raise TooManyFailures(
            f"Too many failed logins. Wait {seconds} seconds, then try again.", seconds=seconds
        )
    user = find_user(session, email)
    valid = check_password_hash(user.password_hash if user else _DUMMY_HASH, password)
    if user is None or not valid or not user.active:
        session.add(LoginFailure(email=email, remote_addr=remote_addr, at=now))
        session.flush()
        raise LoginRefused("That email and password do not match an active account.")
    session.execute(
        delete(LoginFailure).where(
            LoginFailure.email == email, LoginFailure.remote_addr == remote_addr
        )
    )
    return user


def start_session(session: Session, user: CsrUser) -> str:
    """A new random session token for this login (stored as a digest)."""
    token = secrets.token_urlsafe(32)
    now = clock.now(session)
    session.add(CsrSession(token_hash=_token_digest(token), user_id=user.id, last_used_at=now))
    user.last_seen_at = now
    session.flush()
    return token


def live_session(session: Session, token: str, now: datetime) -> CsrSession | None:
    """The session behind a token; None if unknown, idle too long, or its user is gone."""
    row = session.scalar(select(CsrSession).where(CsrSession.token_hash == _token_digest(token)))
    if row is None or not row.user.active or row.last_used_at < now - SESSION_IDLE_LIMIT:
        return None
    return row


def seen_mark_due(row: CsrSession, now: datetime) -> bool:
    """Whether `user_for_token` would write: marks are kept to SEEN_RESOLUTION, so most
    requests can read who is logged in without a write transaction."""
    seen = row.user.last_seen_at
    return row.last_used_at < now - SEEN_RESOLUTION or seen is None or seen < now - SEEN_RESOLUTION


def user_for_token(session: Session, token: str) -> CsrUser | None:
    """The active user behind a session token, marking them seen; None if expired or gone."""
    now = clock.now(session)
    row = live_session(session, token, now)
    if row is None:
        return None
    if row.last_used_at < now - SEEN_RESOLUTION:
        row.last_used_at = now
    user = row.user
    if user.last_seen_at is None or user.last_seen_at < now - SEEN_RESOLUTION:
        user.last_seen_at = now
    return user


def end_session(session: Session, token: str) -> None:
    """Log out: the token stops working and the user no longer counts as online."""
    row = session.scalar(select(CsrSession).where(CsrSession.token_hash == _token_digest(token)))
    if row is None:
        return
    others = session.scalar(
        select(func.count())
        .select_from(CsrSession)
        .where(CsrSession.user_id == row.user_id, CsrSession.id != row.id)
    )
    if not others:
        row.user.last_seen_at = None
    session.delete(row)


def end_stale_sessions(session: Session) -> int:
    """Delete sessions idle past the limit and failures past the window; how many sessions."""
    now = clock.now(session)
    session.execute(delete(LoginFailure).where(LoginFailure.at < now - FAILURE_WINDOW))
    result = session.execute(
        delete(CsrSession).where(CsrSession.last_used_at < now - SESSION_IDLE_LIMIT)
    )
    return result.rowcount


def agents(session: Session) -> list[CsrUser]:
    return list(session.scalars(select(CsrUser).order_by(CsrUser.email)))

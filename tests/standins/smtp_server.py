"""SMTP server stand-in (aiosmtpd) that collects what the app sends."""

from __future__ import annotations

import asyncio
import email.policy
import threading
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from .ports import free_port

HOST = "127.0.0.1"

_REPLIES = {
    421: "421 4.3.2 Service not available, closing transmission channel",
    450: "450 4.2.1 Mailbox temporarily unavailable",
    451: "451 4.3.0 Temporary local problem, try again later",
    452: "452 4.3.1 Insufficient system storage",
    550: "550 5.1.1 Mailbox unavailable",
    552: "552 5.3.4 Message too big for system",
    554: "554 5.7.1 Message rejected",
}


@dataclass(frozen=True)
class ReceivedMail:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage = field(repr=False)
    authenticated_as: str | None


class SmtpStandin:
    """An SMTP server on 127.0.0.1 (no TLS) plus test controls.

    AUTH PLAIN/LOGIN is offered and checked against ``user``/``password`` but not
    required, so the app may send with or without SMTP_USER.
    Controls: ``reject_next(count, code=451)`` (temporary) or ``code=550``
    (permanent), answered to the DATA command; ``hang_up_next(count)``: take the mail,
    then close the connection before answering; ``stop()`` / ``start()`` for an
    outage on the same port. ``reset()`` clears mail and rejections.
    """

    def __init__(self, user: str = "mailer", password: str = "mailer-secret") -> None:
        self.user = user
        self.password = password
        self.port = free_port()
        self._controller: Controller | None = None
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._mail: list[ReceivedMail] = []
        self._rejections: list[int] = []
        self._hang_ups = 0
        self._closing = False

    @property
    def host(self) -> str:
        return HOST

    @property
    def running(self) -> bool:
        return self._controller is not None

    def start(self) -> SmtpStandin:
        if self._controller is None:
            controller = Controller(
                self,
                hostname=HOST,
                port=self.port,
                authenticator=self._authenticate,
                auth_require_tls=False,
            )
            controller.start()
            self._controller = controller
        return self

    def stop(self) -> None:
        """An outage, begun as a server shutting down begins it: mail handed over before
        it gets its 250, later mail a 421, and only then are connections cut (cutting a
        connection between taking a message and saying so would make the sender send it
        again: a duplicate of our stand-in's making)."""
        if self._controller is not None:
            with self._lock:
                self._closing = True
            # aiosmtpd writes the reply in the same step of its event loop as the handler
            # returns, so once the loop has gone round, every 250 for mail taken is out.
            loop = self._controller.loop
            asyncio.run_coroutine_threadsafe(asyncio.sleep(0), loop).result(timeout=5)
            self._controller.stop()
            self._controller = None
            with self._lock:
                self._closing = False

    def settings(self, email_from: str = "orders@shop.example") -> dict[str, str]:
        """App settings (environment variables) that point outbound email here."""
        return {
            "SMTP_HOST": HOST,
            "SMTP_PORT": str(self.port),
            "SMTP_USER": self.user,
            "SMTP_PASSWORD": self.password,
            "SMTP_SECURITY": "none",
            "EMAIL_FROM": email_from,
        }

    def reset(self) -> None:
        with self._lock:
            self._mail.clear()
            self._rejections.clear()
            self._hang_ups = 0
        self.start()

    def reject_next(self, count: int = 1, code: int = 451) -> None:
        with self._lock:
            self._rejections.extend([code] * count)

    def hang_up_next(self, count: int = 1) -> None:
        with self._lock:
            self._hang_ups += count

    @property
    def messages(self) -> list[ReceivedMail]:
        with self._lock:
            return list(self._mail)

    def wait_for_messages(self, count: int, timeout: float = 5.0) -> list[ReceivedMail]:
        """Block until at least ``count`` messages arrived (for async senders)."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self._mail) >= count, timeout):
                raise TimeoutError(f"expected {count} emails, got {len(self._mail)}")
            return list(self._mail)

    # aiosmtpd handler hooks --------------------------------------------------------
    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        with self._changed:
            if self._closing:
                return _REPLIES[421]
            if self._rejections:
                code = self._rejections.pop(0)
                return _REPLIES.get(code, f"{code} Rejected")
            message = message_from_bytes(envelope.content, policy=email.policy.default)
            self._mail.append(
                ReceivedMail(
                    mail_from=envelope.mail_from,
                    rcpt_tos=tuple(envelope.rcpt_tos),
                    message=message,
                    authenticated_as=session.auth_data,
                )
            )
            self._changed.notify_all()
            if self._hang_ups:
                self._hang_ups -= 1
                server.transport.close()  # taken, and the 250 never leaves
        return "250 2.0.0 OK: queued"

    def _authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == self.user
            and auth_data.password.decode() == self.password
        )
        # handled=False lets aiosmtpd answer a failure with 535.
        return AuthResult(success=ok, handled=False, auth_data=self.user if ok else None)

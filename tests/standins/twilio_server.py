"""Twilio Programmable Messaging REST API stand-in.

Serves ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json`` the way Twilio
does (HTTP Basic auth, form fields, 201 with a Message resource, errors as
``{"code", "message", "more_info", "status"}``) and lets tests inject failures;
``GET`` on the same URL lists the messages sent, newest first, filtered by ``To`` and
``From``, one page of ``PageSize`` (Twilio's list format, without further pages).

Pointing the real ``twilio.rest.Client`` here: every API call is built as
``client.api.base_url + "/2010-04-01/..."`` (``twilio.base.domain.Domain.absolute_url``),
so overriding ``client.api.base_url`` is enough; see ``make_twilio_client``.
"""

from __future__ import annotations

import json
import math
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime

import requests
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from .http_server import HttpServer
from .signing import (
    TWILIO_API_VERSION,
    twilio_headers,
    twilio_sid,
    twilio_status_callback,
)

E164 = re.compile(r"^\+[1-9]\d{1,14}$")
WHATSAPP = "whatsapp:"

# code -> (HTTP status, message); messages as Twilio words them.
TWILIO_ERRORS: dict[int, tuple[int, str]] = {
    20003: (401, "Authenticate"),
    20429: (429, "Too Many Requests"),
    20500: (500, "Internal Server Error"),
    20503: (503, "Service Unavailable"),
    21211: (400, "The 'To' number is not a valid phone number."),
    21408: (
        400,
        "Permission to send an SMS has not been enabled for the region indicated "
        "by the 'To' number.",
    ),
    21602: (400, "Message body is required."),
    21603: (400, "A 'From' phone number is required."),
    21604: (400, "A 'To' phone number is required."),
    21610: (400, "Attempt to send to unsubscribed recipient"),
    21614: (400, "'To' number is not a valid mobile number"),
    21619: (400, "A text message body or media urls must be specified."),
    21910: (400, "Invalid From and To pair. From and To should be of the same channel."),
}
_CODE_FOR_STATUS = {401: 20003, 429: 20429, 500: 20500, 503: 20503}


def make_twilio_client(
    account_sid: str, auth_token: str, base_url: str, timeout: float | None = None
) -> Client:
    """A real Twilio client whose REST calls go to ``base_url`` instead of api.twilio.com.

    Example of the approach the app's SMS channel uses with ``TWILIO_API_BASE_URL``.
    Only the ``api`` domain (``client.messages``, ``client.api.v2010...``) is redirected;
    other domains such as ``client.messaging`` keep their own base URL.
    """
    client = Client(account_sid, auth_token, http_client=TwilioHttpClient(timeout=timeout))
    client.api.base_url = base_url
    return client


def error_body(code: int, status: int | None = None, message: str | None = None) -> dict:
    default_status, default_message = TWILIO_ERRORS.get(code, (status or 400, "Error"))
    return {
        "code": code,
        "message": message or default_message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status or default_status,
    }


def num_segments(body: str) -> int:
    """Segments Twilio bills: 160/153 chars for GSM-7 (approximated as ASCII), 70/67 for UCS-2."""
    single, multi = (160, 153) if body.isascii() else (70, 67)
    return 1 if len(body) <= single else math.ceil(len(body) / multi)


@dataclass(frozen=True)
class SentSms:
    """A message the stand-in accepted; ``resource`` is the JSON it answered with."""

    sid: str
    to: str
    from_: str | None
    messaging_service_sid: str | None
    body: str
    media_urls: tuple[str, ...]
    status_callback: str | None
    resource: dict = field(repr=False)
    # A WhatsApp template send (Content API) instead of a Body.
    content_sid: str | None = None
    content_variables: str | None = None


@dataclass
class _Failure:
    remaining: int
    status: int
    code: int


class TwilioStandin:
    """The stand-in server plus its test controls.

    Controls (all cleared by ``reset()``):
    - ``fail_next(count, status=503)`` / ``fail_next(count, code=21610)``
    - ``reject_recipient(number, code=21610)``: every send to ``number`` fails
    - ``delay_next(seconds, count)``: the message is accepted and recorded, then the
      answer is held back, so a client timeout leaves a message that *was* sent
    - ``stall_next(seconds, count)``: the request hangs *before* it is accepted, then
      fails with 503: nothing was sent, whatever became of the client meanwhile
    - ``wait_until_holding(count)``: until that many delayed or stalled requests began
      their wait (so a test acts while one is held, not after a guessed sleep)
    - ``stop()`` / ``start()``: outage on the same port
    """

    def __init__(
        self,
        account_sid: str = "AC" + "0" * 31 + "1",
        auth_token: str = "standin-auth-token",
        from_number: str = "+15005550006",
    ) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.from_number = from_number
        self._http = HttpServer(
            self._handle, unavailable=lambda: _json(error_body(20503, 503), 503)
        )
        self._routes = Map(
            [Rule("/2010-04-01/Accounts/<account_sid>/Messages.json", methods=["GET", "POST"])]
        )
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._messages: list[SentSms] = []
        self._failures: list[_Failure] = []
        self._rejected: dict[str, int] = {}
        self._delays: list[float] = []
        self._stalls: list[float] = []
        self._held = 0  # delayed or stalled requests whose wait began

    # lifecycle ---------------------------------------------------------------
    @property
    def url(self) -> str:
        """The value for ``TWILIO_API_BASE_URL``."""
        return self._http.url

    @property
    def running(self) -> bool:
        return self._http.running

    def start(self) -> TwilioStandin:
        self._http.start()
        return self

    def stop(self) -> None:
        self._http.stop()

    def settings(self) -> dict[str, str]:
        """App settings (environment variables) that point the SMS channel here."""
        return {
            "TWILIO_ACCOUNT_SID": self.account_sid,
            "TWILIO_AUTH_TOKEN": self.auth_token,
            "TWILIO_FROM_NUMBER": self.from_number,
            "TWILIO_API_BASE_URL": self.url,
        }

    def reset(self) -> None:
        """Forget messages and injected failures, and be up."""
        with self._lock:
            self._messages.clear()
            self._failures.clear()
            self._rejected.clear()
            self._delays.clear()
            self._stalls.clear()
            self._held = 0
        self.start()

    # controls ------------------------------------------------------------------
    def fail_next(
        self, count: int = 1, *, status: int | None = None, code: int | None = None
    ) -> None:
        """Answer the next ``count`` sends with an error instead of accepting them.

        Give ``status`` (500, 503, 429...) for a transient error or ``code`` for a
        Twilio error (21610 unsubscribed, 21211 invalid To...; status from ``TWILIO_ERRORS``).
        """
        if code is None:
            status = status or 500
            code = _CODE_FOR_STATUS.get(status, status)
        elif status is None:
            status = TWILIO_ERRORS[code][0]
        with self._lock:
            self._failures.append(_Failure(count, status, code))

    def reject_recipient(self, number: str, code: int = 21610) -> None:
        with self._lock:
            self._rejected[number] = code

    def delay_next(self, seconds: float, count: int = 1) -> None:
        with self._lock:
            self._delays.extend([seconds] * count)

    def stall_next(self, seconds: float, count: int = 1) -> None:
        with self._lock:
            self._stalls.extend([seconds] * count)

    # recorded state ------------------------------------------------------------
    @property
    def messages(self) -> list[SentSms]:
        with self._lock:
            return list(self._messages)

    def messages_since(self, count: int) -> list[SentSms]:
        """The messages after the first `count`: for a watcher that must not copy them all."""
        with self._lock:
            return self._messages[count:]

    def wait_for_messages(self, count: int, timeout: float = 5.0) -> list[SentSms]:
        """Block until at least ``count`` messages were accepted (for async senders)."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self._messages) >= count, timeout):
                raise TimeoutError(f"expected {count} SMS, got {len(self._messages)}")
            return list(self._messages)

    def wait_until_holding(self, count: int = 1, timeout: float = 5.0) -> None:
        with self._changed:
            if not self._changed.wait_for(lambda: self._held >= count, timeout):
                raise TimeoutError(f"expected {count} held requests, got {self._held}")

    def send_status_callback(
        self, sid: str, status: str, error_code: int | None = None, timeout: float = 5.0
    ) -> requests.Response:
        """POST a signed status callback for message ``sid`` to its StatusCallback URL."""
        message = next(m for m in self.messages if m.sid == sid)
        form = twilio_status_callback(
            account_sid=self.account_sid,
            message_sid=sid,
            status=status,
            from_=message.from_ or self.from_number,
            to=message.to,
            error_code=error_code,
        )
        url = message.status_callback
        if not url:
            raise ValueError(f"message {sid} was sent without a StatusCallback")
        headers = twilio_headers(self.auth_token, url, form)
        return requests.post(url, data=form, headers=headers, timeout=timeout)

    # HTTP ------------------------------------------------------------------------
    def _handle(self, request: Request) -> Response:
        try:
            _, args = self._routes.bind_to_environ(request.environ).match()
        except HTTPException as exc:
            status = exc.code or 404
            return _json(
                error_body(20404, status, "The requested resource was not found"),
                status,
            )
        auth = request.authorization
        if (
            auth is None
            or auth.username != self.account_sid
            or auth.password != self.auth_token
            or args["account_sid"] != self.account_sid
        ):
            return _json(error_body(20003), 401)
        if request.method == "GET":
            return self._list_messages(request)
        return self._create_message(request.form)

    def _list_messages(self, request: Request) -> Response:
        to, from_ = request.args.get("To"), request.args.get("From")
        page_size = min(int(request.args.get("PageSize") or 50), 1000)
        with self._lock:
            found = [
                m.resource
                for m in reversed(self._messages)
                if (to is None or m.to == to) and (from_ is None or m.from_ == from_)
            ][:page_size]
        uri = request.full_path
        page = {
            "messages": found,
            "end": max(len(found) - 1, 0),
            "first_page_uri": uri,
            "next_page_uri": None,
            "page": 0,
            "page_size": page_size,
            "previous_page_uri": None,
            "start": 0,
            "uri": uri,
        }
        return _json(page, 200)

    def _create_message(self, form) -> Response:
        to = form.get("To", "")
        from_ = form.get("From") or None
        service = form.get("MessagingServiceSid") or None
        body = form.get("Body", "")
        media = tuple(form.getlist("MediaUrl"))
        content = form.get("ContentSid") or None
        with self._lock:
            stall = self._stalls.pop(0) if self._stalls else 0.0
        if stall:
            self._hold(stall)
            return _json(error_body(20503, 503), 503)
        with self._lock:
            failure = self._take_failure()
            rejected = self._rejected.get(to)
            delay = self._delays.pop(0) if self._delays else 0.0
        if failure is not None:
            return _json(error_body(failure.code, failure.status), failure.status)
        invalid = _validate(to, from_, service, body or content, media)
        if invalid or rejected:
            return _json(error_body(invalid or rejected), 400)
        template = (content, form.get("ContentVariables")) if content else (None, None)
        message = self._record(
            to, from_, service, body, media, form.get("StatusCallback"), template
        )
        if delay:
            self._hold(delay)
        return _json(message.resource, 201)

    def _hold(self, seconds: float) -> None:
        with self._changed:
            self._held += 1
            self._changed.notify_all()
        time.sleep(seconds)

    def _take_failure(self) -> _Failure | None:
        if not self._failures:
            return None
        failure = self._failures[0]
        failure.remaining -= 1
        if failure.remaining <= 0:
            self._failures.pop(0)
        return failure

    def _record(
        self, to, from_, service, body, media, status_callback, template=(None, None)
    ) -> SentSms:
        sid = twilio_sid("MM" if media else "SM")
        now = format_datetime(datetime.now(UTC))
        uri = f"/{TWILIO_API_VERSION}/Accounts/{self.account_sid}/Messages/{sid}"
        resource = {
            "account_sid": self.account_sid,
            "api_version": TWILIO_API_VERSION,
            "body": body,
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": from_,
            "messaging_service_sid": service,
            "num_media": str(len(media)),
            "num_segments": str(num_segments(body)),
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            # Twilio answers "accepted" when a Messaging Service picks the sender.
            "status": "queued" if from_ else "accepted",
            "subresource_uris": {"media": f"{uri}/Media.json"},
            "to": to,
            "uri": f"{uri}.json",
        }
        message = SentSms(
            sid, to, from_, service, body, media, status_callback, resource, *template
        )
        with self._changed:
            self._messages.append(message)
            self._changed.notify_all()
        return message


def _validate(to: str, from_: str | None, service: str | None, body: str, media) -> int | None:
    """Twilio's checks of a send; WhatsApp addresses are ``whatsapp:+E164`` on both ends."""
    if not to:
        return 21604
    whatsapp = to.startswith(WHATSAPP)
    if not E164.match(to.removeprefix(WHATSAPP)):
        return 21211
    if not from_ and not service:
        return 21603
    if from_ and from_.startswith(WHATSAPP) != whatsapp:
        return 21910
    if not body and not media:
        return 21619 if whatsapp else 21602
    return None


def _json(payload: dict, status: int) -> Response:
    return Response(json.dumps(payload), status=status, mimetype="application/json")

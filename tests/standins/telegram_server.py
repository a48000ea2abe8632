"""Telegram Bot API stand-in.

Serves ``POST /bot{token}/{method}`` like api.telegram.org: parameters as a form
(python-telegram-bot sends ``application/x-www-form-urlencoded`` or multipart, with
nested values such as ``reply_markup`` JSON-encoded) or as a JSON body, and answers
``{"ok": true, "result": ...}`` or ``{"ok": false, "error_code", "description"}``.

Point the real bot here with ``telegram.Bot(token, base_url=standin.base_url)``:
PTB appends the token to ``base_url``, so ``base_url`` is ``{url}/bot``.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from dataclasses import dataclass

from werkzeug.wrappers import Request, Response

from .http_server import HangUp, HttpServer

# Parameters whose values PTB (and the Bot API) carry JSON-encoded in a form.
_JSON_PARAMS = frozenset(
    {
        "reply_markup",
        "allowed_updates",
        "entities",
        "caption_entities",
        "reply_parameters",
        "link_preview_options",
    }
)
_INT_PARAMS = frozenset({"message_id", "offset", "limit", "timeout", "max_connections"})
_BOOL_PARAMS = frozenset({"drop_pending_updates", "show_alert"})

_DESCRIPTIONS = {
    400: "Bad Request: chat not found",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first",
    429: "Too Many Requests: retry after {retry_after}",
    500: "Internal Server Error",
    502: "Bad Gateway",
}


class BotApiError(Exception):
    def __init__(self, status: int, description: str | None = None, **parameters) -> None:
        super().__init__(status)
        self.status = status
        self.description = description or _DESCRIPTIONS.get(status, "Error")
        self.parameters = parameters


@dataclass(frozen=True)
class BotApiCall:
    """One Bot API request the stand-in answered (or failed on purpose)."""

    method: str
    params: dict


@dataclass
class _Failure:
    remaining: int
    method: str
    status: int
    retry_after: int
    description: str | None


class TelegramStandin:
    """The stand-in server plus its test controls.

    Controls (all cleared by ``reset()``):
    - ``fail_next(count, status=429, retry_after=2)`` / ``status=403`` / ``status=500``,
      for ``sendMessage`` unless ``method=`` says otherwise
    - ``hang_up_next(count)``: take the next ``sendMessage`` calls, then close the
      connection without an answer
    - ``push_update(update)``: queue an Update for ``getUpdates``
    - ``stop()`` / ``start()``: outage on the same port
    Recorded: ``sent_messages`` (Message objects returned by sendMessage), ``calls``,
    ``webhook`` (what setWebhook registered).
    """

    def __init__(self, token: str = "123456789:STANDIN-token_abcdefghijklmnopqrstuv") -> None:
        self.token = token
        self.bot_user = {
            "id": int(token.split(":", 1)[0]),
            "is_bot": True,
            "first_name": "Order Assistant",
            "username": "order_assistant_standin_bot",
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self._http = HttpServer(self._handle, unavailable=_unavailable)
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._message_ids = itertools.count(1)
        self._calls: list[BotApiCall] = []
        self._sent: list[dict] = []
        self._messages: dict[tuple[int | str, int], dict] = {}
        self._updates: list[dict] = []
        self._failures: list[_Failure] = []
        self._hang_ups = 0
        self._webhook: dict | None = None

    # lifecycle ---------------------------------------------------------------
    @property
    def url(self) -> str:
        return self._http.url

    @property
    def base_url(self) -> str:
        """The value for ``TELEGRAM_API_BASE_URL`` and PTB's ``Bot(base_url=...)``."""
        return f"{self.url}/bot"

    @property
    def running(self) -> bool:
        return self._http.running

    @property
    def connections_accepted(self) -> int:
        return self._http.connections_accepted

    def start(self) -> TelegramStandin:
        self._http.start()
        return self

    def stop(self) -> None:
        self._http.stop()
        with self._changed:
            self._changed.notify_all()  # release long polls

    def settings(self, webhook_secret: str = "standin-webhook-secret") -> dict[str, str]:
        """App settings (environment variables) that point the Telegram channel here."""
        return {
            "TELEGRAM_BOT_TOKEN": self.token,
            "TELEGRAM_WEBHOOK_SECRET": webhook_secret,
            "TELEGRAM_API_BASE_URL": self.base_url,
        }

    def reset(self) -> None:
        """Forget calls, messages, updates, webhook and injected failures, and be up."""
        with self._changed:
            self._calls.clear()
            self._sent.clear()
            self._messages.clear()
            self._updates.clear()
            self._failures.clear()
            self._hang_ups = 0
            self._webhook = None
            self._changed.notify_all()
        self.start()

    # controls ------------------------------------------------------------------
    def fail_next(
        self,
        count: int = 1,
        *,
        status: int = 429,
        method: str = "sendMessage",
        retry_after: int = 2,
        description: str | None = None,
    ) -> None:
        """Answer the next ``count`` calls of ``method`` with a Bot API error.

        429 carries ``parameters.retry_after`` (PTB raises ``RetryAfter``); 403 is
        "bot was blocked by the user" (``Forbidden``); 500 is a server error.
        """
        with self._lock:
            self._failures.append(_Failure(count, method, status, retry_after, description))

    def hang_up_next(self, count: int = 1) -> None:
        """Send the next ``count`` messages, then hang up instead of answering."""
        with self._lock:
            self._hang_ups += count

    def push_update(self, update: dict) -> None:
        """Queue an Update (see ``telegram_updates``) for the next ``getUpdates``."""
        with self._changed:
            self._updates.append(update)
            self._changed.notify_all()

    # recorded state ------------------------------------------------------------
    @property
    def sent_messages(self) -> list[dict]:
        with self._lock:
            return list(self._sent)

    def sent_messages_since(self, count: int) -> list[dict]:
        """The messages after the first `count`: for a watcher that must not copy them all."""
        with self._lock:
            return self._sent[count:]

    @property
    def calls(self) -> list[BotApiCall]:
        with self._lock:
            return list(self._calls)

    def calls_to(self, method: str) -> list[dict]:
        """The parameters of every call to ``method``."""
        return [call.params for call in self.calls if call.method == method]

    @property
    def webhook(self) -> dict | None:
        with self._lock:
            return dict(self._webhook) if self._webhook else None

    def wait_for_messages(self, count: int, timeout: float = 5.0) -> list[dict]:
        """Block until at least ``count`` messages were sent (for async senders)."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self._sent) >= count, timeout):
                raise TimeoutError(f"expected {count} messages, got {len(self._sent)}")
            return list(self._sent)

    # HTTP ------------------------------------------------------------------------
    def _handle(self, request: Request) -> Response:
        token, _, method = request.path.removeprefix("/bot").partition("/")
        try:
            if request.method not in ("GET", "POST") or not method:
                raise BotApiError(404)
            if token != self.token:
                raise BotApiError(401)
            params = _parse_params(request)
            with self._lock:
                self._calls.append(BotApiCall(method, params))
                self._raise_injected_failure(method)
            handler = getattr(self, "_api_" + method, None)
            if handler is None:
                raise BotApiError(404)
            result = handler(params)
        except BotApiError as error:
            body = {
                "ok": False,
                "error_code": error.status,
                "description": error.description,
            }
            if error.parameters:
                body["parameters"] = error.parameters
            return _json(body, error.status)
        return _json({"ok": True, "result": result}, 200)

    def _raise_injected_failure(self, method: str) -> None:
        for failure in self._failures:
            if failure.method == method:
                failure.remaining -= 1
                if failure.remaining <= 0:
                    self._failures.remove(failure)
                if failure.status == 429:
                    description = failure.description or _DESCRIPTIONS[429].format(
                        retry_after=failure.retry_after
                    )
                    raise BotApiError(429, description, retry_after=failure.retry_after)
                raise BotApiError(failure.status, failure.description)

    # Bot API methods -------------------------------------------------------------
    def _api_getMe(self, params: dict) -> dict:
        return self.bot_user

    def _api_sendMessage(self, params: dict) -> dict:
        if "chat_id" not in params or not params.get("text"):
            raise BotApiError(400, "Bad Request: message text is empty")
        message = {
            "message_id": next(self._message_ids),
            "from": {key: self.bot_user[key] for key in ("id", "is_bot", "first_name", "username")},
            "chat": _chat(params["chat_id"]),
            "date": int(time.time()),
            "text": params["text"],
        }
        if "entities" in params:
            message["entities"] = params["entities"]
        if "reply_markup" in params:
            message["reply_markup"] = params["reply_markup"]
        with self._changed:
            self._sent.append(dict(message))
            self._messages[(message["chat"]["id"], message["message_id"])] = message
            self._changed.notify_all()
            if self._hang_ups:
                self._hang_ups -= 1
                raise HangUp
        return message

    def _api_editMessageText(self, params: dict) -> dict:
        with self._lock:
            message = self._find_message(params)
            if params.get("text") == message["text"] and params.get("reply_markup") == message.get(
                "reply_markup"
            ):
                raise BotApiError(400, _NOT_MODIFIED)
            message["text"] = params["text"]
            return self._edited(message, params)

    def _api_editMessageReplyMarkup(self, params: dict) -> dict:
        with self._lock:
            message = self._find_message(params)
            if params.get("reply_markup") == message.get("reply_markup"):
                raise BotApiError(400, _NOT_MODIFIED)
            return self._edited(message, params)

    def _api_answerCallbackQuery(self, params: dict) -> bool:
        if "callback_query_id" not in params:
            raise BotApiError(400, "Bad Request: query is too old and response timeout expired")
        return True

    def _api_setWebhook(self, params: dict) -> bool:
        if not str(params.get("url", "")).startswith("https://"):
            raise BotApiError(
                400,
                "Bad Request: bad webhook: An HTTPS URL must be provided for webhook",
            )
        with self._lock:
            self._webhook = {
                key: params[key]
                for key in ("url", "secret_token", "allowed_updates", "max_connections")
                if key in params
            }
            if params.get("drop_pending_updates"):
                self._updates.clear()
        return True

    def _api_deleteWebhook(self, params: dict) -> bool:
        with self._lock:
            self._webhook = None
            if params.get("drop_pending_updates"):
                self._updates.clear()
        return True

    def _api_getWebhookInfo(self, params: dict) -> dict:
        with self._lock:
            webhook = self._webhook or {}
            info = {
                "url": webhook.get("url", ""),
                "has_custom_certificate": False,
                "pending_update_count": len(self._updates),
            }
        for key in ("allowed_updates", "max_connections"):
            if key in webhook:
                info[key] = webhook[key]
        return info

    def _api_getUpdates(self, params: dict) -> list[dict]:
        """Long polling: an ``offset`` confirms every earlier update, as Telegram's does."""
        offset = params.get("offset", 0)
        limit = params.get("limit", 100)
        deadline = time.monotonic() + params.get("timeout", 0)
        with self._changed:
            if self._webhook:
                raise BotApiError(409)
            if offset > 0:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            while not self._updates and self._http.running:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._changed.wait(remaining)
            return self._updates[:limit]

    def _find_message(self, params: dict) -> dict:
        """The stored message an edit targets; the caller holds the lock."""
        key = (_chat_id(params.get("chat_id")), params.get("message_id"))
        message = self._messages.get(key)
        if message is None:
            raise BotApiError(400, "Bad Request: message to edit not found")
        return message

    def _edited(self, message: dict, params: dict) -> dict:
        """Apply an edit's markup: as on Telegram, an edit without one removes the keyboard."""
        message["edit_date"] = int(time.time())
        if "reply_markup" in params:
            message["reply_markup"] = params["reply_markup"]
        else:
            message.pop("reply_markup", None)
        return dict(message)


_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply "
    "markup are exactly the same as a current content and reply markup of the message"
)


def _parse_params(request: Request) -> dict:
    """Bot API parameters from a JSON body, a form or the query string, decoded."""
    if request.is_json:
        return request.get_json(silent=True) or {}
    raw = {**request.args.to_dict(), **request.form.to_dict()}
    params: dict = {}
    for key, value in raw.items():
        if key in _JSON_PARAMS:
            try:
                params[key] = json.loads(value)
            except ValueError:
                raise BotApiError(400, f"Bad Request: can't parse {key} JSON") from None
        elif key in _INT_PARAMS:
            params[key] = int(value)
        elif key in _BOOL_PARAMS:
            params[key] = value.lower() == "true"
        elif key == "chat_id":
            params[key] = _chat_id(value)
        else:
            params[key] = value
    return params


def _chat_id(value: int | str | None) -> int | str | None:
    """Chat ids are integers, except ``@channelusername``."""
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    return value


def _chat(chat_id: int | str) -> dict:
    if isinstance(chat_id, str):
        return {"id": chat_id, "type": "channel", "username": chat_id.lstrip("@")}
    if chat_id > 0:
        return {"id": chat_id, "type": "private", "first_name": "Customer"}
    return {"id": chat_id, "type": "group", "title": "Group"}


def _unavailable() -> Response:
    return _json({"ok": False, "error_code": 503, "description": "Service Unavailable"}, 503)


def _json(payload: dict, status: int) -> Response:
    return Response(json.dumps(payload), status=status, mimetype="application/json")

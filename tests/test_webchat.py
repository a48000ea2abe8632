"""The web chat's endpoints: who may call them (origins, tokens), what they answer, and the
long poll that brings CSR replies and notices. The browser side is test_browser_chat.py."""

from __future__ import annotations

import re
import threading
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from channels import webchat
from conversations.models import Conversation, Message
from conversations.outbox import enqueue
from conversations.staff_models import Handoff
from infra.settings import load_settings
from tests.channels_support import count

SHOP = "https://shop.example"
EVIL = "https://evil.example"
TEMPLATES = Path(webchat.__file__).parent / "templates"


@pytest.fixture
def chat_app(app: Flask) -> Flask:
    settings = app.extensions["settings"]
    app.extensions["settings"] = settings.model_copy(
        update={"chat_allowed_origins": (SHOP,), "chat_long_poll_seconds": 2}
    )
    return app


def say(client: FlaskClient, text: str, token: str | None = None, **headers: str):  # type: ignore[no-untyped-def]
    if token:
        headers["X-Chat-Token"] = token
    return client.post("/chat/messages", json={"text": text}, headers=headers)


def test_a_visitor_gets_a_token_that_keeps_their_conversation(chat_app: Flask, echo_bot) -> None:  # type: ignore[no-untyped-def]
    client = chat_app.test_client()
    first = say(client, "<script>alert(1)</script>")
    assert first.status_code == 201
    token = first.get_json()["token"]
    assert [m["text"] for m in first.get_json()["messages"]] == [
        "<script>alert(1)</script>",
        "echo: <script>alert(1)</script>",
    ]
    assert "Set-Cookie" not in first.headers  # the token travels in a header, not a cookie
    second = say(client, "ask me", token)
    assert second.get_json()["messages"][-1]["choices"] == ["Yes", "No"]
    history = client.get("/chat/messages", headers={"X-Chat-Token": token}).get_json()
    assert [m["from"] for m in history["messages"]] == ["you", "bot", "you", "bot"]
    assert count(chat_app.extensions["db"], Conversation) == 1
    # Another visitor (no token) sees nothing of it and gets a conversation of their own.
    assert client.get("/chat/messages").get_json() == {"messages": []}
    other = say(client, "hello")
    assert other.get_json()["token"] != token
    assert [m["text"] for m in other.get_json()["messages"]] == ["hello", "echo: hello"]


def test_a_forged_or_foreign_token_is_refused_and_changes_nothing(
    chat_app: Flask, echo_bot
) -> None:  # type: ignore[no-untyped-def]
    client = chat_app.test_client()
    token = say(client, "hi").get_json()["token"]
    payload, stamp, signature = token.split(".")
    forged = f"{payload}.{stamp}.{signature[::-1]}"
    other_key = chat_app.extensions["settings"].model_copy(update={"secret_key": "another-key"})
    with chat_app.test_request_context():
        chat_app.extensions["settings"], real = other_key, chat_app.extensions["settings"]
        foreign = webchat.token_for("someone")
        chat_app.extensions["settings"] = real
    before = count(chat_app.extensions["db"], Message)
    for bad in (forged, foreign, "nonsense"):
        assert say(client, "hi again", bad).status_code == 401
        assert client.get("/chat/messages", headers={"X-Chat-Token": bad}).status_code == 401
    assert count(chat_app.extensions["db"], Message) == before


def test_other_sites_are_refused_and_allowed_ones_get_cors(chat_app: Flask, echo_bot) -> None:  # type: ignore[no-untyped-def]
    client = chat_app.test_client()
    refused = say(client, "hi", Origin=EVIL)
    assert refused.status_code == 403 and "Access-Control-Allow-Origin" not in refused.headers
    assert client.get("/chat/config", headers={"Origin": EVIL}).status_code == 403
    assert client.post("/chat/handoff", headers={"Origin": EVIL}).status_code == 403
    # The browser's preflight for a JSON post from another site gets no permission.
    preflight = client.options(
        "/chat/messages",
        headers={"Origin": EVIL, "Access-Control-Request-Method": "POST"},
    )
    assert "Access-Control-Allow-Origin" not in preflight.headers
    assert count(chat_app.extensions["db"], Message) == 0

    preflight = client.options(
        "/chat/messages",
        headers={
            "Origin": SHOP,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-chat-token",
        },
    )
    assert preflight.headers["Access-Control-Allow-Origin"] == SHOP
    assert "X-Chat-Token" in preflight.headers["Access-Control-Allow-Headers"]
    allowed = say(client, "hi", Origin=SHOP)
    assert allowed.status_code == 201
    assert allowed.headers["Access-Control-Allow-Origin"] == SHOP
    assert "Origin" in allowed.headers["Vary"]
    # The app's own origin is always allowed (the /chat page posts with it), also when a
    # proxy in front ended the page's https.
    assert say(client, "hi", Origin="http://localhost").status_code == 201
    assert say(client, "hi", Origin="https://localhost").status_code == 201
    assert say(client, "hi", Origin="https://localhost.evil.example").status_code == 403


def test_a_cross_site_form_cannot_post_into_anyones_chat(chat_app: Flask, echo_bot) -> None:  # type: ignore[no-untyped-def]
    client = chat_app.test_client()
    victim = say(client, "my order").get_json()["token"]
    before = count(chat_app.extensions["db"], Message)
    # What a page elsewhere can make a browser send: a form post (no header of ours).
    form = client.post("/chat/messages", data={"text": "cancel it"}, headers={"Origin": EVIL})
    plain = client.post(
        "/chat/messages",
        data='{"text": "cancel it"}',
        headers={"Origin": EVIL, "Content-Type": "text/plain"},
    )
    assert (form.status_code, plain.status_code) == (403, 403)
    assert count(chat_app.extensions["db"], Message) == before
    # Even from an allowed site, a post without the victim's token is a new visitor.
    say(client, "cancel it", Origin=SHOP)
    history = client.get("/chat/messages", headers={"X-Chat-Token": victim}).get_json()
    assert "cancel it" not in [m["text"] for m in history["messages"]]


def test_bad_input_gets_a_clear_answer_and_changes_nothing(chat_app: Flask, echo_bot) -> None:  # type: ignore[no-untyped-def]
    client = chat_app.test_client()
    assert client.post("/chat/messages", json={"text": "  "}).status_code == 400
    assert client.post("/chat/messages", json=["hi"]).status_code == 400
    assert client.post("/chat/messages", data="text=hi").status_code == 400
    assert say(client, "x" * (webchat.MAX_TEXT + 1)).status_code == 413
    assert client.get("/chat/messages?after=-1").status_code == 400
    assert client.get("/chat/messages?after=99999999999999999999").status_code == 400
    assert count(chat_app.extensions["db"], Message) == 0


def _reply_later(app: Flask, text: str, delay: float) -> threading.Thread:
    def reply() -> None:
        time.sleep(delay)
        with app.extensions["db"].transaction() as session:
            conversation = session.scalars(
                select(Conversation).where(Conversation.channel == "web")
            ).one()
            enqueue(session, conversation, text, author="csr")

    thread = threading.Thread(target=reply)
    thread.start()
    return thread


def test_a_long_poll_answers_when_a_csr_replies_or_empty_when_its_time_is_up(
    chat_app: Flask, echo_bot
) -> None:  # type: ignore[no-untyped-def]
    client = chat_app.test_client()
    first = say(client, "hi").get_json()
    token, last = first["token"], first["messages"][-1]["id"]
    headers = {"X-Chat-Token": token}
    threaded = {"wsgi.multithread": True}  # a server with threads: it may wait

    started = time.monotonic()
    empty = client.get(
        f"/chat/messages?wait=1&after={last}", headers=headers, environ_overrides=threaded
    )
    waited = time.monotonic() - started
    assert empty.get_json() == {"messages": []}
    assert 2 <= waited < 10  # CHAT_LONG_POLL_SECONDS, then empty

    settings = chat_app.extensions["settings"]
    chat_app.extensions["settings"] = settings.model_copy(update={"chat_long_poll_seconds": 20})
    replier = _reply_later(chat_app, "Casey here, checking now.", delay=0.7)
    started = time.monotonic()
    live = client.get(
        f"/chat/messages?wait=1&after={last}", headers=headers, environ_overrides=threaded
    ).get_json()
    waited = time.monotonic() - started
    replier.join()
    assert [(m["from"], m["text"]) for m in live["messages"]] == [
        ("csr", "Casey here, checking now.")
    ]
    assert waited < 10  # answered when the reply was written, not at the end of the wait


def test_a_server_with_one_request_at_a_time_does_not_wait(chat_app: Flask, echo_bot) -> None:  # type: ignore[no-untyped-def]
    """gunicorn's sync workers: a waiting chat would hold the whole process."""
    client = chat_app.test_client()
    first = say(client, "hi").get_json()
    started = time.monotonic()
    answer = client.get(
        f"/chat/messages?wait=1&after={first['messages'][-1]['id']}",
        headers={"X-Chat-Token": first["token"]},
        environ_overrides={"wsgi.multithread": False},
    )
    assert answer.get_json() == {"messages": []}
    assert time.monotonic() - started < 1.5


def test_the_handoff_button_hands_the_conversation_to_a_person(chat_app: Flask) -> None:
    client = chat_app.test_client()
    response = client.post("/chat/handoff", json={})
    assert response.status_code == 201
    token = response.get_json()["token"]
    texts = [m["text"] for m in response.get_json()["messages"]]
    assert texts[0] == "Talk to a person"
    with chat_app.extensions["db"].transaction() as session:
        conversation = session.scalars(select(Conversation)).one()
        assert conversation.mode == "handoff"
        assert session.scalars(select(Handoff)).one().conversation_id == conversation.id
    assert client.get("/chat/messages", headers={"X-Chat-Token": token}).get_json()["messages"]


class _InlineFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        if tag == "style" or "style" in names:
            self.found.append(f"inline style on <{tag}>")
        if tag == "script" and "src" not in names:
            self.found.append("inline <script>")
        self.found += [f"handler {name} on <{tag}>" for name in names if name.startswith("on")]


@pytest.mark.parametrize("template", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: p.name)
def test_templates_have_no_inline_script_style_or_handler(template: Path) -> None:
    finder = _InlineFinder()
    finder.feed(template.read_text())
    assert finder.found == []


def test_the_page_and_the_widget_reference_files_that_exist(chat_app: Flask) -> None:
    client = chat_app.test_client()
    html = client.get("/chat").get_data(as_text=True)
    references = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert len(references) == 2
    for path in [*references, "/chat/widget.js", "/chat/static/chat.css"]:
        assert client.get(path).status_code == 200, path
    widget = client.get("/chat/widget.js")
    assert "/chat/static/chat.css" in widget.get_data(as_text=True)  # found beside itself
    assert widget.mimetype == "text/javascript"
    assert widget.cache_control.max_age == webchat.WIDGET_MAX_AGE_SECONDS  # on every shop page


def test_allowed_origins_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHAT_ALLOWED_ORIGINS", " https://Shop.example/ ,http://localhost:8080")
    assert load_settings().chat_allowed_origins == ("https://shop.example", "http://localhost:8080")
    monkeypatch.setenv("CHAT_ALLOWED_ORIGINS", "shop.example")
    with pytest.raises(ValueError, match="not an origin"):
        load_settings()
    monkeypatch.setenv("CHAT_ALLOWED_ORIGINS", "https://shop.example/path")
    with pytest.raises(ValueError, match="not an origin"):
        load_settings()

"""Tags in headless Chromium at phone width: a CSR tags a conversation from its page,
filters the queue by the tag, and takes it off again. Screenshots go to
test-artifacts/screenshots/."""

from __future__ import annotations

from sqlalchemy import select

from conversations import handoffs as queue
from conversations.staff_models import ConversationTag
from infra.db import Database
from tests import factories
from tests.handoff_support import agent, browser_log_in, chatting_customer
from tests.test_browser_handoff import (  # noqa: F401  (fixtures)
    SCREENSHOTS,
    browser_page,
    server,
    settings,
    twilio,
)


def _no_sideways_scroll(page) -> None:  # type: ignore[no-untyped-def]
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url}: {overflow}px of sideways scrolling at 390px"


def test_a_csr_tags_filters_by_the_tag_and_untags_at_phone_width(
    db: Database,
    server: str,  # noqa: F811
    browser_page,  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    with db.sessions() as s:
        factories.make_shop(s)
        agent(s, "casey@example.com")
        _, refund_chat = chatting_customer(
            s, phone="+15555550171", name="Robin Refund", text="I want my money back"
        )
        _, other_chat = chatting_customer(
            s, phone="+15555550172", name="Sasha Other", text="Can a person help?"
        )
        refund = queue.escalate(s, refund_chat, "human_agent", "Wants a refund.")
        queue.escalate(s, other_chat, "human_agent", "Wants a person.")
        s.commit()
        refund_id, conversation_id = refund.id, refund_chat.id

    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    browser_log_in(page, server, "casey@example.com")
    page.goto(f"{server}/csr/handoffs/{refund_id}")
    page.fill("#tag-input", "  Refund  ")
    page.click("button:has-text('Add tag')")
    expect(page.locator(".flash.ok")).to_contain_text("Tag added")
    expect(page.locator("#tags .tag a")).to_have_text(["refund"])
    _no_sideways_scroll(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "tags-conversation.png"), full_page=True)
    with db.transaction() as s:
        stored = s.scalars(select(ConversationTag)).all()
        assert [(t.conversation_id, t.tag) for t in stored] == [(conversation_id, "refund")]

    page.goto(f"{server}/csr/queue")
    expect(page.locator("#queue")).to_contain_text("Sasha Other")
    page.fill("input[name=tag]", "refund")
    page.click("form.filters button:has-text('Filter')")
    expect(page.locator("#queue")).to_contain_text("Robin Refund")
    expect(page.locator("#queue")).not_to_contain_text("Sasha Other")
    expect(page.locator("#queue td[data-label=Tags]")).to_have_text(["refund"])
    _no_sideways_scroll(page)
    page.screenshot(path=str(SCREENSHOTS / "tags-queue-filtered.png"), full_page=True)

    page.locator("#queue tr", has_text="Robin Refund").locator("a", has_text="Open").click()
    page.click("button[aria-label='Remove tag refund']")
    expect(page.locator(".flash.ok")).to_contain_text("Tag removed")
    expect(page.locator("#tags")).to_contain_text("No tags yet.")
    with db.transaction() as s:
        assert s.scalars(select(ConversationTag)).all() == []

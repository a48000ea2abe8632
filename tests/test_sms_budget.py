"""What each reply costs by SMS: every template of conversations/texts.toml, filled in
with the longest realistic values, within its segment budget (conversations/sms_segments.py).

The budget: ONE segment (160 GSM-7 characters) for a reply that says one thing; TWO
for a reply built around a list (the order's lines, the stores, the choices), which
with five long items cannot say it in one. A list that cannot fit two either (a cart
with prices line by line, five orders) is PAGED: by SMS it goes two segments at a time,
"Reply MORE for the rest" (conversations/sms_pages.py), and the test holds each page to two.
"""

from __future__ import annotations

import csv
import string
from decimal import Decimal
from pathlib import Path

import pytest

from bot import describe
from conversations import sms_pages, sms_segments
from conversations.texts import load, money, say
from orders.models import Location, Product

ROOT = Path(__file__).resolve().parents[1]


LIST_ITEMS = 5


def _longest(column: str, pattern: str, count: int = 1, **only: str) -> list[str]:
    """The longest distinct values of a column in the catalogs and store lists we ship."""
    values = {
        row[column]
        for path in ROOT.glob(pattern)
        for row in csv.DictReader(path.open(encoding="utf-8"))
        if row.get(column) and all(row.get(k) == v for k, v in only.items())
    }
    return sorted(values, key=lambda value: (-len(value), value))[:count]


# Worst cases people will meet: the longest product names, store names and opening hours
# we ship (a list: the five longest), a store name and addresses longer than any of ours.
PRODUCTS = _longest("name", "*/**/catalog.csv", LIST_ITEMS)
PRODUCT = PRODUCTS[0]
STORES = _longest("name", "*/**/locations.csv", LIST_ITEMS, pickup="yes")
[HOURS] = _longest("hours", "*/**/locations.csv")
STORE = "Harbourside Garden Centre"
SHOP = "The Harbourside Hardware Co."
ADDRESS = "Flat 12B, 145 Harbour View Road, Kingsbridge"
PRICE = money(Decimal("1234.50"), "USD")
NUMBER = "#100420"
# The product a hint names as an example: a catalog's shortest name, at its longest.
EXAMPLE = "wall plugs brown 50 pack"

# Templates that are only ever part of another reply (the placeholder they fill in), or
# are not SMS: a mail subject, the web widget's labels, what a CSR reads.
NOT_SENT_ALONE = {"intents", "common", "status", "handoff", "handoff_wants", "web"}
PARTS = {
    "chat.hint_idle",
    "chat.hint_cart",
    "chat.hint_choice",
    "chat.hint_store",
    "chat.hint_address",
    "chat.hint_confirm",
    "chat.hint_modify",
    "chat.hint_return_items",
    "chat.hint_return_reason",
    "chat.hint_return_method",
    "chat.hint_code",
    "shop.no_store",
    "shop.pickup_at",
    "shop.summary_pickup",
    "shop.summary_delivery",
    "orders.line_change",
    "orders.address_change",
    "orders.pickup_change",
    "orders.where_pickup",
    "orders.where_delivery",
    "orders.extra_charge",
    "orders.refund_due",
    "orders.history_line",
    "returns.how_store",
    "returns.how_mail",
    "exchange.to_address",
    "exchange.to_store",
    "channels.unnamed_shop",
    "channels.email_subject",
}
PARTS |= {f"orders.{key}" for key in load()["orders"] if key.startswith("nearest_")}
# Placeholders after which a reply may take two segments: a list, a place (a store's
# address and hours), or another sentence carried inside (an error and what to do next).
LISTS = {
    "differences",
    "lines",
    "stores",
    "options",
    "products",
    "categories",
    "others",
    "changes",
    "orders",
    "back",  # an exchange: the lines that come back
}
TWO_SEGMENTS = LISTS | {"address", "hours", "message", "hint", "brief", "nearest"}
# "help" is a list too: what the bot can do, with an example of each.
LISTS_IN_WORDS = {"chat.help"}
# Lists that cannot fit two segments with five long items: sent in pages by SMS.
PAGED = {
    "shop.ask_method",
    "shop.not_all_at_store",
    "exchange.confirm",
    "orders.confirm_modify",
    "shop.summary",
    "shop.ask_name",
    "shop.no_pickup_store",
    "shop.category",
    "orders.which",
    "orders.history",
}


def longest(section: str, keys: list[str] | None = None, **values: object) -> str:
    """The longest rendering among a section's templates (or the named ones)."""
    texts = (say(f"{section}.{k}", example=EXAMPLE, **values) for k in keys or load()[section])
    return max(texts, key=len)


def _store(name: str) -> Location:
    return Location(code="HB", name=name, address=ADDRESS, hours=HOURS)


def worst_values() -> dict[str, str]:
    """Every placeholder at its longest, lists built as the bot builds them, of five."""
    lines = describe.line_list([(10, name) for name in PRODUCTS])
    stores = describe.store_names([_store(name) for name in STORES])
    price = Decimal("1234.50")
    products = {name: Product(sku=name, name=name, price=price) for name in PRODUCTS}
    brief = say(
        "common.order_brief", number=NUMBER, lines=lines, total=PRICE, status="partly shipped"
    )
    values = {
        "address": ADDRESS,
        "agent": "Maximilian",
        "amount": PRICE,
        "back": lines,
        "before": PRICE,
        "brief": brief,
        "carrier": "DHL Express",
        "categories": ", ".join(["Paint and Decorating"] * LIST_ITEMS),
        "category": "Paint and Decorating",
        "changes": ", ".join(
            say("orders.line_change", name=name, old=10, new=12) for name in PRODUCTS
        ),
        "code": "482913",
        "count": "120",
        "countries": "US, CA, GB, IE, AU",
        "date": "Dec 02",
        "days": "30",
        "differences": ", ".join(["Royal Blue XXL"] * 8 + [say("common.more", count=12)]),
        "example": EXAMPLE,
        "guess": longest("intents"),
        "hint": longest("chat", [k for k in load()["chat"] if k.startswith("hint_")]),
        "hours": HOURS,
        "how": longest("returns", ["how_store", "how_mail"], store=STORE),
        "kind": "phone number",
        "left": "2",
        "lines": lines,
        "message": f"Not enough stock at {STORE}: {PRODUCT} (only 2 available).",
        "minutes": "15",
        "name": PRODUCT,
        "name_part": " Alexandra",
        "nearest": longest("orders", [k for k in load()["orders"] if k.startswith("nearest_")]),
        "note": "The seal on the tin is broken, so we cannot take it back.",
        "number": NUMBER,
        "order": NUMBER,
        "options": "; ".join(f"{i}) {name} {PRICE}" for i, name in enumerate(PRODUCTS, 1)),
        "out": describe.line_list([(10, PRODUCT)]),  # an exchange sends one line anew
        "orders": "\n".join([say("orders.history_line", date="Dec 02", brief=brief)] * LIST_ITEMS),
        "others": stores,
        "pickup": say("shop.pickup_at", stores=stores),
        "place": "12",
        "price": PRICE,
        "prices": f"{PRICE}-{PRICE}",
        "products": ", ".join(f"{name} {PRICE}" for name in PRODUCTS),
        "reason": "It arrived broken.",
        "refund": PRICE,
        "return_number": "R20010",
        "status": "partly shipped",
        "store": STORE,
        "stores": stores,
        "text": "where is my order",
        "total": PRICE,
        "tracking": "1Z999AA10123456784",
        "value": PRICE,
    }
    values["difference"] = longest("orders", ["extra_charge", "refund_due"], amount=PRICE)
    values["where"] = longest(
        "shop", ["summary_pickup", "summary_delivery"], store=STORE, address=ADDRESS
    )
    values["where_exchange"] = longest(
        "exchange", ["to_address", "to_store"], store=STORE, address=ADDRESS
    )
    values["where_now"] = longest(
        "orders", ["where_pickup", "where_delivery"], store=STORE, address=ADDRESS
    )
    values["lines_with_prices"] = describe.cart_lines(dict.fromkeys(products, 10), products, "USD")
    return values


def sent_templates() -> list[str]:
    return [
        f"{section}.{key}"
        for section, templates in load().items()
        if section not in NOT_SENT_ALONE
        for key in templates
        if f"{section}.{key}" not in PARTS
    ]


def placeholders(key: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(_raw(key)) if field}


def render(key: str, values: dict[str, str]) -> str:
    if "\n{lines}\n" in _raw(key):  # a cart, line by line with prices
        values = {**values, "lines": values["lines_with_prices"]}
    if key == "orders.modified":  # where the order goes now
        values = {**values, "where": values["where_now"]}
    if key == "exchange.confirm":  # where the new order goes
        values = {**values, "where": values["where_exchange"]}
    if key == "chat.greet":
        values = {**values, "store": SHOP}
    return say(key, **values)


def _raw(key: str) -> str:
    section, _, name = key.partition(".")
    return load()[section][name]


def budget(key: str) -> int:
    return 2 if placeholders(key) & TWO_SEGMENTS or key in LISTS_IN_WORDS else 1


@pytest.mark.parametrize("key", sorted(set(sent_templates()) - PAGED))
def test_each_reply_fits_its_segment_budget(key: str) -> None:
    text = render(key, worst_values())
    assert sms_segments.is_gsm7(text), (
        f"{key} needs UCS-2 (70 characters a segment, not 160): {text}"
    )
    used = sms_segments.segments(text)
    assert used <= budget(key), f"{key}: {used} segments, {len(text)} characters: {text}"


@pytest.mark.parametrize("key", sorted(PAGED))
def test_a_list_too_long_for_two_segments_goes_in_pages_of_two(key: str) -> None:
    text = render(key, worst_values())
    assert sms_segments.segments(text) > sms_pages.PAGE_SEGMENTS, f"{key} fits: not paged"
    pages = sms_pages.pages(text)
    follows = say("channels.more_follows")
    assert len(pages) > 1
    assert all(sms_segments.segments(page) <= sms_pages.PAGE_SEGMENTS for page in pages)
    assert all(page.endswith(follows) for page in pages[:-1]) and follows not in pages[-1]
    said = " ".join(page.removesuffix(follows) for page in pages)
    assert said.split() == text.split()  # every word, once, in order


def test_the_budgets_cover_every_template() -> None:
    listed = set(sent_templates()) | PARTS | PAGED
    everything = {
        f"{section}.{key}"
        for section, templates in load().items()
        if section not in NOT_SENT_ALONE
        for key in templates
    }
    assert listed == everything
    filled = set().union(*(placeholders(key) for key in set(sent_templates()) | PAGED))
    assert set(worst_values()) >= filled


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("€" * 80, 1),  # an extension character takes two septets
        ("€" * 81, 2),
        ("a" * 152 + "€" + "a" * 152, 3),  # 306 septets, but no segment splits the €
        ("é" * 160, 1),  # é is GSM-7
        ("á" + "a" * 69, 1),  # á is not: UCS-2, 70 in one
        ("á" + "a" * 70, 2),
        ("á" + "a" * 133, 2),
        ("á" + "a" * 134, 3),
        ("😀" * 35, 1),  # an emoji is two UTF-16 units
        ("😀" * 36, 2),
        ("", 0),
    ],
)
def test_segment_counts_follow_gsm7_and_ucs2(text: str, expected: int) -> None:
    assert sms_segments.segments(text) == expected


def test_a_paged_list_is_cut_between_its_lines_and_keeps_them() -> None:
    text = render("orders.history", worst_values())
    follows = say("channels.more_follows")
    pages = [page.removesuffix(follows).rstrip("\n") for page in sms_pages.pages(text)]
    assert [line for page in pages for line in page.split("\n")] == text.split("\n")


def test_a_ucs2_reply_is_paged_in_ucs2_segments() -> None:
    text = " ".join(f"Café n°{i} ☕ ouvert." for i in range(30))
    pages = sms_pages.pages(text)
    assert not sms_segments.is_gsm7(text) and len(pages) > 2
    assert all(sms_segments.segments(page) <= sms_pages.PAGE_SEGMENTS for page in pages)

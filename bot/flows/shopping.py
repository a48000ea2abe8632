"""Browse, build a cart, choose delivery or pickup, see the summary, place the order.

Steps: "cart" (items collected, asking delivery or pickup), "choose_product" (did you
mean A or B?), "checkout_store", "checkout_address", "checkout_name" (a customer we have
no name for is asked once, so the order can be handed over), "confirm_order".
"""

from __future__ import annotations

import re

from sqlalchemy import select

from bot import describe
from bot.dialogue import scope, variants
from bot.flows import names
from bot.flows.common import (
    DELIVERY,
    OTHER_STORE,
    PICKUP,
    Mention,
    bare_quantity,
    chosen_index,
    mentions_on,
    product_mentions,
    wants_removal,
)
from bot.replies import Reply
from bot.turn import Turn
from conversations.texts import say
from infra import clock
from orders import customers, inventory
from orders.models import Location, Order, Product
from services import orders as order_service
from services.orders import NewOrder
from services.uow import within

MAX_BROWSE_ITEMS = 6
# Products answered one by one, with stock; more variants of one product are summed up.
MAX_DETAILED = 3
# Variants named in that summary (the rest as "+N more"), to stay within two SMS.
MAX_VARIANTS_LISTED = 8
CHECKOUT_WORDS = re.compile(r"\b(?:checkout|check out|done|that s all|that's all|that is all)\b")


# The product just talked about: "how much is it?", "is that one in stock?".
THAT_ONE = re.compile(r"\b(?:it|that|this|that one|this one|them|those|these|they)\b", re.I)


# The customer's own address on file: "to my address", "send it home", "the usual address".
MY_ADDRESS = re.compile(
    r"\b(?:my|the usual|my usual|my home|the same|our) (?:address|place|house|flat|home)\b|"
    r"\b(?:to me|home)\b",
    re.I,
)


# --- browsing ---------------------------------------------------------------------------


def browse(turn: Turn) -> list[Reply]:
    mentions = product_mentions(turn)
    last = turn.state.get("last_sku")
    if not mentions and last and (other := variants.named_sibling(turn.catalog, turn.parsed, last)):
        mentions = [Mention(other, None, [])]  # "and in navy?" after the grey one
    if not mentions and last and (turn.first("location") or THAT_ONE.search(turn.text)):
        # "what about the airport one?", "how much is it?" after asking about a product
        mentions = [Mention(last, None, [])]
    if not mentions:
        return _catalog_overview(turn)
    skus = [m.sku for m in mentions]
    for m in mentions:
        skus.extend(o for o in m.options if o not in skus)
    products = describe.products_by_sku(turn.session, skus)
    code = turn.first("location")
    if code is None and AT_THAT_STORE.search(turn.text):  # "is the drill in stock there?"
        code = turn.state.get("last_location")
    store = inventory.get_location(turn.session, code) if code else None
    if code:
        turn.state["last_location"] = code
    found = [s for s in skus if s in products]
    if len(found) > MAX_DETAILED and set(found) <= set(turn.catalog.variants.family(found[0])):
        _talked_about(turn, mentions[0].sku, found)
        return _variants_in_brief(turn, [products[s] for s in found])
    shown = found[:MAX_DETAILED]
    _talked_about(turn, mentions[0].sku, shown)
    texts = [_availability(turn, products[s], store) for s in shown]
    return [Reply("\n".join(texts))]


def _variants_in_brief(turn: Turn, products: list[Product]) -> list[Reply]:
    """ "how much are the white tees?" with four sizes: the price (or its range) and what
    tells the variants apart, in one short reply, rather than the first three in full."""
    name, options = describe.common_and_different([p.name for p in products])
    listed = options[:MAX_VARIANTS_LISTED]
    if len(options) > MAX_VARIANTS_LISTED:
        listed.append(say("common.more", count=len(options) - MAX_VARIANTS_LISTED))
    low, high = min(p.price for p in products), max(p.price for p in products)
    prices = turn.money(low) if low == high else f"{turn.money(low)}-{turn.money(high)}"
    return turn.reply("shop.variants", name=name, prices=prices, differences=", ".join(listed))


def _availability(turn: Turn, product: Product, store: Location | None) -> str:
    price = turn.money(product.price)
    if store is not None:
        have = inventory.available(turn.session, store.id, {product.id: 1})[product.id]
        if have > 0:
            return say(
                "shop.available_at", name=product.name, price=price, count=have, store=store.name
            )
        elsewhere = [s.name for s in describe.stores_with(turn.session, {product.id: 1})]
        return say(
            "shop.not_available_at",
            name=product.name,
            price=price,
            store=store.name,
            others=", ".join(elsewhere) or say("shop.no_store"),
        )
    stores = [
        f"{s.name} {inventory.available(turn.session, s.id, {product.id: 1})[product.id]}"
        for s in describe.pickup_stores(turn.session)
    ]
    key = (
        "shop.in_stock" if describe.deliverable(turn.session, {product.id: 1}) else "shop.sold_out"
    )
    return say(key, name=product.name, price=price, stores=", ".join(stores))


def not_sold(turn: Turn) -> list[Reply]:
    """A price asked for a thing the shop does not sell ("how much is a flight to
    lisbon?"): said so, with what it does sell; nothing changes."""
    return turn.reply("shop.not_sold", categories=", ".join(sorted(_categories(turn))))


def _categories(turn: Turn) -> list[str]:
    return [
        c
        for c in turn.session.scalars(
            select(Product.category).where(Product.active.is_(True)).distinct()
        )
        if c
    ]


def _catalog_overview(turn: Turn) -> list[Reply]:
    categories = _categories(turn)
    named = [
        c for c in categories if re.search(rf"\b{re.escape(c.lower())[:-1]}", turn.text.lower())
    ]
    if named:
        products = turn.session.scalars(
            select(Product)
            .where(Product.active.is_(True), Product.category == named[0])
            .order_by(Product.name)
            .limit(MAX_BROWSE_ITEMS)
        )
        listed = ", ".join(f"{p.name} {turn.money(p.price)}" for p in products)
        return turn.reply("shop.category", category=named[0], products=listed)
    return turn.reply("shop.overview", categories=", ".join(sorted(categories)))


# --- the cart ---------------------------------------------------------------------------


def cart(turn: Turn) -> dict[str, int]:
    return dict(turn.state.get("cart") or {})


def cart_status(turn: Turn) -> list[Reply]:
    """ "what's the total?" in the middle of a cart: what is in it and what it costs."""
    items = cart(turn)
    products = describe.products_by_sku(turn.session, list(items))
    return turn.reply(
        "shop.cart_status",
        lines=describe.cart_lines(items, products, turn.settings.currency),
        total=turn.money(describe.cart_total(items, products)),
    )


def add_to_cart(turn: Turn) -> list[Reply] | None:
    """Products and quantities into the cart, then on towards checkout.

    Products named for sure go in at once; one named loosely is asked about ("which
    one?"), then the next, so a second item is never dropped for the first one's question.
    """
    mentions = mentions_on(turn, cart(turn))
    quantity = bare_quantity(turn)
    last = turn.state.get("last_sku")
    if not mentions and last and (other := variants.named_sibling(turn.catalog, turn.parsed, last)):
        mentions = [Mention(other, quantity, [])]  # "I'll take that one in large"
    elif not mentions and quantity is not None and last:  # "make it 2", "one less"
        fewer = scope.FEWER.search(turn.text)
        mentions = [Mention(last, quantity, _listed(turn), scope.REMOVE if fewer else "set")]
        if not cart(turn):
            _pickup_where_asked(turn)  # "I'll take one" after "is it in stock at riverside?"
    elif (
        not (mentions or cart(turn))
        and last
        and turn.intent == "place_order"
        and THAT_ONE.search(turn.text)
    ):
        mentions = [Mention(last, None, _listed(turn))]  # "great, I'll take it" after its price
        _pickup_where_asked(turn)
    if not mentions:
        return None
    _read_checkout_hints(turn)
    items = cart(turn)
    for m in mentions:
        if m.options or m.operation == "keep":
            continue
        if m.removes(turn):
            partial = m.quantity is not None and m.quantity < items.get(m.sku, 0)
            if partial:
                items[m.sku] -= m.quantity
            else:
                items.pop(m.sku, None)
        elif m.adds(turn) and m.sku in items:
            items[m.sku] += m.quantity or 1
        else:
            items[m.sku] = m.quantity or 1
        _talked_about(turn, m.sku)
    turn.state["cart"] = items
    unsure = [m for m in mentions if m.options]
    return _ask_which(turn, unsure) if unsure else checkout(turn)


def _talked_about(turn: Turn, sku: str, shown: list[str] | None = None) -> None:
    """The product talked about now; ``shown``, when a question was answered with several
    ("how much are the mugs?": black, white, blue), so that "I'll take one" asks which."""
    turn.state["last_sku"] = sku
    if shown and len(shown) > 1:
        turn.state["last_shown"] = shown
    else:
        turn.state.pop("last_shown", None)


def _listed(turn: Turn) -> list[str]:
    """The other products shown with the one last talked about, to choose among."""
    last = turn.state.get("last_sku")
    return [s for s in turn.state.get("last_shown", []) if s != last]


def _pickup_where_asked(turn: Turn) -> None:
    """ "I'll take it" after asking whether a store has it: proposed for pickup there
    (the summary shows it and waits for a yes), unless the message says otherwise."""
    store = turn.state.get("last_location")
    if store and not turn.state.get("checkout"):
        turn.state["checkout"] = {"method": "pickup", "store": store}


def _ask_which(turn: Turn, unsure: list[Mention]) -> list[Reply]:
    """ "Which one did you mean?" for the first loose mention; the rest wait their turn."""
    first = unsure[0]
    options = [first.sku, *first.options]
    products = describe.products_by_sku(turn.session, options)
    later = [{"sku": m.sku, "quantity": m.quantity, "options": m.options} for m in unsure[1:]]
    turn.goto("choose_product", options=options, quantity=first.quantity, later=later)
    names = [products[s].name for s in options if s in products]
    return turn.reply(
        "shop.which_product",
        choices=names,
        options="; ".join(f"{i}) {n}" for i, n in enumerate(names, 1)),
    )


AT_THAT_STORE = re.compile(r"\b(?:there|that store|that shop)\b", re.I)
THERE = re.compile(rf"{AT_THAT_STORE.pattern}|\bthat one\b", re.I)
PRICE_QUESTION = re.compile(r"\b(?:how much|price|prices|cost|costs|pricey)\b", re.I)


def correct_choice(turn: Turn) -> list[Reply] | None:
    """ "actually, just the watering can instead" while asked which hose: the question is
    dropped and the product named instead goes in the cart."""
    options: list[str] = turn.state.get("options", [])
    mentions = product_mentions(turn)
    if mentions and any(m.sku in options for m in mentions) and wants_removal(turn):
        return _skip_choice(turn)  # "never mind the hose": the rest of the cart stays
    if not mentions or any(m.sku in options for m in mentions):
        return None
    turn.goto("cart")
    return add_to_cart(turn)


def _skip_choice(turn: Turn) -> list[Reply]:
    later = [Mention(m["sku"], m["quantity"], m["options"]) for m in turn.state.get("later", [])]
    turn.goto("cart")
    return _ask_which(turn, later) if later else checkout(turn)


def choose_product(turn: Turn) -> list[Reply] | None:
    options: list[str] = turn.state.get("options", [])
    picked = next((m.sku for m in product_mentions(turn) if m.sku in options), None)
    if picked is None:
        index = chosen_index(turn, len(options))
        picked = options[index] if index is not None else None
    if picked is None and not turn.entities("product"):  # "the big tin", "one litre"
        picked = variants.picked_among(turn.catalog, turn.parsed, options)
    if wants_removal(turn):
        return _skip_choice(turn)
    if picked is None and PRICE_QUESTION.search(turn.text):  # "how much are they?"
        products = describe.products_by_sku(turn.session, options)
        listed = [products[s] for s in options if s in products]
        return turn.reply(
            "shop.which_prices",
            choices=[p.name for p in listed],
            options="; ".join(
                f"{i}) {p.name} {turn.money(p.price)}" for i, p in enumerate(listed, 1)
            ),
        )
    if picked is None:
        return None
    items = cart(turn)
    items[picked] = turn.state.get("quantity") or items.get(picked) or 1
    later = [Mention(m["sku"], m["quantity"], m["options"]) for m in turn.state.get("later", [])]
    turn.goto("cart")
    turn.state["cart"] = items
    _talked_about(turn, picked)
    return _ask_which(turn, later) if later else checkout(turn)


def _swap_lines(turn: Turn, siblings: dict[str, str]) -> list[Reply]:
    """ "make it mustard": the line becomes that variant, in the same quantity, or in
    the count said with it when one line changes ("make it 2 large ones")."""
    items = cart(turn)
    count = bare_quantity(turn) if len(siblings) == 1 else None
    for old, new in siblings.items():
        moved = items.pop(old)
        items[new] = count if count is not None else items.get(new, 0) + moved
        _talked_about(turn, new)
    turn.state["cart"] = items
    _read_checkout_hints(turn)
    return checkout(turn)


def _read_checkout_hints(turn: Turn) -> None:
    """ "... for pickup downtown", "deliver to 5 Oak Lane": fulfilment said in passing."""
    chosen = dict(turn.state.get("checkout") or {})
    code = turn.first("location")
    if code is None and THERE.search(turn.text):  # "I'll collect it there"
        code = turn.state.get("last_location")
    address = turn.first("address")
    if code or PICKUP.search(turn.text):
        chosen = {"method": "pickup", "store": code or chosen.get("store")}
    elif address or DELIVERY.search(turn.text):
        if not address and MY_ADDRESS.search(turn.text):  # "deliver it to my address"
            address = turn.customer.default_address or None
        chosen = {"method": "delivery", "address": address or chosen.get("address")}
    turn.state["checkout"] = chosen


def in_cart(turn: Turn) -> list[Reply] | None:
    """Any step of the cart flow: another variant of a line, more items, a quantity, or
    the checkout answer."""
    if siblings := variants.swaps(
        turn.catalog, turn.parsed, cart(turn), turn.state.get("last_sku")
    ):
        return _swap_lines(turn, siblings)
    if turn.entities("product") or (bare_quantity(turn) and not turn.entities("location")):
        return add_to_cart(turn)
    said_how = PICKUP.search(turn.text) or DELIVERY.search(turn.text)
    if turn.entities("location") or turn.entities("address") or said_how:
        _read_checkout_hints(turn)
        return checkout(turn)
    if turn.intent == "affirm" or CHECKOUT_WORDS.search(turn.text.lower()):
        return checkout(turn)
    return None


def correct_order(turn: Turn) -> list[Reply] | None:
    """A correction at the summary or the store question: "fine, the other store then",
    "actually deliver it", "make it 3". The order is previewed again, never placed."""
    chosen = dict(turn.state.get("checkout") or {})
    if OTHER_STORE.search(turn.text) and not turn.entities("location"):
        items = cart(turn)
        needs = describe.needs_of(items, describe.products_by_sku(turn.session, list(items)))
        stores = describe.stores_with(turn.session, needs)
        others = [s for s in stores if s.code != chosen.get("store")]
        if len(others) == 1:
            turn.state["checkout"] = {"method": "pickup", "store": others[0].code}
            return checkout(turn)
        if not others:
            current = next((s.name for s in stores if s.code == chosen.get("store")), "")
            return turn.reply("shop.no_other_store", store=current) + checkout(turn)
        turn.state["checkout"] = {"method": "pickup"}
        return checkout(turn)
    return in_cart(turn)


def answer_store(turn: Turn) -> list[Reply] | None:
    if turn.entities("location"):
        turn.state["checkout"] = {"method": "pickup", "store": turn.first("location")}
        return checkout(turn)
    if DELIVERY.search(turn.text):
        turn.state["checkout"] = {"method": "delivery"}
        return checkout(turn)
    return in_cart(turn)


def answer_address(turn: Turn) -> list[Reply] | None:
    chosen = dict(turn.state.get("checkout") or {})
    if not turn.entities("address"):
        return in_cart(turn)
    chosen["address"] = turn.first("address")
    turn.state["checkout"] = chosen
    return checkout(turn)


# --- checkout ---------------------------------------------------------------------------


def checkout(turn: Turn) -> list[Reply]:
    """Ask for whatever the order still lacks, or show the summary to confirm."""
    items = cart(turn)
    if not items:
        turn.goto(None)
        return turn.reply("shop.cart_empty")
    products = describe.products_by_sku(turn.session, list(items))
    needs = describe.needs_of(items, products)
    lines = describe.cart_lines(items, products, turn.settings.currency)
    total = turn.money(describe.cart_total(items, products))
    chosen = dict(turn.state.get("checkout") or {})
    stores = describe.stores_with(turn.session, needs)
    method = chosen.get("method")
    if method is None:
        turn.goto("cart")
        options = say("shop.pickup_at", stores=describe.store_names(stores)) if stores else ""
        return turn.reply(
            "shop.ask_method",
            choices=["Delivery", "Pickup"],
            lines=lines,
            total=total,
            pickup=options,
        )
    if method == "pickup":
        store = next((s for s in stores if s.code == chosen.get("store")), None)
        if store is None:
            return _ask_store(turn, chosen.get("store"), stores, lines, total)
        where = say("shop.summary_pickup", store=store.name, address=store.address)
    else:
        if not describe.deliverable(turn.session, needs):
            turn.goto("cart")
            return turn.reply("shop.cannot_deliver")
        # The address on file goes into the summary, which names it and waits for the
        # yes that confirms it (or another address): no question of its own first.
        address = chosen.get("address") or turn.customer.default_address
        if not address:
            turn.goto("checkout_address")
            return turn.reply("shop.ask_address")
        chosen["address"] = address
        turn.state["checkout"] = chosen
        where = say("shop.summary_delivery", address=address)
    # The preview checks what placing will check (as the phone-order form's does).
    plan = order_service.preview_order(turn.session, turn.scope, _new_order(turn))
    total = turn.money(plan.total)
    if not turn.customer.name and turn.customer.name_asked_at is None:
        return _ask_name(turn, lines, total, where)
    turn.goto("confirm_order")
    return turn.reply("shop.summary", choices=["Yes", "No"], lines=lines, total=total, where=where)


def _ask_store(
    turn: Turn, wanted: str | None, stores: list[Location], lines: str, total: str
) -> list[Reply]:
    if not stores:
        turn.goto("cart")
        turn.state["checkout"] = {}
        return turn.reply("shop.no_pickup_store", lines=lines)
    turn.goto("checkout_store")
    names = describe.store_names(stores)
    if wanted:
        store = inventory.get_location(turn.session, wanted)
        return turn.reply(
            "shop.not_all_at_store",
            choices=[s.name for s in stores],
            lines=lines,
            store=store.name,
            stores=names,
        )
    return turn.reply("shop.ask_store", choices=[s.name for s in stores], stores=names, total=total)


def _ask_name(turn: Turn, lines: str, total: str, where: str) -> list[Reply]:
    """The order so far and "Whose name should the order be under?": asked once per
    customer, whatever the answer, so nobody is asked again in a later order or after
    a handoff."""
    turn.customer.name_asked_at = clock.now(turn.session)
    turn.goto("checkout_name")
    return turn.reply("shop.ask_name", choices=["Skip"], lines=lines, total=total, where=where)


def answer_name(turn: Turn) -> list[Reply] | None:
    """The name for the order, a "skip", or a change to the order instead; then the yes
    to the order shown with the question. A plain yes places the order without a name."""
    said_how = PICKUP.search(turn.text) or DELIVERY.search(turn.text)
    changes = any(turn.entities(k) for k in ("product", "quantity", "location", "address"))
    if changes or said_how:
        return in_cart(turn)
    if turn.intent == "deny" or names.declines(turn.text):
        turn.goto("confirm_order")
        return turn.reply("shop.name_skipped", choices=["Yes", "No"])
    name = names.read_name(turn.text)
    if name is None and turn.intent == "affirm":
        return _place(turn)  # a yes to the order shown with the question: no name then
    if name is None:
        return in_cart(turn)
    turn.customer.name = customers.check_text(name, customers.MAX_NAME, "name")
    turn.goto("confirm_order")
    return turn.reply("shop.name_noted", choices=["Yes", "No"], name=name)


def confirm_order(turn: Turn) -> list[Reply] | None:
    if turn.intent == "affirm":
        return _place(turn)
    if turn.intent == "deny":
        turn.goto("cart")
        return turn.reply("shop.not_placed")
    return in_cart(turn)


def _new_order(turn: Turn) -> NewOrder:
    chosen = turn.state.get("checkout") or {}
    return NewOrder(
        turn.customer.id,
        cart(turn),
        method=chosen["method"],
        address=chosen.get("address"),
        pickup_location=chosen.get("store"),
    )


def _place(turn: Turn) -> list[Reply]:
    new = _new_order(turn)
    order = order_service.place_order(within(turn.session), turn.actor, turn.scope, new)
    turn.state.pop("cart", None)
    turn.state.pop("checkout", None)
    turn.goto(None, order=order.number)
    return placed(turn, order)


def placed(turn: Turn, order: Order) -> list[Reply]:
    """What the customer is told of an order just placed: its number, lines and where."""
    lines = describe.order_lines(order)
    total = turn.money(order.total)
    if order.fulfillment_method == "pickup":
        return turn.reply(
            "shop.placed_pickup",
            number=order.display_number,
            lines=lines,
            total=total,
            store=order.location.name,
            code=order.pickup_code,
        )
    return turn.reply(
        "shop.placed_delivery",
        number=order.display_number,
        lines=lines,
        total=total,
        address=order.address,
    )

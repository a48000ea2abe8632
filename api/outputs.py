"""What /api/v1 answers: pydantic models of the domain objects, built with `of(...)`.

JSON names are snake_case, money is a decimal string with two decimals ("12.50") and
times are ISO 8601 with their offset, as `datetime.isoformat` writes them.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema

from conversations import handoffs as queue
from conversations.staff_models import Handoff
from orders.models import Customer, Location, Order, Product, Return, Stock, StockMovement
from orders.order_lists import OrderRow, order_row, subtotal
from orders.stockops import PickupQueue, ShippingQueue

Money = Annotated[
    Decimal,
    PlainSerializer(lambda value: f"{value:.2f}", return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^-?\d+\.\d\d$", "examples": ["12.50"]}),
]
When = Annotated[
    datetime,
    PlainSerializer(datetime.isoformat, return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]


class Answer(BaseModel):
    model_config = ConfigDict(frozen=True, validate_by_name=True)


class ProductOut(Answer):
    sku: str
    name: str
    price: Money
    category: str | None
    aliases: list[str]
    description: str
    active: bool
    low_stock_threshold: int

    @classmethod
    def of(cls, p: Product) -> ProductOut:
        return cls(
            sku=p.sku,
            name=p.name,
            price=p.price,
            category=p.category,
            aliases=p.alias_list,
            description=p.description,
            active=p.active,
            low_stock_threshold=p.low_stock_threshold,
        )


class Products(Answer):
    products: list[ProductOut]


class LocationOut(Answer):
    code: str
    name: str
    address: str
    kind: str = Field(description="`store` or `warehouse`.")
    pickup: bool
    hours: str

    @classmethod
    def of(cls, loc: Location) -> LocationOut:
        return cls(
            code=loc.code,
            name=loc.name,
            address=loc.address,
            kind=loc.kind,
            pickup=loc.pickup,
            hours=loc.hours,
        )


class Locations(Answer):
    locations: list[LocationOut]


class StockOut(Answer):
    sku: str
    location: str
    on_hand: int
    reserved: int
    available: int

    @classmethod
    def of(cls, row: Stock) -> StockOut:
        return cls(
            sku=row.product.sku,
            location=row.location.code,
            on_hand=row.on_hand,
            reserved=row.reserved,
            available=row.available,
        )


class Inventory(Answer):
    inventory: list[StockOut]


class StockLevel(StockOut):
    """A stock row with the product's low-stock threshold and whether it is reached."""

    low_stock_threshold: int
    low: bool

    @classmethod
    def of(cls, row: Stock) -> StockLevel:
        threshold = row.product.low_stock_threshold
        return cls(
            **StockOut.of(row).model_dump(),
            low_stock_threshold=threshold,
            low=row.available <= threshold,
        )


class LowStock(Answer):
    low_stock: list[StockLevel]


class Transfer(Answer):
    source: StockLevel = Field(alias="from")
    to: StockLevel


class MovementOut(Answer):
    id: int
    sku: str
    location: str
    delta: int
    reason: str
    actor: str
    order: str | None
    note: str
    at: When

    @classmethod
    def of(cls, m: StockMovement) -> MovementOut:
        return cls(
            id=m.id,
            sku=m.product.sku,
            location=m.location.code,
            delta=m.delta,
            reason=m.reason,
            actor=m.actor,
            order=f"#{m.order.number}" if m.order is not None else None,
            note=m.note,
            at=m.at,
        )


class Movements(Answer):
    movements: list[MovementOut]


class FulfillmentOut(Answer):
    method: str = Field(description="`delivery` or `pickup`.")
    address: str | None
    location: str
    pickup_code: str | None


class OrderLineOut(Answer):
    sku: str
    name: str
    unit_price: Money
    quantity: int = Field(description="Ordered and not cancelled.")
    cancelled: int
    fulfilled: int
    returned: int
    subtotal: Money


class ShipmentOut(Answer):
    carrier: str
    tracking_number: str
    shipped_at: When | None
    delivered_at: When | None


class OrderOut(Answer):
    number: str = Field(examples=["#10042"])
    status: str
    customer_id: int
    channel: str
    fulfillment: FulfillmentOut
    lines: list[OrderLineOut]
    shipments: list[ShipmentOut]
    total: Money
    amount_paid: Money
    placed_at: When | None
    updated_at: When | None

    @classmethod
    def of(cls, o: Order) -> OrderOut:
        return cls.of_row(order_row(o))

    @classmethod
    def of_row(cls, o: OrderRow) -> OrderOut:
        lines = [
            OrderLineOut(
                sku=line["sku"],
                name=line["name"],
                unit_price=line["unit_price"],
                quantity=line["quantity"] - line["quantity_cancelled"],
                cancelled=line["quantity_cancelled"],
                fulfilled=line["quantity_fulfilled"],
                returned=line["quantity_returned"],
                subtotal=subtotal(line),
            )
            for line in o["lines"]
        ]
        return cls(
            number=f"#{o['number']}",
            status=o["status"],
            customer_id=o["customer_id"],
            channel=o["channel"],
            fulfillment=FulfillmentOut(
                method=o["fulfillment_method"],
                address=o["address"] or None,
                location=o["location"],
                pickup_code=o["pickup_code"] or None,
            ),
            lines=lines,
            shipments=[ShipmentOut(**s) for s in o["shipments"]],
            total=o["total"],
            amount_paid=o["amount_paid"],
            placed_at=o["placed_at"],
            updated_at=o["updated_at"],
        )


class Orders(Answer):
    orders: list[OrderOut]
    next: str | None = Field(
        description="The URL of the next page of orders; null on the last page."
    )


class IdentityOut(Answer):
    kind: str = Field(description="`phone`, `email` or `telegram`.")
    value: str
    verified: bool
    opted_out: bool


class CustomerOut(Answer):
    id: int
    name: str
    default_address: str | None
    identities: list[IdentityOut]

    @classmethod
    def of(cls, c: Customer) -> CustomerOut:
        return cls(
            id=c.id,
            name=c.name,
            default_address=c.default_address or None,
            identities=[
                IdentityOut(kind=i.kind, value=i.value, verified=i.verified, opted_out=i.opted_out)
                for i in c.identities
            ],
        )


class PurchaseOut(Answer):
    number: str
    status: str
    total: Money
    placed_at: When | None


class CustomerProfile(CustomerOut):
    purchase_history: list[PurchaseOut]

    @classmethod
    def with_history(cls, c: Customer, history: list[Order]) -> CustomerProfile:
        return cls(
            **CustomerOut.of(c).model_dump(),
            purchase_history=[
                PurchaseOut(
                    number=o.display_number, status=o.status, total=o.total, placed_at=o.placed_at
                )
                for o in history
            ],
        )


class Customers(Answer):
    customers: list[CustomerOut]


class ReturnLineOut(Answer):
    sku: str
    quantity: int
    condition: str | None = Field(description="`resellable` or `damaged` once received.")


class ReturnOut(Answer):
    number: str = Field(examples=["R2001"])
    order: str
    status: str
    method: str = Field(description="`mail` or `store`.")
    location: str | None
    reason: str
    lines: list[ReturnLineOut]
    value: Money
    refund_amount: Money | None
    created_at: When | None

    @classmethod
    def of(cls, r: Return) -> ReturnOut:
        return cls(
            number=r.display_number,
            order=r.order.display_number,
            status=r.status,
            method=r.method,
            location=r.location.code if r.location else None,
            reason=r.reason,
            lines=[
                ReturnLineOut(
                    sku=line.order_line.sku, quantity=line.quantity, condition=line.condition
                )
                for line in r.lines
            ],
            value=r.value,
            refund_amount=r.refund_amount,
            created_at=r.created_at,
        )


class Returns(Answer):
    returns: list[ReturnOut]


class CustomerRef(Answer):
    id: int
    name: str


class OpenLine(Answer):
    sku: str
    name: str
    open: int


class OrderSummary(Answer):
    """What a store queue shows per order (no payment details, no pickup code)."""

    number: str
    status: str
    customer: CustomerRef
    placed_at: When | None
    ready_at: When | None
    lines: list[OpenLine]

    @classmethod
    def of(cls, o: Order) -> OrderSummary:
        return cls(
            number=o.display_number,
            status=o.status,
            customer=CustomerRef(id=o.customer_id, name=o.customer.name),
            placed_at=o.placed_at,
            ready_at=o.ready_at,
            lines=[
                OpenLine(sku=line.sku, name=line.name, open=line.open_quantity)
                for line in o.lines
                if line.open_quantity > 0
            ],
        )


class PickupQueueOut(Answer):
    location: LocationOut
    to_prepare: list[OrderSummary]
    ready: list[OrderSummary]
    not_collected: list[OrderSummary]

    @classmethod
    def of(cls, q: PickupQueue) -> PickupQueueOut:
        return cls(
            location=LocationOut.of(q.location),
            to_prepare=[OrderSummary.of(o) for o in q.to_prepare],
            ready=[OrderSummary.of(o) for o in q.ready],
            not_collected=[OrderSummary.of(o) for o in q.not_collected],
        )


class PickItemOut(Answer):
    sku: str
    name: str
    quantity: int
    orders: list[str]


class ShippingQueueOut(Answer):
    location: LocationOut
    orders: list[OrderSummary]
    pick_list: list[PickItemOut]

    @classmethod
    def of(cls, q: ShippingQueue) -> ShippingQueueOut:
        return cls(
            location=LocationOut.of(q.location),
            orders=[OrderSummary.of(o) for o in q.orders],
            pick_list=[
                PickItemOut(sku=p.sku, name=p.name, quantity=p.quantity, orders=p.orders)
                for p in q.pick_list
            ],
        )


class HandoffOut(Answer):
    id: int
    status: str = Field(description="`waiting`, `assigned` or `closed`.")
    reason: str
    priority: int = Field(description="Higher first.")
    summary: str
    customer_id: int
    customer_name: str
    channel: str
    conversation_id: int
    related_orders: list[str]
    tags: list[str] = Field(description="The conversation's tags, set in the console.")
    assigned_to: str | None = Field(description="The CSR's email.")
    waited_seconds: int
    created_at: When | None
    assigned_at: When | None
    closed_at: When | None
    resolution: str | None

    @classmethod
    def of(cls, handoff: Handoff, now: datetime) -> HandoffOut:
        conversation = handoff.conversation
        return cls(
            id=handoff.id,
            status=handoff.status,
            reason=handoff.reason,
            priority=handoff.priority,
            summary=handoff.summary,
            customer_id=handoff.customer_id,
            customer_name=handoff.customer.name,
            channel=conversation.channel,
            conversation_id=conversation.id,
            related_orders=[f"#{number}" for number in handoff.related_orders],
            tags=[t.tag for t in handoff.tags],
            assigned_to=handoff.assigned_to.email if handoff.assigned_to else None,
            waited_seconds=int(queue.waited(handoff, now).total_seconds()),
            created_at=handoff.created_at,
            assigned_at=handoff.assigned_at,
            closed_at=handoff.closed_at,
            resolution=handoff.resolution or None,
        )


class Handoffs(Answer):
    handoffs: list[HandoffOut]


class SentMessage(Answer):
    id: int
    channel: str
    text: str


class Durations(Answer):
    count: int
    median_minutes: float | None
    p90_minutes: float | None


class IntentCount(Answer):
    intent: str
    count: int


class NotUnderstood(Answer):
    message_id: int
    customer_id: int | None
    text: str
    at: str = Field(json_schema_extra={"format": "date-time"})


class ReportSummary(Answer):
    """The figures of /csr/reports for a period of the shop's days."""

    start: str = Field(alias="from", json_schema_extra={"format": "date"})
    end: str = Field(alias="to", json_schema_extra={"format": "date"})
    timezone: str
    conversations: int | None
    handed_over: int
    containment: float | None = Field(description="The share the bot finished alone (0..1).")
    handoffs_by_reason: dict[str, int]
    first_response: Durations
    resolution: Durations
    messages_by_channel: dict[str, int]
    messages_by_hour: list[int] | None = Field(description="24 counts, from midnight.")
    top_intents: list[IntentCount]
    not_understood: list[NotUnderstood]

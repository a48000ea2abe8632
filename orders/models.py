"""Tables of the order-management core: catalog, stock, customers, orders, returns.

Quantities on an order line are counters that only grow (ordered, cancelled,
fulfilled, returned); what is still reserved or still returnable is derived from
them, so the numbers can never disagree with each other.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from infra.db import Base, Money, UTCDateTime, utcnow


class Product(Base):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    price: Mapped[Decimal] = mapped_column(Money)
    category: Mapped[str | None] = mapped_column(String(100))
    aliases: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    low_stock_threshold: Mapped[int] = mapped_column(Integer, default=3)
    # Optional variant columns: the base product's name this SKU is a variant of, and
    # its size, colour and unit ("box of 100"); empty when the shop gives none.
    variant_of: Mapped[str] = mapped_column(String(200), default="")
    size: Mapped[str] = mapped_column(String(50), default="")
    colour: Mapped[str] = mapped_column(String(50), default="")
    unit: Mapped[str] = mapped_column(String(50), default="")
    # Moves on every change: the bot's catalogue cache rebuilds when the newest one moves.
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def alias_list(self) -> list[str]:
        return [a for a in self.aliases.split("|") if a]


class Location(Base):
    __tablename__ = "locations"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(20), default="store")  # store | warehouse
    pickup: Mapped[bool] = mapped_column(Boolean, default=False)
    hours: Mapped[str] = mapped_column(Text, default="")
    # Lower ships delivery orders first; see inventory.choose_delivery_location.
    priority: Mapped[int] = mapped_column(Integer, default=100)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Stock(Base):
    __tablename__ = "stock"
    __table_args__ = (
        UniqueConstraint("product_id", "location_id"),
        CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
        CheckConstraint("reserved >= 0", name="reserved_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    on_hand: Mapped[int] = mapped_column(Integer, default=0)
    reserved: Mapped[int] = mapped_column(Integer, default=0)

    product: Mapped[Product] = relationship()
    location: Mapped[Location] = relationship()

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


class StockMovement(Base):
    """The stock ledger: every change of on-hand quantity, with who and why."""

    __tablename__ = "stock_movements"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), index=True)
    delta: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(120))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    product: Mapped[Product] = relationship()
    location: Mapped[Location] = relationship()
    order: Mapped[Order | None] = relationship()


def trigram_index(name: str, column: str) -> Index:
    """A PostgreSQL trigram index on lower(column), for `lower(column) LIKE '%text%'`
    searches. PostgreSQL only (migrations 0005, 0007): SQLite has no such index, and Alembic
    cannot compare expression indexes there, so the model and SQLite still agree."""
    return Index(
        name,
        func.lower(column),
        postgresql_using="gin",
        postgresql_ops={"lower": "gin_trgm_ops"},
    )


class Customer(Base):
    __tablename__ = "customers"
    __table_args__ = (trigram_index("ix_customers_name_trgm", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    default_address: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the bot asked this customer for their name (answered or not): it asks once.
    name_asked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    identities: Mapped[list[CustomerIdentity]] = relationship(
        back_populates="customer", order_by="CustomerIdentity.id"
    )


class CustomerIdentity(Base):
    """How a customer reaches us: a phone (E.164), a Telegram user id or an email."""

    __tablename__ = "customer_identities"
    __table_args__ = (
        UniqueConstraint("kind", "value"),
        trigram_index("ix_customer_identities_value_trgm", "value"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # phone | telegram | email
    value: Mapped[str] = mapped_column(String(320))
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    unreachable: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    customer: Mapped[Customer] = relationship(back_populates="identities")


class Order(Base):
    __tablename__ = "orders"
    # Each serves a list read newest first, or the pickup sweep, straight off the index.
    __table_args__ = (
        Index("ix_orders_customer_placed", "customer_id", "placed_at", "id"),
        Index("ix_orders_status_placed", "status", "placed_at", "id"),
        Index("ix_orders_status_ready", "status", "ready_at"),
        Index("ix_orders_location_status", "location_id", "status", "placed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int | None] = mapped_column(Integer, unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    status: Mapped[str] = mapped_column(String(30))
    fulfillment_method: Mapped[str] = mapped_column(String(20))  # delivery | pickup
    address: Mapped[str] = mapped_column(Text, default="")
    # Where stock is reserved and the order is fulfilled from (the pickup store for pickup).
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    pickup_code: Mapped[str] = mapped_column(String(12), default="")
    channel: Mapped[str] = mapped_column(String(20), default="")
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ready_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fulfilled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pickup_reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    customer: Mapped[Customer] = relationship()
    location: Mapped[Location] = relationship()
    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", order_by="OrderLine.id", cascade="all, delete-orphan"
    )
    shipments: Mapped[list[Shipment]] = relationship(back_populates="order", order_by="Shipment.id")
    payments: Mapped[list[Payment]] = relationship(order_by="Payment.id")

    @property
    def display_number(self) -> str:
        return f"#{self.number}"

    @property
    def total(self) -> Decimal:
        return sum((line.subtotal for line in self.lines), Decimal("0.00"))

    @property
    def amount_paid(self) -> Decimal:
        return sum((p.amount for p in self.payments), Decimal("0.00"))


class OrderLine(Base):
    __tablename__ = "order_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint(
            "quantity_cancelled + quantity_fulfilled <= quantity", name="counts_within_quantity"
        ),
        CheckConstraint(
            "quantity_returned <= quantity_fulfilled", name="returned_within_fulfilled"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    sku: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(200))
    unit_price: Mapped[Decimal] = mapped_column(Money)
    quantity: Mapped[int] = mapped_column(Integer)
    quantity_cancelled: Mapped[int] = mapped_column(Integer, default=0)
    # Shipped or handed over at a pickup store.
    quantity_fulfilled: Mapped[int] = mapped_column(Integer, default=0)
    # Received back through a return.
    quantity_returned: Mapped[int] = mapped_column(Integer, default=0)

    order: Mapped[Order] = relationship(back_populates="lines")
    product: Mapped[Product] = relationship()

    @property
    def active_quantity(self) -> int:
        return self.quantity - self.quantity_cancelled

    @property
    def open_quantity(self) -> int:
        """Ordered, not cancelled and not yet fulfilled: what stays reserved."""
        return self.active_quantity - self.quantity_fulfilled

    @property
    def subtotal(self) -> Decimal:
        return self.unit_price * self.active_quantity


class Shipment(Base):
    __tablename__ = "shipments"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    carrier: Mapped[str] = mapped_column(String(60))
    tracking_number: Mapped[str] = mapped_column(String(100))
    shipped_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    order: Mapped[Order] = relationship(back_populates="shipments")
    lines: Mapped[list[ShipmentLine]] = relationship(cascade="all, delete-orphan")


class ShipmentLine(Base):
    __tablename__ = "shipment_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"))
    quantity: Mapped[int] = mapped_column(Integer)

    order_line: Mapped[OrderLine] = relationship()


class OrderEvent(Base):
    """The order's history: what changed, who did it, through which channel and message."""

    __tablename__ = "order_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    type: Mapped[str] = mapped_column(String(40))
    actor_kind: Mapped[str] = mapped_column(String(20))  # customer | bot | csr | system
    actor_id: Mapped[str] = mapped_column(String(120), default="")
    channel: Mapped[str] = mapped_column(String(20), default="")
    # The inbound message that caused the change (conversations.models.Message.id), if any.
    message_id: Mapped[int | None] = mapped_column(Integer)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    order: Mapped[Order] = relationship()


class Payment(Base):
    """Money recorded against an order: positive was charged, negative was refunded.

    Capture happens outside this system; see orders.payments for the refund hook.
    A refund is decided as "pending" and paid out by the gateway after its transaction
    commits (orders.refund_payouts), with a lease while a worker is paying it.
    """

    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    kind: Mapped[str] = mapped_column(String(20))  # charge | refund
    reference: Mapped[str] = mapped_column(String(120), default="")
    return_id: Mapped[int | None] = mapped_column(ForeignKey("returns.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # done | pending -> paying -> done | pending again (retry) | failed (a person must look)
    state: Mapped[str] = mapped_column(
        String(20), default="done", server_default="done", index=True
    )
    reason: Mapped[str] = mapped_column(String(200), default="", server_default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(Text, default="", server_default="")


class Return(Base):
    __tablename__ = "returns"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int | None] = mapped_column(Integer, unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    method: Mapped[str] = mapped_column(String(20))  # mail | store
    location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refund_amount: Mapped[Decimal | None] = mapped_column(Money)

    order: Mapped[Order] = relationship()
    location: Mapped[Location | None] = relationship()
    lines: Mapped[list[ReturnLine]] = relationship(
        back_populates="return_", order_by="ReturnLine.id", cascade="all, delete-orphan"
    )

    @property
    def display_number(self) -> str:
        return f"R{self.number}"

    @property
    def value(self) -> Decimal:
        """What was paid for the returned items: the most a refund can be."""
        return sum(
            (line.order_line.unit_price * line.quantity for line in self.lines), Decimal("0.00")
        )


class ReturnLine(Base):
    __tablename__ = "return_lines"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    return_id: Mapped[int] = mapped_column(ForeignKey("returns.id"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    condition: Mapped[str | None] = mapped_column(String(20))  # resellable | damaged

    return_: Mapped[Return] = relationship(back_populates="lines")
    order_line: Mapped[OrderLine] = relationship()

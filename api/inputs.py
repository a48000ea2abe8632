"""What /api/v1 accepts: request bodies and query strings as pydantic models.

Wrong shapes are refused here with the codes integrators already handle (`bad_field`,
`missing_field`, `bad_lines`...): a field type that fails raises a `PydanticCustomError`
whose type is the API's error code and whose message follows the field's name (see
`api.contract.problem`). The domain then checks the values (stock, transitions, scope).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    Discriminator,
    Field,
    StrictStr,
    Tag,
    ValidationError,
    WithJsonSchema,
    WrapValidator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from conversations.handoffs import STATUSES as HANDOFF_STATUSES
from infra.input_guard import LARGEST_ID
from orders import ordering
from orders.errors import DomainError
from orders.status import OrderStatus, ReturnStatus


def coded(code: str, phrase: str) -> WrapValidator:
    """Any failure of the value inside becomes one error `code`: "<field> <phrase>"."""

    def validate(value: object, handler: Callable[[object], object]) -> object:
        try:
            return handler(value)
        except ValidationError:
            raise PydanticCustomError(code, phrase) from None

    return WrapValidator(validate)


def _whole_number(value: object) -> int:
    """An int an INTEGER column holds (a bigger one overflows the driver or the column)."""
    if isinstance(value, bool) or not isinstance(value, int) or abs(value) > LARGEST_ID:
        raise PydanticCustomError("bad_field", "must be a whole number.")
    return value


def _present(value: object) -> object:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise PydanticCustomError("missing_field", "is required.")
    return value


_INTEGER_SCHEMA = {"type": "integer", "minimum": -LARGEST_ID, "maximum": LARGEST_ID}
WholeNumber = Annotated[int, BeforeValidator(_whole_number), WithJsonSchema(_INTEGER_SCHEMA)]
Text = Annotated[StrictStr, coded("bad_field", "must be text.")]
RequiredText = Annotated[Text, BeforeValidator(_present)]
RequiredNumber = Annotated[WholeNumber, BeforeValidator(_present)]


def _lines(raw: object) -> dict[str, int]:
    """`{"SKU": 2}` or `[{"sku": "SKU", "quantity": 2}]` -> {"SKU": 2}; a SKU twice is refused."""
    if isinstance(raw, dict):
        pairs = list(raw.items())
    elif isinstance(raw, list) and all(isinstance(x, dict) for x in raw):
        pairs = [(x.get("sku"), x.get("quantity")) for x in raw]
    else:
        raise PydanticCustomError("bad_lines", "must be a list of {sku, quantity} or a map.")
    for sku, quantity in pairs:
        if not isinstance(sku, str) or isinstance(quantity, bool) or not isinstance(quantity, int):
            raise PydanticCustomError(
                "bad_lines", "need a sku (text) and a quantity (integer) each."
            )
        if abs(quantity) > LARGEST_ID:
            raise PydanticCustomError("bad_lines", "hold a quantity too big to be one.")
    try:  # the domain's rule and words for a SKU twice, as every other door gives them
        return ordering.normalise_items(pairs)  # type: ignore[return-value]
    except DomainError as exc:
        raise PydanticCustomError(exc.code, "{message}", {"message": exc.message}) from None


def _whole_order_if_empty(raw: object) -> object:
    """Shipping or returning with no lines (or empty ones) means everything still open."""
    return _lines(raw) if raw else None


_LINES_SCHEMA = {
    "description": 'Items and quantities: `{"BEAN": 2}` or `[{"sku": "BEAN", "quantity": 2}]`; '
    "SKUs are case-insensitive and each may appear once.",
    "anyOf": [
        {"type": "object", "additionalProperties": _INTEGER_SCHEMA},
        {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"sku": {"type": "string"}, "quantity": _INTEGER_SCHEMA},
                "required": ["sku", "quantity"],
            },
        },
    ],
}
Lines = Annotated[dict[str, int], BeforeValidator(_lines), WithJsonSchema(_LINES_SCHEMA)]
# Optional, but null is not "omitted": `{"lines": null}` is refused, never "the whole order".
LinesIfGiven = Annotated[
    dict[str, int] | None, BeforeValidator(_lines), WithJsonSchema(_LINES_SCHEMA)
]


def _omit_only(schema: dict[str, Any]) -> None:
    """Document an optional field that may be left out but not sent as null."""
    schema.pop("default", None)


SomeLines = Annotated[
    dict[str, int] | None,
    BeforeValidator(_whole_order_if_empty),
    WithJsonSchema(
        {
            "description": "Omitted or empty: every open item.",
            "anyOf": [*_LINES_SCHEMA["anyOf"], {"type": "null"}],
        }
    ),
]


def _amount(raw: object) -> Decimal | None:
    """Money comes as a decimal string ("12.50"); a JSON number is accepted too."""
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise PydanticCustomError("bad_amount", 'must be a decimal string such as "12.50".')
    try:
        amount = Decimal(str(raw))
        exact = amount.is_finite() and amount == amount.quantize(Decimal("0.01"))
    except InvalidOperation:
        exact = False
    if not exact:
        raise PydanticCustomError("bad_amount", "must be an amount with at most two decimals.")
    return amount


MoneyIn = Annotated[
    Decimal | None,
    BeforeValidator(_amount),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": r"^-?\d+(\.\d{1,2})?$"},
                {"type": "number"},
                {"type": "null"},
            ],
            "examples": ["12.50"],
        }
    ),
]


def _conditions(raw: object) -> dict[str, Any]:
    """Return conditions per SKU: `{"MUG": "damaged"}` or `{"MUG": {"resellable": 1,
    "damaged": 1}}`; the domain checks the words and the counts."""
    if raw is None:
        return {}
    if not isinstance(raw, dict) or not all(
        isinstance(v, str) or (isinstance(v, dict) and all(isinstance(k, str) for k in v))
        for v in raw.values()
    ):
        raise PydanticCustomError(
            "bad_conditions", "must map each sku to a condition or to counts."
        )
    return raw


Conditions = Annotated[
    dict[str, Any],
    BeforeValidator(_conditions),
    WithJsonSchema(
        {
            "description": 'Per SKU, a condition (`"resellable"` or `"damaged"`) or counts '
            'per condition (`{"resellable": 1, "damaged": 1}`).',
            "type": "object",
            "additionalProperties": {
                "anyOf": [
                    {"type": "string"},
                    {"type": "object", "additionalProperties": {"type": "integer"}},
                ]
            },
        }
    ),
]


# Orders


class NewCustomer(BaseModel):
    name: Text | None = None
    phone: Text | None = None
    email: Text | None = None


def _object_or(code: str, phrase: str, *, empty: object) -> BeforeValidator:
    """A nested object, or `empty` for null (and, where `empty` is {}, any falsy value)."""

    def validate(value: object) -> object:
        if value is None or (empty == {} and not value):
            return empty
        if not isinstance(value, dict):
            raise PydanticCustomError(code, phrase)
        return value

    return BeforeValidator(validate)


class FulfillmentIn(BaseModel):
    method: Text | None = Field(None, description="`delivery` or `pickup`.")
    address: Text | None = Field(None, description="Where to deliver.")
    location: Text | None = Field(None, description="The pickup location's code.")


Fulfillment = Annotated[
    FulfillmentIn, _object_or("bad_fulfillment", "must be an object.", empty={})
]


class NewOrder(BaseModel):
    """Give `customer_id`, or `customer` with a phone or an email (found or created)."""

    customer_id: WholeNumber | None = None
    customer: Annotated[
        NewCustomer | None,
        _object_or("bad_customer", "must be {name, phone|email}.", empty=None),
    ] = None
    lines: Lines = Field(default_factory=dict)
    fulfillment: Fulfillment = Field(default_factory=FulfillmentIn)


class OrderChange(BaseModel):
    lines: LinesIfGiven = Field(
        None, description="New quantities; 0 removes an item.", json_schema_extra=_omit_only
    )
    address: Text | None = None
    fulfillment: Fulfillment = Field(default_factory=FulfillmentIn)


class Cancellation(BaseModel):
    reason: Text | None = None
    lines: LinesIfGiven = Field(
        None,
        description="Cancel only these; omitted: the whole order.",
        json_schema_extra=_omit_only,
    )


class Shipment(BaseModel):
    type: Literal["shipment"]
    carrier: Text | None = None
    tracking_number: Text | None = None
    lines: SomeLines = None


class ReadyForPickup(BaseModel):
    type: Literal["ready_for_pickup"]


class PickedUp(BaseModel):
    type: Literal["picked_up"]
    pickup_code: Text | None = None


class Delivered(BaseModel):
    type: Literal["delivered"]
    shipment_id: WholeNumber | None = Field(None, description="Omitted: every shipment.")


def _kind(value: object) -> object:
    return value.get("type") if isinstance(value, dict) else None


NewFulfillment = Annotated[
    Annotated[Shipment, Tag("shipment")]
    | Annotated[ReadyForPickup, Tag("ready_for_pickup")]
    | Annotated[PickedUp, Tag("picked_up")]
    | Annotated[Delivered, Tag("delivered")],
    Discriminator(
        _kind,
        custom_error_type="bad_type",
        custom_error_message="type must be shipment, ready_for_pickup, picked_up or delivered.",
    ),
]


# Returns


class NewReturn(BaseModel):
    lines: SomeLines = None
    method: Text | None = Field(None, description="`mail` (the default) or `store`.")
    location: Text | None = Field(None, description="The store it is brought to.")
    reason: Text | None = None


class ReturnDecision(BaseModel):
    """What approve, reject, receive and refund read (each only its own fields)."""

    reason: Text | None = Field(None, description="reject: why.")
    location: Text | None = Field(
        None, description="receive: where it arrived; omitted: the return's own store."
    )
    conditions: Conditions = Field(default_factory=dict, description="receive")
    amount: MoneyIn = Field(None, description="refund: omitted, the return's value.")


class WalkInReturn(BaseModel):
    location: RequiredText
    order: RequiredText = Field(description="The order number, with or without `#`.")
    lines: SomeLines = None
    reason: Text | None = None
    conditions: Conditions = Field(default_factory=dict)


# Store operations


class StockReceipt(BaseModel):
    sku: RequiredText
    location: RequiredText
    quantity: RequiredNumber
    note: Text | None = None


class StockAdjustment(BaseModel):
    """Give `delta` (a change) or `counted` (the new on-hand count)."""

    sku: RequiredText
    location: RequiredText
    reason: RequiredText = Field(description="count, damage, loss, found...")
    delta: WholeNumber | None = None
    counted: WholeNumber | None = None
    note: Text | None = None


class StockTransfer(BaseModel):
    sku: RequiredText
    source: RequiredText = Field(alias="from")
    to: RequiredText
    quantity: RequiredNumber
    note: Text | None = None


class ProductChange(BaseModel):
    low_stock_threshold: RequiredNumber


# Handoffs


class HandoffAction(BaseModel):
    csr: Annotated[str | None, coded("csr_required", 'names the CSR: {"csr": "EMAIL"}.')] = Field(
        None,
        description="claim: the console user who takes it (an email). release, resolve, "
        "hand_back: the console user the token acts for, refused what the console would "
        "refuse them; without it the token acts for the whole shop.",
    )


class HandoffMessage(BaseModel):
    text: Annotated[StrictStr, coded("bad_text", 'must be text: {"text": "..."}.')]
    csr: Annotated[str | None, coded("csr_required", 'names the CSR: {"csr": "EMAIL"}.')] = Field(
        None,
        description="The console user the token writes for: they take a waiting handoff, "
        "and are refused another CSR's conversation as in the console; without it the "
        "token writes for the whole shop.",
    )

    @model_validator(mode="before")
    @classmethod
    def _no_text_is_bad_text(cls, data: object) -> object:
        """A missing text is refused like a wrong one (`bad_text`), as it always was."""
        return {"text": None, **data} if isinstance(data, dict) else data


# Query strings


def _blank_is_none(value: object) -> object:
    return None if value == "" else value


QueryText = Annotated[str | None, BeforeValidator(_blank_is_none)]


def query_number(name: str) -> Any:
    """A query parameter of digits (blank: not given), refused as `bad_<name>`."""

    def digits(value: object) -> object:
        if value is None or value == "":
            return None
        if isinstance(value, str) and value.isascii() and value.isdigit():
            number = int(value)
            if number <= LARGEST_ID:
                return number
        raise PydanticCustomError(f"bad_{name}", "must be a number.")

    return Annotated[int | None, BeforeValidator(digits)]


def query_status(statuses: tuple[str, ...]) -> Any:
    """One of `statuses` (blank: any), refused as `bad_status`."""
    return Annotated[
        Literal[statuses] | None,  # type: ignore[valid-type]
        coded("bad_status", f"must be one of {', '.join(statuses)}."),
        BeforeValidator(_blank_is_none),
    ]


class InventoryQuery(BaseModel):
    sku: QueryText = None
    location: QueryText = Field(None, description="A location code.")


class CustomerQuery(BaseModel):
    q: str = Field("", description="Part of a name, phone, email or address.")


# A page of GET /orders: `limit` orders (this many unless asked for fewer), newest
# first, and `next`, the URL of the page after it (null on the last page).
ORDERS_PAGE = 100
ORDERS_PAGE_MAX = 200


class OrderQuery(BaseModel):
    customer: query_number("customer") = Field(None, description="A customer id.")  # type: ignore[valid-type]
    status: query_status(tuple(s.value for s in OrderStatus)) = None  # type: ignore[valid-type]
    sku: QueryText = None
    q: QueryText = Field(None, description="An order number, a customer's name or contact.")
    limit: Annotated[
        int | None,
        Field(ge=1, le=ORDERS_PAGE_MAX),
        BeforeValidator(_blank_is_none),
        coded("bad_limit", f"must be 1 to {ORDERS_PAGE_MAX}."),
    ] = Field(None, description=f"Orders per page ({ORDERS_PAGE} unless fewer are asked for).")
    after: query_number("after") = Field(  # type: ignore[valid-type]
        None, description="The last order number of the page before (from `next`)."
    )


class ReturnQuery(BaseModel):
    status: query_status(tuple(s.value for s in ReturnStatus)) = None  # type: ignore[valid-type]
    customer: query_number("customer") = Field(None, description="A customer id.")  # type: ignore[valid-type]
    order: QueryText = Field(None, description="An order number.")


class LocationQuery(BaseModel):
    location: QueryText = Field(None, description="A location code.")


class MovementQuery(BaseModel):
    sku: QueryText = None
    location: QueryText = Field(None, description="A location code.")


class HandoffQuery(BaseModel):
    status: query_status(HANDOFF_STATUSES) = None  # type: ignore[valid-type]
    tag: QueryText = Field(None, description="Only conversations with this tag (any case).")


class PeriodQuery(BaseModel):
    start: str = Field("", alias="from", description="YYYY-MM-DD; default: 30 days ago.")
    end: str = Field("", alias="to", description="YYYY-MM-DD, included; default: today.")

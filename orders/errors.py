"""Domain errors: each says in plain words what was refused and why.

The bot turns them into replies and the API into `{"error": {"code", "message"}}`,
each in one place; `code` is stable, `message` is for people.
"""

from __future__ import annotations


class DomainError(Exception):
    code = "invalid_request"
    http_status = 400

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class ValidationFailed(DomainError):
    code = "validation_failed"


class NotFound(DomainError):
    code = "not_found"
    http_status = 404


class ProductNotFound(NotFound):
    code = "product_not_found"


class LocationNotFound(NotFound):
    code = "location_not_found"


class CustomerNotFound(NotFound):
    code = "customer_not_found"


class OrderNotFound(NotFound):
    """Also raised for an order that belongs to someone else, with the same words."""

    code = "order_not_found"


class ReturnNotFound(NotFound):
    code = "return_not_found"


class DuplicateItem(ValidationFailed):
    """The same SKU on two lines of one request: refused, not summed or guessed at."""

    code = "bad_lines"


class InvalidQuantity(ValidationFailed):
    code = "invalid_quantity"


class OutOfStock(DomainError):
    code = "out_of_stock"
    http_status = 409


class IllegalTransition(DomainError):
    code = "illegal_transition"
    http_status = 409


class OrderNotModifiable(IllegalTransition):
    code = "order_not_modifiable"


class WrongPickupCode(DomainError):
    code = "wrong_pickup_code"
    http_status = 403


class LocationAccessDenied(DomainError):
    """A store user acting on a location they are not assigned to."""

    code = "location_access_denied"
    http_status = 403


class Forbidden(DomainError):
    """Something only the whole shop may do, asked by one store."""

    code = "forbidden"
    http_status = 403


class ReturnNotAllowed(DomainError):
    code = "return_not_allowed"
    http_status = 409


class RefundNotAllowed(DomainError):
    code = "refund_not_allowed"
    http_status = 409


class DuplicateIdentity(DomainError):
    code = "duplicate_identity"
    http_status = 409


class ImportFailed(DomainError):
    """A CSV import refused as a whole; `errors` lists (line number, reason)."""

    code = "import_failed"

    def __init__(self, errors: list[tuple[int, str]]) -> None:
        lines = "; ".join(f"line {n}: {reason}" for n, reason in errors[:20])
        more = f" (and {len(errors) - 20} more)" if len(errors) > 20 else ""
        super().__init__(f"{len(errors)} row(s) failed, nothing imported: {lines}{more}")
        self.errors = errors

"""One check of an email address, email-validator's, for customers and console users."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from conversations import staff
from orders import customers
from orders.errors import ValidationFailed
from tests.handoff_support import PASSWORD

NOT_ADDRESSES = [
    "jo",
    "jo@",
    "@example.com",
    "jo@example",  # no dot in the domain
    "jo@@example.com",
    "jo..rivera@example.com",
    "jo rivera@example.com",
    "Jo <jo@example.com>",
    "jo@exa_mple.com",
    "jo@shop.local",  # a special-use domain
    "jo@" + "a" * 250 + ".com",  # longer than an address can be
]


@pytest.mark.parametrize("raw", NOT_ADDRESSES)
def test_customers_and_console_users_refuse_the_same_addresses(session: Session, raw: str) -> None:
    with pytest.raises(ValidationFailed, match="is not an email address"):
        customers.normalise_identity("email", raw)
    with pytest.raises(ValidationFailed, match="is not an email address"):
        staff.save_user(session, raw, PASSWORD, "csr")


def test_the_domain_is_lower_cased_and_a_console_login_entirely(session: Session) -> None:
    assert customers.normalise_email("  Jo.Rivera+shop@Example.COM ") == (
        "Jo.Rivera+shop@example.com"
    )
    assert customers.normalise_identity("email", "ü@Bücher.de") == "ü@bücher.de"
    user, created = staff.save_user(session, " Casey@Example.COM", PASSWORD, "csr")
    assert created and user.email == "casey@example.com"

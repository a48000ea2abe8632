"""Console login under attack: throttled per client address, never locked for everyone;
passwords anyone would guess first are refused wherever a password is set.

Five wrong passwords used to lock the account for 15 minutes for everyone, the
right password included: anyone could lock a CSR out. Now the address that failed
waits, twice as long after each further failure, while the owner logs in from elsewhere.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from conversations import staff as users
from conversations.staff_models import LoginFailure
from orders.errors import ValidationFailed
from tests.handoff_support import PASSWORD, agent, csrf_token, login, post

ATTACKER = "203.0.113.66"
OWNER = "198.51.100.7"
CSR = "csr@example.com"
WRONG = "wrong password!"


def client_from(app: Flask, address: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def age_failures(session: Session, seconds: int) -> None:
    """As if the recorded failures happened `seconds` earlier."""
    for failure in session.scalars(select(LoginFailure)):
        failure.at -= timedelta(seconds=seconds)
    session.commit()


def user_exists(app: Flask, email: str) -> bool:
    with app.extensions["db"].transaction() as session:
        return users.find_user(session, email) is not None


@pytest.fixture
def csr(session: Session) -> str:
    agent(session, CSR)
    return CSR


def test_attacker_is_throttled_while_the_owner_logs_in_from_elsewhere(app: Flask, csr: str) -> None:
    attacker = client_from(app, ATTACKER)
    for _ in range(users.FREE_TRIES_PER_ACCOUNT_AND_ADDRESS):
        assert login(attacker, csr, WRONG).status_code == 401
    throttled = login(attacker, csr, PASSWORD)  # even the right password, from there
    assert throttled.status_code == 429
    assert 0 < int(throttled.headers["Retry-After"]) <= users.FIRST_WAIT.total_seconds()
    assert "Too many failed logins" in throttled.get_data(as_text=True)
    owner = login(client_from(app, OWNER), csr, PASSWORD)
    assert owner.status_code == 302
    assert login(attacker, csr, PASSWORD).status_code == 429  # the owner's login lifts nothing


def test_each_failure_past_the_free_tries_doubles_the_wait(
    app: Flask, session: Session, csr: str
) -> None:
    attacker = client_from(app, ATTACKER)
    for _ in range(users.FREE_TRIES_PER_ACCOUNT_AND_ADDRESS):
        login(attacker, csr, WRONG)
    waits = []
    for _ in range(3):
        refused = login(attacker, csr, WRONG)
        assert refused.status_code == 429
        waits.append(int(refused.headers["Retry-After"]))
        age_failures(session, waits[-1])
        assert login(attacker, csr, WRONG).status_code == 401  # the wait is over: one try
    # 30, 60 and 120 seconds, less however long the requests took on a busy machine
    for wait, full in zip(waits, (30, 60, 120), strict=True):
        assert full - 5 < wait <= full, waits
    assert login(attacker, csr, PASSWORD).status_code == 429


def test_one_address_trying_many_accounts_is_throttled(app: Flask, csr: str) -> None:
    attacker = client_from(app, ATTACKER)
    for number in range(users.FREE_TRIES_PER_ADDRESS):
        assert login(attacker, f"guess{number}@example.com", WRONG).status_code == 401
    assert login(attacker, csr, PASSWORD).status_code == 429
    assert login(client_from(app, OWNER), csr, PASSWORD).status_code == 302


def test_hopping_within_an_ipv6_64_is_one_address(app: Flask, csr: str) -> None:
    for host in range(users.FREE_TRIES_PER_ACCOUNT_AND_ADDRESS):
        assert login(client_from(app, f"2001:db8:7:7::{host + 1:x}"), csr, WRONG).status_code == 401
    assert login(client_from(app, "2001:db8:7:7:ffff::1"), csr, PASSWORD).status_code == 429
    assert login(client_from(app, "2001:db8:7:8::1"), csr, PASSWORD).status_code == 302


@pytest.mark.parametrize(
    "target",
    [
        "/csr/\r\nSet-Cookie: stolen=1",
        "/csr/queue\nLocation: https://evil.example",
        "/csr/\t/evil.example",
        "https://evil.example/csr/",
        "//evil.example/csr/",
        "/\\evil.example",
    ],
)
def test_login_next_with_line_breaks_or_another_site_goes_home(
    app: Flask, csr: str, target: str
) -> None:
    client = app.test_client()
    page = client.get("/csr/login", query_string={"next": target})
    assert page.status_code == 200
    response = client.post(
        "/csr/login",
        data={"email": csr, "password": PASSWORD, "next": target, "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/csr/"
    assert "stolen" not in str(response.headers)


def test_login_next_to_a_console_page_is_followed(app: Flask, csr: str) -> None:
    client = app.test_client()
    response = client.post(
        "/csr/login",
        data={
            "email": csr,
            "password": PASSWORD,
            "next": "/csr/queue?x=1",
            "csrf_token": csrf_token(client),
        },
    )
    assert response.headers["Location"] == "/csr/queue?x=1"


@pytest.mark.parametrize(
    "password", ["password1234", "qwertyuiop123", "1234567890ab", "new@example.com1", "x" * 12]
)
def test_common_and_breached_looking_passwords_are_refused(app: Flask, password: str) -> None:
    result = app.test_cli_runner().invoke(
        args=["create-user", "new@example.com", "--role", "admin", "--password-stdin"],
        input=f"{password}\n",
    )
    assert result.exit_code != 0
    assert "Choose another password" in result.output
    assert not user_exists(app, "new@example.com")


def test_the_admin_page_refuses_a_common_password_too(app: Flask, session: Session) -> None:
    agent(session, "admin@example.com", role="admin")
    client = app.test_client()
    login(client, "admin@example.com")
    form = {"email": "new@example.com", "password": "password1234", "role": "csr"}
    page = post(client, "/csr/admin/users", form, page="/csr/admin/users")
    assert "Choose another password" in client.get(page.headers["Location"]).get_data(as_text=True)
    assert not user_exists(app, "new@example.com")
    form["password"] = "plum kettle orbit"
    post(client, "/csr/admin/users", form, page="/csr/admin/users")
    assert user_exists(app, "new@example.com")


def test_the_minimum_length_stays(app: Flask) -> None:
    with pytest.raises(ValidationFailed, match="at least 10"):
        users.check_password("Xq7#kd!2", "new@example.com")

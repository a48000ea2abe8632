"""The app shell: health check, demo seed, db upgrade, production start-up rules."""

from __future__ import annotations

import sys
from types import ModuleType

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import create_app
from infra.settings import load_settings
from orders import demo
from orders.models import Customer, Location, Order, OrderEvent, Product, Stock, StockMovement

MODELS = (Product, Location, Stock, StockMovement, Customer, Order, OrderEvent)


def counts(session: Session) -> dict[str, int]:
    return {m.__name__: session.scalar(select(func.count()).select_from(m)) for m in MODELS}


def test_healthz(app: Flask) -> None:
    response = app.test_client().get("/healthz")
    assert (response.status_code, response.get_json()) == (200, {"status": "ok"})


def test_healthz_is_503_when_the_database_is_unreachable(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = load_settings(
        database_url="postgresql+psycopg://nobody@127.0.0.1:9/nowhere?connect_timeout=1",
        secret_key="x",
    )
    flask_app = create_app(settings, migrate_on_start=False)
    response = flask_app.test_client().get("/healthz")
    assert response.status_code == 503 and response.get_json()["status"] != "ok"


def test_seed_demo_is_idempotent_and_realistic(app: Flask) -> None:
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0 and "left as it is" not in first.output
    with app.extensions["db"].sessions() as session:
        before = counts(session)
        locations = session.scalars(select(Location)).all()
        statuses = set(session.scalars(select(Order.status)))
        customers_with_orders = session.scalar(select(func.count(func.distinct(Order.customer_id))))
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0 and "left as it is" in second.output
    with app.extensions["db"].sessions() as session:
        assert counts(session) == before
    assert 25 <= before["Product"] <= 40
    assert sorted((loc.kind, loc.pickup) for loc in locations) == [
        ("store", True),
        ("store", True),
        ("warehouse", False),
    ]
    assert customers_with_orders >= 3
    assert {"placed", "delivered", "shipped", "ready_for_pickup", "cancelled"} <= statuses


def test_the_demo_seeds_after_chatting_as_a_demo_customer(app: Flask) -> None:
    """A newcomer who tries `chat --as` Jo's phone on a new database, then starts the demo."""
    runner = app.test_cli_runner()
    chat = runner.invoke(args=["chat", "--as", "+15555550101"], input="hello\nquit\n")
    assert chat.exit_code == 0, chat.output
    seeded = runner.invoke(args=["seed-demo"])
    assert seeded.exit_code == 0, seeded.output
    chat = runner.invoke(args=["chat", "--as", "+15555550101"], input="wheres my ordr\nquit\n")
    assert "#10002" in chat.output
    with app.extensions["db"].sessions() as session:
        jo = session.scalar(select(Customer).where(Customer.name == "Jo Rivera"))
        assert {(i.kind, i.value) for i in jo.identities} == {
            ("phone", "+15555550101"),
            ("email", "jo@example.com"),
        }


def test_db_upgrade_command(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0 and "up to date" in result.output


def test_production_refuses_to_start_without_secret_key(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "gunicorn", ModuleType("gunicorn"))
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(load_settings(database_url=db_url, secret_key=""), migrate_on_start=False)
    assert create_app(load_settings(database_url=db_url, secret_key="s" * 32)).secret_key


def test_dev_gets_a_random_key(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "gunicorn", raising=False)
    one = create_app(load_settings(database_url=db_url, secret_key=""))
    two = create_app(load_settings(database_url=db_url, secret_key=""))
    assert one.secret_key and one.secret_key != two.secret_key


def shop_app(db_url: str, **overrides: object) -> Flask:
    return create_app(load_settings(database_url=db_url, secret_key="x", **overrides))


def test_a_shop_with_its_own_catalog_is_never_the_demos(
    db_url: str, tmp_path, caplog: pytest.LogCaptureFixture
) -> None:  # type: ignore[no-untyped-def]
    catalog = tmp_path / "catalog.csv"
    catalog.write_text("sku,name,price\nKETTLE,Steel Kettle,30.00\n")
    first = shop_app(db_url)
    assert first.test_cli_runner().invoke(args=["import", "catalog", str(catalog)]).exit_code == 0
    with caplog.at_level("WARNING"):
        restarted = shop_app(db_url)  # the server's next start
    assert "STORE_NAME is not set" in caplog.text
    chat = restarted.test_cli_runner().invoke(args=["chat"], input="hi\n")
    assert "welcome to the shop!" in chat.output
    assert demo.NAME not in chat.output
    named = shop_app(db_url, store_name="Hardware Haven")
    assert named.extensions["settings"].store_name == "Hardware Haven"


def test_the_demo_is_introduced_by_its_own_name(db_url: str) -> None:
    unseeded = shop_app(db_url)
    assert unseeded.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    assert unseeded.extensions["settings"].store_name == demo.NAME
    assert shop_app(db_url).extensions["settings"].store_name == demo.NAME

"""The bot's catalogue index is built again only when what it is built from changes."""

from __future__ import annotations

import threading
import time
from decimal import Decimal

import pytest
from sqlalchemy import select

from bot import catalog_cache
from bot.catalog_cache import CatalogCache
from bot.nlu import CatalogIndex, parse
from infra.db import Database
from orders.models import Product


def add_cake(db: Database) -> None:
    with db.transaction() as session:
        session.add(Product(sku="CAKE-LEM", name="Lemon Drizzle Cake", price=4, aliases="lime"))


def edit_cake(db: Database, **values: object) -> None:
    with db.transaction() as session:
        cake = session.scalar(select(Product).where(Product.sku == "CAKE-LEM"))
        for name, value in values.items():
            setattr(cake, name, value)


def test_an_edit_the_index_does_not_read_keeps_it(db: Database) -> None:
    cache = CatalogCache(check_seconds=0)
    add_cake(db)
    with db.transaction() as session:
        built = cache.get(session)
    edit_cake(db, price=Decimal("4.50"), low_stock_threshold=9, description="Zesty.")
    with db.transaction() as session:
        assert cache.get(session) is built


def test_an_edit_of_a_name_or_an_alias_builds_it_again(db: Database) -> None:
    cache = CatalogCache(check_seconds=0)
    add_cake(db)
    with db.transaction() as session:
        built = cache.get(session)
    edit_cake(db, aliases="zest")
    with db.transaction() as session:
        again = cache.get(session)
    assert again is not built
    edit_cake(db, active=False)
    with db.transaction() as session:
        assert cache.get(session) is not again


def test_in_the_background_the_old_index_answers_until_the_new_one_is_built(
    db: Database,
) -> None:
    cache = CatalogCache(check_seconds=0, background=True)
    add_cake(db)
    with db.transaction() as session:
        built = cache.get(session)  # the first one: built right away
    assert [e.value for e in parse("a lime please", built).entities if e.type == "product"]
    edit_cake(db, aliases="zest")
    with db.transaction() as session:
        assert cache.get(session) is built
    cache.wait()
    with db.transaction() as session:
        again = cache.get(session)
    assert again is not built
    assert "CAKE-LEM" in [e.value for e in parse("2 zest please", again).entities]


def test_threads_that_need_the_first_index_at_once_wait_for_one_build(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    builds: list[int] = []

    def slow_index(*catalogue: object) -> CatalogIndex:
        builds.append(1)
        time.sleep(0.2)  # the others arrive meanwhile
        return CatalogIndex(*catalogue)  # type: ignore[arg-type]

    monkeypatch.setattr(catalog_cache, "CatalogIndex", slow_index)
    cache = CatalogCache()
    add_cake(db)
    got: list[CatalogIndex] = []

    def turn() -> None:
        with db.reading() as session:
            got.append(cache.get(session))

    turns = [threading.Thread(target=turn) for _ in range(3)]
    for t in turns:
        t.start()
    for t in turns:
        t.join()
    assert len(builds) == 1 and len(got) == 3 and len({id(index) for index in got}) == 1


def test_a_build_aside_that_fails_is_logged_and_tried_again_at_the_next_check(
    db: Database, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    cache = CatalogCache(check_seconds=0.3, background=True)
    add_cake(db)
    with db.transaction() as session:
        built = cache.get(session)
    builds: list[int] = []

    def failing_index(*catalogue: object) -> CatalogIndex:
        builds.append(1)
        raise MemoryError("no room for a second index")

    monkeypatch.setattr(catalog_cache, "CatalogIndex", failing_index)
    time.sleep(0.35)
    edit_cake(db, aliases="zest")
    for _ in range(3):  # every turn of the check's interval: the old index, no new build
        with db.transaction() as session:
            assert cache.get(session) is built
        cache.wait()
    assert len(builds) == 1
    assert "catalogue index" in caplog.text

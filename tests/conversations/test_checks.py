"""The instrument itself: the end-state check catches what a wrong bot does.

A story's world is built, then changed directly through the order services the way a
mistaken bot would change it, and the strict end check must name each mistake.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.db import Database
from orders import ordering, returns
from orders.models import Customer, Order
from tests.conversations import checks
from tests.conversations.runner import story_wiring
from tests.conversations.stories import State, Story, load_story, split_of
from tests.conversations.world import SETUP, StoryDatabases, World, build

STORY = """\
catalog: demo
given:
  customers:
    - name: Jo Rivera
      phone: "+15555550101"
      address: 77 Oak Avenue, Springfield
      orders:
        - {ref: A, items: {ETH-250: 2, MUG-WHT: 1}}
        - {ref: B, items: {FP-1L: 1}, status: delivered, days_ago: 3}
turns: [drop the mug]
state:
  orders:
    A: {items: {ETH-250: 2}, refunded: 12.00}
"""


@pytest.fixture
def story(tmp_path: Path) -> Story:
    name = next(n for n in (f"check-{i}" for i in range(100)) if split_of(n) == "tune")
    path = tmp_path / "tune" / "demo" / f"{name}.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(STORY)
    return load_story(path)


@pytest.fixture
def built(story: Story, story_databases: StoryDatabases) -> Iterator[tuple[Database, World]]:
    """The story's world in a fresh database, as a story starts."""
    database = story_wiring(story, story_databases).database
    with database.transaction() as session:
        world = build(session, story)
    yield database, world
    database.dispose()


def _problems(database: Database, world: World, state: State) -> list[str]:
    with database.sessions() as session:
        return checks.state_problems(session, world, None, state, final=True)


def _drop_the_mug(database: Database, world: World) -> Order:
    """What the story asks for: the mug off order A."""
    with database.transaction() as session:
        order = session.get(Order, world.orders["A"])
        ordering.cancel_lines(session, order, {"MUG-WHT": 1}, actor=SETUP)
        return order


def test_the_change_asked_for_passes(story: Story, built: tuple[Database, World]) -> None:
    _drop_the_mug(*built)
    assert _problems(*built, story.state) == []


def test_cancelling_the_whole_order_is_caught(story: Story, built: tuple[Database, World]) -> None:
    database, world = built
    with database.transaction() as session:
        ordering.cancel_order(session, session.get(Order, world.orders["A"]), actor=SETUP)
    problems = _problems(database, world, story.state)
    assert any("items are {}" in p for p in problems)
    assert any("refunded 41.00, expected 12.00" in p for p in problems)


def test_an_order_and_a_return_nobody_asked_for_are_caught(
    story: Story, built: tuple[Database, World]
) -> None:
    database, world = built
    order = _drop_the_mug(database, world)
    with database.transaction() as session:
        customer = session.get(Customer, order.customer_id)
        ordering.place_order(session, customer, {"KEN-250": 1}, method="delivery", actor=SETUP)
        delivered = session.get(Order, world.orders["B"])
        returns.request_return(session, delivered, None, method="mail", actor=SETUP)
    problems = _problems(database, world, story.state)
    assert any(p.startswith("order nobody asked for") for p in problems)
    assert any(p.startswith("return nobody asked for") for p in problems)


def test_a_change_to_an_order_the_story_does_not_name_is_caught(
    built: tuple[Database, World],
) -> None:
    order = _drop_the_mug(*built)
    assert _problems(*built, State()) == [
        f"order A changed though nothing was asked: #{order.number} (placed, 2 x ETH-250, delivery)"
    ]

"""The example shops load with `python app.py import`, and their files agree with
each other: every stock row names a product and a location of the same shop, and every
variant names its base product and what makes it a variant."""

from __future__ import annotations

import csv
import io

import pytest
from flask import Flask
from sqlalchemy import func, select

from orders.models import Location, Product, Stock
from tests.conversations.world import CATALOG_DIRS

EXAMPLES = ["apparel", "hardware", "grocery"]
VARIANT_COLUMNS = ("size", "colour", "unit")


def _rows(shop: str, kind: str) -> list[dict[str, str]]:
    text = (CATALOG_DIRS[shop] / f"{kind}.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize("shop", EXAMPLES)
def test_an_example_shop_loads_through_the_import_command(app: Flask, shop: str) -> None:
    runner = app.test_cli_runner()
    for kind in ("locations", "catalog", "stock"):
        path = CATALOG_DIRS[shop] / f"{kind}.csv"
        result = runner.invoke(args=["import", kind, str(path)])
        assert result.exit_code == 0, result.output
    with app.extensions["db"].sessions() as session:
        products = session.scalar(select(func.count()).select_from(Product))
        locations = session.scalar(select(func.count()).select_from(Location))
        stock_rows = session.scalar(select(func.count()).select_from(Stock))
    assert products == len(_rows(shop, "catalog"))
    assert locations == len(_rows(shop, "locations"))
    assert stock_rows == len(_rows(shop, "stock"))


@pytest.mark.parametrize("shop", EXAMPLES)
def test_an_example_shops_files_agree(shop: str) -> None:
    catalog = _rows(shop, "catalog")
    skus = {row["sku"] for row in catalog}
    codes = {row["code"] for row in _rows(shop, "locations")}
    stock = _rows(shop, "stock")
    assert {row["sku"] for row in stock} == skus
    assert {row["location"] for row in stock} == codes
    variants = [row for row in catalog if row["variant_of"]]
    assert variants
    for row in variants:
        assert row["name"].startswith(row["variant_of"]), row["sku"]
        assert any(row[column] for column in VARIANT_COLUMNS), row["sku"]

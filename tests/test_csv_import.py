"""CSV import of catalog, locations and stock: all or nothing, with line numbers."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from orders import csv_import, ordering
from orders.errors import ImportFailed
from orders.models import Location, Product, StockMovement
from tests.factories import ACTOR, customer, ledger_total, stock

LOCATIONS = b"code,name,address,pickup,hours,kind,priority\nWH,Warehouse,1 Depot,no,,warehouse,1\n"
LOCATIONS += b"dt,Downtown,2 Main St,yes,Mon-Sat 9-6,store,2\n"
CATALOG = (
    b"sku,name,price,category,aliases,description,supplier\n"
    b"mug-1,Mug,12.5,kitchen,cup|mug ,White mug,ACME\n"
    b"BEAN,Beans 250g,14.50,coffee,,,ACME\n"
)


def count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model))


def load(session: Session) -> None:
    csv_import.import_locations(session, LOCATIONS)
    csv_import.import_catalog(session, CATALOG)
    csv_import.import_stock(session, b"sku,location,quantity\nMUG-1,WH,5\nBEAN,dt,7\n")
    session.commit()


def test_good_files_load(session: Session) -> None:
    load(session)
    mug = ordering.get_product(session, "MUG-1")
    assert (mug.name, mug.price, mug.category, mug.alias_list) == (
        "Mug",
        Decimal("12.50"),
        "kitchen",
        ["cup", "mug"],
    )
    downtown = session.scalar(select(Location).where(Location.code == "DT"))
    assert (downtown.pickup, downtown.kind, downtown.hours) == (True, "store", "Mon-Sat 9-6")
    assert stock(session, "BEAN", "DT").on_hand == 7 == ledger_total(session, "BEAN", "DT")


def test_reimport_updates_in_place(session: Session) -> None:
    load(session)
    csv_import.import_catalog(session, b"sku,name,price,low_stock_threshold\nMUG-1,Big Mug,13,5\n")
    csv_import.import_stock(session, b"sku,location,quantity\nMUG-1,WH,2\n")
    session.commit()
    mug = ordering.get_product(session, "MUG-1")
    assert (mug.name, mug.price, mug.low_stock_threshold) == ("Big Mug", Decimal("13.00"), 5)
    assert count(session, Product) == 2
    assert stock(session, "MUG-1", "WH").on_hand == 2 == ledger_total(session, "MUG-1", "WH")


@pytest.mark.parametrize(
    ("data", "line", "words"),
    [
        (b"sku,name,price\nA,Ok,1\nB,Bad,abc\n", 3, "not a number"),
        (b"sku,name,price\nA,Ok,1\nB,Bad,1.005\n", 3, "two decimals"),
        (b"sku,name,price\nA,Ok,1\nB,,1\n", 3, "name is empty"),
        (b"sku,name,price\nA,Ok,1\na,Again,1\n", 3, "appears twice"),
        (b"sku,name,price\nA B,Ok,1\n", 2, "sku"),
        (b"sku,name,price\nA," + b"n" * 201 + b",1\n", 2, "longer than 200"),
        (b"sku,name,price\nA,Ok,NaN\n", 2, "price"),
        (b"sku,name,price,low_stock_threshold\nA,Ok,1,\xc2\xb2\n", 2, "whole number"),
        (b"sku,name,price,size\nA,Ok,1,L\nB,Ok,1," + b"x" * 51 + b"\n", 3, "size is longer"),
        (b"sku,name,price,variant_of,unit\nA,Ok,1,Ok," + b"u" * 51 + b"\n", 2, "unit is longer"),
        (
            b"sku,name,price,variant_of,size,colour\nA,Tee,1,Tee,M,Red\nB,Tee,1,Tee,m,red\n",
            3,
            "same variant as A",
        ),
    ],
)
def test_a_bad_row_names_its_line_and_nothing_is_written(
    session: Session, data: bytes, line: int, words: str
) -> None:
    with pytest.raises(ImportFailed) as refused:
        csv_import.import_catalog(session, data)
    session.commit()
    assert any(n == line and words in reason for n, reason in refused.value.errors)
    assert f"line {line}" in refused.value.message
    assert count(session, Product) == 0


def test_variant_columns_load(session: Session) -> None:
    data = (
        b"sku,name,price,variant_of,size,color,unit\n"
        b"SW-L,Merino Sweater,79,Merino Sweater,L,Grey,\n"
        b"SCR,Wood Screws 4x40,6.5,,,,box of 100\n"
    )
    assert csv_import.import_catalog(session, data) == 2
    session.commit()
    sweater = ordering.get_product(session, "SW-L")
    assert (sweater.variant_of, sweater.size, sweater.colour, sweater.unit) == (
        "Merino Sweater",
        "L",
        "Grey",
        "",
    )
    assert ordering.get_product(session, "SCR").unit == "box of 100"
    # A file without the columns still loads, and leaves no stale variant behind.
    csv_import.import_catalog(session, b"sku,name,price\nSW-L,Merino Sweater L,79\n")
    session.commit()
    assert (sweater.variant_of, sweater.size, sweater.colour) == ("", "", "")


def test_not_utf8_and_missing_columns(session: Session) -> None:
    with pytest.raises(ImportFailed, match="line 3: the file is not UTF-8"):
        csv_import.import_catalog(session, "sku,name,price\nA,Ok,1\nB,Café,2\n".encode("latin-1"))
    with pytest.raises(ImportFailed, match="missing column"):
        csv_import.import_catalog(session, b"sku,title,price\nA,Ok,1\n")
    with pytest.raises(ImportFailed, match=r"missing column.*address"):
        csv_import.import_locations(session, b"code,name\nWH,Warehouse\n")
    session.commit()
    assert count(session, Product) == count(session, Location) == 0


def test_bad_location_and_stock_rows(session: Session) -> None:
    with pytest.raises(ImportFailed, match="line 2: pickup must be yes or no"):
        csv_import.import_locations(session, b"code,name,address,pickup\nDT,Down,1 St,maybe\n")
    load(session)
    bad = b"sku,location,quantity\nMUG-1,WH,3\nNOPE,WH,1\nBEAN,XX,1\nBEAN,DT,-1\nBEAN,DT,2000000\n"
    with pytest.raises(ImportFailed) as refused:
        csv_import.import_stock(session, bad)
    assert [n for n, _ in refused.value.errors] == [3, 4, 5, 6]
    session.commit()
    assert stock(session, "MUG-1", "WH").on_hand == 5
    assert count(session, StockMovement) == 2


def test_stock_below_reserved_is_refused(session: Session) -> None:
    load(session)
    ordering.place_order(
        session,
        customer(session),
        {"BEAN": 4},
        method="pickup",
        pickup_location_code="DT",
        actor=ACTOR,
    )
    session.commit()
    with pytest.raises(ImportFailed, match="below the 4 reserved"):
        csv_import.import_stock(session, b"sku,location,quantity\nBEAN,DT,3\n")
    assert csv_import.import_stock(session, b"sku,location,quantity\nBEAN,DT,4\n") == 1
    session.commit()
    assert stock(session, "BEAN", "DT").available == 0


def test_cli_import(app: Flask, tmp_path: Path) -> None:
    runner = app.test_cli_runner()
    files = {"locations": LOCATIONS, "catalog": CATALOG}
    for kind, data in files.items():
        path = tmp_path / f"{kind}.csv"
        path.write_bytes(data)
        result = runner.invoke(args=["import", kind, str(path)])
        assert result.exit_code == 0, result.output
        assert "Imported 2" in result.output
    bad = tmp_path / "stock.csv"
    bad.write_bytes(b"sku,location,quantity\nBEAN,WH,4\nBEAN,WH,x\n")
    result = runner.invoke(args=["import", "stock", str(bad)])
    assert result.exit_code == 1 and "line 3" in result.output
    with app.extensions["db"].sessions() as session:
        assert count(session, Product) == 2 and count(session, StockMovement) == 0
    assert runner.invoke(args=["import", "prices", str(bad)]).exit_code == 2

"""Receiving a lot by its GS1 barcode (POST /api/v1/stock/lots with "gs1"), and GTINs on items."""

from __future__ import annotations

import pytest

from tests.barcodes.conftest import BAD_GTIN, EXPIRY, GS, GTIN, next_year_of, yymmdd

pytestmark = pytest.mark.both_databases


def test_a_scanned_lot_takes_item_code_and_expiry_from_the_barcode(keeper, world):
    response = keeper.post(
        "/api/v1/stock/lots",
        json={
            "gs1": f"]d201{GTIN}17{yymmdd(EXPIRY)}10LOT-42{GS}21SN-1",
            "location_id": world.location.id,
            "quantity": 12,
        },
    )
    assert response.status_code == 201, response.json
    lot = response.json
    assert (lot["item_id"], lot["lot_code"], lot["expires_on"], lot["on_hand"]) == (
        world.item.id,
        "LOT-42",
        EXPIRY.isoformat(),
        12,
    )


def test_a_scan_without_expiry_gives_a_lot_that_does_not_expire(keeper, world):
    response = keeper.post(
        "/api/v1/stock/lots",
        json={"gs1": f"(01){GTIN}(10)NOEXP", "location_id": world.location.id, "quantity": 1},
    )
    assert response.status_code == 201, response.json
    assert response.json["expires_on"] is None


@pytest.mark.parametrize(
    ("gs1", "fragment"),
    [
        (f"(01){BAD_GTIN}(10)L1", "Wrong check digit"),
        (f"(01){GTIN}(17){next_year_of(leap=False) % 100:02d}0229(10)L1", "is not a date that exists"),
        ("(01)04006381333931(10)L1", "Unknown GTIN"),
        (f"(01){GTIN}(17){yymmdd(EXPIRY)}", "No lot code"),
    ],
)
def test_a_bad_scan_is_refused_on_gs1_and_nothing_is_written(keeper, world, gs1, fragment):
    response = keeper.post(
        "/api/v1/stock/lots", json={"gs1": gs1, "location_id": world.location.id, "quantity": 5}
    )
    assert response.status_code == 422
    assert fragment in response.json["errors"]["gs1"][0]
    assert keeper.get("/api/v1/stock/lots").json["total"] == 0


def test_a_scan_and_an_item_at_once_is_refused(keeper, world):
    response = keeper.post(
        "/api/v1/stock/lots",
        json={
            "gs1": f"(01){GTIN}(10)L1",
            "item_id": world.item.id,
            "lot_code": "L1",
            "location_id": world.location.id,
            "quantity": 5,
        },
    )
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"item_id", "lot_code"}


def test_without_a_scan_item_and_lot_code_are_required(keeper, world):
    response = keeper.post("/api/v1/stock/lots", json={"location_id": world.location.id, "quantity": 5})
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"item_id", "lot_code"}


def test_an_item_takes_a_gtin_kept_as_14_digits_and_checked(make, world):
    admin = make.api("admin")
    created = admin.post(
        "/api/v1/items",
        json={"code": "THERM-1", "name": "Thermometer", "category": "diagnostics", "gtin": "4006381333931"},
    )
    assert created.status_code == 201, created.json
    assert created.json["gtin"] == "04006381333931"
    bad = admin.post(
        "/api/v1/items",
        json={"code": "THERM-2", "name": "Thermometer", "category": "diagnostics", "gtin": "4006381333932"},
    )
    assert bad.status_code == 422 and "check digit" in bad.json["errors"]["gtin"][0]
    twice = admin.patch(f"/api/v1/items/{created.json['id']}", json={"gtin": GTIN})
    assert twice.status_code == 409 and "gtin" in twice.json["errors"]

"""Lot labels and a dispatch's label sheet: printed GS1 DataMatrix read back by dmtxread, text by pdftotext."""

from __future__ import annotations

import pytest

from tests.barcodes.conftest import EXPIRY, GTIN, yymmdd
from tests.barcodes.decode import read_gs1_datamatrix
from tests.pdftext import pdftotext

pytestmark = pytest.mark.both_databases


def text_of(pdf: bytes, tmp_path) -> str:
    return pdftotext(pdf, tmp_path)


def test_a_lot_label_carries_gtin_expiry_and_lot_in_a_gs1_datamatrix(keeper, world, tmp_path):
    lot = keeper.post(
        "/api/v1/stock/lots",
        json={
            "gs1": f"(01){GTIN}(17){yymmdd(EXPIRY)}(10)LOT-42",
            "location_id": world.location.id,
            "quantity": 3,
        },
    ).json
    response = keeper.get(f"/api/v1/stock/lots/{lot['id']}/label.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pdf = response.data
    # The lot code is variable length but last, so no separator follows it.
    assert read_gs1_datamatrix(pdf, tmp_path) == [f"01{GTIN}17{yymmdd(EXPIRY)}10LOT-42"]
    text = text_of(pdf, tmp_path)
    assert f"(01){GTIN}(17){yymmdd(EXPIRY)}(10)LOT-42" in text
    assert "Oxygen concentrator 10 L" in text and "Acme Medical" in text
    assert f"EXP {EXPIRY.isoformat()}" in text
    again = keeper.get(f"/api/v1/stock/lots/{lot['id']}/label.pdf")
    assert (
        again.data == pdf and again.headers["X-Verification-Code"] == response.headers["X-Verification-Code"]
    )


def test_a_lot_without_expiry_has_no_17_and_an_item_without_gtin_has_no_label(keeper, world, tmp_path):
    lot = keeper.post(
        "/api/v1/stock/lots",
        json={"gs1": f"(01){GTIN}(10)NOEXP", "location_id": world.location.id, "quantity": 1},
    ).json
    assert read_gs1_datamatrix(keeper.get(f"/api/v1/stock/lots/{lot['id']}/label.pdf").data, tmp_path) == [
        f"01{GTIN}10NOEXP"
    ]
    plain = keeper.post(
        "/api/v1/stock/lots",
        json={
            "item_id": world.plain_item.id,
            "lot_code": "P-1",
            "location_id": world.location.id,
            "quantity": 1,
        },
    ).json
    refused = keeper.get(f"/api/v1/stock/lots/{plain['id']}/label.pdf")
    assert refused.status_code == 409
    assert refused.json["errors"]["gtin"] == [
        "Item MASK-N95 has no GTIN: give it one before printing GS1 labels."
    ]


def test_a_lot_code_gs1_cannot_carry_is_named(keeper, world):
    lot = keeper.post(
        "/api/v1/stock/lots",
        json={
            "item_id": world.item.id,
            "lot_code": "로트 7",
            "location_id": world.location.id,
            "quantity": 1,
        },
    ).json
    refused = keeper.get(f"/api/v1/stock/lots/{lot['id']}/label.pdf")
    assert refused.status_code == 409 and "로트 7" in refused.json["errors"]["lot_code"][0]


def test_another_providers_lot_label_is_404_and_a_city_may_not_print_lot_labels(make, keeper, world):
    lot = keeper.post(
        "/api/v1/stock/lots",
        json={"gs1": f"(01){GTIN}(10)A1", "location_id": world.location.id, "quantity": 1},
    ).json
    assert make.api("provider").get(f"/api/v1/stock/lots/{lot['id']}/label.pdf").status_code == 404
    assert make.api("city").get(f"/api/v1/stock/lots/{lot['id']}/label.pdf").status_code == 403

"""POST /api/v1/barcodes/parse: real GS1 element strings, bracketed and raw, and what is wrong with bad ones."""

from __future__ import annotations

import pytest

from tests.barcodes.conftest import BAD_GTIN, EXPIRY, GS, GTIN, UNKNOWN_GTIN, next_year_of, yymmdd

pytestmark = pytest.mark.both_databases


def parse(client, data):
    return client.post("/api/v1/barcodes/parse", json={"data": data})


def test_a_bracketed_string_names_item_lot_expiry_and_serial(keeper, world):
    response = parse(keeper, f"(01){GTIN}(17){yymmdd(EXPIRY)}(10)LOT-42(21)SN-7")
    assert response.status_code == 200, response.json
    assert response.json == {
        "gtin": GTIN,
        "item_id": world.item.id,
        "lot_code": "LOT-42",
        "expires_on": EXPIRY.isoformat(),
        "serial": "SN-7",
        "hri": f"(01){GTIN}(17){yymmdd(EXPIRY)}(10)LOT-42(21)SN-7",
    }


@pytest.mark.parametrize(
    "raw",
    [
        # As a scanner sends a GS1 DataMatrix: symbology identifier, fixed fields run on, GS ends the lot.
        f"]d201{GTIN}17{{expiry}}10LOT-42{GS}21SN-7",
        # Without the identifier, the lot last and the serial first.
        f"01{GTIN}21SN-7{GS}17{{expiry}}10LOT-42",
        # A keyboard scanner set to send '|' for the separator it cannot type.
        f"01{GTIN}17{{expiry}}10LOT-42|21SN-7",
    ],
)
def test_a_raw_string_with_group_separators_reads_the_same(keeper, world, raw):
    response = parse(keeper, raw.format(expiry=yymmdd(EXPIRY)))
    assert response.status_code == 200, response.json
    body = response.json
    assert (body["gtin"], body["item_id"], body["lot_code"], body["serial"]) == (
        GTIN,
        world.item.id,
        "LOT-42",
        "SN-7",
    )
    assert body["expires_on"] == EXPIRY.isoformat()


def test_a_gtin_13_on_the_item_matches_its_14_digit_form_in_the_barcode(keeper, world, make):
    item = make.item(code="PULSE-OX", gtin="00000000000017")
    response = parse(keeper, "(01)00000000000017(10)A")
    assert response.status_code == 200 and response.json["item_id"] == item.id


def test_a_wrong_check_digit_is_named(keeper, world):
    response = parse(keeper, f"(01){BAD_GTIN}(17){yymmdd(EXPIRY)}(10)LOT-42")
    assert response.status_code == 422
    assert response.json["errors"]["data"] == [f"Wrong check digit in GTIN {BAD_GTIN}."]


def test_29_february_of_a_year_that_is_not_leap_is_refused(keeper, world):
    year = next_year_of(leap=False) % 100
    response = parse(keeper, f"(01){GTIN}(17){year:02d}0229(10)LOT-42")
    assert response.status_code == 422
    assert response.json["errors"]["data"] == [f"(17) {year:02d}0229 is not a date that exists (YYMMDD)."]


def test_29_february_of_a_leap_year_is_a_date(keeper, world):
    year = next_year_of(leap=True)
    response = parse(keeper, f"01{GTIN}17{year % 100:02d}022910LOT-42")
    assert response.status_code == 200, response.json
    assert response.json["expires_on"] == f"{year}-02-29"


def test_day_00_is_the_last_day_of_the_month(keeper, world):
    year = next_year_of(leap=False)
    response = parse(keeper, f"(01){GTIN}(17){year % 100:02d}0200(10)X")
    assert response.json["expires_on"] == f"{year}-02-28"


def test_an_unknown_gtin_is_named(keeper, world):
    response = parse(keeper, f"(01){UNKNOWN_GTIN}(10)LOT-1")
    assert response.status_code == 422
    assert response.json["errors"]["data"] == [
        f"Unknown GTIN {UNKNOWN_GTIN}: no item of the catalogue carries it."
    ]


@pytest.mark.parametrize("data", ["hello", "(01)123", "(10)LOT-1", "  ", "]", "]d"])
def test_what_is_not_a_usable_gs1_string_answers_422_on_data(keeper, world, data):
    response = parse(keeper, data)
    assert response.status_code == 422
    assert response.json["errors"]["data"]


def test_every_role_may_read_a_barcode_but_not_a_visitor(make, world, anonymous):
    city = make.api("city")
    assert parse(city, f"(01){GTIN}(10)A").status_code == 200
    assert parse(anonymous, f"(01){GTIN}(10)A").status_code == 401

"""Lot labels speak the reader's language like every PDF: ``?lang=en|ko`` chooses, an unknown one is 422.

The words a person reads (captions, item name) follow the language; the GS1 DataMatrix, decoded by
dmtxread, and the bracketed line under it are the same in both. API and page routes, read back with
pdftotext.
"""

from __future__ import annotations

import pytest

from tests.barcodes.conftest import EXPIRY, GTIN, yymmdd
from tests.barcodes.decode import read_gs1_datamatrix
from tests.barcodes.test_labels import text_of
from tests.clients import PageClient
from tests.factories import future

pytestmark = pytest.mark.both_databases

KOREAN = "산소 발생기 10리터"
HRI = f"(01){GTIN}(17){yymmdd(EXPIRY)}(10)LOT-KO"
MESSAGE = f"01{GTIN}17{yymmdd(EXPIRY)}10LOT-KO"


@pytest.fixture
def lot(make, keeper, world):
    """A lot of an item that has a Korean name, received by GS1 string."""
    admin = make.api("admin")
    assert admin.patch(f"/api/v1/items/{world.item.id}", json={"name_ko": KOREAN}).status_code == 200
    answer = keeper.post(
        "/api/v1/stock/lots", json={"gs1": HRI, "location_id": world.location.id, "quantity": 5}
    )
    assert answer.status_code == 201, answer.json
    return answer.json


def _korean(page: PageClient) -> None:
    """The user chooses Korean (the language menu's form, as a person does)."""
    assert page.post("/language", {"locale": "ko", "next": "/dashboard"}).status_code == 302


def assert_korean(text: str) -> None:
    for words in ("로트 LOT-KO", f"유효기한 {EXPIRY.isoformat()}", KOREAN, HRI):
        assert words in text, (words, text)
    assert "Oxygen concentrator" not in text and "EXP " not in text


def assert_english(text: str) -> None:
    for words in ("LOT LOT-KO", f"EXP {EXPIRY.isoformat()}", "Oxygen concentrator 10 L", HRI):
        assert words in text, (words, text)
    assert KOREAN not in text and "유효기한" not in text


def test_a_lot_label_is_in_its_readers_language_or_lang_and_its_code_is_the_same(app, keeper, lot, tmp_path):
    path = f"/api/v1/stock/lots/{lot['id']}/label.pdf"
    english = keeper.get(path)  # the keeper reads English until they choose
    assert english.status_code == 200
    assert_english(text_of(english.data, tmp_path))

    page = PageClient(app, keeper.user)
    _korean(page)
    own = keeper.get(path)  # now their own language is Korean
    assert own.status_code == 200
    assert_korean(text_of(own.data, tmp_path))
    asked = keeper.get(path, query_string={"lang": "en"})
    assert asked.data == english.data
    assert asked.headers["X-Verification-Code"] == english.headers["X-Verification-Code"]

    # The GS1 data is the language's business in neither copy.
    assert read_gs1_datamatrix(english.data, tmp_path) == [MESSAGE]
    assert read_gs1_datamatrix(own.data, tmp_path) == [MESSAGE]

    # Each language is its own registered document, both current.
    codes = {english.headers["X-Verification-Code"], own.headers["X-Verification-Code"]}
    assert len(codes) == 2
    for code in codes:
        assert keeper.get(f"/api/v1/documents/verify/{code}").json["current"] is True

    # The page route: its reader's language by default, ?lang= chooses, the same registered copies.
    on_page = page.get(f"/stock/lots/{lot['id']}/label.pdf")
    assert on_page.status_code == 200 and on_page.data == own.data
    in_english = page.get(f"/stock/lots/{lot['id']}/label.pdf?lang=en")
    assert in_english.status_code == 200 and in_english.data == english.data


def test_a_dispatch_label_sheet_takes_lang_and_keeps_its_codes(app, make, keeper, world, lot, tmp_path):
    coordinator = make.api("coordinator")
    city = make.city()
    city_api = make.api("city", city=city)
    body = {
        "priority": "high",
        "needed_by": str(future(30)),
        "justification": "Labels in Korean for the ward.",
        "lines": [{"item_id": world.item.id, "quantity": 2}],
    }
    request = city_api.post("/api/v1/requests", json=body).json
    assert city_api.post(f"/api/v1/requests/{request['id']}/submit").status_code == 200
    approved = coordinator.post(f"/api/v1/requests/{request['id']}/approve").json
    allocation = coordinator.post(
        f"/api/v1/requests/{request['id']}/allocations",
        json={"line_id": approved["lines"][0]["id"], "lot_id": lot["id"], "quantity": 2},
    )
    assert allocation.status_code == 201, allocation.json
    dispatch = keeper.post("/api/v1/dispatches", json={"request_id": request["id"]}).json
    path = f"/api/v1/dispatches/{dispatch['id']}/labels.pdf"

    korean = keeper.get(path, query_string={"lang": "ko"})
    english = keeper.get(path, query_string={"lang": "en"})
    assert korean.status_code == english.status_code == 200
    assert_korean(text_of(korean.data, tmp_path))
    assert_english(text_of(english.data, tmp_path))
    assert (
        read_gs1_datamatrix(korean.data, tmp_path) == read_gs1_datamatrix(english.data, tmp_path) == [MESSAGE]
    )
    assert korean.headers["X-Verification-Code"] != english.headers["X-Verification-Code"]

    refused = keeper.get(path, query_string={"lang": "fr"})
    assert refused.status_code == 422 and "lang" in refused.json["errors"]
    page = PageClient(app, keeper.user).get(f"/dispatches/{dispatch['id']}/labels.pdf?lang=xx")
    assert page.status_code == 422 and "&#39;xx&#39;" in page.get_data(as_text=True)
    on_page = PageClient(app, keeper.user).get(f"/dispatches/{dispatch['id']}/labels.pdf?lang=ko")
    assert on_page.status_code == 200 and on_page.data == korean.data


@pytest.mark.parametrize("route", ["/api/v1/stock/lots/{lot}/label.pdf", "/stock/lots/{lot}/label.pdf"])
def test_an_unknown_lang_on_a_lot_label_is_refused_naming_lang(app, keeper, lot, route):
    path = route.format(lot=lot["id"]) + "?lang=fr"
    if path.startswith("/api/"):
        response = keeper.get(path)
        assert response.status_code == 422, response.json
        assert "lang" in response.json["errors"]
        assert "en" in " ".join(response.json["errors"]["lang"])
        assert "ko" in " ".join(response.json["errors"]["lang"])
    else:
        response = PageClient(app, keeper.user).get(path)
        assert response.status_code == 422
        html = response.get_data(as_text=True)
        assert "lang" in html and "&#39;fr&#39;" in html and "en, ko" in html

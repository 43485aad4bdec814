"""GS1 on the pages: label buttons on the stock list and the dispatch page."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.barcodes.decode import read_gs1_datamatrix
from tests.pages.conftest import shipped_dispatch

GTIN = "09506000134352"


@pytest.fixture
def gtin_world(world):
    answer = world.api["admin"].patch(f"/api/v1/items/{world.item.id}", json={"gtin": GTIN})
    assert answer.status_code == 200, answer.json
    return world


def test_the_stock_list_offers_a_label_for_lots_of_items_with_a_gtin(gtin_world, tmp_path):
    w = gtin_world
    html = w.page("provider").html("/stock")
    assert f'href="/stock/lots/{w.lot}/label.pdf"' in html
    assert f'href="/stock/lots/{w.lot2}/label.pdf"' not in html  # PULSE-OXI has no GTIN
    pdf = w.page("provider").get(f"/stock/lots/{w.lot}/label.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    (message,) = read_gs1_datamatrix(pdf.data, tmp_path)
    assert message.startswith(f"01{GTIN}17") and message.endswith("10L-OXY-1")
    assert w.page("other_provider").get(f"/stock/lots/{w.lot}/label.pdf").status_code == 404


def test_the_dispatch_page_offers_its_label_sheet_to_the_receiving_city(gtin_world, tmp_path):
    w = gtin_world
    _req, dispatch = shipped_dispatch(w)
    html = w.page("city").html(f"/dispatches/{dispatch['id']}")
    assert f'href="/dispatches/{dispatch["id"]}/labels.pdf"' in html
    sheet = w.page("city").get(f"/dispatches/{dispatch['id']}/labels.pdf")
    assert sheet.status_code == 200
    assert read_gs1_datamatrix(sheet.data, tmp_path)[0].endswith("10L-OXY-1")
    assert w.page("other_city").get(f"/dispatches/{dispatch['id']}/labels.pdf").status_code == 404


def test_the_receive_form_takes_a_scan_in_one_field(gtin_world):
    w = gtin_world
    provider = w.page("provider")
    page = provider.html("/stock/receive")
    assert 'name="gs1"' in page and "data-scan=" in page and "/static/scan.js" in page
    scan = f"]d201{GTIN}17{(date.today() + timedelta(days=400)):%y%m%d}10SCAN-1\x1d21SER"
    answer = provider.post(
        "/stock/receive", {"gs1": scan, "location_id": w.location.id, "quantity": "6"}, page="/stock/receive"
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)
    lots = w.api["provider"].get("/api/v1/stock/lots", query_string={"item_id": w.item.id}).json["items"]
    assert any(lot["lot_code"] == "SCAN-1" and lot["on_hand"] == 6 for lot in lots)


def test_a_bad_scan_on_the_receive_form_is_shown_next_to_the_field_and_kept(gtin_world):
    w = gtin_world
    provider = w.page("provider")
    scan = f"(01){GTIN}(17)250229(10)BAD"
    answer = provider.post(
        "/stock/receive", {"gs1": scan, "location_id": w.location.id, "quantity": "6"}, page="/stock/receive"
    )
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    field = html[html.index('id="gs1"') - 200 : html.index('id="gs1-errors"') + 200]
    assert 'aria-invalid="true"' in field and "250229 is not a date that exists" in html
    assert "(01)09506000134352(17)250229(10)BAD" in html

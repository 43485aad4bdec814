"""GS1 on the pages: label buttons on the stock list and the dispatch page."""

from __future__ import annotations

import re
import subprocess
from datetime import timedelta
from urllib.parse import urlparse

import pytest

from health_responder.db import utc_today
from tests.barcodes.decode import read_gs1_datamatrix
from tests.factories import shipped_dispatch

GTIN = "09506000134352"

pytestmark = pytest.mark.usefixtures("shelves")


@pytest.fixture
def gtin_world(world):
    answer = world.api["admin"].patch(f"/api/v1/items/{world.item.id}", json={"gtin": GTIN})
    assert answer.status_code == 200, answer.json
    return world


def test_the_stock_list_offers_a_label_for_lots_of_items_with_a_gtin(gtin_world, tmp_path):
    w = gtin_world
    html = w.page("provider").html("/stock")
    assert f'href="/stock/lots/{w.lots.oxy}/label.pdf"' in html
    assert f'href="/stock/lots/{w.lots.pulse}/label.pdf"' not in html  # PULSE-OXI has no GTIN
    pdf = w.page("provider").get(f"/stock/lots/{w.lots.oxy}/label.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    (message,) = read_gs1_datamatrix(pdf.data, tmp_path)
    assert message.startswith(f"01{GTIN}17") and message.endswith("10L-OXY-1")
    assert w.page("other_provider").get(f"/stock/lots/{w.lots.oxy}/label.pdf").status_code == 404


def test_the_dispatch_page_offers_its_label_sheet_to_the_receiving_city(gtin_world, tmp_path):
    w = gtin_world
    _req, dispatch = shipped_dispatch(w)
    html = w.page("city").html(f"/dispatches/{dispatch['id']}")
    assert f'href="/dispatches/{dispatch["id"]}/labels.pdf"' in html
    sheet = w.page("city").get(f"/dispatches/{dispatch['id']}/labels.pdf")
    assert sheet.status_code == 200
    assert read_gs1_datamatrix(sheet.data, tmp_path)[0].endswith("10L-OXY-1")
    assert w.page("other_city").get(f"/dispatches/{dispatch['id']}/labels.pdf").status_code == 404


def test_the_dispatch_page_names_the_items_without_a_gtin_instead_of_a_dead_label_button(world):
    w = world
    _req, dispatch = shipped_dispatch(w)  # OXY-CONC-10L, which has no GTIN yet
    page, labels = f"/dispatches/{dispatch['id']}", f'href="/dispatches/{dispatch["id"]}/labels.pdf"'
    refused = w.page("city").get(f"{page}/labels.pdf")
    assert refused.status_code == 409
    reason = "Item OXY-CONC-10L has no GTIN: give it one before printing GS1 labels."
    assert reason in refused.get_data(as_text=True)  # the route and the page say it in the same words
    city = w.page("city").html(page)
    assert labels not in city
    assert 'id="labels-blocked"' in city and reason in city
    assert "An administrator gives items their GTIN in the catalogue." in city
    assert f'href="/admin/items/{w.item.id}"' not in city  # a city cannot edit the catalogue
    admin = w.page("admin").html(page)
    assert labels not in admin and f'href="/admin/items/{w.item.id}"' in admin
    # Given a GTIN, the button is back and prints.
    answer = w.api["admin"].patch(f"/api/v1/items/{w.item.id}", json={"gtin": GTIN})
    assert answer.status_code == 200, answer.json
    city = w.page("city").html(page)
    assert labels in city and 'id="labels-blocked"' not in city
    assert w.page("city").get(f"{page}/labels.pdf").status_code == 200


def test_the_lot_card_offers_no_label_for_a_lot_code_gs1_cannot_carry_and_says_why(gtin_world):
    w = gtin_world
    lot_id = w.make_lot(w.provider, w.location, w.item, 3, lot_code="로트 7")
    label = f'href="/stock/lots/{lot_id}/label.pdf"'
    assert w.page("provider").get(f"/stock/lots/{lot_id}/label.pdf").status_code == 409
    card = w.page("provider").html(f"/stock/lots/{lot_id}")
    assert label not in card and 'id="label-blocked"' in card and "cannot be written in GS1" in card
    assert label not in w.page("provider").html("/stock")
    assert f'href="/stock/lots/{w.lots.oxy}/label.pdf"' in w.page("provider").html(
        f"/stock/lots/{w.lots.oxy}"
    )


def test_the_receive_form_takes_a_scan_in_one_field(gtin_world):
    w = gtin_world
    provider = w.page("provider")
    page = provider.html("/stock/receive")
    assert 'name="gs1"' in page and "data-scan=" in page and "/static/scan.js" in page
    scan = f"]d201{GTIN}17{(utc_today() + timedelta(days=400)):%y%m%d}10SCAN-1\x1d21SER"
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
    [field] = re.findall(r'<input [^>]*id="gs1"[^>]*>', html)  # the scan field's own tag
    assert 'aria-invalid="true"' in field and 'aria-describedby="gs1-hint gs1-errors"' in field
    assert "250229 is not a date that exists" in html
    assert "(01)09506000134352(17)250229(10)BAD" in html


def _qr_path(pdf: bytes, tmp_path) -> str:
    """The path of the URL in the document's QR code, read by zbarimg from the printed page."""
    source = tmp_path / "report.pdf"
    source.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "150", "-f", "1", "-l", "1", "-png", "-singlefile", source, tmp_path / "report"],
        check=True,
    )
    found = subprocess.run(
        ["zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", tmp_path / "report.png"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    (url,) = [u for u in found if "/verify/" in u]
    return urlparse(url).path


def test_the_dispatch_reports_qr_offers_the_receipt_form_to_the_receiving_city_only(world, tmp_path, client):
    w = world
    _req, dispatch = shipped_dispatch(w)
    report = w.page("provider").get(f"/dispatches/{dispatch['id']}/report.pdf")
    assert report.status_code == 200
    path = _qr_path(report.data, tmp_path)
    assert path == f"/verify/{report.headers['X-Verification-Code']}"
    receipt_link = f'href="/dispatches/{dispatch["id"]}#receipt"'
    city_page = w.page("city").html(path)
    assert "Genuine." in city_page and receipt_link in city_page
    detail = w.page("city").html(f"/dispatches/{dispatch['id']}")
    assert 'id="receipt"' in detail and "Confirm receipt" in detail
    for other in ("other_city", "provider", "coordinator"):
        html = w.page(other).html(path)
        assert "Genuine." in html and receipt_link not in html, other
    visitor = client.get(path).get_data(as_text=True)
    assert "Genuine." in visitor and receipt_link not in visitor
    # Once received, the QR verifies and offers nothing more.
    line = w.api["city"].get(f"/api/v1/dispatches/{dispatch['id']}").json["lines"][0]
    received = w.api["city"].post(
        f"/api/v1/dispatches/{dispatch['id']}/receipt",
        json={
            "lines": [{"line_id": line["id"], "accepted": line["quantity"], "rejected": 0}],
            "received_by": "Ward 3",
        },
    )
    assert received.status_code == 200, received.json
    assert receipt_link not in w.page("city").html(path)

"""Scanning in a real browser: a USB scanner types a raw GS1 string, group separators and all, into the
pick list check and into the receipt form, and presses Enter; the page shows what the scan did."""

from __future__ import annotations

import itertools
import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from health_responder.db import utc_today
from tests.browser.conftest import USERS
from tests.clients import ApiClient

pytestmark = pytest.mark.slow
GS = "\x1d"
EXPIRY = utc_today() + timedelta(days=500)
PREPARED = itertools.count(1)  # tests/browser/test_camera_scan.py prepares a dispatch too


def api_of(live, email: str) -> ApiClient:
    from health_responder.auth import services
    from health_responder.auth.models import User
    from health_responder.extensions import db

    with live.app.app_context(), db.write_session():
        user = db.session.scalar(select(User).where(User.email == email))
        _row, token = services.issue_token(user=user)
    with live.app.app_context():
        db.session.remove()
    return ApiClient(live.app, token)


def scanned(gtin: str, lot: str) -> str:
    """What a DataMatrix scanner types: its symbology identifier, then the elements, GS after the lot."""
    return f"]d201{gtin}17{EXPIRY:%y%m%d}10{lot}{GS}21SN-0001"


@pytest.fixture
def prepared(live):
    """A prepared dispatch of MedAsia Supply to Ulyanovsk: 6 units of a new lot of an item with a GTIN."""
    from health_responder.extensions import db
    from health_responder.providers.models import Provider
    from health_responder.reference.models import Item

    with live.app.app_context():
        gtin, item_id, code = db.session.execute(
            select(Item.gtin, Item.id, Item.code).where(Item.gtin.is_not(None)).order_by(Item.id)
        ).first()
        provider_id = db.session.scalar(select(Provider.id).where(Provider.name == "MedAsia Supply"))
        db.session.remove()
    provider, city, coordinator = (api_of(live, USERS[who]) for who in ("provider", "city", "coordinator"))
    location = provider.get(f"/api/v1/providers/{provider_id}").json["locations"][0]["id"]
    lot_code = f"SCAN-{utc_today():%m%d}-{item_id}-{next(PREPARED)}"  # one lot per test of the session
    lot = provider.post(
        "/api/v1/stock/lots",
        json={"gs1": f"(01){gtin}(17){EXPIRY:%y%m%d}(10){lot_code}", "location_id": location, "quantity": 6},
    )
    assert lot.status_code == 201, lot.json
    request = city.post(
        "/api/v1/requests",
        json={
            "priority": "high",
            "needed_by": (utc_today() + timedelta(days=30)).isoformat(),
            "justification": "Scanning journey",
            "lines": [{"item_id": item_id, "quantity": 6}],
        },
    ).json
    assert city.post(f"/api/v1/requests/{request['id']}/submit").status_code == 200
    assert coordinator.post(f"/api/v1/requests/{request['id']}/approve").status_code == 200
    allocated = coordinator.post(
        f"/api/v1/requests/{request['id']}/allocations",
        json={"line_id": request["lines"][0]["id"], "lot_id": lot.json["id"], "quantity": 6},
    )
    assert allocated.status_code == 201, allocated.json
    dispatch = provider.post(
        "/api/v1/dispatches", json={"request_id": request["id"], "location_id": location}
    )
    assert dispatch.status_code == 201, dispatch.json
    return SimpleNamespace(
        gtin=gtin, item_code=code, lot_code=lot_code, dispatch=dispatch.json, provider=provider
    )


def test_a_scanner_checks_the_pick_list_and_fills_the_receipt(live, open_as, prepared):
    ref = prepared.dispatch["reference"]
    page = open_as("provider")
    page.goto(f"/dispatches/{prepared.dispatch['id']}")
    field = page.get_by_label("Scan a lot label", exact=True)
    expect(field).to_be_focused()  # the scanner types into it without a click
    # A lot of the item that is not on the dispatch: refused, both lots named, nothing checked.
    field.press_sequentially(scanned(prepared.gtin, "OTHER-LOT"))
    field.press("Enter")
    expect(page.locator("#scan-errors")).to_have_text(
        f"Wrong lot: lot OTHER-LOT of {prepared.item_code} is not on dispatch {ref}, "
        f"which takes lot {prepared.lot_code}."
    )
    expect(page.locator("#pick-check")).to_contain_text("0 of 1 lines checked.")
    field = page.get_by_label("Scan a lot label", exact=True)
    field.fill("")
    field.press_sequentially(scanned(prepared.gtin, prepared.lot_code))
    field.press("Enter")  # a lot found only if the GS ended the lot code before the serial (21)
    page.wait_for_url(re.compile(r"/dispatches/\d+#pick-check$"))
    expect(page.locator(".flashes")).to_contain_text("1 of 1 lines checked.")
    expect(page.locator("tr.checked")).to_contain_text(prepared.lot_code)

    shipped = prepared.provider.post(
        f"/api/v1/dispatches/{prepared.dispatch['id']}/ship",
        json={"carrier": "DHL", "tracking_number": "SCAN-1", "packages": 1},
    )
    assert shipped.status_code == 200, shipped.json

    page = open_as("city")
    page.goto(f"/dispatches/{prepared.dispatch['id']}#receipt")
    accepted = page.locator("input[name='lines-0-accepted']")
    accepted.fill("")  # the clerk counts for themself: the scan fills it back
    field = page.get_by_label("Scan a lot label to fill its line")
    field.press_sequentially(scanned(prepared.gtin, prepared.lot_code))
    field.press("Enter")
    expect(page.locator("fieldset.receipt-line.scanned")).to_contain_text(prepared.lot_code)
    expect(page.locator("input[name='lines-0-accepted']")).to_have_value("6")
    expect(page.get_by_label("Scan a lot label to fill its line")).to_have_value("")
    expect(page.get_by_label("Scan a lot label to fill its line")).to_be_focused()  # ready for the next lot
    page.get_by_label("Received by").fill("Olga Petrova")
    page.get_by_role("button", name="Confirm receipt").click()
    expect(page.locator(".flashes")).to_contain_text(f"The receipt of {ref} is recorded.")

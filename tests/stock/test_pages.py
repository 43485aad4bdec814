"""Stock pages: lots by item with expiry highlighting, receiving, adjusting, CSV import with a dry run."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest

from health_responder.db import utc_today
from tests.factories import allocate, approved, flashes, text

pytestmark = pytest.mark.usefixtures("shelves")


def test_lots_are_grouped_by_item_and_near_expiry_lots_are_highlighted(world, make_lot):
    w = world
    make_lot(
        w.provider, w.location, w.item, 5, expires_on=utc_today() + timedelta(days=10), lot_code="L-SOON"
    )
    html = w.page("provider").html("/stock")
    assert "OXY-CONC-10L" in html and "PULSE-OXI" in html
    soon_row = html[html.rindex("<tr", 0, html.index("L-SOON")) : html.index("L-SOON")]
    assert 'class="expiring"' in soon_row and "Expires soon" in html
    assert "L-AF-1" not in html  # another provider's lot
    assert "L-AF-1" in w.page("coordinator").html("/stock")
    assert w.page("city").get("/stock").status_code == 403


def test_a_provider_receives_a_lot_and_bad_values_keep_the_input(world):
    w = world
    provider = w.page("provider")
    yesterday = (utc_today() - timedelta(days=1)).isoformat()
    data = {
        "item_id": w.item2.id,
        "location_id": w.location.id,
        "lot_code": "L-NEW-7",
        "expires_on": yesterday,
        "quantity": "12",
    }
    bad = provider.post("/stock/receive", data, page="/stock/receive")
    assert bad.status_code == 422
    assert (
        "is in the past" in text(bad)
        and 'value="L-NEW-7"' in text(bad)
        and 'id="expires_on-errors"' in text(bad)
    )
    other = provider.post(
        "/stock/receive", data | {"location_id": w.other_location.id, "expires_on": ""}, page="/stock/receive"
    )
    assert other.status_code == 422 and "No stock location" in text(other)
    done = provider.post("/stock/receive", data | {"expires_on": ""}, page="/stock/receive")
    assert done.status_code == 302
    assert "Lot L-NEW-7 was received: 12 unit(s)." in " ".join(flashes(provider.html("/stock")))


def test_a_duplicate_lot_is_one_thing_to_fix_led_by_what_is_wrong(world):
    w = world
    provider = w.page("provider")
    data = {"item_id": w.item2.id, "location_id": w.location.id, "lot_code": "L-TWICE", "quantity": "4"}
    assert provider.post("/stock/receive", data, page="/stock/receive").status_code == 302
    again = provider.post("/stock/receive", data, page="/stock/receive")
    html = text(again)
    assert again.status_code == 409
    assert "The form could not be saved: 1 thing to fix." in html
    assert "of this item already exists at this location" in html  # the headline, above the list
    assert 'id="lot_code-errors"' in html and "Already exists for this item at this location." in html


def test_damage_to_a_fully_reserved_lot_is_refused_naming_the_request_and_who_releases_it(world):
    w = world
    req = approved(w, (w.item, 50))
    allocate(w, req, 0, w.lots.oxy, 50)
    provider = w.page("provider")
    path = f"/stock/lots/{w.lots.oxy}/adjust"
    refused = provider.post(path, {"delta": "-10", "reason": "damaged"}, page=path)
    html = text(refused)
    assert refused.status_code == 409
    assert (
        "Lot L-OXY-1 has 50 on hand of which 50 reserved: it cannot lose 10. "
        f"Reserved for {req['reference']}: ask the coordinator to release the allocation first."
    ) in html
    assert "At most 0 can be removed." in html and 'id="delta-errors"' in html
    assert "The form could not be saved: 1 thing to fix." in html
    answer = w.api["provider"].post(
        f"/api/v1/stock/lots/{w.lots.oxy}/adjustments", json={"delta": -10, "reason": "damaged"}
    )
    assert answer.status_code == 409 and f"Reserved for {req['reference']}" in answer.json["message"]


def test_adjusting_a_lot_needs_a_reason_and_cannot_go_below_reserved(world):
    w = world
    provider = w.page("provider")
    path = f"/stock/lots/{w.lots.oxy}/adjust"
    missing = provider.post(path, {"delta": "-3", "reason": ""}, page=path)
    assert (
        missing.status_code == 422 and 'id="reason-errors"' in text(missing) and 'value="-3"' in text(missing)
    )
    too_many = provider.post(path, {"delta": "-500", "reason": "lost"}, page=path)
    assert too_many.status_code == 409
    assert (
        provider.post(path, {"delta": "-3", "reason": "damaged", "note": "dropped"}, page=path).status_code
        == 302
    )
    html = provider.html(path)
    assert "adjusted by -3 unit(s)" in " ".join(flashes(html)) and "dropped" in html
    assert w.api["provider"].get(f"/api/v1/stock/lots/{w.lots.oxy}").json["on_hand"] == 47
    assert w.page("other_provider").get(path).status_code == 404


def test_a_csv_dry_run_lists_the_errors_of_every_row_and_writes_nothing(world):
    w = world
    provider = w.page("provider")
    csv = (
        "item_code,location,lot_code,expires_on,quantity\n"
        f"{w.item.code},{w.location.name},L-CSV-1,2099-01-31,10\n"
        f"NOPE,{w.location.name},L-CSV-2,2099-01-31,10\n"
        f"{w.item2.code},{w.location.name},L-CSV-3,31/01/2099,-4\n"
    )
    data = {
        "file": (io.BytesIO(csv.encode()), "lots.csv"),
        "dry_run": "y",
        "csrf_token": provider.token("/stock/import"),
    }
    response = provider.client.post("/stock/import", data=data, content_type="multipart/form-data")
    html = text(response)
    assert response.status_code == 422
    assert "2 row(s) have errors; nothing was imported." in html and "NOPE" in html
    assert html.count('<tr><td class="num">') >= 3
    assert w.api["provider"].get("/api/v1/stock/lots").json["total"] == 2


def test_a_clean_csv_is_checked_then_imported(world):
    w = world
    provider = w.page("provider")
    csv = f"item_code,location,lot_code,expires_on,quantity\n{w.item.code},{w.location.name},L-CSV-9,,25\n"
    dry = provider.client.post(
        "/stock/import",
        content_type="multipart/form-data",
        data={
            "file": (io.BytesIO(csv.encode()), "lots.csv"),
            "dry_run": "y",
            "csrf_token": provider.token("/stock/import"),
        },
    )
    assert dry.status_code == 303  # post/redirect/get: the checked file's own page
    checked = provider.get(dry.headers["Location"])
    assert checked.status_code == 200 and "All 1 row(s) are valid." in text(checked)
    real = provider.client.post(
        "/stock/import",
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(csv.encode()), "lots.csv"), "csrf_token": provider.token("/stock/import")},
    )
    assert real.status_code == 302
    assert w.api["provider"].get("/api/v1/stock/lots").json["total"] == 3

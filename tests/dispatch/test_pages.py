"""Dispatch pages: waiting allocations, prepare, ship, the PDFs, and the city's receipt per line."""

from __future__ import annotations

from datetime import timedelta

import pytest

from health_responder.db import utc_today
from tests.factories import api_request, flashes, shipped_dispatch, text

pytestmark = pytest.mark.usefixtures("shelves")


def _allocated(w, quantity=6):
    req = api_request(w, (w.item, quantity), approve=True)
    answer = w.api["coordinator"].post(
        f"/api/v1/requests/{req['id']}/allocations",
        json={"line_id": req["lines"][0]["id"], "lot_id": w.lots.oxy, "quantity": quantity},
    )
    assert answer.status_code == 201
    return req


def test_a_provider_prepares_ships_and_prints_a_dispatch(world):
    w = world
    req = _allocated(w)
    provider = w.page("provider")
    waiting = provider.html("/dispatches/waiting")
    assert req["reference"] in waiting and "L-OXY-1" in waiting
    assert req["reference"] in provider.html("/dashboard")
    response = provider.post(
        "/dispatches/prepare",
        {"request_id": req["id"], "location_id": w.location.id},
        page="/dispatches/waiting",
    )
    assert response.status_code == 302
    path = response.headers["Location"]
    html = provider.html(path)
    assert "is prepared" in " ".join(flashes(html))
    pick = provider.get(f"{path}/pick-list.pdf")
    assert pick.status_code == 200 and pick.data.startswith(b"%PDF") and pick.headers["X-Verification-Code"]
    bad = provider.post(
        f"{path}/ship", {"carrier": "", "tracking_number": "TR-9", "packages": "0"}, page=path
    )
    assert bad.status_code == 422
    assert (
        'id="carrier-errors"' in text(bad)
        and 'id="packages-errors"' in text(bad)
        and 'value="TR-9"' in text(bad)
    )
    shipped = provider.post(
        f"{path}/ship", {"carrier": "Korea Post", "tracking_number": "TR-9", "packages": "2"}, page=path
    )
    assert shipped.status_code == 302
    assert "is shipped" in " ".join(flashes(provider.html(path)))
    report = provider.get(f"{path}/report.pdf")
    assert (
        report.status_code == 200 and report.mimetype == "application/pdf" and report.data.startswith(b"%PDF")
    )
    assert w.api["city"].get(f"/api/v1/requests/{req['id']}").json["status"] == "dispatched"


def test_the_city_confirms_receipt_with_one_rejected_unit(world):
    w = world
    req, dispatch = shipped_dispatch(w, quantity=5)
    city = w.page("city")
    path = f"/dispatches/{dispatch['id']}"
    html = city.html(path)
    assert 'name="lines-0-accepted"' in html and 'value="5"' in html
    assert city.get(f"{path}/report.pdf").data.startswith(b"%PDF")
    response = city.post(
        f"{path}/receipt",
        {
            "lines-0-line_id": dispatch["lines"][0]["id"],
            "lines-0-accepted": "4",
            "lines-0-rejected": "1",
            "lines-0-reason": "damaged",
            "received_by": "Dr. Kim",
        },
        page=path,
    )
    assert response.status_code == 302
    assert "1 rejected unit(s)" in " ".join(flashes(city.html(path)))
    line = w.api["city"].get(f"/api/v1/requests/{req['id']}").json["lines"][0]
    assert (line["quantity_received"], line["quantity_rejected"]) == (4, 1)


def test_a_receipt_that_does_not_add_up_shows_the_message_and_keeps_the_input(world):
    w = world
    _req, dispatch = shipped_dispatch(w, quantity=5)
    city = w.page("city")
    path = f"/dispatches/{dispatch['id']}"
    response = city.post(
        f"{path}/receipt",
        {
            "lines-0-line_id": dispatch["lines"][0]["id"],
            "lines-0-accepted": "3",
            "lines-0-rejected": "1",
            "lines-0-reason": "",
            "received_by": "Dr. Kim",
        },
        page=path,
    )
    html = text(response)
    assert response.status_code == 422
    assert (
        "Accepted and rejected units must add up to the 5 shipped (got 3 + 1)." in html
        and 'id="lines-0-accepted-errors"' in html
    )
    # the reasons as the select names them, not their codes
    assert "Rejected units need a reason: one of Damaged, Expired, Wrong item, Lost, Other." in html
    assert 'value="Dr. Kim"' in html and 'value="3"' in html
    assert w.api["city"].get(f"/api/v1/dispatches/{dispatch['id']}").json["status"] == "shipped"


def test_dispatches_of_another_tenant_are_not_found(world):
    w = world
    _req, dispatch = shipped_dispatch(w)
    path = f"/dispatches/{dispatch['id']}"
    for key in ("other_city", "other_provider"):
        page = w.page(key)
        assert page.get(path).status_code == 404
        assert page.get(f"{path}/report.pdf").status_code == 404
        assert dispatch["reference"] not in page.html("/dispatches")
    assert w.page("other_city").post(f"{path}/receipt", {"received_by": "x"}).status_code == 404


def test_a_coordinator_prints_the_dispatch_summary_of_a_period(world):
    w = world
    shipped_dispatch(w)
    coordinator = w.page("coordinator")
    assert "Print summary" in coordinator.html("/reports/dispatch-summary")
    bad = coordinator.get("/reports/dispatch-summary?period_from=2026-12-31&period_to=2026-12-01")
    assert bad.status_code == 422 and "Must be on or after" in text(bad)
    missing = coordinator.get("/reports/dispatch-summary?period_from=2026-12-01&period_to=")
    assert missing.status_code == 422 and "Please fill in this field." in text(missing)
    too_long = coordinator.get("/reports/dispatch-summary?period_from=2020-01-01&period_to=2099-12-31")
    assert too_long.status_code == 422 and "The period is too long." in text(too_long)
    pdf = coordinator.get(
        f"/reports/dispatch-summary?period_from={utc_today().replace(day=1)}&period_to={utc_today() + timedelta(days=1)}"
    )
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_a_receipt_names_every_problem_at_once_the_missing_receiver_too(world):
    """No receiver, units that do not add up and a rejection without a reason: one answer, three fields."""
    w = world
    _req, dispatch = shipped_dispatch(w, quantity=5)
    path = f"/dispatches/{dispatch['id']}"
    form = {
        "lines-0-line_id": dispatch["lines"][0]["id"],
        "lines-0-accepted": "3",
        "lines-0-rejected": "1",
        "lines-0-reason": "",
        "received_by": "",
    }
    response = w.page("city").post(f"{path}/receipt", form, page=path)
    html = text(response)
    assert response.status_code == 422
    for field in ("received_by", "lines-0-accepted", "lines-0-reason"):
        assert f'id="{field}-errors"' in html, field
    assert "Say who received the shipment." in html and "3 things to fix" in html
    api = w.api["city"].post(
        f"/api/v1/dispatches/{dispatch['id']}/receipt",
        json={"lines": [{"line_id": dispatch["lines"][0]["id"], "accepted": 5}]},
    )
    assert api.status_code == 422 and api.json["errors"] == {
        "received_by": ["Say who received the shipment."]
    }

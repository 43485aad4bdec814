"""Request pages: the new-request form, the city's list, the triage queue, transitions and allocation."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from health_responder.db import utc_today
from tests.factories import JUSTIFICATION, api_request, flashes, future, text

pytestmark = pytest.mark.usefixtures("shelves")


def _new_request_form(w, *lines, action="submit", **fields):
    data = {
        "priority": "critical",
        "needed_by": future().isoformat(),
        "justification": JUSTIFICATION,
        "action": action,
    } | fields
    for index, (item, quantity) in enumerate(lines):
        data[f"lines-{index}-item_id"] = str(item.id) if item else ""
        data[f"lines-{index}-quantity"] = str(quantity)
    return data


def test_a_city_user_submits_a_request_with_two_lines_through_the_form(world):
    w = world
    page = w.page("city")
    response = page.post(
        "/requests/new", _new_request_form(w, (w.item, 12), (w.item2, 4)), page="/requests/new"
    )
    assert response.status_code == 302
    detail = page.get(response.headers["Location"])
    html = text(detail)
    assert detail.status_code == 200
    assert any("was submitted" in message for message in flashes(html))
    listed = w.api["city"].get("/api/v1/requests").json["items"]
    assert len(listed) == 1 and listed[0]["status"] == "submitted" and listed[0]["priority"] == "critical"
    assert [(line["item_id"], line["quantity"]) for line in listed[0]["lines"]] == [
        (w.item.id, 12),
        (w.item2.id, 4),
    ]
    assert listed[0]["reference"] in html and "OXY-CONC-10L" in html and "Due in 60 days" in html


def test_saving_a_draft_then_submitting_it_from_its_page(world):
    w = world
    page = w.page("city")
    response = page.post(
        "/requests/new", _new_request_form(w, (w.item, 3), action="draft"), page="/requests/new"
    )
    assert response.status_code == 302
    request_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert w.api["city"].get(f"/api/v1/requests/{request_id}").json["status"] == "draft"
    path = f"/requests/{request_id}"
    answer = page.post(f"{path}/submit", page=path)
    assert answer.status_code == 302
    assert "was submitted" in " ".join(flashes(text(page.get(path))))
    assert w.api["city"].get(f"/api/v1/requests/{request_id}").json["status"] == "submitted"


def test_bad_values_show_the_api_messages_next_to_the_fields_and_keep_the_input(world):
    w = world
    page = w.page("city")
    past = (utc_today() - timedelta(days=3)).isoformat()
    data = _new_request_form(w, (w.item, 0), (w.item2, "lots"), needed_by=past, justification="")
    data["delivery_contact"] = "Ward 7 — Dr. Kim"
    response = page.post("/requests/new", data, page="/requests/new")
    html = text(response)
    assert response.status_code == 422
    # WTForms refuses the text quantity first, keeping what was typed
    assert 'value="lots"' in html and 'aria-invalid="true"' in html
    data["lines-1-quantity"] = "4"
    response = page.post("/requests/new", data, page="/requests/new")
    html = text(response)
    assert response.status_code == 422
    assert "Must be greater than or equal to 1" in html  # the API schema's own message for quantity 0
    assert 'id="lines-0-quantity-errors"' in html
    assert "Please fill in this field." in html and 'id="justification-errors"' in html
    assert f'value="{past}"' in html and "Ward 7 — Dr. Kim" in html
    assert w.api["city"].get("/api/v1/requests").json["total"] == 0


def test_a_request_with_no_lines_is_told_to_add_one_at_the_lines(world):
    w = world
    page = w.page("city")
    response = page.post("/requests/new", _new_request_form(w), page="/requests/new")
    html = text(response)
    assert response.status_code == 422
    assert "Length must be" not in html
    # marked at the lines (the first line's item), and the summary links there, naming the line
    assert 'id="lines-0-item_id-errors"' in html and "Add at least one item line." in html
    assert '<a href="#lines-0-item_id">Item, line 1: Add at least one item line.</a>' in html
    assert w.api["city"].get("/api/v1/requests").json["total"] == 0


def test_the_service_rule_on_needed_by_shows_next_to_its_field(world):
    w = world
    page = w.page("city")
    past = (utc_today() - timedelta(days=1)).isoformat()
    response = page.post(
        "/requests/new", _new_request_form(w, (w.item, 2), needed_by=past), page="/requests/new"
    )
    html = text(response)
    assert response.status_code == 422
    assert f"{past} is in the past" in html and 'id="needed_by-errors"' in html


def test_adding_a_line_keeps_what_was_typed(world):
    w = world
    page = w.page("city")
    data = _new_request_form(w, (w.item, 7), (None, ""), (None, ""), action="add_line")
    response = page.post("/requests/new", data, page="/requests/new")
    assert response.status_code == 303  # post/redirect/get: the form again, one line more
    assert response.headers["Location"].startswith("/requests/new?filled=")
    html = text(page.get(response.headers["Location"]))
    assert 'name="lines-3-item_id"' in html and 'value="7"' in html and JUSTIFICATION in html
    assert "was not sent" not in html  # a step of the form, not a refusal


def test_a_city_sees_its_requests_and_not_another_citys(world):
    w = world
    mine = api_request(w, (w.item, 2))
    assert mine["reference"] in w.page("city").html("/requests")
    other = w.page("other_city")
    assert mine["reference"] not in other.html("/requests")
    assert other.get(f"/requests/{mine['id']}").status_code == 404
    assert w.page("other_provider").get(f"/requests/{mine['id']}").status_code == 404


def test_the_triage_queue_puts_the_oldest_critical_request_first_and_filters(world):
    w = world
    low = api_request(w, (w.item, 1), priority="low")
    critical_old = api_request(w, (w.item, 1), priority="critical")
    critical_new = api_request(w, (w.item2, 1), priority="critical")
    html = w.page("coordinator").html("/requests")
    positions = [html.index(r["reference"]) for r in (critical_old, critical_new, low)]
    assert positions == sorted(positions)
    filtered = w.page("coordinator").html(
        f"/requests?status=submitted&priority=critical&item_id={w.item2.id}"
    )
    assert critical_new["reference"] in filtered and critical_old["reference"] not in filtered
    by_network = w.page("coordinator").html(f"/requests?status=&network_id={w.other_city.network_id}")
    assert low["reference"] not in by_network


def test_a_coordinator_approves_and_a_reject_without_reason_shows_the_message(world):
    w = world
    req = api_request(w, (w.item, 2))
    coordinator = w.page("coordinator")
    path = f"/requests/{req['id']}"
    response = coordinator.post(f"{path}/reject", {"reject-reason": "  "}, page=path)
    assert response.status_code == 422
    assert "Please fill in this field." in text(response) and 'id="reject-reason-errors"' in text(response)
    assert coordinator.post(f"{path}/approve", page=path).status_code == 302
    assert w.api["coordinator"].get(f"/api/v1/requests/{req['id']}").json["status"] == "approved"
    again = coordinator.post(f"{path}/approve", page=path)
    assert again.status_code == 409 and "approved" in text(again)


def test_a_coordinator_rejects_with_a_reason(world):
    w = world
    req = api_request(w, (w.item, 2))
    path = f"/requests/{req['id']}"
    response = w.page("coordinator").post(
        f"{path}/reject", {"reject-reason": "Covered by the national stock."}, page=path
    )
    assert response.status_code == 302
    html = w.page("city").html(path)
    assert "Covered by the national stock." in html and "Rejected" in html


def test_allocation_shows_suggested_lots_with_their_rationale_and_allocates_one(world):
    w = world
    req = api_request(w, (w.item, 8), approve=True)
    coordinator = w.page("coordinator")
    path = f"/requests/{req['id']}/allocate"
    html = coordinator.html(path)
    assert "L-OXY-1" in html and "L-AF-1" in html and html.index("L-OXY-1") < html.index("L-AF-1")
    assert "serves the city&#39;s network" in html
    line_id = req["lines"][0]["id"]
    too_many = coordinator.post(path, {"line_id": line_id, "lot_id": w.lots.far, "quantity": 11}, page=path)
    assert too_many.status_code == 409 and f'id="qty-{line_id}-{w.lots.far}-errors"' in text(too_many)
    # the line named by its item, not its id
    assert "The OXY-CONC-10L line has only 8 unit(s) left to allocate; asked for 11." in text(too_many)
    over_lot = coordinator.post(path, {"line_id": line_id, "lot_id": w.lots.far, "quantity": 999}, page=path)
    assert over_lot.status_code == 409 and f"Line {line_id}" not in text(over_lot)
    assert "At most 8 (what the lot has available)." not in text(
        over_lot
    )  # the lot has 10: the line is tighter
    done = coordinator.post(path, {"line_id": line_id, "lot_id": w.lots.oxy, "quantity": 8}, page=path)
    assert done.status_code == 302
    html = coordinator.html(path)
    assert "8 unit(s) of lot L-OXY-1 were allocated." in " ".join(flashes(html))
    assert "Fully allocated: all 8 allocated." in html and "still to allocate" not in html
    assert "Every line is fully allocated" in html and "Nothing can be suggested" not in html
    assert w.api["coordinator"].get(f"/api/v1/requests/{req['id']}").json["status"] == "allocated"
    detail = coordinator.html(f"/requests/{req['id']}")
    assert "Chosen by a coordinator." in detail
    # fully allocated: the next step (prepare the dispatches) is the main action, not "Allocate stock"
    assert "Allocate stock</a>" not in detail and "Allocate as suggested" not in detail
    assert re.search(
        r'<button type="submit" class="primary">Prepare the dispatches of everything reserved', detail
    )


def test_a_city_cancels_its_request_and_another_role_cannot_open_the_form(world):
    w = world
    req = api_request(w, (w.item, 2))
    path = f"/requests/{req['id']}"
    assert (
        w.page("city").post(f"{path}/cancel", {"cancel-reason": "Found locally."}, page=path).status_code
        == 302
    )
    assert w.api["city"].get(f"/api/v1/requests/{req['id']}").json["status"] == "cancelled"
    assert w.page("provider").get("/requests/new").status_code == 403


def test_the_city_dashboard_shows_the_timeline_and_the_countdown(world):
    w = world
    api_request(w, (w.item, 2), approve=True)
    html = w.page("city").html("/dashboard")
    assert 'class="timeline"' in html and 'aria-current="step"' in html and "Due in 60 days" in html
    assert "Sejong Test" in html

"""Changing a request before it is decided: a draft opens in the same form, filled, to change anything
(lines added, removed, changed) and keeps its reference; a submitted request not yet approved is taken
back to draft by its city (service, API and page), and only by it."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from health_responder.audit.models import AuditEvent
from health_responder.extensions import db
from health_responder.notifications.models import Notification
from tests.factories import JUSTIFICATION, flashes, future, text

pytestmark = pytest.mark.usefixtures("shelves")


def lines_of(answer: dict) -> list[tuple[int, int]]:
    return [(line["item_id"], line["quantity"]) for line in answer["lines"]]


def form_values(html: str) -> dict[str, str]:
    """The values a browser would send for the form's text, date, number and selected options."""
    values = {}
    for tag in re.findall(r"<input[^>]*>", html):
        named, valued = re.search(r'name="([^"]+)"', tag), re.search(r'value="([^"]*)"', tag)
        if named and valued and ('type="checkbox"' not in tag or "checked" in tag):
            values[named.group(1)] = valued.group(1)
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option selected value="([^"]*)"', body)
        values[name] = chosen.group(1) if chosen else ""
    for name, body in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', html, re.S):
        values[name] = body.strip()
    return values


# --- the draft in the same form -------------------------------------------------------------------


def test_a_draft_opens_filled_and_saving_changes_add_and_remove_lines_but_keeps_the_reference(world):
    w = world
    draft = w.make.request((w.item, 3), (w.item2, 5), priority="low", delivery_contact="Ward 3")
    page = w.page("city")
    path = f"/requests/{draft['id']}/edit"
    html = page.html(path)
    assert f"Change request {draft['reference']}" in html
    values = form_values(html)
    assert values["priority"] == "low" and values["delivery_contact"] == "Ward 3"
    assert values["lines-0-item_id"] == str(w.item.id) and values["lines-0-quantity"] == "3"
    assert values["lines-1-item_id"] == str(w.item2.id) and values["lines-1-quantity"] == "5"
    assert values["lines-2-item_id"] == "" and values["justification"] == draft["justification"]

    values.update(
        {
            "priority": "high",
            "lines-0-quantity": "7",  # changed
            "lines-1-remove": "y",  # removed
            "lines-2-item_id": str(w.mask.id),  # added
            "lines-2-quantity": "40",
            "delivery_contact": "",  # cleared
            "action": "draft",
        }
    )
    saved = page.post(path, values, page=path)
    assert saved.status_code == 302 and saved.headers["Location"].endswith(f"/requests/{draft['id']}")
    after = w.api["city"].get(f"/api/v1/requests/{draft['id']}").json
    assert after["reference"] == draft["reference"] and after["status"] == "draft"
    assert after["priority"] == "high" and after["delivery_contact"] is None
    assert lines_of(after) == [(w.item.id, 7), (w.mask.id, 40)]
    assert f"Request {draft['reference']} was saved as a draft." in " ".join(
        flashes(page.html(f"/requests/{draft['id']}"))
    )


def test_saving_and_submitting_a_changed_draft(world):
    w = world
    draft = w.make.request((w.item, 3))
    page = w.page("city")
    path = f"/requests/{draft['id']}/edit"
    values = form_values(page.html(path)) | {"lines-0-quantity": "9", "action": "submit"}
    assert page.post(path, values, page=path).status_code == 302
    after = w.api["city"].get(f"/api/v1/requests/{draft['id']}").json
    assert (after["status"], after["reference"], lines_of(after)) == (
        "submitted",
        draft["reference"],
        [(w.item.id, 9)],
    )


def test_every_mistake_of_a_changed_draft_is_shown_and_nothing_is_saved(world):
    w = world
    draft = w.make.request((w.item, 3), (w.item2, 5))
    page = w.page("city")
    path = f"/requests/{draft['id']}/edit"
    values = form_values(page.html(path)) | {
        "needed_by": "",
        "lines-1-item_id": str(w.item.id),  # the same item twice
        "justification": "",
        "action": "draft",
    }
    bad = page.post(path, values, page=path)
    html = text(bad)
    assert bad.status_code == 422
    assert 'id="needed_by-errors"' in html and 'id="justification-errors"' in html
    assert 'id="lines-1-item_id-errors"' in html and "already on line 1" in html
    zero = form_values(page.html(path)) | {"lines-0-quantity": "0", "action": "draft"}
    html = text(page.post(path, zero, page=path))
    assert 'id="lines-0-quantity-errors"' in html and 'value="0"' in html  # what was typed comes back
    all_removed = form_values(page.html(path)) | {
        "lines-0-remove": "y",
        "lines-1-remove": "y",
        "action": "draft",
    }
    none_left = page.post(path, all_removed, page=path)
    assert none_left.status_code == 422 and "error-summary" in text(none_left)
    after = w.api["city"].get(f"/api/v1/requests/{draft['id']}").json
    assert lines_of(after) == [(w.item.id, 3), (w.item2.id, 5)]


def test_adding_a_line_slot_keeps_what_was_typed(world):
    w = world
    draft = w.make.request((w.item, 3))
    page = w.page("city")
    path = f"/requests/{draft['id']}/edit"
    values = form_values(page.html(path)) | {"lines-0-quantity": "11", "action": "add_line"}
    answer = page.post(path, values, page=path)
    assert answer.status_code == 303 and answer.headers["Location"].startswith(f"{path}?filled=")
    html = text(page.get(answer.headers["Location"]))
    assert 'name="lines-3-item_id"' in html and 'value="11"' in html


@pytest.mark.parametrize(
    ("who", "status"),
    [("city", 200), ("coordinator", 200), ("admin", 200), ("other_city", 404), ("provider", 403)],
)
def test_who_may_open_a_drafts_form(world, who, status):
    draft = world.make.request((world.item, 3))
    assert world.page(who).get(f"/requests/{draft['id']}/edit").status_code == status


def test_only_a_draft_opens_in_the_form(world):
    w = world
    submitted = w.make.submitted_request((w.item, 3))
    answer = w.page("city").get(f"/requests/{submitted['id']}/edit")
    assert answer.status_code == 409 and "submitted" in text(answer)
    detail = w.page("city").html(f"/requests/{submitted['id']}")
    assert f"/requests/{submitted['id']}/edit" not in detail


def test_the_draft_page_offers_the_form_to_the_city_and_staff(world):
    w = world
    draft = w.make.request((w.item, 3))
    link = f'href="/requests/{draft["id"]}/edit"'
    assert link in w.page("city").html(f"/requests/{draft['id']}")
    assert link in w.page("coordinator").html(f"/requests/{draft['id']}")


# --- taking a submitted request back to draft -----------------------------------------------------


def test_the_city_takes_a_submitted_request_back_to_draft_over_the_api(world):
    w = world
    coordinator = w.coordinator  # on staff before anything is submitted, so told of everything
    submitted = w.make.submitted_request((w.item, 3))
    answer = w.api["city"].post(f"/api/v1/requests/{submitted['id']}/withdraw")
    assert answer.status_code == 200, answer.json
    assert answer.json["status"] == "draft" and answer.json["reference"] == submitted["reference"]
    assert answer.json["submitted_at"] is None
    queue = w.coordinator.get("/api/v1/requests", query_string={"status": "submitted"}).json["items"]
    assert submitted["id"] not in [row["id"] for row in queue]
    changed = w.api["city"].patch(
        f"/api/v1/requests/{submitted['id']}", json={"lines": [{"item_id": w.item2.id, "quantity": 2}]}
    )
    assert changed.status_code == 200 and lines_of(changed.json) == [(w.item2.id, 2)]
    again = w.api["city"].post(f"/api/v1/requests/{submitted['id']}/submit")
    assert again.status_code == 200 and again.json["reference"] == submitted["reference"]
    with w.app.app_context():
        events = db.session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.subject_type == "assistance_request", AuditEvent.subject_id == submitted["id"])
            .order_by(AuditEvent.id)
        ).all()
        told = db.session.scalars(
            select(Notification.subject).where(Notification.user_id == coordinator.user.id)
        ).all()
    assert events == [
        "request.create",
        "request.submit",
        "request.withdraw",
        "request.update",
        "request.submit",
    ]
    ref = submitted["reference"]
    # the coordinators hear of both submissions, and of the withdrawal between them
    assert sorted(told) == sorted(
        [f"{ref} submitted (normal)"] * 2 + [f"{ref} taken back to draft by its city"]
    )


@pytest.mark.parametrize(
    ("who", "status"), [("other_city", 404), ("coordinator", 403), ("admin", 403), ("provider", 403)]
)
def test_only_the_requests_city_takes_it_back(world, who, status):
    submitted = world.make.submitted_request((world.item, 3))
    answer = world.api[who].post(f"/api/v1/requests/{submitted['id']}/withdraw")
    assert answer.status_code == status, answer.json
    assert world.coordinator.get(f"/api/v1/requests/{submitted['id']}").json["status"] == "submitted"


@pytest.mark.parametrize("state", ["draft", "approved"])
def test_a_request_that_is_not_submitted_cannot_be_taken_back(world, state):
    w = world
    made = w.make.request((w.item, 3)) if state == "draft" else w.make.approved_request((w.item, 3))
    answer = w.api["city"].post(f"/api/v1/requests/{made['id']}/withdraw")
    assert answer.status_code == 409
    assert state in answer.json["message"] and "draft" in answer.json["message"]


def test_the_city_takes_it_back_from_the_request_page_and_changes_it(world):
    w = world
    submitted = w.make.submitted_request((w.item, 3))
    path = f"/requests/{submitted['id']}"
    page = w.page("city")
    html = page.html(path)
    assert f'action="{path}/withdraw"' in html and "data-confirm" in html
    assert f'action="{path}/withdraw"' not in w.page("coordinator").html(path)
    answer = page.post(f"{path}/withdraw", page=path)
    assert answer.status_code == 302
    html = page.html(path)
    assert f"Request {submitted['reference']} is a draft again" in " ".join(flashes(html))
    assert f'href="{path}/edit"' in html
    assert w.page("coordinator").post(f"{path}/withdraw", page=path).status_code == 403
    late = page.post(f"{path}/withdraw", page=path)  # a draft now: nothing to take back
    assert late.status_code == 409 and "error-summary" in text(late)


def test_the_draft_form_and_the_take_back_in_korean(world):
    w = world
    submitted = w.make.submitted_request((w.item, 3))
    page = w.page("city")
    page.post("/language", {"locale": "ko", "next": "/requests"})
    path = f"/requests/{submitted['id']}"
    assert "임시 저장으로 되돌려 수정하기" in page.html(path)
    assert page.post(f"{path}/withdraw", page=path).status_code == 302
    html = page.html(f"{path}/edit")
    assert f"요청 {submitted['reference']} 수정" in html and "이 줄 삭제" in html


def test_the_form_fills_from_a_draft_made_by_staff_for_a_city(world):
    w = world
    draft = w.coordinator.post(
        "/api/v1/requests",
        json={
            "city_id": w.city.id,
            "needed_by": future().isoformat(),
            "justification": JUSTIFICATION,
            "lines": [{"item_id": w.item.id, "quantity": 2}],
        },
    ).json
    page = w.page("coordinator")
    html = page.html(f"/requests/{draft['id']}/edit")
    assert 'name="city_id"' not in html  # the city of a request is not changed
    values = form_values(html) | {"lines-0-quantity": "4", "action": "draft"}
    assert page.post(f"/requests/{draft['id']}/edit", values, page="/requests").status_code == 302
    assert lines_of(w.coordinator.get(f"/api/v1/requests/{draft['id']}").json) == [(w.item.id, 4)]

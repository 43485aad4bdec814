"""Item 4 of the attack review: every document, alert and message is scoped like the lists are.

A provider's dispatch summary lists only requests it may see; a provider's near-expiry alert names
only requests it may see; a duplicate enrolment does not name another city's enrolment.
"""

from __future__ import annotations

import io
from datetime import timedelta

import pypdf
import pytest
import sqlalchemy as sa

from health_responder.db import utc_today, utcnow
from health_responder.extensions import db
from health_responder.health_requests.models import AssistanceRequest
from tests.factories import allocate, approved, create


def _text(response) -> str:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(response.data)).pages)


def _overdue(app, request_id: int, days: int) -> None:
    with app.app_context(), db.write_session() as session:
        session.execute(
            sa.update(AssistanceRequest)
            .where(AssistanceRequest.id == request_id)
            .values(needed_by=utc_today() - timedelta(days=days))
        )


def _other_citys_request(w) -> dict:
    created = create(w.other_city_api, (w.item, 3))
    assert w.other_city_api.post(f"/api/v1/requests/{created['id']}/submit").status_code == 200
    answer = w.coordinator.post(f"/api/v1/requests/{created['id']}/approve")
    assert answer.status_code == 200
    return answer.json


@pytest.mark.both_databases
def test_a_providers_dispatch_summary_lists_only_the_requests_it_may_see(app, world):
    w = world
    mine = approved(w, (w.item, 5))
    allocate(w, mine, 0, w.make_lot(w.provider, w.location, w.item, 10), 2)
    theirs = _other_citys_request(w)
    for request in (mine, theirs):
        _overdue(app, request["id"], 3)
    period = f"from={(utc_today() - timedelta(days=20)).isoformat()}&to={utc_today().isoformat()}"
    url = f"/api/v1/reports/dispatch-summary.pdf?{period}"
    provider_text = _text(w.provider_api.get(url))
    assert mine["reference"] in provider_text and theirs["reference"] not in provider_text
    staff_text = _text(w.coordinator.get(url))
    assert mine["reference"] in staff_text and theirs["reference"] in staff_text
    # The page serves the same document.
    from tests.conftest import page_login

    client = app.test_client()
    page_login(client, w.provider_api.user.email)
    page_period = period.replace("from=", "period_from=").replace("to=", "period_to=")
    page_text = _text(client.get(f"/reports/dispatch-summary?{page_period}"))
    assert mine["reference"] in page_text and theirs["reference"] not in page_text


@pytest.mark.both_databases
def test_a_near_expiry_alert_names_only_requests_the_provider_may_see(app, world):
    w = world
    theirs = _other_citys_request(w)  # wants w.item; the provider holds nothing of it
    soon = (utc_today() + timedelta(days=10)).isoformat()
    _lot = w.make_lot(w.provider, w.location, w.item, 10, expires_on=utc_today() + timedelta(days=10))
    with app.app_context(), db.write_session() as session:
        session.execute(
            sa.update(AssistanceRequest)
            .where(AssistanceRequest.id == theirs["id"])
            .values(needed_by=utc_today() + timedelta(days=5))
        )
    assert w.coordinator.post("/api/v1/jobs/near_expiry/run").status_code == 200
    alerts = w.provider_api.get("/api/v1/alerts?kind=near_expiry").json["items"]
    assert alerts, "the provider sees the alert on its lot"
    seen = str(alerts)
    assert theirs["reference"] not in seen and str(w.other_city.name) not in seen
    assert soon in seen and "could use it first" in seen


def test_a_duplicate_enrolment_does_not_name_another_citys_enrolment(app, make):
    make.topic()
    network = make.network()
    city, other = make.city(network=network), make.city(network=network)
    provider_api = make.api("provider")
    start = utc_today() + timedelta(days=20)
    program = provider_api.post(
        "/api/v1/training/programs",
        json={
            "title": "Oxygen basics",
            "topic": "oxygen_therapy",
            "language": "en",
            "mode": "online",
            "starts_at": f"{start}T09:00:00",
            "ends_at": f"{start}T12:00:00",
            "enrolment_deadline": (start - timedelta(days=5)).isoformat(),
            "capacity": 5,
        },
    )
    assert program.status_code == 201, program.json
    url = f"/api/v1/training/programs/{program.json['id']}/enrolments"
    body = {"participant_name": "Kim", "participant_email": "kim@example.org"}
    first = make.api("city", city=city).post(url, json=body)
    assert first.status_code == 201
    again = make.api("city", city=other).post(url, json=body)
    assert again.status_code == 409
    assert str(first.json["id"]) not in again.json["message"] and "another city" in again.json["message"]
    same_city = make.api("city", city=city).post(url, json=body)
    # The city's own enrolment is named by its status (its id is no word for a person).
    assert (
        same_city.status_code == 409 and "is already in this program (enrolled)" in same_city.json["message"]
    )


@pytest.mark.both_databases
def test_a_summarys_days_overdue_are_counted_at_the_periods_end(app, world):
    """Issue 13 item 16: a summary of a past period says how late each request was when the period
    ended, not how late it is today; a request not yet due then is not overdue in it."""
    w = world
    late = approved(w, (w.item, 2))
    not_yet = approved(w, (w.item2, 1))
    _overdue(app, late["id"], 10)  # due 10 days ago
    _overdue(app, not_yet["id"], 2)  # due 2 days ago: after the period below ended
    with app.app_context(), db.write_session() as session:  # both asked for before the period ended
        session.execute(
            sa.update(AssistanceRequest)
            .where(AssistanceRequest.id.in_([late["id"], not_yet["id"]]))
            .values(created_at=utcnow() - timedelta(days=20))
        )
    period_to = utc_today() - timedelta(days=4)
    url = (
        f"/api/v1/reports/dispatch-summary.pdf?from={(period_to - timedelta(days=30)).isoformat()}"
        f"&to={period_to.isoformat()}"
    )
    text = _text(w.coordinator.get(url))
    assert "2 requests open at the end of the period, 1 of them overdue." in text
    assert _days_overdue(text) == {late["reference"]: "6"}  # 10 days late today, 6 when the period ended
    # A period that ends today counts to today.
    url = (
        f"/api/v1/reports/dispatch-summary.pdf?from={(utc_today() - timedelta(days=30)).isoformat()}"
        f"&to={utc_today().isoformat()}"
    )
    assert _days_overdue(_text(w.coordinator.get(url))) == {
        late["reference"]: "10",
        not_yet["reference"]: "2",
    }


def _days_overdue(text: str) -> dict[str, str]:
    """Reference -> days overdue, read from the PDF's overdue table (one cell per extracted line)."""
    table = text.split("Open and overdue requests")[1].split("Discrepancies on receipt")[0].splitlines()
    return {cell: table[i + 4] for i, cell in enumerate(table) if cell.startswith("REQ-")}

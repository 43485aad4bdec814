"""Item 5 of the attack review: one CR/LF must not crash email delivery for everyone.

One-line text fields refuse control characters (422 naming the field) in the API and the forms; free
text keeps its line breaks; subjects are sanitised anyway; each message's failure is its own, counted,
and the message ends ``failed`` after its attempts.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from health_responder.auth.models import User
from health_responder.db import utc_today
from health_responder.extensions import db
from health_responder.notifications.models import Notification
from tests.conftest import page_login
from tests.notifications.test_delivery import _queue, _rows, _run, inbox  # noqa: F401

NEXT_YEAR = (utc_today() + timedelta(days=365)).isoformat()


@pytest.mark.both_databases
def test_one_line_fields_refuse_line_breaks_and_free_text_keeps_them(app, make):
    make.topic()
    provider = make.provider()
    location = make.location(provider)
    item = make.item()
    api = make.api("provider", provider=provider)
    start = utc_today() + timedelta(days=20)
    program = {
        "title": "Oxygen\r\nBcc: everyone@example.org",
        "topic": "oxygen_therapy",
        "language": "en",
        "mode": "online",
        "starts_at": f"{start}T09:00:00",
        "ends_at": f"{start}T12:00:00",
        "enrolment_deadline": (start - timedelta(days=5)).isoformat(),
        "capacity": 5,
    }
    refused = api.post("/api/v1/training/programs", json=program)
    assert refused.status_code == 422 and list(refused.json["errors"]) == ["title"], refused.json
    lot = {"item_id": item.id, "location_id": location.id, "quantity": 5, "expires_on": NEXT_YEAR}
    for bad in ("L-1\n", "L\x00-1", "L-\x1b[31m1"):
        answer = api.post("/api/v1/stock/lots", json=lot | {"lot_code": bad})
        assert answer.status_code == 422 and list(answer.json["errors"]) == ["lot_code"], answer.json
    fine = api.post("/api/v1/stock/lots", json=lot | {"lot_code": "L-1", "note": "Two lines\r\nof note."})
    assert fine.status_code == 201, fine.json
    program["title"] = "Oxygen basics"
    program["description"] = "Day one:\n- concentrators\n- cylinders"
    created = api.post("/api/v1/training/programs", json=program)
    assert created.status_code == 201, created.json
    city = make.api("city")
    enrol = city.post(
        f"/api/v1/training/programs/{created.json['id']}/enrolments",
        json={"participant_name": "Kim\r\nSubject: hi", "participant_email": "kim@example.org"},
    )
    assert enrol.status_code == 422 and list(enrol.json["errors"]) == ["participant_name"]


def test_a_form_refuses_a_line_break_in_a_one_line_field(app, make):
    provider = make.provider()
    location = make.location(provider)
    item = make.item()
    user = make.user("provider", provider=provider)
    client = app.test_client()
    page_login(client, user.email)
    from tests.conftest import csrf_token

    token = csrf_token(client.get("/stock/receive").get_data(as_text=True))
    response = client.post(
        "/stock/receive",
        data={
            "csrf_token": token,
            "item_id": item.id,
            "location_id": location.id,
            "lot_code": "L-1\r\nX",
            "quantity": 3,
        },
    )
    assert response.status_code == 422
    assert "One line of text" in response.get_data(as_text=True)


def test_a_poisoned_subject_is_sanitised_and_a_failing_message_fails_alone(app, make, inbox):  # noqa: F811 (the fixture imported above)
    good, poisoned_user, broken = make.user("city"), make.user("city"), make.user("city")
    _queue(app, [poisoned_user], key="p", subject="Program Oxygen\r\nBcc: everyone@example.org")
    _queue(app, [broken], key="b", subject="A message that cannot be addressed")
    _queue(app, [good], key="g", subject="Request approved")
    with app.app_context(), db.write_session() as session:
        # An address stored before it was validated: building the message's To header fails.
        session.execute(sa.update(User).where(User.id == broken.id).values(email="x@example.org\r\nBcc: y@z"))
    counts = _run(app)
    assert counts["sent"] == 2 and counts["retry"] == 1, counts
    subjects = sorted(m["Subject"] for m in inbox.messages)
    assert subjects == ["Program Oxygen Bcc: everyone@example.org", "Request approved"]
    assert all(m["Bcc"] is None for m in inbox.messages)
    for _ in range(2):
        _run(app)
    states = {row.subject: (row.email_status, row.email_attempts) for row in _rows(app)}
    assert states["A message that cannot be addressed"] == ("failed", 3)
    assert len(inbox.messages) == 2


def test_a_message_claimed_past_its_attempts_ends_failed_without_another_try(app, make, inbox):  # noqa: F811 (the fixture imported above)
    user = make.user("city")
    _queue(app, [user], key="s", subject="Stuck")
    with app.app_context(), db.write_session() as session:
        session.execute(
            sa.update(Notification).values(
                email_status="sending", email_attempts=3, email_claimed_until=sa.func.current_timestamp()
            )
        )
    counts = _run(app)
    assert counts["failed"] == 1 and inbox.messages == []
    assert [(r.email_status, r.email_attempts) for r in _rows(app)] == [("failed", 4)]

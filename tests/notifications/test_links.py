"""Issue 13 item 16: every link a notification carries opens for its recipient.

The workflow, the checks and training produce every kind of notification the app sends; then each
recipient logs in through the login page and follows each of their links, which must answer 200.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import select

from health_responder import scheduler
from health_responder.auth.models import User
from health_responder.db import utcnow
from health_responder.extensions import db
from health_responder.notifications.models import Notification
from health_responder.stock.models import StockLot
from tests.clients import PageClient
from tests.factories import days, enrol

#: Every kind of notification (its message id with the numbers taken out) this test must see produced.
KINDS = {
    "request:n:submitted",
    "request:n:approved",
    "request:n:rejected",
    "request:n:withdrawn:n",
    "allocation:n",
    "allocation:n:city",
    "allocation-run:n:request=n:city",
    "allocation-run:n:provider=n",
    "dispatch:n:shipped",
    "dispatch:n:discrepancy",
    "dispatch-line:n:replaced:n",
    "training-promoted:n",
    "training-reminder:n",
    "training-program-cancelled:n",
    "alert:overdue_request",
    "alert:low_stock",
    "alert:near_expiry",
    "alert:near_expiry:expired",
    "alert:readiness_gap",
    "alert:unusable_lot",
}


def _run(app, name: str) -> None:
    with app.app_context():
        run = scheduler.run_job(name, scheduled_for=utcnow(), trigger="cli")
    assert run.outcome == "succeeded", run.error


def _workflow(app, world, make) -> None:
    w = world
    # A request's whole life: submitted (staff), approved (city), allocated (provider and city), shipped
    # (city), received with a rejection (staff and provider), the rejected units owed again (city).
    request, dispatch = make.shipped_dispatch(5)
    line = dispatch["lines"][0]
    receipt = {
        "received_by": "Dr. Kim",
        "lines": [{"line_id": line["id"], "accepted": 3, "rejected": 2, "reason": "damaged"}],
    }
    assert w.city_api.post(f"/api/v1/dispatches/{dispatch['id']}/receipt", json=receipt).status_code == 200
    replaced = w.coordinator.post(f"/api/v1/dispatches/discrepancies/{line['id']}/replace", json={})
    assert replaced.status_code == 200, replaced.json
    make.allocation(request, 0, w.lots.oxy, 1)  # one unit of the back-order by hand, auto_allocate the other
    # Withdrawn (staff) and rejected (city).
    withdrawn = make.submitted_request((w.item, 1))
    assert w.city_api.post(f"/api/v1/requests/{withdrawn['id']}/withdraw").status_code == 200
    rejected = make.submitted_request((w.item, 1))
    answer = w.coordinator.post(f"/api/v1/requests/{rejected['id']}/reject", json={"reason": "Not eligible."})
    assert answer.status_code == 200, answer.json
    # auto_allocate serves an approved request (city and provider told).
    make.approved_request((w.item2, 2))
    w.lots  # noqa: B018 - the shelves, so that the pulse oximeters can be allocated
    _run(app, "auto_allocate")
    # A lot put in quarantine while it holds a reservation (staff and provider: the held-lot alert).
    held = make.approved_request((w.mask, 2))
    mask_lot = w.make_lot(w.provider, w.location, w.mask, 20, lot_code="L-MASK-1")
    make.allocation(held, 0, mask_lot, 2)
    answer = w.provider_api.patch(
        f"/api/v1/stock/lots/{mask_lot}", json={"status": "quarantined", "note": "temperature excursion"}
    )
    assert answer.status_code == 200, answer.json


def _checks(app, world, make) -> None:
    w = world
    # Overdue (staff and city), low stock, near expiry and expired (staff and provider).
    w.request((w.item, 1), needed_by=days(-3))
    w.lot(3, item=w.item2, code="L-LOW")
    w.lot(40, expires_on=days(10), code="L-SOON")
    expired = w.lot(40, expires_on=days(200), code="L-OLD")
    with app.app_context(), db.write_session() as session:
        session.execute(sa.update(StockLot).where(StockLot.id == expired.id).values(expires_on=days(-2)))
    # A city receiving equipment that needs training none of its staff has had (staff and city).
    topic = make.topic("ventilation", "Mechanical ventilation")
    vent = make.item(code="VENT-1", requires_training=topic.code)
    w.lot(10, expires_on=days(300), item=vent, code="L-VENT")
    w.request((vent, 1))
    _run(app, "auto_allocate")
    for name in ("overdue_requests", "low_stock", "near_expiry", "readiness_gaps"):
        _run(app, name)


def _training(app, world, make) -> None:
    w = world
    now = datetime.now(UTC)
    program = make.program(
        capacity=1,
        starts_at=(now + timedelta(hours=20)).isoformat(),
        ends_at=(now + timedelta(hours=22)).isoformat(),
        enrolment_deadline=(now + timedelta(hours=20)).date().isoformat(),
    )
    seat = enrol(w.city_api, program["id"], "Ana", "ana@a.example.org").json
    enrol(w.city_api, program["id"], "Ben", "ben@a.example.org")
    # Ana's seat goes to Ben (promoted), who is reminded, then the program is cancelled.
    assert w.city_api.post(f"/api/v1/training/enrolments/{seat['id']}/cancel").status_code == 200
    _run(app, "training_reminders")
    answer = w.provider_api.post(f"/api/v1/training/programs/{program['id']}/cancel", json={})
    assert answer.status_code == 200, answer.json


def test_every_link_a_notification_carries_opens_for_its_recipient(app, world, make):
    _workflow(app, world, make)
    _checks(app, world, make)
    _training(app, world, make)

    with app.app_context():
        rows = db.session.execute(
            select(Notification.message_id, Notification.link, User.email, User.role)
            .join(User, User.id == Notification.user_id)
            .order_by(Notification.id)
        ).all()
        alerts = dict(db.session.execute(sa.text("SELECT id, kind FROM alert")).all())
        expired_alerts = {
            row[0]
            for row in db.session.execute(sa.text("SELECT id FROM alert WHERE dedup_key LIKE 'expired:%'"))
        }

    def kind(message_id: str) -> str:
        match = re.match(r"alert:(\d+)", message_id)
        if match:
            alert_id = int(match.group(1))
            return f"alert:{alerts[alert_id]}" + (":expired" if alert_id in expired_alerts else "")
        return re.sub(r"\d+", "n", message_id.split(":user=")[0])

    produced = {kind(message_id) for message_id, *_rest in rows}
    assert produced >= KINDS, f"not produced: {sorted(KINDS - produced)}"

    pages: dict[str, PageClient] = {}
    failures = []
    for message_id, link, email, role in rows:
        assert link, f"{message_id} carries no link"
        if email not in pages:
            with app.app_context():
                user = db.session.scalar(select(User).where(User.email == email))
                db.session.expunge(user)
            pages[email] = PageClient(app, user)
        answer = pages[email].get(link)
        if answer.status_code != 200:
            failures.append(f"{kind(message_id)} -> {link} as {role}: {answer.status_code}")
    assert not failures, "\n".join(sorted(set(failures)))
    # The readiness alert's link opens the catalogue on that topic.
    [link] = {link for message_id, link, *_r in rows if kind(message_id) == "alert:readiness_gap"}
    html = pages[world.city_api.user.email].get(link).get_data(as_text=True)
    assert "Programs on Mechanical ventilation." in html

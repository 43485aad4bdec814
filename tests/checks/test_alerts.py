"""The watcher checks: alerts raised once, auto-resolved when the condition ends, tenant-scoped reads."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import select

from health_responder.checks import services as alerts
from health_responder.checks.models import Alert
from health_responder.db import utcnow
from health_responder.extensions import db
from health_responder.health_requests.models import AssistanceRequest
from health_responder.notifications.models import Notification
from health_responder.stock import services as stock
from tests.factories import days


def _alerts(app, **where) -> list[Alert]:
    with app.app_context(), db.read_session() as session:
        statement = select(Alert).order_by(Alert.id)
        for key, value in where.items():
            statement = statement.where(getattr(Alert, key) == value)
        rows = session.scalars(statement).all()
        session.expunge_all()
    return rows


def _notifications_of(app, user) -> list[Notification]:
    with app.app_context(), db.read_session() as session:
        rows = session.scalars(select(Notification).where(Notification.user_id == user.id)).all()
        session.expunge_all()
    return rows


@pytest.mark.both_databases
def test_overdue_request_alert_is_raised_once_and_resolved_when_dispatched(
    app, world, run_check, make, coordinator
):
    city_user = make.user("city", city=world.city)
    late = world.request((world.item, 5), needed_by=days(-3))
    world.request((world.item, 5), needed_by=days(10))

    first = run_check("overdue_requests")
    second = run_check("overdue_requests")

    [alert] = _alerts(app, kind="overdue_request")
    assert alert.status == "open" and alert.city_id == world.city.id and alert.subject_id == late.id
    assert (
        f"Request {late.reference} was needed by {days(-3).isoformat()}" in alert.message
        and "3 days late" in alert.message
    )
    assert first["counts"] == {"open": 1, "raised": 1, "resolved": 0}
    assert second["counts"] == {"open": 1, "raised": 0, "resolved": 0}
    assert [n.subject for n in _notifications_of(app, city_user)] == [f"[warning] {alert.message}"]
    assert len(_notifications_of(app, coordinator.user)) == 1

    with app.app_context(), db.write_session() as session:
        session.execute(
            sa.update(AssistanceRequest).where(AssistanceRequest.id == late.id).values(status="dispatched")
        )
    third = run_check("overdue_requests")

    [alert] = _alerts(app, kind="overdue_request")
    assert alert.status == "resolved" and "condition ended" in alert.resolution
    assert third["counts"]["resolved"] == 1


def test_a_critical_request_waiting_past_its_service_level_is_overdue(app, world, run_check):
    waiting = world.request(
        (world.item, 1), priority="critical", status="submitted", submitted_at=utcnow() - timedelta(hours=5)
    )
    world.request(
        (world.item, 1), priority="normal", status="submitted", submitted_at=utcnow() - timedelta(hours=5)
    )

    run_check("overdue_requests")

    [alert] = _alerts(app, kind="overdue_request")
    assert alert.dedup_key == f"overdue_request:request={waiting.id}:approval"
    assert alert.severity == "critical" and "service level is 4 h" in alert.message
    assert alert.details["sla_hours"] == 4


def test_low_stock_alerts_the_provider_and_resolves_after_a_receipt(app, world, run_check, make):
    keeper = make.user("provider", provider=world.near)
    lot = world.lot(8, expires_on=days(300))
    world.lot(50, expires_on=days(300), provider=world.far)

    run_check("low_stock")

    [alert] = _alerts(app, kind="low_stock")
    assert alert.provider_id == world.near.id and alert.details["available"] == 8
    assert alert.message == "Near Supply has 8 OXY-CONC-10L available (threshold 10)."
    assert len(_notifications_of(app, keeper)) == 1

    with app.app_context(), db.write_session():
        stock.adjust(lot_id=lot.id, delta=20, reason="found", actor=stock.Actor(None, "test"))
    counts = run_check("low_stock")["counts"]

    assert counts == {"open": 0, "raised": 0, "resolved": 1}
    assert _alerts(app, kind="low_stock")[0].status == "resolved"


def test_near_expiry_suggests_open_requests_that_can_use_the_lot_in_time(app, world, run_check):
    lot = world.lot(40, expires_on=days(20), code="L-SOON")
    world.lot(40, expires_on=days(400))
    in_time = world.request((world.item, 10), needed_by=days(15), priority="high")
    world.request((world.item, 10), needed_by=days(25))  # needed after the lot expires: no use

    run_check("near_expiry")

    [alert] = _alerts(app, kind="near_expiry")
    assert alert.dedup_key == f"near_expiry:lot={lot.id}" and alert.provider_id == world.near.id
    assert "L-SOON (OXY-CONC-10L) expires" in alert.message and "in 20 days" in alert.message
    # The alert goes to the lot's provider: it counts the requests that could use the lot, and names only
    # those the provider may see (none here: it holds no allocation for them).
    assert (
        "1 open request line(s) could use it first" in alert.message
        and in_time.reference not in alert.message
    )
    assert alert.details["suggested_requests"] == []


def test_readiness_gap_points_at_programs_and_resolves_after_a_completed_training(
    app, world, run_check, make
):
    from health_responder.training.models import Enrolment, TrainingProgram

    topic = make.topic("oxygen_therapy", "Oxygen therapy")
    item = make.item(code="OXY-CONC-5L", requires_training=topic.code)
    world.lot(10, expires_on=days(300), item=item)
    world.request((item, 2))
    run_check("auto_allocate")
    with app.app_context(), db.write_session() as session:
        program = TrainingProgram(
            provider_id=world.near.id,
            title="Oxygen therapy basics",
            topic=topic.code,
            starts_at=utcnow() + timedelta(days=7),
            ends_at=utcnow() + timedelta(days=7, hours=4),
            enrolment_deadline=days(5),
            capacity=10,
            status="published",
        )
        session.add(program)
        session.flush()
        program_id = program.id

    run_check("readiness_gaps")

    [alert] = _alerts(app, kind="readiness_gap")
    assert (
        alert.city_id == world.city.id
        and alert.dedup_key == f"readiness_gap:city={world.city.id}:topic=oxygen_therapy"
    )
    assert "needs Oxygen therapy training (OXY-CONC-5L)" in alert.message  # the topic by its name
    assert "Matching programs: Oxygen therapy basics." in alert.message
    assert alert.details["programs"][0]["id"] == program_id

    with app.app_context(), db.write_session() as session:
        session.add(
            Enrolment(
                program_id=program_id,
                city_id=world.city.id,
                participant_name="Kim",
                participant_email="kim@example.org",
                status="completed",
            )
        )
    assert run_check("readiness_gaps")["counts"]["resolved"] == 1


@pytest.mark.both_databases
def test_racing_raises_of_one_condition_leave_one_open_alert(app):
    barrier = threading.Barrier(4)
    results = []

    def raise_one():
        with app.app_context():
            barrier.wait()
            with db.write_session():
                _alert, new = alerts.raise_alert(
                    kind="low_stock", dedup_key="low_stock:provider=1:item=1", message="low"
                )
            results.append(new)

    threads = [threading.Thread(target=raise_one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == [False, False, False, True]
    assert len(_alerts(app)) == 1


def test_alerts_are_tenant_scoped_and_resolved_by_people(app, world, make, run_check, coordinator):
    other_city = make.city(name="Kigali", network=world.away)
    world.request((world.item, 1), needed_by=days(-1))
    world.request((world.item, 1), needed_by=days(-1), city=other_city)
    world.lot(3, expires_on=days(300))
    run_check("overdue_requests")
    run_check("low_stock")
    busan = make.api("city", city=world.city)
    kigali = make.api("city", city=other_city)
    near = make.api("provider", provider=world.near)
    far = make.api("provider", provider=world.far)

    assert coordinator.get("/api/v1/alerts").json["total"] == 3
    assert coordinator.get("/api/v1/alerts?kind=low_stock").json["total"] == 1
    [mine] = busan.get("/api/v1/alerts").json["items"]
    assert mine["kind"] == "overdue_request" and mine["city_id"] == world.city.id
    assert [a["kind"] for a in near.get("/api/v1/alerts").json["items"]] == ["low_stock"]
    assert far.get("/api/v1/alerts").json["total"] == 0

    assert kigali.post(f"/api/v1/alerts/{mine['id']}/resolve", json={"note": "x"}).status_code == 404
    resolved = busan.post(f"/api/v1/alerts/{mine['id']}/resolve", json={"note": "Collected in person."})
    assert resolved.status_code == 200, resolved.json
    assert resolved.json["status"] == "resolved" and resolved.json["resolution"] == "Collected in person."
    again = busan.post(f"/api/v1/alerts/{mine['id']}/resolve", json={})
    assert again.status_code == 409 and "resolved" in again.json["message"]
    assert busan.get("/api/v1/alerts?status=open").json["total"] == 0
    assert coordinator.get("/api/v1/alerts?status=bogus").status_code == 422


def test_an_expired_lot_still_holding_stock_is_alerted_until_written_off(app, world, run_check):
    from health_responder.stock import services as stock

    lot = world.lot(12, expires_on=days(-3), code="L-OLD")
    run_check("near_expiry")
    [alert] = _alerts(app, kind="near_expiry")
    assert alert.dedup_key == f"expired:lot={lot.id}" and alert.severity == "critical"
    assert "L-OLD (OXY-CONC-10L) expired on" in alert.message and "12 on hand" in alert.message

    with app.app_context(), db.write_session():
        stock.adjust(
            lot_id=lot.id, delta=-12, reason="expired", actor=stock.Actor(user_id=None, label="test")
        )
    run_check("near_expiry")
    assert _alerts(app, kind="near_expiry", status="open") == []
    [resolved] = _alerts(app, kind="near_expiry", status="resolved")
    assert resolved.id == alert.id


@pytest.mark.both_databases
def test_an_approved_request_with_nothing_shipped_past_its_dispatch_service_level_is_overdue(
    app, world, run_check
):
    stuck = world.request(
        (world.item, 1), priority="high", status="allocated", submitted_at=utcnow() - timedelta(hours=80)
    )  # approved then too (the fixture's rule)
    world.request(
        (world.item, 1), priority="high", status="approved", submitted_at=utcnow() - timedelta(hours=70)
    )
    world.request(
        (world.item, 1),
        priority="high",
        status="partially_dispatched",
        submitted_at=utcnow() - timedelta(hours=100),
    )  # something shipped: the level is met

    first = run_check("overdue_requests")

    [alert] = _alerts(app, kind="overdue_request")
    assert alert.dedup_key == f"overdue_request:request={stuck.id}:dispatch"
    assert (
        f"The high request {stuck.reference} was approved 80 h ago and nothing of it has shipped"
        in alert.message
    )
    assert "service level is 72 h" in alert.message
    assert alert.details["reason"] == "dispatch_sla" and alert.details["status"] == "allocated"
    assert first["counts"]["raised"] == 1

    with app.app_context(), db.write_session() as session:  # the first dispatch ships
        session.execute(
            sa.update(AssistanceRequest)
            .where(AssistanceRequest.id == stuck.id)
            .values(status="partially_dispatched")
        )
    assert run_check("overdue_requests")["counts"]["resolved"] == 1


def test_an_alert_reads_in_the_language_of_the_page_and_stays_english_in_the_api(
    app, world, run_check, make, coordinator
):
    """Korean pages show an alert in Korean (the topic by its Korean name); the API and the CSV in English."""
    from health_responder.reference.models import TrainingTopic

    topic = make.topic("oxygen_therapy", "Oxygen therapy")
    with app.app_context(), db.write_session() as session:
        session.get(TrainingTopic, topic.code).name_ko = "산소 치료"
    item = make.item(code="OXY-CONC-5L", requires_training=topic.code)
    world.lot(10, expires_on=days(300), item=item)
    world.request((item, 2))
    run_check("auto_allocate")
    run_check("readiness_gaps")

    [alert] = _alerts(app, kind="readiness_gap")
    english = alert.message
    assert "needs Oxygen therapy training" in english
    korean = alert.message_translations["ko"]
    assert "산소 치료" in korean and "Oxygen therapy" not in korean and "OXY-CONC-5L" in korean

    page = world.page("city")
    for path in ("/alerts", "/dashboard"):
        assert english in page.get(path).get_data(as_text=True), path
    assert page.post("/language", {"locale": "ko", "next": "/dashboard"}).status_code == 302
    for path in ("/alerts", "/dashboard"):
        html = page.get(path).get_data(as_text=True)
        assert korean in html and english not in html, path
    # The dashboard's training panel names the topic in Korean too.
    assert "산소 치료" in page.get("/dashboard").get_data(as_text=True)

    listed = coordinator.get("/api/v1/alerts", headers={"Accept-Language": "ko"}).json["items"]
    assert [a["message"] for a in listed if a["id"] == alert.id] == [english]


def test_an_open_alert_raised_before_its_translations_gets_them_at_the_next_check(app, world, run_check):
    """An alert of an older version (no translations) shows English, then Korean once its check runs again."""
    world.request((world.item, 2), needed_by=days(-3))
    run_check("overdue_requests")
    [alert] = _alerts(app, kind="overdue_request")
    with app.app_context(), db.write_session() as session:
        session.get(Alert, alert.id).message_translations = None
    [before] = _alerts(app, kind="overdue_request")
    assert before.message_in("ko") == before.message
    run_check("overdue_requests")
    [after] = _alerts(app, kind="overdue_request")
    assert after.id == alert.id and after.message_in("ko") != after.message
    assert after.details["request_id"] and "요청" in after.message_in("ko")


def test_a_reversed_day_range_is_said_at_its_field_not_answered_with_no_alert(world):
    """The alert list's raised_from after raised_to: the page says so at the field, the API refuses it."""
    html = world.page("coordinator").html("/alerts?raised_from=2026-12-02&raised_to=2026-11-01")
    assert 'id="raised_to-errors"' in html and "Must be on or after the day in “Raised from”." in html
    api = world.coordinator.get(
        "/api/v1/alerts", query_string={"raised_from": "2026-12-02", "raised_to": "2026-11-01"}
    )
    assert api.status_code == 422 and api.json["errors"]["raised_to"] == [
        "Must be on or after the day in “Raised from”."
    ]
    assert (
        world.coordinator.get("/api/v1/alerts", query_string={"raised_from": "2026-11-01"}).status_code == 200
    )


def test_an_alerts_message_reads_once_in_the_inbox(app, world, run_check):
    """Its notification's subject is the message with its severity: the inbox does not repeat it below."""
    world.request((world.item, 2), needed_by=days(-3))
    run_check("overdue_requests")
    [alert] = _alerts(app, kind="overdue_request")
    html = world.page("coordinator").html("/notifications")
    seen = re.sub(r'<span class="sr-only">.*?</span>', "", html)  # the buttons' names for screen readers
    assert seen.count(alert.message) == 1, seen

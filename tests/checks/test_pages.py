"""Training pages (catalogue, enrolment, roster and attendance) and check pages (alerts, run now)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from health_responder.extensions import db
from health_responder.training.models import TrainingProgram
from tests.pages.conftest import flashes, text


def _program(w, make, **overrides) -> dict:
    make.topic("oxygen_therapy", "Oxygen therapy")
    start = (datetime.now(UTC) + timedelta(days=10)).replace(microsecond=0)
    body = {
        "title": "Oxygen therapy basics",
        "topic": "oxygen_therapy",
        "language": "ko",
        "mode": "online",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=4)).isoformat(),
        "enrolment_deadline": (start.date() - timedelta(days=2)).isoformat(),
        "capacity": 1,
    } | overrides
    answer = w.api["provider"].post("/api/v1/training/programs", json=body)
    assert answer.status_code == 201, answer.json
    return answer.json


def test_a_city_enrols_staff_and_the_second_goes_on_the_waitlist(world, make):
    w = world
    program = _program(w, make)
    city = w.page("city")
    assert "Oxygen therapy basics" in city.html("/training")
    path = f"/training/{program['id']}"
    bad = city.post(
        f"{path}/enrol", {"participant_name": "Kim Min-ji", "participant_email": "not-an-email"}, page=path
    )
    assert bad.status_code == 422
    assert "Not a valid email address." in text(bad) and 'value="Kim Min-ji"' in text(bad)
    assert (
        city.post(
            f"{path}/enrol",
            {"participant_name": "Kim Min-ji", "participant_email": "minji@sejong.kr"},
            page=path,
        ).status_code
        == 302
    )
    assert "Kim Min-ji is enrolled." in " ".join(flashes(city.html(path)))
    city.post(
        f"{path}/enrol", {"participant_name": "Lee Jun", "participant_email": "jun@sejong.kr"}, page=path
    )
    assert "on the waitlist (ticket 1)" in " ".join(flashes(city.html(path)))
    duplicate = city.post(
        f"{path}/enrol", {"participant_name": "Kim", "participant_email": "minji@sejong.kr"}, page=path
    )
    assert duplicate.status_code == 409 and "Already enrolled in this program." in text(duplicate)


def test_the_provider_marks_attendance_once_the_program_has_begun(app, world, make):
    w = world
    program = _program(w, make)
    enrolment = (
        w.api["city"]
        .post(
            f"/api/v1/training/programs/{program['id']}/enrolments",
            json={"participant_name": "Kim", "participant_email": "kim@sejong.kr"},
        )
        .json
    )
    provider = w.page("provider")
    path = f"/training/{program['id']}"
    too_early = provider.post(
        f"/training/enrolments/{enrolment['id']}/attendance", {"status": "attended"}, page=path
    )
    assert too_early.status_code == 409 and "attendance is marked once it has begun" in text(too_early)
    with app.app_context(), db.write_session() as session:
        past = datetime.now(UTC) - timedelta(hours=1)
        session.execute(
            sa.update(TrainingProgram)
            .where(TrainingProgram.id == program["id"])
            .values(starts_at=past, enrolment_deadline=past.date())
        )
    done = provider.post(
        f"/training/enrolments/{enrolment['id']}/attendance", {"status": "completed"}, page=path
    )
    assert done.status_code == 302
    assert "Kim is marked Completed." in " ".join(flashes(provider.html(path)))
    assert (
        w.page("other_provider")
        .post(f"/training/enrolments/{enrolment['id']}/attendance", {"status": "no_show"})
        .status_code
        == 404
    )
    assert w.page("other_city").get(path).status_code == 404 or "kim@sejong.kr" not in w.page(
        "other_city"
    ).html(path)


def test_a_coordinator_runs_a_check_now_and_sees_its_run(world):
    w = world
    coordinator = w.page("coordinator")
    html = coordinator.html("/checks")
    assert "overdue_requests" in html and "Run now" in html
    response = coordinator.post("/checks/low_stock/run", {"low_stock-dry_run": ""}, page="/checks")
    assert response.status_code == 302
    after = coordinator.html(response.headers["Location"])
    assert "Find low stock ran: Succeeded." in " ".join(flashes(after))
    assert "manual" not in after or "Manual" in after
    runs = w.api["coordinator"].get("/api/v1/jobs/runs").json["items"]
    assert runs[0]["name"] == "low_stock" and runs[0]["trigger"] == "manual"
    assert w.page("city").get("/checks").status_code == 403


def test_alerts_are_scoped_and_resolved_with_a_note(world, make, make_lot):
    w = world
    make_lot(
        w.provider, w.location, make.item(code="MASK-N95"), 3
    )  # low stock: an alert that names the provider
    w.api["coordinator"].post("/api/v1/jobs/low_stock/run", json={})
    alerts = w.api["coordinator"].get("/api/v1/alerts?status=open").json["items"]
    mine = [a for a in alerts if a["provider_id"] == w.provider.id]
    assert mine, alerts
    alert = mine[0]
    assert alert["message"] in w.page("provider").html("/alerts")
    assert alert["message"] not in w.page("other_provider").html("/alerts")
    assert w.page("other_provider").post(f"/alerts/{alert['id']}/resolve").status_code == 404
    response = w.page("provider").post(
        f"/alerts/{alert['id']}/resolve", {f"a{alert['id']}-note": "Restocked."}, page="/alerts"
    )
    assert response.status_code == 302
    assert "The alert is resolved." in " ".join(flashes(w.page("provider").html("/alerts")))
    assert w.api["coordinator"].get("/api/v1/alerts?status=resolved").json["total"] >= 1

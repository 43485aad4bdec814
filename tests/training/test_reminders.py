"""The training_reminders check: one reminder per enrolled participant, however many ticks run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import select

from health_responder.extensions import db
from health_responder.notifications.models import Notification
from health_responder.training.jobs import training_reminders
from tests.factories import enrol, page_login


def test_reminders_are_queued_once_per_participant_across_two_runs(app, api, make, new_program):
    now = datetime.now(UTC)
    soon = new_program(
        capacity=2,
        starts_at=(now + timedelta(hours=30)).isoformat(),
        ends_at=(now + timedelta(hours=33)).isoformat(),
        enrolment_deadline=(now + timedelta(hours=30)).date().isoformat(),
    )
    later = new_program(
        title="Next month",
        starts_at=(now + timedelta(days=30)).isoformat(),
        ends_at=(now + timedelta(days=30, hours=3)).isoformat(),
    )
    city = make.city()
    clerk, colleague = api("city", city=city), make.user("city", city=city)
    a = enrol(clerk, soon["id"], "Ana", "ana@a.example.org").json
    b = enrol(clerk, soon["id"], "Ben", "ben@a.example.org").json
    waiting = enrol(clerk, soon["id"], "Cy", "cy@a.example.org").json
    enrol(clerk, later["id"], "Ana", "ana@a.example.org")
    assert waiting["status"] == "waitlisted"

    with app.app_context():
        first = training_reminders(now=now)
        second = training_reminders(now=now + timedelta(hours=1))
        keys = sorted(db.session.scalars(select(Notification.message_id)).all())

    assert [p["participant"] for p in first.pop("planned")] == ["Ana", "Ben"]
    assert first == {"programs": 1, "participants": 2, "queued": 4}
    assert second == {"programs": 1, "participants": 0, "queued": 0, "planned": []}
    assert keys == sorted(
        f"training-reminder:{e['id']}:user={u}" for e in (a, b) for u in (clerk.user.id, colleague.id)
    )


def test_no_reminders_for_programs_that_already_started_or_are_cancelled(app, api, provider, new_program):
    now = datetime.now(UTC)
    program = new_program(
        starts_at=(now + timedelta(hours=10)).isoformat(),
        ends_at=(now + timedelta(hours=12)).isoformat(),
        enrolment_deadline=(now + timedelta(hours=10)).date().isoformat(),
    )
    assert enrol(api("city"), program["id"], "Ana", "ana@a.example.org").status_code == 201
    with app.app_context():
        assert training_reminders(now=now + timedelta(hours=11))["programs"] == 0
    provider.post(f"/api/v1/training/programs/{program['id']}/cancel")
    with app.app_context():
        assert training_reminders(now=now)["queued"] == 0


def test_a_dry_run_lists_the_reminders_a_run_would_queue_and_writes_nothing(
    app, api, make, new_program, login_as
):
    now = datetime.now(UTC)
    soon = new_program(
        starts_at=(now + timedelta(hours=20)).isoformat(),
        ends_at=(now + timedelta(hours=22)).isoformat(),
        enrolment_deadline=(now + timedelta(hours=20)).date().isoformat(),
    )
    city = make.city()
    clerk, _colleague = api("city", city=city), make.user("city", city=city)
    ana = enrol(clerk, soon["id"], "Ana", "ana@a.example.org").json
    coordinator = login_as("coordinator")

    def run(dry_run):
        response = coordinator.post("/api/v1/jobs/training_reminders/run", json={"dry_run": dry_run})
        assert response.status_code == 200 and response.json["outcome"] == "succeeded", response.json
        return response.json["counts"]

    preview = run(True)
    with app.app_context():
        assert db.session.scalars(select(Notification.message_id)).all() == []
    assert preview == {
        "programs": 1,
        "participants": 1,
        "queued": 2,
        "planned": [
            {
                "program_id": soon["id"],
                "enrolment_id": ana["id"],
                "participant": "Ana",
                "program": soon["title"],
                "city_users": 2,
            }
        ],
    }
    assert run(False) == preview  # the real run queued exactly the reminders the dry run listed
    assert run(True) == {"programs": 1, "participants": 0, "queued": 0, "planned": []}


def test_the_reminder_links_to_the_program_page_the_city_can_open(app, api, make, new_program):
    now = datetime.now(UTC)
    soon = new_program(
        starts_at=(now + timedelta(hours=20)).isoformat(),
        ends_at=(now + timedelta(hours=22)).isoformat(),
        enrolment_deadline=(now + timedelta(hours=20)).date().isoformat(),
    )
    city = make.city()
    clerk = api("city", city=city)
    enrol(clerk, soon["id"], "Ana", "ana@a.example.org")
    with app.app_context():
        training_reminders(now=now)
        link = db.session.scalars(select(Notification.link)).one()
    browser = app.test_client()
    assert page_login(browser, clerk.user.email).status_code == 302
    page = browser.get(link)
    assert page.status_code == 200 and soon["title"] in page.get_data(as_text=True)


def test_a_reminder_gives_the_start_on_the_citys_clock_with_the_zone_named(app, api, make, new_program):
    now = datetime.now(UTC)
    starts = (now + timedelta(hours=30)).replace(second=0, microsecond=0)
    program = new_program(
        starts_at=starts.isoformat(),
        ends_at=(starts + timedelta(hours=3)).isoformat(),
        enrolment_deadline=(now + timedelta(hours=30)).date().isoformat(),
    )
    city = make.city(timezone="America/Bogota")
    enrol(api("city", city=city), program["id"], "Ana", "ana@a.example.org")

    with app.app_context():
        training_reminders(now=now)
        subject, body = db.session.execute(select(Notification.subject, Notification.body)).one()

    bogota = starts.astimezone(ZoneInfo("America/Bogota"))
    when = f"{bogota:%Y-%m-%d %H:%M} GMT-05:00 (America/Bogota)"
    assert subject.endswith(f"starts {when}") and f"starts on {when}" in body
    assert "UTC" not in subject + body

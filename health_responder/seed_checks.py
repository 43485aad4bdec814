"""The demo's last fortnight of the scheduler: the real checks at back-dated ticks, and what people did.

After the demo's year is committed, every scheduled check runs through the scheduler's runner
(``runner.run_job``: the claim, the ``job_run`` row, the check's own short transactions) at ticks on
its grid ten, seven and three days ago and now, each under ``db.clock_at`` its tick. Between
the ticks people act through the services, so that the next run finds a condition ended and resolves
its alert by itself:

- a provider receives a new lot of an item that ran low (its low-stock alert resolves);
- the coordinator approves a request that waited past its service level (its overdue alert resolves);
- a city with equipment no one there was trained for takes a short course on it and completes it
  (its readiness-gap alert resolves);
- a provider donates the rest of a lot near expiry and resolves that alert by hand, with a note.

The monthly statistics report is published by monthly_statistics at the first tick of the month (and
found published by its later runs), and the last tick adds a dry run of auto_allocate, whose plan
the coordinator can carry out from the runs page. Everything else stays open: today's alerts.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time, timedelta

from flask import current_app
from sqlmodel import select

from health_responder.auth.models import User
from health_responder.checks import services as alerts
from health_responder.checks.models import Alert, AlertStatus
from health_responder.db import clock_at, utcnow
from health_responder.extensions import db
from health_responder.health_requests import services as requests
from health_responder.health_requests.models import AssistanceRequest
from health_responder.providers.models import ProviderNetwork, StockLocation
from health_responder.reference.models import City, Item, Network, TrainingTopic
from health_responder.scheduler import runner
from health_responder.scheduler.registry import tick
from health_responder.stock import services as stock
from health_responder.stock.models import StockLot
from health_responder.training import certificates
from health_responder.training import services as training
from health_responder.training.models import Enrolment

#: Days before now of the scheduler's ticks (the last tick is now's): a few runs of each check, each
#: a full pass over the world, so four ticks rather than the hundreds a fortnight really holds.
TICK_DAYS = (10, 7, 3)
#: The checks run at every tick, in this order.
CHECKS = (
    "overdue_requests",
    "low_stock",
    "near_expiry",
    "readiness_gaps",
    "training_reminders",
    "send_notifications",
    "prune_documents",
)
#: Item categories that carry no expiry date (as in the demo's stock).
NO_EXPIRY = {"imaging", "monitoring", "emergency", "shelter", "power"}


def _user(email: str) -> User:
    return db.session.scalar(select(User).where(User.email == email))


def _run(name: str, moment: datetime, **kw) -> None:
    """Run check ``name`` for the tick of its grid that ``moment`` falls in, as the scheduler would."""
    interval = int(current_app.config["JOB_SCHEDULES"].get(name) or 3600)
    scheduled = tick(moment, interval)
    with clock_at(scheduled + timedelta(seconds=2)):
        runner.run_job(name, scheduled_for=scheduled, trigger="schedule", **kw)


def _open_alerts(kind: str) -> list[Alert]:
    with db.read_session():
        return list(
            db.session.scalars(
                select(Alert).where(Alert.kind == kind, Alert.status == AlertStatus.OPEN).order_by(Alert.id)
            )
        )


def run_checks(now: datetime | None = None) -> None:
    """Replay the last fortnight of checks and actions (outside any open session; commits as it goes)."""
    now = now or utcnow()
    quiet = logging.getLogger(runner.__name__)
    level = quiet.level
    quiet.setLevel(logging.WARNING)  # a run's start and end, fifty times over, would bury the logins
    try:
        _replay(now)
    finally:
        quiet.setLevel(level)


def _replay(now: datetime) -> None:
    ticks = [now - timedelta(days=d) for d in TICK_DAYS] + [now]
    month_start = datetime.combine(now.date().replace(day=1), time(), UTC)
    _run("monthly_statistics", month_start)
    for index, moment in enumerate(ticks):
        for name in CHECKS:
            _run(name, moment)
        if moment >= month_start + timedelta(days=1):
            _run("monthly_statistics", moment)  # the month is published: nothing to do
        if index == 0:
            _replenish(moment + timedelta(days=1))
        elif index == 1:
            _approve_overdue(moment + timedelta(hours=3))
            _train_for_a_gap(moment)
        elif index == 2:
            _donate_near_expiry(moment + timedelta(days=1))
    _run("auto_allocate", now, dry_run=True)


def _replenish(at: datetime, how_many: int = 2) -> None:
    """Providers receive a new lot of items that ran low (the first low-stock alerts)."""
    for alert in _open_alerts("low_stock")[:how_many]:
        details = alert.details or {}
        with db.write_session(), clock_at(at):
            location = db.session.scalar(
                select(StockLocation)
                .where(StockLocation.provider_id == details["provider_id"], StockLocation.active.is_(True))
                .order_by(StockLocation.id)
            )
            item = db.session.get(Item, details["item_id"])
            if location is None or item is None:
                continue
            stock.create_lot(
                by=_user("coordinator@responder.example.org"),
                item_id=item.id,
                location_id=location.id,
                lot_code=f"R-{at:%y%m%d}-{item.id:03d}",
                expires_on=None if item.category in NO_EXPIRY else at.date() + timedelta(days=540),
                quantity=120,
                note="replenishment after the low-stock alert",
            )


def _approve_overdue(at: datetime) -> None:
    """The coordinator approves the first request an overdue alert says waited past its approval service level."""
    waiting = [
        a for a in _open_alerts("overdue_request") if (a.details or {}).get("reason") == "approval_sla"
    ]
    if not waiting:
        return
    with db.write_session(), clock_at(at):
        request = db.session.get(AssistanceRequest, waiting[0].details["request_id"])
        requests.approve(request=request, by=_user("coordinator@responder.example.org"))


#: A short online course on each topic, for a city that lacks trained staff.
COURSE = "{topic}: a short course for new staff"


def _train_for_a_gap(moment: datetime) -> None:
    """A city with a readiness gap (not a demo login's: theirs stay to be seen) takes and completes a course."""
    demo_cities = {u.city_id for u in db.session.scalars(select(User).where(User.city_id.is_not(None)))}
    db.session.remove()
    gaps = [a for a in _open_alerts("readiness_gap") if a.city_id not in demo_cities]
    if not gaps:
        return
    gap = gaps[0]
    coordinator_email = "coordinator@responder.example.org"
    starts = (moment + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    with db.write_session(), clock_at(moment + timedelta(hours=1)):
        city = db.session.get(City, gap.city_id)
        topic = db.session.get(TrainingTopic, gap.details["topic"])
        network = db.session.get(Network, city.network_id)
        provider_id = db.session.scalar(
            select(ProviderNetwork.provider_id)
            .where(ProviderNetwork.network_id == city.network_id)
            .order_by(ProviderNetwork.provider_id)
        )
        coordinator = _user(coordinator_email)
        program = training.create_program(
            by=coordinator,
            provider_id=provider_id,
            title=COURSE.format(topic=topic.name),
            topic=topic.code,
            language="en",
            mode="online",
            link=f"https://learn.responder.example.org/courses/{topic.code}",
            description=f"Opened for {city.name} after its readiness alert: {gap.message}"[:1000],
            starts_at=starts,
            ends_at=starts + timedelta(hours=4),
            enrolment_deadline=(starts - timedelta(days=1)).date(),
            capacity=10,
            networks=[network.code],
        )
        program_id, city_id, contact = program.id, city.id, city.contact_name or city.name
    with db.write_session(), clock_at(moment + timedelta(hours=3)):
        enrolment = training.enrol(
            program=training.lock_program(program_id),
            by=_user(coordinator_email),
            participant_name=contact,
            participant_email=f"{gap.details['topic'].replace('_', '-')}.lead@city{city_id}.example.org",
            city_id=city_id,
        )
        enrolment_id = enrolment.id
    with db.write_session(), clock_at(starts + timedelta(hours=5)):
        enrolment = db.session.get(Enrolment, enrolment_id)
        by = _user(coordinator_email)
        training.mark_attendance(enrolment=enrolment, by=by, status="completed")
        certificates.certificate(enrolment=enrolment, by=by)


def _donate_near_expiry(at: datetime) -> None:
    """A provider with a demo login gives away what is left of a lot near expiry and resolves the alert itself."""
    logins = {
        u.provider_id: u.email for u in db.session.scalars(select(User).where(User.provider_id.is_not(None)))
    }
    db.session.remove()
    for alert in _open_alerts("near_expiry"):
        if alert.provider_id not in logins or (alert.details or {}).get("expired"):
            continue
        with db.write_session(), clock_at(at):
            lot = db.session.get(StockLot, alert.details["lot_id"])
            spare = lot.on_hand - lot.reserved
            if spare <= 0:
                continue
            by = _user(logins[alert.provider_id])
            note = "Donated to the district hospital, which uses it before it expires."
            stock.adjust_lot(lot=lot, by=by, delta=-spare, reason="donation", note=note)
            alerts.resolve(alert=db.session.get(Alert, alert.id), by=by, note=note)
        return

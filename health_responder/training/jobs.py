"""The training checks: training_reminders (remind cities of their participants before a program starts)
and readiness_gaps (a city receiving equipment none of its staff is trained for).

training_reminders is a plain function, registered with ``@job``, so it can also be run by hand or
from a test. Safe to repeat: each reminder's message id is ``training-reminder:<enrolment id>``
for each city user, so a participant is reminded once, however many ticks see the program.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlmodel import select

from health_responder.allocation.models import Allocation, AllocationStatus
from health_responder.checks import services as alerts
from health_responder.extensions import db
from health_responder.health_requests.models import AssistanceRequest, RequestLine
from health_responder.names import local
from health_responder.notifications import services as notifications
from health_responder.reference.models import City, Item, TrainingTopic
from health_responder.scheduler.models import JobRun
from health_responder.scheduler.registry import job
from health_responder.training import messages, queries
from health_responder.training.models import (
    Enrolment,
    EnrolmentStatus,
    ProgramMode,
    ProgramStatus,
    TrainingProgram,
)
from health_responder.zones import format_instant

#: How long before the start a reminder goes out.
REMINDER_WINDOW = timedelta(hours=48)


@job("training_reminders")
def training_reminders(*, now: datetime, run=None, dry_run: bool = False) -> dict:
    """Queue reminders for enrolled participants of published programs starting within 48 hours of ``now``.

    Needs an app context; works in short write transactions of its own (one per program), so it must
    not be called inside an open ``db.write_session()``. ``run`` (the JobRun, if any) is not needed.
    Returns counts: programs seen, participants reminded for the first time, notifications queued.
    A dry run writes nothing: it counts what a run would queue now and lists those reminders under
    ``planned`` (program, enrolment, participant, how many city users would hear); a real run lists
    those it queued the same way.
    """
    now = now.replace(tzinfo=UTC) if now.tzinfo is None else now
    with db.read_session():
        program_ids = db.session.scalars(
            select(TrainingProgram.id)
            .where(
                TrainingProgram.status == ProgramStatus.PUBLISHED,
                TrainingProgram.starts_at > now,
                TrainingProgram.starts_at <= now + REMINDER_WINDOW,
            )
            .order_by(TrainingProgram.id)
        ).all()
    counts = {"programs": len(program_ids), "participants": 0, "queued": 0}
    planned: list[dict] = []
    for program_id in program_ids:
        with db.read_session() if dry_run else db.write_session():
            program = db.session.get(TrainingProgram, program_id)
            if program is None or program.status != ProgramStatus.PUBLISHED:
                continue
            where = program.link if program.mode == ProgramMode.ONLINE else program.venue
            enrolments = db.session.scalars(
                select(Enrolment)
                .where(Enrolment.program_id == program_id, Enrolment.status == EnrolmentStatus.ENROLLED)
                .order_by(Enrolment.id)
            ).all()
            for enrolment in enrolments:
                users, key = notifications.city_users(enrolment.city_id), f"training-reminder:{enrolment.id}"
                if dry_run:
                    queued = len(notifications.not_yet_told(users=users, key=key))
                else:
                    # The city's clock, named: its staff read the reminder where the participant is.
                    starts = format_instant(
                        at=program.starts_at, zone=db.session.get(City, enrolment.city_id).timezone
                    )
                    subject, body = messages.reminder(
                        title=program.title,
                        when=starts,
                        participant=enrolment.participant_name,
                        mode=program.mode,
                        where=where,
                    )
                    queued = notifications.notify(
                        users=users,
                        key=key,
                        subject=subject,
                        body=body,
                        link=f"/training/{program_id}",
                    )
                if queued:  # what it would queue, or did: the same rows either way
                    planned.append(
                        {
                            "program_id": program_id,
                            "enrolment_id": enrolment.id,
                            "participant": enrolment.participant_name,
                            "program": program.title,
                            "city_users": queued,
                        }
                    )
                counts["queued"] += queued
                counts["participants"] += 1 if queued else 0
    return {**counts, "planned": planned}


def _programs_on(topic: str, network_id: int | None, now: datetime) -> list[dict]:
    """Published, upcoming programs on ``topic`` open to the network."""
    statement = (
        select(TrainingProgram)
        .where(
            TrainingProgram.topic == topic,
            TrainingProgram.status == "published",
            TrainingProgram.starts_at > now,
        )
        .order_by(TrainingProgram.starts_at, TrainingProgram.id)
        .limit(5)
    )
    if network_id is not None:
        statement = statement.where(queries.open_to_network(network_id=network_id))
    return [
        {"id": p.id, "title": p.title, "starts_at": p.starts_at.isoformat()}
        for p in db.session.scalars(statement)
    ]


@job("readiness_gaps")
def readiness_gaps(*, run: JobRun, now: datetime, dry_run: bool) -> dict:
    """Alert a city receiving equipment that requires training on a topic none of its staff has completed."""
    found = []
    with db.read_session():
        rows = db.session.execute(
            select(
                AssistanceRequest.city_id,
                City.name,
                City.network_id,
                Item.requires_training,
                TrainingTopic.name,
                TrainingTopic.name_ko,
                Item.code,
            )
            .select_from(Allocation)
            .join(AssistanceRequest, AssistanceRequest.id == Allocation.request_id)
            .join(RequestLine, RequestLine.id == Allocation.line_id)
            .join(Item, Item.id == RequestLine.item_id)
            .join(City, City.id == AssistanceRequest.city_id)
            .outerjoin(TrainingTopic, TrainingTopic.code == Item.requires_training)
            .where(
                Allocation.status.in_([AllocationStatus.RESERVED, AllocationStatus.DISPATCHED]),
                Item.requires_training.is_not(None),
            )
            .distinct()
            .order_by(AssistanceRequest.city_id, Item.requires_training, Item.code)
        ).all()
        needs: dict[tuple[int, str], dict] = {}
        for city_id, city_name, network_id, topic, name, name_ko, code in rows:
            # the topic by its name in the reader's language (each recipient's copy is rendered in theirs)
            named = LazyString(local, name or topic, name_ko)
            need = {"city": city_name, "network_id": network_id, "topic_name": named, "items": []}
            needs.setdefault((city_id, topic), need)["items"].append(code)
        for (city_id, topic), need in needs.items():
            if queries.city_has_completed(city_id=city_id, topic=topic):
                continue
            programs = _programs_on(topic, need["network_id"], now)
            if programs:
                pointer = _l("Matching programs: %(titles)s.", titles="; ".join(p["title"] for p in programs))
            else:
                pointer = _l(
                    "No upcoming published program on %(topic)s is open to it yet.", topic=need["topic_name"]
                )
            found.append(
                {
                    "dedup_key": f"readiness_gap:city={city_id}:topic={topic}",
                    "message": _l(
                        "%(city)s is receiving equipment that needs %(topic)s training (%(items)s), and none of "
                        "its staff has completed a program on it. %(pointer)s",
                        city=need["city"],
                        topic=need["topic_name"],
                        items=", ".join(need["items"]),
                        pointer=pointer,
                    ),
                    "details": {
                        "city_id": city_id,
                        "topic": topic,
                        "items": need["items"],
                        "programs": programs,
                        "training_feature": True,
                    },
                    "subject": ("city", city_id),
                    "city_id": city_id,
                    "link": f"/training?topic={topic}",
                }
            )
    return alerts.sync_alerts(kind="readiness_gap", found=found, run=run, dry_run=dry_run)

"""The training_reminders check: remind cities of their participants before a program starts.

The scheduler (another feature) registers and runs it; it is a plain function so it can also be run
by hand or from a test. Safe to repeat: each reminder's message id is ``training-reminder:<enrolment id>``
for each city user, so a participant is reminded once, however many ticks see the program.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import select

from health_responder.extensions import db
from health_responder.notifications import services as notifications
from health_responder.training.models import (
    Enrolment,
    EnrolmentStatus,
    ProgramMode,
    ProgramStatus,
    TrainingProgram,
)

#: How long before the start a reminder goes out.
REMINDER_WINDOW = timedelta(hours=48)


def training_reminders(*, now: datetime, run=None, dry_run: bool = False) -> dict:
    """Queue reminders for enrolled participants of published programs starting within 48 hours of ``now``.

    Needs an app context; works in short write transactions of its own (one per program), so it must
    not be called inside an open ``db.write_session()``. ``run`` (the JobRun, if any) is not needed.
    Returns counts: programs seen, participants reminded for the first time, notifications queued.
    A dry run writes nothing: it counts what a run would queue now and lists those reminders under
    ``planned`` (program, enrolment, participant, how many city users would hear).
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
                    if queued:
                        planned.append(
                            {
                                "program_id": program_id,
                                "enrolment_id": enrolment.id,
                                "participant": enrolment.participant_name,
                                "city_users": queued,
                            }
                        )
                else:
                    queued = notifications.notify(
                        users=users,
                        key=key,
                        subject=f"Reminder: {program.title} starts {program.starts_at:%Y-%m-%d %H:%M} UTC",
                        body=f"{enrolment.participant_name} is enrolled in {program.title!r}, which starts on "
                        f"{program.starts_at:%Y-%m-%d %H:%M} UTC ({program.mode}"
                        f"{': ' + where if where else ''}).",
                        link=f"/training/{program_id}",
                    )
                counts["queued"] += queued
                counts["participants"] += 1 if queued else 0
    return {**counts, "planned": planned} if dry_run else counts

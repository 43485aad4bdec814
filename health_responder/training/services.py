"""Writes of training: programs, enrolments with their seats and waitlist, attendance.

Every change of a program's seats or waitlist happens with the program row locked (``FOR UPDATE`` on
PostgreSQL; on SQLite the API's write transactions are IMMEDIATE, so writers queue anyway). Under that
lock a conditional UPDATE (``seats_taken < capacity``) decides between a seat and a waitlist ticket, and
a freed seat goes to the lowest waitlist ticket in the same transaction. So racing enrolments never
overbook, waitlist tickets are handed out 1, 2, 3 … in arrival order, and cancellations promote
first come, first served. Waitlist tickets are kept (not renumbered) when someone ahead leaves:
renumbering would rewrite many rows per cancellation and change numbers people were already told.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlmodel import select

from health_responder.audit import services as audit
from health_responder.auth.access import STAFF, require_role
from health_responder.auth.models import Role, User
from health_responder.db import lock, utcnow
from health_responder.errors import (
    Conflict,
    DomainError,
    Duplicate,
    InvalidTransition,
    NotFound,
    ValidationFailed,
    code_label,
)
from health_responder.extensions import db
from health_responder.notifications import services as notifications
from health_responder.providers.models import Provider
from health_responder.reference.models import City, Network, TrainingTopic
from health_responder.training import messages, queries, rules
from health_responder.training.models import (
    ENROLMENT_TRANSITIONS,
    PROGRAM_TRANSITIONS,
    Enrolment,
    EnrolmentStatus,
    ProgramStatus,
    TrainingProgram,
    TrainingProgramNetwork,
)
from health_responder.zones import format_instant

PROGRAM = TrainingProgram.__table__
E = EnrolmentStatus
PROGRAM_FIELDS = (
    "provider_id",
    "title",
    "topic",
    "description",
    "language",
    "mode",
    "venue",
    "link",
    "join_url",
    "recording_url",
    "timezone",
    "starts_at",
    "ends_at",
    "enrolment_deadline",
    "capacity",
    "status",
)
ENROLMENT_FIELDS = (
    "program_id",
    "city_id",
    "participant_name",
    "participant_email",
    "status",
    "waitlist_position",
)
#: The words of a refused transition's message ("Cannot publish a training program that is cancelled …").
ACTIONS = {"publish": _l("publish"), "cancel": _l("cancel"), "mark": _l("mark")}


def _snapshot(row, names: Iterable[str]) -> dict:
    return {name: getattr(row, name) for name in names}


def _program_link(program_id: int) -> str:
    return f"/training/{program_id}"  # the program's page (training/pages.py)


# --- programs -------------------------------------------------------------------------------------


def lock_program(program_id: int) -> TrainingProgram:
    """The program row, locked for this transaction and freshly read (what others committed counts)."""
    program = db.session.scalar(
        lock(select(TrainingProgram).where(TrainingProgram.id == program_id)).execution_options(
            populate_existing=True
        )
    )
    if program is None:
        raise NotFound(_l("No training program %(id)s.", id=program_id))
    return program


def _check_topic(code: str) -> None:
    if db.session.get(TrainingTopic, code) is None:
        raise ValidationFailed(
            _l("Unknown training topic."), {"topic": [_l("No training topic %(code)s.", code=repr(code))]}
        )


def _program_provider(by: User, provider_id: int | None) -> int:
    if by.role == Role.PROVIDER:
        if provider_id is not None and provider_id != by.provider_id:
            raise ValidationFailed(
                _l("A provider runs only its own programs."),
                {"provider_id": [_l("You can create programs only for your own provider.")]},
            )
        return by.provider_id
    if provider_id is None:
        raise ValidationFailed(
            _l("Say which provider runs the program."), {"provider_id": [_l("Required for staff.")]}
        )
    if db.session.get(Provider, provider_id) is None:
        raise ValidationFailed(
            _l("Unknown provider."), {"provider_id": [_l("No provider %(id)s.", id=provider_id)]}
        )
    return provider_id


def _resolve_networks(refs: Iterable[int | str]) -> list[int]:
    ids: set[int] = set()
    missing = []
    for ref in refs:
        if isinstance(ref, int):
            found = db.session.scalar(select(Network.id).where(Network.id == ref))
        else:
            found = db.session.scalar(select(Network.id).where(sa.func.lower(Network.code) == ref.lower()))
        if found is None:
            missing.append(_l("No network %(ref)s.", ref=repr(ref)))
        else:
            ids.add(found)
    if missing:
        raise ValidationFailed(_l("Unknown network."), {"networks": missing})
    return sorted(ids)


def _set_networks(program: TrainingProgram, refs: Iterable[int | str]) -> list[int]:
    ids = _resolve_networks(refs)
    db.session.execute(
        sa.delete(TrainingProgramNetwork).where(TrainingProgramNetwork.program_id == program.id)
    )
    db.session.add_all(TrainingProgramNetwork(program_id=program.id, network_id=n) for n in ids)
    return ids


def _network_ids(program: TrainingProgram) -> list[int]:
    return sorted(
        db.session.scalars(
            select(TrainingProgramNetwork.network_id).where(TrainingProgramNetwork.program_id == program.id)
        ).all()
    )


def _check_consistent(program: TrainingProgram) -> None:
    """Rules that span fields (``rules.program_conflicts``), checked on the values the program will have."""
    errors = rules.program_conflicts(
        starts_at=program.starts_at,
        ends_at=program.ends_at,
        enrolment_deadline=program.enrolment_deadline,
        mode=program.mode,
        venue=program.venue,
        join_url=program.join_url,
        capacity=program.capacity,
        seats_taken=program.seats_taken,
    )
    if errors:
        raise ValidationFailed(_l("The program's details do not fit together."), errors)


def create_program(
    *,
    by: User,
    published: bool = True,
    provider_id: int | None = None,
    networks: Iterable[int | str] = (),
    **values,
) -> TrainingProgram:
    """Create a program for the caller's provider (staff name the provider); published unless asked not to."""
    require_role(by, Role.PROVIDER, *STAFF)
    provider_id = _program_provider(by, provider_id)
    _check_topic(values["topic"])
    now = utcnow()
    program = TrainingProgram(
        provider_id=provider_id,
        created_by_id=by.id,
        updated_at=now,
        status=ProgramStatus.PUBLISHED if published else ProgramStatus.DRAFT,
        published_at=now if published else None,
        **values,
    )
    _check_consistent(program)
    db.session.add(program)
    db.session.flush()
    network_ids = _set_networks(program, networks)
    audit.record(
        action="training_program.create",
        subject=program,
        by=by,
        after=_snapshot(program, PROGRAM_FIELDS) | {"network_ids": network_ids},
    )
    return program


def _require_state(program: TrainingProgram, action: str, target: str) -> None:
    if program.status not in PROGRAM_TRANSITIONS[action]:
        raise InvalidTransition(_l("training program"), program.status, target, action=ACTIONS[action])


def _check_owner(program: TrainingProgram, by: User) -> None:
    require_role(by, Role.PROVIDER, *STAFF)
    if by.role == Role.PROVIDER and program.provider_id != by.provider_id:
        raise NotFound(_l("No training program %(id)s.", id=program.id))


def update_program(*, program: TrainingProgram, by: User, **values) -> TrainingProgram:
    """Change a draft or published program; more seats go to the waitlist at once, fewer than taken is refused."""
    _check_owner(program, by)
    program = lock_program(program.id)
    if program.status not in PROGRAM_TRANSITIONS["edit"]:
        raise Conflict(
            _l("A %(status)s training program cannot be changed.", status=code_label(program.status)),
            {"status": [_l("Program is %(status)s.", status=code_label(program.status))]},
        )
    before = _snapshot(program, PROGRAM_FIELDS) | {"network_ids": _network_ids(program)}
    if "topic" in values:
        _check_topic(values["topic"])
    networks = values.pop("networks", None)
    for key, value in values.items():
        setattr(program, key, value)
    _check_consistent(program)
    program.updated_at = utcnow()
    if networks is not None:
        _set_networks(program, networks)
    db.session.flush()
    _fill_from_waitlist(program, by=by)
    audit.record(
        action="training_program.update",
        subject=program,
        by=by,
        before=before,
        after=_snapshot(program, PROGRAM_FIELDS) | {"network_ids": _network_ids(program)},
    )
    return program


def publish_program(*, program: TrainingProgram, by: User) -> TrainingProgram:
    """Open a draft program to enrolments."""
    _check_owner(program, by)
    program = lock_program(program.id)
    _require_state(program, "publish", ProgramStatus.PUBLISHED)
    program.status = ProgramStatus.PUBLISHED
    program.published_at = program.updated_at = utcnow()
    audit.record(
        action="training_program.publish",
        subject=program,
        by=by,
        before={"status": ProgramStatus.DRAFT},
        after={"status": program.status},
    )
    return program


def cancel_program(*, program: TrainingProgram, by: User) -> TrainingProgram:
    """Cancel a program: its enrolled and waitlisted participants are cancelled and their cities told."""
    _check_owner(program, by)
    program = lock_program(program.id)
    _require_state(program, "cancel", ProgramStatus.CANCELLED)
    before = program.status
    now = utcnow()
    live = db.session.scalars(
        select(Enrolment)
        .where(Enrolment.program_id == program.id, Enrolment.status.in_([E.ENROLLED, E.WAITLISTED]))
        .order_by(Enrolment.id)
    ).all()
    freed = sum(1 for e in live if e.status == E.ENROLLED)
    for enrolment in live:
        enrolment.status, enrolment.waitlist_position, enrolment.cancelled_at = E.CANCELLED, None, now
    db.session.flush()
    if freed:
        db.session.execute(
            sa.update(PROGRAM)
            .where(PROGRAM.c.id == program.id)
            .values(seats_taken=PROGRAM.c.seats_taken - freed)
        )
    program.status, program.cancelled_at, program.updated_at = ProgramStatus.CANCELLED, now, now
    db.session.flush()
    db.session.refresh(program)
    for enrolment in live:
        subject, body = messages.cancelled(
            title=program.title,
            when=messages.starts(program, enrolment.city_id),
            participant=enrolment.participant_name,
        )
        notifications.notify(
            users=notifications.city_users(enrolment.city_id),
            key=f"training-program-cancelled:{enrolment.id}",
            subject=subject,
            body=body,
            link=_program_link(program.id),
        )
    audit.record(
        action="training_program.cancel",
        subject=program,
        by=by,
        before={"status": before},
        after={"status": program.status, "enrolments_cancelled": [e.id for e in live]},
    )
    return program


# --- enrolments -----------------------------------------------------------------------------------


def _enrolling_city(by: User, city_id: int | None) -> City:
    if by.role == Role.CITY:
        if city_id is not None and city_id != by.city_id:
            raise ValidationFailed(
                _l("You can enrol only participants of your own city."),
                {"city_id": [_l("You can enrol only participants of your own city.")]},
            )
        city_id = by.city_id
    elif city_id is None:
        raise ValidationFailed(
            _l("Say which city the participant belongs to."), {"city_id": [_l("Required for staff.")]}
        )
    city = db.session.get(City, city_id)
    if city is None:
        raise ValidationFailed(_l("Unknown city."), {"city_id": [_l("No city %(id)s.", id=city_id)]})
    return city


def _today_in(city: City) -> date:
    try:
        return utcnow().astimezone(zoneinfo.ZoneInfo(city.timezone)).date()
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return utcnow().date()


def _take_seat(program_id: int) -> bool:
    """Take one seat if one is free: the conditional UPDATE's rowcount is the answer."""
    result = db.session.execute(
        sa.update(PROGRAM)
        .where(PROGRAM.c.id == program_id, PROGRAM.c.seats_taken < PROGRAM.c.capacity)
        .values(seats_taken=PROGRAM.c.seats_taken + 1)
    )
    return result.rowcount == 1


def _next_ticket(program_id: int) -> int:
    """The next waitlist number: 1, 2, 3 … (the caller holds the program's row lock)."""
    db.session.execute(
        sa.update(PROGRAM).where(PROGRAM.c.id == program_id).values(waitlist_last=PROGRAM.c.waitlist_last + 1)
    )
    return db.session.scalar(sa.select(PROGRAM.c.waitlist_last).where(PROGRAM.c.id == program_id))


def enrolment_refusal(program: TrainingProgram, city: City | None) -> DomainError | None:
    """Why ``program`` takes no enrolment of ``city``'s participants now (the error ``enrol`` raises), or None.

    Open means: published, open to the city's network, not begun, and the deadline not passed in the
    city's own zone. The program page asks it too, to offer the enrolment form only while it can work
    (``city`` None: the program's own state and dates, judged in UTC).
    """
    if program.status == ProgramStatus.CANCELLED:
        return Conflict(
            _l("The program %(title)s is cancelled: it takes no enrolments.", title=repr(program.title)),
            {"program": [_l("Cancelled.")]},
        )
    if program.status != ProgramStatus.PUBLISHED:
        return Conflict(
            _l(
                "The program %(title)s is not published yet: it takes no enrolments.",
                title=repr(program.title),
            ),
            {"program": [_l("Not published.")]},
        )
    if city is not None and not queries.program_open_to(program_id=program.id, network_id=city.network_id):
        return ValidationFailed(
            _l("The program is not open to this city's network."),
            {"city_id": [_l("%(city)s is not in a network this program is open to.", city=city.name)]},
        )
    if utcnow() >= program.starts_at:
        return Conflict(
            _l(
                "The program began on %(when)s: enrolment is closed.",
                when=format_instant(at=program.starts_at, zone=city.timezone if city else program.timezone),
            ),
            {"enrolment_deadline": [_l("The program has begun.")]},
        )
    today = _today_in(city) if city is not None else utcnow().date()
    if today > program.enrolment_deadline:
        return Conflict(
            _l(
                "Enrolment closed on %(date)s (the deadline); no more enrolments are taken.",
                date=program.enrolment_deadline.isoformat(),
            ),
            {"enrolment_deadline": [_l("The deadline has passed.")]},
        )
    return None


def attendance_refusal(program: TrainingProgram) -> DomainError | None:
    """Why attendance of ``program`` cannot be marked now (the error ``mark_attendance`` raises), or None."""
    if program.status != ProgramStatus.PUBLISHED:
        return Conflict(
            _l("The program is %(status)s: attendance cannot be marked.", status=code_label(program.status)),
            {"status": [_l("Program is %(status)s.", status=code_label(program.status))]},
        )
    if utcnow() < program.starts_at:
        return Conflict(
            _l(
                "The program starts on %(when)s: attendance is marked once it has begun.",
                when=format_instant(at=program.starts_at, zone=program.timezone),
            ),
            {"status": [_l("The program has not started yet.")]},
        )
    return None


def enrol(
    *,
    program: TrainingProgram,
    by: User,
    participant_name: str,
    participant_email: str,
    city_id: int | None = None,
) -> Enrolment:
    """Enrol a participant of a city: a seat while one is free, else the next waitlist ticket."""
    require_role(by, Role.CITY, *STAFF)
    city = _enrolling_city(by, city_id)
    program = lock_program(program.id)
    refusal = enrolment_refusal(program, city)
    if refusal is not None:
        raise refusal
    email = participant_email.strip().lower()
    existing = db.session.scalar(
        select(Enrolment).where(
            Enrolment.program_id == program.id,
            Enrolment.participant_email == email,
            Enrolment.status != E.CANCELLED,
        )
    )
    if existing is not None and existing.city_id != city.id:
        # Another city's enrolment: its id and status are that city's business, not this one's.
        raise Duplicate(
            _l("%(email)s is already enrolled in this program by another city.", email=email),
            {"participant_email": [_l("Already enrolled in this program.")]},
        )
    if existing is not None:
        raise Duplicate(
            _l(
                "%(email)s is already in this program (%(status)s).",
                email=email,
                status=code_label(existing.status),
            ),
            {"participant_email": [_l("Already enrolled in this program.")]},
        )
    if _take_seat(program.id):
        status, position = E.ENROLLED, None
    else:
        status, position = E.WAITLISTED, _next_ticket(program.id)
    enrolment = Enrolment(
        program_id=program.id,
        city_id=city.id,
        participant_name=participant_name.strip(),
        participant_email=email,
        status=status,
        waitlist_position=position,
        enrolled_by_id=by.id,
    )
    db.session.add(enrolment)
    db.session.flush()
    db.session.refresh(program)
    audit.record(
        action="enrolment.create", subject=enrolment, by=by, after=_snapshot(enrolment, ENROLMENT_FIELDS)
    )
    return enrolment


def _fill_from_waitlist(program: TrainingProgram, *, by: User | None) -> list[Enrolment]:
    """Give free seats to the lowest waitlist tickets, one by one (the caller holds the program lock)."""
    promoted = []
    while True:
        nxt = db.session.scalar(
            select(Enrolment)
            .where(Enrolment.program_id == program.id, Enrolment.status == E.WAITLISTED)
            .order_by(Enrolment.waitlist_position, Enrolment.id)
            .limit(1)
        )
        if nxt is None or not _take_seat(program.id):
            break
        ticket = nxt.waitlist_position
        nxt.status, nxt.waitlist_position, nxt.promoted_at = E.ENROLLED, None, utcnow()
        db.session.flush()
        subject, body = messages.promoted(
            title=program.title,
            when=messages.starts(program, nxt.city_id),
            participant=nxt.participant_name,
            ticket=ticket,
        )
        notifications.notify(
            users=notifications.city_users(nxt.city_id),
            key=f"training-promoted:{nxt.id}",
            subject=subject,
            body=body,
            link=_program_link(program.id),
        )
        audit.record(
            action="enrolment.promote",
            subject=nxt,
            by=by,
            before={"status": E.WAITLISTED, "waitlist_position": ticket},
            after={"status": E.ENROLLED},
        )
        promoted.append(nxt)
    db.session.refresh(program)
    return promoted


def check_enrolment_actor(enrolment: Enrolment, by: User, program: TrainingProgram) -> None:
    """NotFound unless ``by`` may act on the enrolment (its city, or the program's provider)."""
    if (by.role == Role.CITY and enrolment.city_id != by.city_id) or (
        by.role == Role.PROVIDER and program.provider_id != by.provider_id
    ):
        raise NotFound(_l("No enrolment %(id)s.", id=enrolment.id))


def _transition(enrolment: Enrolment, target: str, action: str) -> None:
    if enrolment.status not in ENROLMENT_TRANSITIONS[target]:
        raise InvalidTransition(_l("enrolment"), enrolment.status, target, action=ACTIONS[action])


def cancel_enrolment(*, enrolment: Enrolment, by: User) -> Enrolment:
    """Cancel a place; a freed seat goes to the first waitlisted participant in the same transaction."""
    program = lock_program(enrolment.program_id)
    check_enrolment_actor(enrolment, by, program)
    db.session.refresh(enrolment)
    _transition(enrolment, E.CANCELLED, "cancel")
    before = _snapshot(enrolment, ENROLMENT_FIELDS)
    held_seat = enrolment.status == E.ENROLLED
    enrolment.status, enrolment.waitlist_position, enrolment.cancelled_at = E.CANCELLED, None, utcnow()
    db.session.flush()
    if held_seat:
        db.session.execute(
            sa.update(PROGRAM)
            .where(PROGRAM.c.id == program.id, PROGRAM.c.seats_taken > 0)
            .values(seats_taken=PROGRAM.c.seats_taken - 1)
        )
        _fill_from_waitlist(program, by=by)
    audit.record(
        action="enrolment.cancel",
        subject=enrolment,
        by=by,
        before=before,
        after=_snapshot(enrolment, ENROLMENT_FIELDS),
    )
    return enrolment


def mark_attendance(*, enrolment: Enrolment, by: User, status: str) -> Enrolment:
    """The program's provider marks a participant attended, completed or no-show (once the program began)."""
    require_role(by, Role.PROVIDER, *STAFF)
    program = lock_program(enrolment.program_id)
    check_enrolment_actor(enrolment, by, program)
    db.session.refresh(enrolment)
    refusal = attendance_refusal(program)
    if refusal is not None:
        raise refusal
    now = utcnow()
    _transition(enrolment, status, "mark")
    before = _snapshot(enrolment, ENROLMENT_FIELDS)
    enrolment.status, enrolment.marked_at = status, now
    enrolment.completed_at = now if status == E.COMPLETED else None
    audit.record(
        action="enrolment.attendance",
        subject=enrolment,
        by=by,
        before=before,
        after=_snapshot(enrolment, ENROLMENT_FIELDS),
    )
    return enrolment

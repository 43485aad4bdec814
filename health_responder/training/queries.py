"""Reads of programs, enrolments and readiness, with the tenant rules.

A city sees the published programs open to its network (and any program it has participants in) and
only its own participants; a provider sees every published program, its own in any state, and only
its own programs' rosters; coordinators and admins see everything. Anything else is a 404.
"""

from __future__ import annotations

from datetime import UTC, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlmodel import select

from health_responder.auth.models import STAFF, Role, User
from health_responder.db import paginate, start_of_day, utcnow
from health_responder.documents import queries as document_queries
from health_responder.errors import NotFound, ValidationFailed
from health_responder.extensions import db
from health_responder.materials import queries as materials
from health_responder.reference.models import City, Item, Network, TrainingTopic
from health_responder.training.models import (
    HOLDS_SEAT,
    Enrolment,
    EnrolmentStatus,
    ProgramStatus,
    TrainingProgram,
    TrainingProgramNetwork,
)

P = TrainingProgram
LINK = TrainingProgramNetwork


# --- programs -------------------------------------------------------------------------------------


def open_to_network(*, network_id: int):
    """The SQL condition "the program takes cities of this network" (no network rows: every network)."""
    restricted = sa.exists().where(LINK.program_id == P.id)
    listed = sa.exists().where(LINK.program_id == P.id, LINK.network_id == network_id)
    return sa.or_(~restricted, listed)


def program_open_to(*, program_id: int, network_id: int) -> bool:
    """Whether cities of ``network_id`` may enrol in the program."""
    return (
        db.session.scalar(select(P.id).where(P.id == program_id, open_to_network(network_id=network_id)))
        is not None
    )


def _city_network(city_id: int) -> int:
    return db.session.scalar(select(City.network_id).where(City.id == city_id))


def programs_visible_to(*, user: User) -> sa.Select:
    """The programs ``user`` may see, as a statement to filter further."""
    statement = select(P)
    if user.role == Role.PROVIDER:
        return statement.where(sa.or_(P.status == ProgramStatus.PUBLISHED, P.provider_id == user.provider_id))
    if user.role == Role.CITY:
        has_participants = sa.exists().where(Enrolment.program_id == P.id, Enrolment.city_id == user.city_id)
        return statement.where(
            sa.or_(
                sa.and_(
                    P.status == ProgramStatus.PUBLISHED,
                    open_to_network(network_id=_city_network(user.city_id)),
                ),
                has_participants,
            )
        )
    return statement


def get_program(*, user: User, program_id: int) -> TrainingProgram:
    """A program ``user`` may see, or NotFound."""
    program = db.session.scalar(programs_visible_to(user=user).where(P.id == program_id))
    if program is None:
        raise NotFound(_l("No training program %(id)s.", id=program_id))
    return program


def editable_program(*, user: User, program_id: int) -> TrainingProgram:
    """A program ``user`` may change: staff any, a provider only its own (another's is a 404)."""
    program = db.session.get(P, program_id)
    if program is None or (user.role == Role.PROVIDER and program.provider_id != user.provider_id):
        raise NotFound(_l("No training program %(id)s.", id=program_id))
    return program


def networks_of(*, program_ids: list[int]) -> dict[int, list[dict]]:
    """The networks each program is restricted to, in one query (empty list: open to all)."""
    found: dict[int, list[dict]] = {pid: [] for pid in program_ids}
    if program_ids:
        rows = db.session.execute(
            select(LINK.program_id, Network.id, Network.code)
            .join(Network, Network.id == LINK.network_id)
            .where(LINK.program_id.in_(program_ids))
            .order_by(Network.id)
        )
        for program_id, network_id, code in rows:
            found[program_id].append({"id": network_id, "code": code})
    return found


def _waitlisted_counts(program_ids: list[int]) -> dict[int, int]:
    if not program_ids:
        return {}
    rows = db.session.execute(
        select(Enrolment.program_id, sa.func.count())
        .where(Enrolment.program_id.in_(program_ids), Enrolment.status == EnrolmentStatus.WAITLISTED)
        .group_by(Enrolment.program_id)
    )
    return dict(rows.all())


def joinable(*, user: User | None, programs: list[TrainingProgram]) -> set[int]:
    """The programs whose join link ``user`` may see: its provider's, staff every one, a city those it
    has a participant holding a seat in (enrolled, attended, completed, no-show); a visitor none.
    """
    if user is None:
        return set()
    ids = [p.id for p in programs]
    if user.role in STAFF:
        return set(ids)
    if user.role == Role.PROVIDER:
        return {p.id for p in programs if p.provider_id == user.provider_id}
    if user.role == Role.CITY and ids:
        return set(
            db.session.scalars(
                select(Enrolment.program_id).where(
                    Enrolment.program_id.in_(ids),
                    Enrolment.city_id == user.city_id,
                    Enrolment.status.in_(HOLDS_SEAT),
                )
            )
        )
    return set()


def program_views(*, user: User | None = None, programs: list[TrainingProgram]) -> list[dict]:
    """Programs as dicts with seats left, waitlist length and networks (one query each for all).

    The join link is there only for a ``user`` who may join (``joinable``); for anyone else it is None.
    """
    ids = [p.id for p in programs]
    networks, waiting, may_join = (
        networks_of(program_ids=ids),
        _waitlisted_counts(ids),
        joinable(programs=programs, user=user),
    )
    return [
        p.model_dump()
        | {
            "seats_left": p.seats_left,
            "networks": networks[p.id],
            "waitlisted": waiting.get(p.id, 0),
            "join_url": p.join_url if p.id in may_join else None,
            "calendar_url": f"/api/v1/training/programs/{p.id}/calendar.ics",
        }
        for p in programs
    ]


def program_detail(*, user: User | None = None, program: TrainingProgram) -> dict:
    """A program with its networks and the knowledge-hub materials on its topic (join link per ``joinable``)."""
    return program_views(programs=[program], user=user)[0] | {
        "materials": materials.materials_on(topic=program.topic, language=program.language)
    }


def public_program(*, user: User | None, program_id: int) -> TrainingProgram:
    """A program ``user`` may see; a visitor sees the published ones. NotFound otherwise."""
    if user is not None:
        return get_program(program_id=program_id, user=user)
    program = db.session.scalar(select(P).where(P.id == program_id, P.status == ProgramStatus.PUBLISHED))
    if program is None:
        raise NotFound(_l("No training program %(id)s.", id=program_id))
    return program


def recordings(*, limit: int = 10) -> list[dict]:
    """Published webinars with a recording, newest first (the hub lists them)."""
    rows = db.session.scalars(
        select(P)
        .where(P.status == ProgramStatus.PUBLISHED, P.recording_url.is_not(None))
        .order_by(P.starts_at.desc(), P.id.desc())
        .limit(limit)
    ).all()
    return [
        {"id": p.id, "title": p.title, "recording_url": p.recording_url, "starts_at": p.starts_at}
        for p in rows
    ]


def list_programs(*, user: User, args: dict) -> dict:
    """A page of the programs ``user`` may see, filtered; soonest first, or (``upcoming_first``, the
    catalogue) those still ahead soonest first and then those ended, latest first.
    """
    statement = programs_visible_to(user=user)
    for key in ("topic", "language", "mode", "status", "provider_id"):
        if args.get(key) is not None:
            statement = statement.where(getattr(P, key) == args[key])
    if args.get("starts_from"):
        statement = statement.where(P.starts_at >= start_of_day(args["starts_from"]))
    if args.get("starts_to"):
        statement = statement.where(P.starts_at < start_of_day(args["starts_to"] + timedelta(days=1)))
    if args.get("has_seats") is not None:
        statement = statement.where(
            (P.seats_taken < P.capacity) if args["has_seats"] else (P.seats_taken >= P.capacity)
        )
    if args.get("q"):
        statement = statement.where(sa.func.lower(P.title).contains(args["q"].lower(), autoescape=True))
    order = (P.starts_at.asc(),)
    if args.get("upcoming_first"):
        # The catalogue: what is still ahead (or running) soonest first, then what has ended, latest first.
        ended = P.ends_at < utcnow()
        order = (
            sa.case((ended, 1), else_=0),
            sa.case((ended, None), else_=P.starts_at).asc(),
            P.starts_at.desc(),
        )
    page = paginate(
        db.session,
        statement,
        args,
        {"id": P.id, "starts_at": P.starts_at, "title": P.title, "capacity": P.capacity},
        default_order=order,
    )
    page["items"] = program_views(programs=page["items"], user=user)
    return page


# --- enrolments -----------------------------------------------------------------------------------


def provider_programs(*, provider_id: int | None, limit: int = 8) -> list[TrainingProgram]:
    """A provider's programs that are not cancelled, soonest first (its dashboard)."""
    return db.session.scalars(
        select(TrainingProgram)
        .where(TrainingProgram.provider_id == provider_id, TrainingProgram.status != ProgramStatus.CANCELLED)
        .order_by(TrainingProgram.starts_at)
        .limit(limit)
    ).all()


def program_titles(*, ids) -> dict[int, str]:
    """The title of each program whose id is in ``ids``."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    return dict(
        db.session.execute(
            select(TrainingProgram.id, TrainingProgram.title).where(TrainingProgram.id.in_(wanted))
        ).all()
    )


def city_live_enrolments(*, city_id: int | None, limit: int = 8) -> list[Enrolment]:
    """A city's enrolled and waitlisted places, newest first (its dashboard)."""
    return db.session.scalars(
        select(Enrolment)
        .where(
            Enrolment.city_id == city_id,
            Enrolment.status.in_([EnrolmentStatus.ENROLLED, EnrolmentStatus.WAITLISTED]),
        )
        .order_by(Enrolment.id.desc())
        .limit(limit)
    ).all()


def enrolments_visible_to(*, user: User) -> sa.Select:
    """The enrolments ``user`` may see: its city's, its programs', or (staff) all."""
    statement = select(Enrolment)
    if user.role == Role.CITY:
        return statement.where(Enrolment.city_id == user.city_id)
    if user.role == Role.PROVIDER:
        return statement.where(
            Enrolment.program_id.in_(select(P.id).where(P.provider_id == user.provider_id))
        )
    return statement


def get_enrolment(*, user: User, enrolment_id: int) -> Enrolment:
    """An enrolment ``user`` may see, or NotFound."""
    enrolment = db.session.scalar(enrolments_visible_to(user=user).where(Enrolment.id == enrolment_id))
    if enrolment is None:
        raise NotFound(_l("No enrolment %(id)s.", id=enrolment_id))
    return enrolment


_ENROLMENT_ORDER = {
    "id": Enrolment.id,
    "created_at": Enrolment.created_at,
    "waitlist_position": Enrolment.waitlist_position,
    "participant_name": Enrolment.participant_name,
    "status": Enrolment.status,
}


def list_enrolments(*, user: User, program: TrainingProgram | None = None, args: dict) -> dict:
    """A page of the enrolments ``user`` may see, of one program or of all, filtered."""
    statement = enrolments_visible_to(user=user)
    if program is not None:
        statement = statement.where(Enrolment.program_id == program.id)
    for key in ("status", "city_id", "program_id"):
        if args.get(key) is not None:
            statement = statement.where(getattr(Enrolment, key) == args[key])
    return paginate(db.session, statement, args, _ENROLMENT_ORDER)


# --- readiness ------------------------------------------------------------------------------------


def city_has_completed(*, city_id: int, topic: str) -> bool:
    """Whether any participant of the city completed a program on ``topic`` (for the readiness_gaps check)."""
    return (
        db.session.scalar(
            select(sa.literal(True))
            .select_from(Enrolment)
            .join(P, P.id == Enrolment.program_id)
            .where(
                Enrolment.city_id == city_id, Enrolment.status == EnrolmentStatus.COMPLETED, P.topic == topic
            )
            .limit(1)
        )
        is True
    )


def readiness(*, city_id: int) -> list[dict]:
    """For every topic: whether the city's staff completed a program on it, how often, when last,
    and which catalogue items require it.
    """
    completions = dict(
        (topic, (count, last))
        for topic, count, last in db.session.execute(
            select(P.topic, sa.func.count(Enrolment.id), sa.func.max(Enrolment.completed_at))
            .join(P, P.id == Enrolment.program_id)
            .where(Enrolment.city_id == city_id, Enrolment.status == EnrolmentStatus.COMPLETED)
            .group_by(P.topic)
        )
    )
    items: dict[str, list[str]] = {}
    for code, topic in db.session.execute(
        select(Item.code, Item.requires_training)
        .where(Item.requires_training.is_not(None), Item.active.is_(True))
        .order_by(Item.code)
    ):
        items.setdefault(topic, []).append(code)
    result = []
    for topic in db.session.scalars(select(TrainingTopic).order_by(TrainingTopic.code)):
        count, last = completions.get(topic.code, (0, None))
        if last is not None and last.tzinfo is None:
            last = last.replace(tzinfo=UTC)
        result.append(
            {
                "topic": topic.code,
                "name": topic.name,
                "name_ko": topic.name_ko,
                "ready": count > 0,
                "completed": count,
                "last_completed_at": last,
                "items": items.get(topic.code, []),
            }
        )
    return result


def readable_city(*, user: User, city_id: int | None) -> int:
    """The city whose readiness ``user`` may read: a city user its own (another is a 404)."""
    if user.role == Role.CITY:
        if city_id is not None and city_id != user.city_id:
            raise NotFound(_l("No city %(id)s.", id=city_id))
        return user.city_id
    if city_id is None:
        raise ValidationFailed(_l("Say which city."), {"city_id": [_l("Required.")]})
    if db.session.get(City, city_id) is None:
        raise NotFound(_l("No city %(id)s.", id=city_id))
    return city_id


# --- reads of the pages ---------------------------------------------------------------------------


def live_enrolment_count(*, program_id: int) -> int:
    """Participants holding a seat or a waitlist ticket: the places a cancellation would cancel."""
    return db.session.scalar(
        select(sa.func.count())
        .select_from(Enrolment)
        .where(
            Enrolment.program_id == program_id,
            Enrolment.status.in_([EnrolmentStatus.ENROLLED, EnrolmentStatus.WAITLISTED]),
        )
    )


def upcoming_public(*, mode: str | None = None, limit: int = 5) -> list[dict]:
    """Published programs that have not started yet, soonest first (the public home and the hub).

    Public fields only: no link, no roster; the join link of a webinar is never part of this view.
    """
    statement = select(P).where(P.status == ProgramStatus.PUBLISHED, P.starts_at > utcnow())
    if mode is not None:
        statement = statement.where(P.mode == mode)
    programs = db.session.scalars(statement.order_by(P.starts_at, P.id).limit(limit)).all()
    return [
        {
            "id": p.id,
            "title": p.title,
            "topic": p.topic,
            "language": p.language,
            "mode": p.mode,
            "starts_at": p.starts_at,
            "ends_at": p.ends_at,
            "provider_id": p.provider_id,
        }
        for p in programs
    ]


def public_programs_of(*, provider_id: int, limit: int = 20) -> list[dict]:
    """A provider's published programs, latest first, public fields only (its public directory page)."""
    rows = db.session.scalars(
        select(P)
        .where(P.provider_id == provider_id, P.status == ProgramStatus.PUBLISHED)
        .order_by(P.starts_at.desc(), P.id.desc())
        .limit(limit)
    ).all()
    return [
        {
            "id": p.id,
            "title": p.title,
            "topic": p.topic,
            "mode": p.mode,
            "language": p.language,
            "starts_at": p.starts_at,
        }
        for p in rows
    ]


def _certificate_facts(facts, enrolment_id: int) -> None:
    """What a certificate says: the program, the participant, their city and the provider."""
    # The provider's table by name: training must not import providers (providers reads training).
    provider = TrainingProgram.metadata.tables["provider"]
    row = db.session.execute(
        select(Enrolment.participant_name, TrainingProgram.title, provider.c.name, City.name)
        .join(TrainingProgram, TrainingProgram.id == Enrolment.program_id)
        .join(provider, provider.c.id == TrainingProgram.provider_id)
        .join(City, City.id == Enrolment.city_id)
        .where(Enrolment.id == enrolment_id)
    ).first()
    if row is not None:
        facts.reference = row[1]
        facts.parties = [("participant", row[0]), ("city", row[3]), ("provider", row[2])]


document_queries.READERS["enrolment"] = _certificate_facts

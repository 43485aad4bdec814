"""Training programs and their enrolments (seats and waitlist); the knowledge hub is ``materials/``.

Seats are a counter on the program (``seats_taken``) that only conditional UPDATEs change, backed by a
CHECK constraint, so a program can never be overbooked. Waitlist numbers come from a second counter
(``waitlist_last``) bumped under the program's row lock, and are unique per program in the database:
they are tickets handed out first come, first served, never reused and never renumbered.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from health_responder.db import UTCDateTime
from health_responder.models_base import created_at, moment, text


class ProgramStatus(enum.StrEnum):
    """Only published programs take enrolments; a cancelled program is final."""

    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"


class ProgramMode(enum.StrEnum):
    """Where the program happens: at a venue, behind a link, or in a webinar whose join link is private."""

    ONLINE = "online"
    ONSITE = "onsite"
    WEBINAR = "webinar"


#: Explicit program transitions people make, from each state.
PROGRAM_TRANSITIONS: dict[str, frozenset[ProgramStatus]] = {
    "publish": frozenset({ProgramStatus.DRAFT}),
    "cancel": frozenset({ProgramStatus.DRAFT, ProgramStatus.PUBLISHED}),
    "edit": frozenset({ProgramStatus.DRAFT, ProgramStatus.PUBLISHED}),
}


class EnrolmentStatus(enum.StrEnum):
    """A participant's place: holding a seat, waiting for one, gone, or marked by the provider."""

    ENROLLED = "enrolled"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"
    ATTENDED = "attended"
    COMPLETED = "completed"
    NO_SHOW = "no_show"


E = EnrolmentStatus
#: Statuses that hold one of the program's seats (``seats_taken`` counts exactly these).
HOLDS_SEAT = frozenset({E.ENROLLED, E.ATTENDED, E.COMPLETED, E.NO_SHOW})

#: Enrolment transitions: target → the statuses it may come from. Attendance can be corrected
#: (a no-show who turns up late becomes attended) but a completion is final.
ENROLMENT_TRANSITIONS: dict[str, frozenset[EnrolmentStatus]] = {
    E.CANCELLED: frozenset({E.ENROLLED, E.WAITLISTED}),
    E.ATTENDED: frozenset({E.ENROLLED, E.NO_SHOW}),
    E.COMPLETED: frozenset({E.ENROLLED, E.ATTENDED}),
    E.NO_SHOW: frozenset({E.ENROLLED, E.ATTENDED}),
}

#: The statuses a provider may mark.
ATTENDANCE_STATUSES = (E.ATTENDED, E.COMPLETED, E.NO_SHOW)


class TrainingProgram(SQLModel, table=True):
    """A training program run by a provider, with a fixed number of seats."""

    __tablename__ = "training_program"

    id: int | None = Field(default=None, primary_key=True)
    provider_id: int = Field(foreign_key="provider.id", index=True)
    title: str = Field(max_length=200)
    topic: str = Field(foreign_key="training_topic.code", max_length=40, index=True)
    description: str | None = text()
    #: BCP 47 language tag of the teaching, e.g. "en", "ko", "pt-BR".
    language: str = Field(default="en", max_length=20, index=True)
    mode: str = Field(default=ProgramMode.ONLINE, max_length=10)
    venue: str | None = text()
    link: str | None = Field(default=None, max_length=500)
    #: A webinar's join link: only its provider, staff and cities with a participant holding a seat see it.
    join_url: str | None = Field(default=None, max_length=500)
    #: The webinar's recording, added afterwards; public (the hub lists it).
    recording_url: str | None = Field(default=None, max_length=500)
    #: IANA time zone the program is held in (its calendar file and its times are given in it).
    timezone: str = Field(default="UTC", max_length=64)
    starts_at: datetime = Field(sa_type=UTCDateTime, index=True)
    ends_at: datetime = Field(sa_type=UTCDateTime)
    #: Last day enrolments are taken (inclusive, in the enrolling city's timezone).
    enrolment_deadline: date
    capacity: int
    #: Enrolments holding a seat; changed only by conditional UPDATEs (see services).
    seats_taken: int = Field(default=0)
    #: The last waitlist number handed out; numbers are never reused.
    waitlist_last: int = Field(default=0)
    status: str = Field(default=ProgramStatus.DRAFT, max_length=20, index=True)
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = created_at()
    updated_at: datetime | None = moment()
    published_at: datetime | None = moment()
    cancelled_at: datetime | None = moment()

    __table_args__ = (
        sa.CheckConstraint("capacity > 0", name="capacity_positive"),
        sa.CheckConstraint("seats_taken >= 0", name="seats_taken_not_negative"),
        sa.CheckConstraint("seats_taken <= capacity", name="seats_within_capacity"),
        sa.CheckConstraint("waitlist_last >= 0", name="waitlist_last_not_negative"),
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.CheckConstraint("status IN ('draft', 'published', 'cancelled')", name="status_known"),
        sa.CheckConstraint("mode IN ('online', 'onsite', 'webinar')", name="mode_known"),
    )

    @property
    def seats_left(self) -> int:
        """Seats still free."""
        return self.capacity - self.seats_taken


class TrainingProgramNetwork(SQLModel, table=True):
    """A network whose cities may enrol; a program with no row here is open to every network."""

    __tablename__ = "training_program_network"

    program_id: int = Field(foreign_key="training_program.id", primary_key=True, ondelete="CASCADE")
    network_id: int = Field(foreign_key="network.id", primary_key=True, index=True)


class Enrolment(SQLModel, table=True):
    """One participant of a city in one program."""

    __tablename__ = "enrolment"

    id: int | None = Field(default=None, primary_key=True)
    program_id: int = Field(foreign_key="training_program.id", index=True)
    city_id: int = Field(foreign_key="city.id", index=True)
    participant_name: str = Field(max_length=200)
    #: Stored lower case: the same person is one participant however the address is typed.
    participant_email: str = Field(max_length=254)
    status: str = Field(default=EnrolmentStatus.ENROLLED, max_length=20, index=True)
    #: The waitlist ticket (1, 2, …) while waitlisted; cleared when promoted or cancelled.
    waitlist_position: int | None = Field(default=None)
    enrolled_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = created_at()
    promoted_at: datetime | None = moment()
    cancelled_at: datetime | None = moment()
    #: When the provider last marked attended / completed / no-show.
    marked_at: datetime | None = moment()
    completed_at: datetime | None = moment()

    __table_args__ = (
        sa.CheckConstraint(
            "status IN ('enrolled', 'waitlisted', 'cancelled', 'attended', 'completed', 'no_show')",
            name="status_known",
        ),
        sa.CheckConstraint(
            "(status = 'waitlisted') = (waitlist_position IS NOT NULL)", name="position_iff_waitlisted"
        ),
        # One live enrolment per participant and program; a cancelled one does not block re-enrolling.
        sa.Index(
            "uq_enrolment_program_email_live",
            "program_id",
            "participant_email",
            unique=True,
            sqlite_where=sa.text("status != 'cancelled'"),
            postgresql_where=sa.text("status != 'cancelled'"),
        ),
        # NULLs are distinct on both databases: only live waitlist tickets are compared.
        sa.UniqueConstraint("program_id", "waitlist_position", name="uq_enrolment_program_waitlist_position"),
        sa.Index("ix_enrolment_program_status", "program_id", "status"),
    )

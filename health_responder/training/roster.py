"""A roster in one go: several participants enrolled with one form, attendance marked for many at once.

Each person goes through the single services (``services.enrol``, ``services.mark_attendance``), which
check role, tenant, state and seats as for one. All or none: every row is tried (each in a savepoint),
every row's problem is reported together, named by its place in the list, and when any row fails the
error is raised so that the caller rolls the whole batch back. Nothing here commits.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from health_responder.auth.models import User
from health_responder.errors import DomainError, NotFound, ValidationFailed
from health_responder.extensions import db
from health_responder.training import queries, services
from health_responder.training.models import Enrolment, TrainingProgram

#: The fields of one row of a batch: an error naming one of them belongs to that row.
ENROL_FIELDS = ("participant_name", "participant_email")


def _batch(rows: list, key: str, attempt, fields: tuple[str, ...]) -> list:
    """Run ``attempt(row)`` for every row, each in a savepoint; raise every row's problem at once.

    A problem of the whole program (a passed deadline, a cancelled program: an error naming none of the
    row's ``fields``, or the same refusal for every row) is raised as it came (its own status), once.
    """
    done, by_row, general, seen = [], {}, [], []
    for index, row in enumerate(rows):
        try:
            with db.session.begin_nested():
                done.append(attempt(row))
        except NotFound:
            raise
        except DomainError as error:
            seen.append(error)
            mine = {name: messages for name, messages in error.errors.items() if name in fields}
            if mine:
                by_row[index] = mine
            elif not general:
                general.append(error)
    if general:
        raise general[0]
    if len(seen) == len(rows) and len({str(error.message) for error in seen}) == 1:
        raise seen[0]  # the same refusal for every row (or the one row's): said once, with its own status
    if by_row:
        raise ValidationFailed(
            _l(
                "%(n)s of the %(total)s rows could not be saved, so none was: correct them and send again.",
                n=len(by_row),
                total=len(rows),
            ),
            {key: by_row},
        )
    return done


def enrol_many(
    *, program: TrainingProgram, by: User, participants: list[dict], city_id: int | None = None
) -> list[Enrolment]:
    """Enrol every participant of ``participants`` (name and email) for one city, in order: all or none.

    Seats go in the list's order; past the capacity, the next ones get waitlist tickets, as one by one.
    The same email twice in the list is refused on its second row.
    """
    seen: dict[str, int] = {}
    twice = {}
    for index, person in enumerate(participants):
        email = person["participant_email"].strip().lower()
        if email in seen:
            twice[index] = {
                "participant_email": [_l("Given twice in this list (row %(n)s).", n=seen[email] + 1)]
            }
        seen.setdefault(email, index)
    if twice:
        raise ValidationFailed(_l("The same participant is listed twice."), {"participants": twice})
    return _batch(
        participants,
        "participants",
        lambda person: services.enrol(program=program, by=by, city_id=city_id, **person),
        ENROL_FIELDS,
    )


def mark_many(*, program: TrainingProgram, by: User, marks: list[dict]) -> list[Enrolment]:
    """Mark the attendance of several participants of ``program`` (``enrolment_id`` and ``status`` each): all or none."""

    def mark(entry: dict) -> Enrolment:
        enrolment = queries.get_enrolment(enrolment_id=entry["enrolment_id"], user=by)
        if enrolment.program_id != program.id:
            raise ValidationFailed(
                _l("Participant %(id)s is not on this program.", id=entry["enrolment_id"]),
                {"enrolment_id": [_l("Not on this program.")]},
            )
        return services.mark_attendance(enrolment=enrolment, by=by, status=entry["status"])

    return _batch(marks, "marks", mark, ("enrolment_id", "status"))

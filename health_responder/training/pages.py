"""Pages of training: the catalogue and a city's enrolment of its staff, a provider's programs with
their rosters and attendance marking, and a city's readiness per topic.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlmodel import select
from wtforms import EmailField, HiddenField, SelectField, StringField

from health_responder.auth.models import Role
from health_responder.extensions import db
from health_responder.providers.models import Provider
from health_responder.reference.models import City, TrainingTopic
from health_responder.training import queries, services
from health_responder.training.models import (
    ATTENDANCE_STATUSES,
    Enrolment,
    EnrolmentStatus,
    ProgramStatus,
    TrainingProgram,
)
from health_responder.training.schemas import AttendanceSchema, EnrolmentCreateSchema
from health_responder.web.context import NAV, label, register_panel
from health_responder.web.forms import attempt, load
from health_responder.web.guards import STAFF, is_staff, me, roles

bp = Blueprint("training_pages", __name__, template_folder="templates")

for _role in ("city", "provider", *STAFF):
    NAV[_role] += [(_l("Training"), "training_pages.index")]

E = EnrolmentStatus


def _optional_int(value):
    return int(value) if value not in (None, "", "None") else None


class EnrolForm(FlaskForm):
    participant_name = StringField(_l("Participant's name"))
    participant_email = EmailField(_l("Participant's email"))
    city_id = SelectField(_l("City"), coerce=_optional_int, validate_choice=False)


class AttendanceForm(FlaskForm):
    enrolment_id = HiddenField()
    status = SelectField(_l("Attendance"), validate_choice=False)


class CancelEnrolmentForm(FlaskForm):
    """A button: the token is all it carries."""


def _topic_names() -> dict[str, str]:
    return dict(db.session.execute(select(TrainingTopic.code, TrainingTopic.name)).all())


def _provider_names() -> dict[int, str]:
    return dict(db.session.execute(select(Provider.id, Provider.name)).all())


@bp.get("/training")
@roles()
def index():
    """The catalogue: published programs (a provider also sees its drafts), soonest first."""
    user = me()
    page = queries.list_programs({"page": max(1, request.args.get("page", 1, type=int) or 1), "page_size": 50}, user)
    readiness = queries.readiness(user.city_id) if user.role == Role.CITY else None
    return render_template("training/index.html", programs=page["items"], topics=_topic_names(),
                           providers=_provider_names(), readiness=readiness)


def _roster(program: TrainingProgram) -> list[dict]:
    rows = queries.list_enrolments({"page": 1, "page_size": 100, "order_by": "id"}, me(), program=program)["items"]
    cities = dict(db.session.execute(select(City.id, City.name)).all())
    return [{"enrolment": e, "city": cities.get(e.city_id, "")} for e in rows]


def _attendance_choices() -> list[tuple]:
    return [(s.value, label(s.value)) for s in ATTENDANCE_STATUSES]


def _program_page(program: TrainingProgram, status: int = 200, enrol_form: EnrolForm | None = None,
                  attendance: tuple[int, AttendanceForm] | None = None):
    user = me()
    roster = _roster(program)
    can_mark = user.role in STAFF or (user.role == Role.PROVIDER and program.provider_id == user.provider_id)
    for row in roster:
        form = AttendanceForm(formdata=None, enrolment_id=row["enrolment"].id,
                              status=row["enrolment"].status if row["enrolment"].status in ATTENDANCE_STATUSES
                              else E.ATTENDED.value)
        if attendance and attendance[0] == row["enrolment"].id:
            form = attendance[1]
        form.status.choices = _attendance_choices()
        row["form"] = form
    form = enrol_form or EnrolForm(formdata=None)
    form.city_id.choices = [("", _("Choose a city"))] + [
        (c.id, c.name) for c in db.session.scalars(select(City).order_by(City.name))]
    context = {
        "program": program, "detail": queries.program_detail(program), "roster": roster, "can_mark": can_mark,
        "can_enrol": user.role in (Role.CITY, *STAFF) and program.status == ProgramStatus.PUBLISHED,
        "enrol_form": form, "cancel_form": CancelEnrolmentForm(formdata=None),
        "topics": _topic_names(), "provider": db.session.get(Provider, program.provider_id), "staff": is_staff(),
    }
    return render_template("training/program.html", **context), status


@bp.get("/training/<int:program_id>")
@roles()
def program(program_id: int):
    """One program: details, materials, enrolment form (cities) and roster with attendance (provider)."""
    return _program_page(queries.get_program(program_id, me()))


@bp.post("/training/<int:program_id>/enrol")
@roles(Role.CITY, *STAFF)
def enrol(program_id: int):
    """Enrol a participant: a seat while one is free, else a place on the waitlist."""
    found = queries.get_program(program_id, me())
    form = EnrolForm()
    if not form.validate_on_submit():
        return _program_page(found, 422, enrol_form=form)
    payload = {"participant_name": form.participant_name.data or None,
               "participant_email": (form.participant_email.data or "").strip() or None}
    if is_staff() and form.city_id.data is not None:
        payload["city_id"] = form.city_id.data
    payload = {k: v for k, v in payload.items() if v is not None}

    def run():
        enrolment = services.enrol(program=found, by=me(), **load(EnrolmentCreateSchema, payload))
        db.session.commit()
        return enrolment

    enrolment, status = attempt(form, run)
    if enrolment is None:
        return _program_page(queries.get_program(program_id, me()), status, enrol_form=form)
    if enrolment.status == E.WAITLISTED:
        flash(_("%(name)s is on the waitlist (ticket %(n)s).", name=enrolment.participant_name,
                n=enrolment.waitlist_position), "info")
    else:
        flash(_("%(name)s is enrolled.", name=enrolment.participant_name), "success")
    return redirect(url_for(".program", program_id=program_id))


@bp.post("/training/enrolments/<int:enrolment_id>/cancel")
@roles()
def cancel_enrolment(enrolment_id: int):
    """Cancel a place; a freed seat goes to the first on the waitlist."""
    enrolment = queries.get_enrolment(enrolment_id, me())
    form = CancelEnrolmentForm()
    if not form.validate_on_submit():
        return _program_page(queries.get_program(enrolment.program_id, me()), 422)
    cancelled, status = attempt(form, lambda: _commit(services.cancel_enrolment(enrolment=enrolment, by=me())))
    if cancelled is None:
        for message in form.form_errors:
            flash(message, "error")
        return _program_page(queries.get_program(enrolment.program_id, me()), status)
    flash(_("The place of %(name)s is cancelled.", name=cancelled.participant_name), "success")
    return redirect(url_for(".program", program_id=cancelled.program_id))


def _commit(result):
    db.session.commit()
    return result


@bp.post("/training/enrolments/<int:enrolment_id>/attendance")
@roles(Role.PROVIDER, *STAFF)
def attendance(enrolment_id: int):
    """Mark a participant attended, completed or no-show."""
    enrolment = queries.get_enrolment(enrolment_id, me())
    program_row = queries.get_program(enrolment.program_id, me())
    form = AttendanceForm()
    form.status.choices = _attendance_choices()
    if not form.validate_on_submit():
        return _program_page(program_row, 422, attendance=(enrolment_id, form))
    payload = {"status": form.status.data} if form.status.data else {}

    def run():
        return _commit(services.mark_attendance(enrolment=enrolment, by=me(), **load(AttendanceSchema, payload)))

    marked, status = attempt(form, run)
    if marked is None:
        return _program_page(queries.get_program(enrolment.program_id, me()), status, attendance=(enrolment_id, form))
    flash(_("%(name)s is marked %(status)s.", name=marked.participant_name, status=label(marked.status)), "success")
    return redirect(url_for(".program", program_id=marked.program_id))


# --- dashboard panels -----------------------------------------------------------------------------


def _city_panel(user) -> dict:
    enrolments = db.session.scalars(select(Enrolment).where(Enrolment.city_id == user.city_id,
                                                            Enrolment.status.in_([E.ENROLLED, E.WAITLISTED]))
                                    .order_by(Enrolment.id.desc()).limit(8)).all()
    titles = dict(db.session.execute(select(TrainingProgram.id, TrainingProgram.title).where(
        TrainingProgram.id.in_({e.program_id for e in enrolments}))).all()) if enrolments else {}
    gaps = [row for row in queries.readiness(user.city_id) if not row["ready"] and row["items"]]
    return {"enrolments": enrolments, "titles": titles, "gaps": gaps}


def _provider_panel(user) -> dict:
    programs = db.session.scalars(select(TrainingProgram).where(TrainingProgram.provider_id == user.provider_id,
                                                                TrainingProgram.status != ProgramStatus.CANCELLED)
                                  .order_by(TrainingProgram.starts_at).limit(8)).all()
    return {"programs": programs}


register_panel((Role.CITY,), "training/panel_city.html", _city_panel, order=40)
register_panel((Role.PROVIDER,), "training/panel_provider.html", _provider_panel, order=40)

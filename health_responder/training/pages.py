"""Pages of training: the catalogue and a city's enrolment of its staff (with its participants and their
certificates), a provider's programs with their rosters and attendance marking, a completed participant's
certificate (PDF), a city's readiness per topic, the forms that create, edit, publish and cancel programs. The knowledge hub's pages are ``materials/pages.py``.

Each POST loads the API's schema and calls the same service as the API (``web.forms.perform`` puts
their messages next to the fields, commits once and flashes what happened), then redirects. Who may change
which program, and from which state, is the services' decision; the pages only hide the buttons that
could not work.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_timezone, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from health_responder.auth.models import Role
from health_responder.db import utcnow
from health_responder.documents.responses import pdf_response
from health_responder.extensions import db
from health_responder.labels import label
from health_responder.providers import pages as provider_pages
from health_responder.providers import queries as providers
from health_responder.reference import queries as reference
from health_responder.training import certificates, queries, roster, services
from health_responder.training.forms import (
    PARTICIPANT_SLOTS,
    AttendanceForm,
    CancelEnrolmentForm,
    EnrolForm,
    ProgramActionForm,
    ProgramForm,
    RosterForm,
)
from health_responder.training.models import (
    ATTENDANCE_STATUSES,
    PROGRAM_TRANSITIONS,
    EnrolmentStatus,
    ProgramMode,
    ProgramStatus,
    TrainingProgram,
)
from health_responder.training.schemas import (
    AttendanceBatchSchema,
    AttendanceSchema,
    EnrolmentBatchSchema,
    ProgramCreateSchema,
)
from health_responder.web import stash
from health_responder.web.context import NAV, register_panel
from health_responder.web.forms import commit, load, perform, status_of
from health_responder.web.guards import STAFF, is_staff, me, roles
from health_responder.web.i18n import default_timezone, translate
from health_responder.web.parsing import int_or_none, link_args, page_number, text
from health_responder.zones import local_date

bp = Blueprint("training_pages", __name__, template_folder="templates")
EDITORS = (Role.PROVIDER, *STAFF)

for _role in ("city", "provider", *STAFF):
    NAV[_role] += [
        (_l("Training"), "training_pages.index"),
    ]

E = EnrolmentStatus

# The public page of a provider lists its programs (providers cannot import training: the hook is theirs).
provider_pages.PUBLIC_SECTIONS["programs"] = queries.public_programs_of


def _topic_choices(first: str) -> list[tuple]:
    return [("", first)] + reference.topics_by_name()


def _provider_choices(first: str) -> list[tuple]:
    return [("", first)] + [(p.id, p.name) for p in providers.all_providers()]


@bp.get("/training")
@roles()
def index():
    """The catalogue: published programs (a provider also sees its drafts), those still ahead first."""
    user = me()
    topics = reference.topic_names()
    topic = (
        request.args.get("topic") if request.args.get("topic") in topics else None
    )  # a readiness alert's link
    page = queries.list_programs(
        args={"page": page_number(), "page_size": 50, "topic": topic, "upcoming_first": True}, user=user
    )
    readiness = participants = None
    if user.role == Role.CITY:
        readiness = queries.readiness(city_id=user.city_id)
        # The city's own people, newest first, each completed one with a link to their certificate.
        participants = queries.list_enrolments(
            args={"page": _people_page(), "page_size": PEOPLE_PAGE_SIZE, "order_by": "-id"}, user=user
        )
    now = utcnow()
    # A city's deadline passes on its own calendar, as enrol judges it (services.enrolment_refusal).
    today = local_date(at=now, zone=default_timezone(user) if user.role == Role.CITY else "UTC")
    for view in page["items"]:  # what the catalogue says of each: ended, under way, enrolment closed
        view["ended"] = view["ends_at"] < now
        view["under_way"] = view["starts_at"] <= now <= view["ends_at"]
        view["enrolment_open"] = (
            view["status"] == ProgramStatus.PUBLISHED
            and now < view["starts_at"]
            and today <= view["enrolment_deadline"]
        )
    return render_template(
        "training/index.html",
        programs=page["items"],
        topics=topics,
        topic=topic,
        providers=providers.provider_names(),
        readiness=readiness,
        participants=participants,
        titles=queries.program_titles(ids=(e.program_id for e in participants["items"]))
        if participants
        else {},
        link_args=link_args(),
        can_create=user.role in EDITORS,
    )


PEOPLE_PAGE_SIZE = 25


def _people_page() -> int:
    return max(1, request.args.get("people", 1, type=int) or 1)


@bp.get("/training/enrolments/<int:enrolment_id>/certificate.pdf")
@roles()
def certificate(enrolment_id: int):
    """The completion certificate of a completed participant (registered and verifiable, like the API's)."""
    db.begin_write()  # a GET that may register the document
    document, content = certificates.certificate(
        enrolment=queries.get_enrolment(enrolment_id=enrolment_id, user=me()),
        by=me(),
        language=request.args.get("lang"),
    )
    return commit(pdf_response(document, content))


def _roster(program: TrainingProgram) -> list[dict]:
    rows = queries.list_enrolments(
        args={"page": 1, "page_size": 100, "order_by": "id"}, user=me(), program=program
    )["items"]
    cities = reference.city_names(ids=(e.city_id for e in rows))
    return [{"enrolment": e, "city": cities.get(e.city_id, "")} for e in rows]


def _attendance_choices() -> list[tuple]:
    return [(s.value, label(s.value)) for s in ATTENDANCE_STATUSES]


#: The participants whose attendance the roster form offers to mark.
MARKABLE = (EnrolmentStatus.ENROLLED, EnrolmentStatus.ATTENDED, EnrolmentStatus.NO_SHOW)


def _roster_form(roster: list[dict], posted: RosterForm | None = None) -> RosterForm:
    """The roster's attendance form: a row per participant who can be marked, as posted or as they stand."""
    markable = [row for row in roster if row["enrolment"].status in MARKABLE]
    form = posted or RosterForm(
        formdata=None,
        data={
            "marks": [
                {
                    "enrolment_id": row["enrolment"].id,
                    "status": row["enrolment"].status
                    if row["enrolment"].status in ATTENDANCE_STATUSES
                    else E.ATTENDED.value,
                }
                for row in markable
            ]
        },
    )
    names = {row["enrolment"].id: row["enrolment"].participant_name for row in markable}
    for entry in form.marks:
        entry.status.choices = _attendance_choices()
        name = names.get(int_or_none(entry.enrolment_id.data))
        if name is not None:
            entry.status.label.text = _("Attendance of %(name)s", name=name)
    by_id = {int_or_none(entry.enrolment_id.data): entry for entry in form.marks}
    for row in roster:
        row["mark"] = by_id.get(row["enrolment"].id)
    return form


def _enrol_form(form: EnrolForm | None = None) -> EnrolForm:
    form = form or EnrolForm(formdata=None)
    form.city_id.choices = [("", _("Choose a city"))] + [(c.id, c.name) for c in reference.all_cities()]
    return form


def _program_page(
    program: TrainingProgram,
    status: int = 200,
    enrol_form: EnrolForm | None = None,
    roster_form: RosterForm | None = None,
    errors: list | None = None,
):
    user = me()
    roster = _roster(program)
    can_mark = user.role in STAFF or (user.role == Role.PROVIDER and program.provider_id == user.provider_id)
    # Buttons that could work; the services decide again (and alone) when one is pressed.
    can = {
        action: can_mark and program.status in PROGRAM_TRANSITIONS[action]
        for action in ("edit", "publish", "cancel")
    }
    # Offered only while it can work, else said why: the services' own checks, asked in advance.
    enrol_closed = services.enrolment_refusal(
        program, reference.city(city_id=user.city_id) if user.role == Role.CITY else None
    )
    attendance_closed = services.attendance_refusal(program) if can_mark else None
    context = {
        "program": program,
        "detail": queries.program_detail(program=program, user=user),
        "roster": roster,
        "roster_form": _roster_form(roster, roster_form),
        "can_mark": can_mark,
        "can": can,
        "can_enrol": user.role in (Role.CITY, *STAFF) and enrol_closed is None,
        "enrol_closed": translate(enrol_closed.message) if enrol_closed is not None else None,
        "attendance_closed": translate(attendance_closed.message) if attendance_closed is not None else None,
        "enrol_form": _enrol_form(enrol_form),
        "cancel_form": CancelEnrolmentForm(formdata=None),
        "topics": reference.topic_names(),
        "provider": providers.provider(provider_id=program.provider_id),
        "staff": is_staff(),
        "errors": errors or [],
    }
    return render_template("training/program.html", **context), status


@bp.get("/training/<int:program_id>")
@roles()
def program(program_id: int):
    """One program: details, materials, enrolment form (cities) and roster with attendance (provider)."""
    return _program_page(queries.get_program(program_id=program_id, user=me()))


def _participants(form: EnrolForm) -> tuple[list[dict], dict[str, str]]:
    """The rows of the form that hold something, as the API's participants, and which form row each came from."""
    rows, aliases = [], {}
    for position, entry in enumerate(form.participants):
        name, email = text(entry.participant_name), text(entry.participant_email)
        if name is None and email is None:
            continue  # an unused row
        for field in ("participant_name", "participant_email"):
            aliases[f"participants.{len(rows)}.{field}"] = f"participants.{position}.{field}"
        rows.append({k: v for k, v in (("participant_name", name), ("participant_email", email)) if v})
    return rows, aliases


@bp.post("/training/<int:program_id>/enrol")
@roles(Role.CITY, *STAFF)
def enrol(program_id: int):
    """Enrol the participants of the form's rows, in order, all or none: seats first, then waitlist tickets."""
    found = queries.get_program(program_id=program_id, user=me())
    form = _enrol_form(EnrolForm())
    if request.form.get("action") == "add_rows":
        # Without the page's script (which adds the rows in the page): the same form, more rows, through a
        # redirect like every POST (web.stash keeps what was typed for the page it opens).
        typed = [(name, value) for name, value in request.form.items(multi=True) if name != "action"]
        rows = len(form.participants.entries) + PARTICIPANT_SLOTS
        fields = stash.with_rows(typed, group="participants", field="participant_name", rows=rows)
        page = url_for(".program", program_id=program_id)
        return redirect(stash.carry(fields=fields, user_id=me().id, page=page), 303)
    if not form.validate_on_submit():
        return _program_page(found, 422, enrol_form=form)
    rows, aliases = _participants(form)
    if not rows:
        form.form_errors.append(_("Write the name and email of at least one participant."))
        return _program_page(found, 422, enrol_form=form)
    payload: dict = {"participants": rows}
    if is_staff() and form.city_id.data is not None:
        payload["city_id"] = form.city_id.data

    made, status = perform(
        form,
        lambda: roster.enrol_many(program=found, by=me(), **load(EnrolmentBatchSchema, payload)),
        aliases=aliases,
    )
    if made is None:
        return _program_page(queries.get_program(program_id=program_id, user=me()), status, enrol_form=form)
    for enrolment in made:
        if enrolment.status == E.WAITLISTED:
            flash(
                _(
                    "%(name)s is on the waitlist (ticket %(n)s).",
                    name=enrolment.participant_name,
                    n=enrolment.waitlist_position,
                ),
                "info",
            )
        else:
            flash(_("%(name)s is enrolled.", name=enrolment.participant_name), "success")
    return redirect(url_for(".program", program_id=program_id))


@bp.post("/training/<int:program_id>/attendance")
@roles(Role.PROVIDER, *STAFF)
def attendance_all(program_id: int):
    """Save the whole roster's attendance with one button: every row changed, all or none."""
    found = queries.get_program(program_id=program_id, user=me())
    form = RosterForm()
    if not form.validate_on_submit():
        return _program_page(found, 422, roster_form=form)
    current = {row["enrolment"].id: row["enrolment"].status for row in _roster(found)}
    marks, aliases = [], {}
    for position, entry in enumerate(form.marks):
        enrolment_id = int_or_none(entry.enrolment_id.data)
        if enrolment_id is None or not entry.status.data or current.get(enrolment_id) == entry.status.data:
            continue  # left as it was
        for field in ("enrolment_id", "status"):
            aliases[f"marks.{len(marks)}.{field}"] = f"marks.{position}.status"
        marks.append({"enrolment_id": enrolment_id, "status": entry.status.data})
    if not marks:
        flash(_("Nothing changed: every participant is already marked as chosen."), "info")
        return redirect(url_for(".program", program_id=program_id))
    marked, status = perform(
        form,
        lambda: roster.mark_many(program=found, by=me(), **load(AttendanceBatchSchema, {"marks": marks})),
        done=lambda marked: ngettext(
            "The attendance of %(num)d participant is saved.",
            "The attendance of %(num)d participants is saved.",
            len(marked),
        ),
        aliases=aliases,
    )
    if marked is None:
        return _program_page(queries.get_program(program_id=program_id, user=me()), status, roster_form=form)
    return redirect(url_for(".program", program_id=program_id, _anchor="participants"))


@bp.post("/training/enrolments/<int:enrolment_id>/cancel")
@roles()
def cancel_enrolment(enrolment_id: int):
    """Cancel a place; a freed seat goes to the first on the waitlist."""
    enrolment = queries.get_enrolment(enrolment_id=enrolment_id, user=me())
    form = CancelEnrolmentForm()
    if not form.validate_on_submit():
        return _program_page(queries.get_program(program_id=enrolment.program_id, user=me()), 422)
    cancelled, status = perform(
        form,
        lambda: services.cancel_enrolment(enrolment=enrolment, by=me()),
        done=lambda cancelled: _("The place of %(name)s is cancelled.", name=cancelled.participant_name),
    )
    if cancelled is None:
        for message in form.form_errors:
            flash(message, "error")
        return _program_page(queries.get_program(program_id=enrolment.program_id, user=me()), status)
    return redirect(url_for(".program", program_id=cancelled.program_id))


@bp.post("/training/enrolments/<int:enrolment_id>/attendance")
@roles(Role.PROVIDER, *STAFF)
def attendance(enrolment_id: int):
    """Mark a participant attended, completed or no-show."""
    enrolment = queries.get_enrolment(enrolment_id=enrolment_id, user=me())
    program_row = queries.get_program(program_id=enrolment.program_id, user=me())
    form = AttendanceForm()
    form.status.choices = _attendance_choices()
    if not form.validate_on_submit():
        return _program_page(program_row, 422, errors=[_("The form has expired: try again.")])
    payload = {"status": form.status.data} if form.status.data else {}

    marked, status = perform(
        form,
        lambda: services.mark_attendance(enrolment=enrolment, by=me(), **load(AttendanceSchema, payload)),
        done=lambda marked: _(
            "%(name)s is marked %(status)s.", name=marked.participant_name, status=label(marked.status)
        ),
    )
    if marked is None:
        return _program_page(
            queries.get_program(program_id=enrolment.program_id, user=me()),
            status,
            errors=form.form_errors + form.status.errors,
        )
    return redirect(url_for(".program", program_id=marked.program_id))


# --- creating and changing programs ---------------------------------------------------------------


#: The edit form shows the whole program, so it is loaded as one (the update schema alone would let
#: an emptied required field through as "unchanged"); the provider is fixed once the program exists.
PROGRAM_EDIT_SCHEMA = ProgramCreateSchema(exclude=("published", "provider_id"))


def _prepare_program_form(form: ProgramForm) -> None:
    form.provider_id.choices = _provider_choices(_("Choose a provider"))
    form.topic.choices = _topic_choices(_("Choose a topic"))
    form.mode.choices = [(m.value, label(m.value)) for m in ProgramMode]
    form.networks.choices = [(n.id, f"{n.code} — {n.name}") for n in reference.all_networks()]


def _program_payload(form: ProgramForm) -> dict:
    """The API body the form stands for: blank required fields left out (the schema names them)."""
    payload = {
        "title": text(form.title),
        "topic": form.topic.data or None,
        "language": text(form.language),
        "mode": form.mode.data or None,
        "capacity": form.capacity.data,
        "starts_at": form.starts_at.data.isoformat() if form.starts_at.data else None,
        "ends_at": form.ends_at.data.isoformat() if form.ends_at.data else None,
        "enrolment_deadline": form.enrolment_deadline.data.isoformat()
        if form.enrolment_deadline.data
        else None,
    }
    payload = {key: value for key, value in payload.items() if value is not None}
    # Optional texts are sent even when empty: on an edit, emptying the box clears the value.
    payload |= {
        "description": text(form.description),
        "venue": text(form.venue),
        "link": text(form.link),
        "networks": list(form.networks.data or []),
    }
    return payload


def _program_form_page(form: ProgramForm, program: TrainingProgram | None, status: int):
    provider = providers.provider(provider_id=program.provider_id) if program else None
    return render_template(
        "training/program_form.html",
        form=form,
        program=program,
        provider=provider,
        staff=is_staff(),
        timezone=str(get_timezone() or "UTC"),
    ), status_of(form, status)


@bp.route("/training/new", methods=["GET", "POST"])
@roles(*EDITORS)
def new_program():
    """A new program, published at once or kept as a draft; coordinators choose the provider."""
    form = ProgramForm()
    _prepare_program_form(form)
    status = 200
    if form.validate_on_submit():
        # The times were typed in the user's zone (a provider's: its location's); the program keeps it.
        payload = _program_payload(form) | {
            "published": request.form.get("action") == "publish",
            "timezone": str(get_timezone() or "UTC"),
        }
        if form.provider_id.data is not None:
            payload["provider_id"] = form.provider_id.data

        created, status = perform(
            form,
            lambda: services.create_program(by=me(), **load(ProgramCreateSchema, payload)),
            done=lambda created: (
                _("The program %(title)s is published: cities can enrol.", title=created.title)
                if created.status == ProgramStatus.PUBLISHED
                else _("The program %(title)s is saved as a draft.", title=created.title)
            ),
        )
        if created is not None:
            return redirect(url_for(".program", program_id=created.id))
    return _program_form_page(form, None, status)


@bp.route("/training/<int:program_id>/edit", methods=["GET", "POST"])
@roles(*EDITORS)
def edit_program(program_id: int):
    """Change a program: the same form, filled with what it holds now."""
    found = queries.editable_program(program_id=program_id, user=me())
    if request.method == "POST":
        form = ProgramForm()
    else:
        form = ProgramForm(
            obj=found, networks=[n["id"] for n in queries.networks_of(program_ids=[found.id])[found.id]]
        )
    _prepare_program_form(form)
    status = 200
    if form.validate_on_submit():
        payload = _program_payload(form)

        changed, status = perform(
            form,
            lambda: services.update_program(program=found, by=me(), **PROGRAM_EDIT_SCHEMA.load(payload)),
            done=lambda changed: _("The changes to %(title)s are saved.", title=changed.title),
        )
        if changed is not None:
            return redirect(url_for(".program", program_id=changed.id))
        found = queries.editable_program(program_id=program_id, user=me())
    return _program_form_page(form, found, status)


def _program_action(program_id: int, action, done: str):
    """Publish or cancel from a button; a refusal (e.g. 409 for the wrong state) is flashed on the program."""
    found = queries.editable_program(program_id=program_id, user=me())
    form = ProgramActionForm()
    if not form.validate_on_submit():
        return _program_page(queries.get_program(program_id=program_id, user=me()), 422)

    changed, status = perform(
        form, lambda: action(program=found, by=me()), done=lambda changed: done % {"title": changed.title}
    )
    if changed is None:
        for message in form.form_errors:
            flash(message, "error")
        return _program_page(queries.get_program(program_id=program_id, user=me()), status)
    return redirect(url_for(".program", program_id=program_id))


@bp.post("/training/<int:program_id>/publish")
@roles(*EDITORS)
def publish_program(program_id: int):
    """draft → published: cities can see it and enrol."""
    return _program_action(
        program_id, services.publish_program, _("The program %(title)s is published: cities can enrol.")
    )


@bp.route("/training/<int:program_id>/cancel", methods=["GET", "POST"])
@roles(*EDITORS)
def cancel_program(program_id: int):
    """Cancelling asks first (GET: what will happen); the POST cancels every place and tells the cities."""
    if request.method == "POST":
        return _program_action(
            program_id,
            services.cancel_program,
            _("The program %(title)s is cancelled; its participants' cities are told."),
        )
    found = queries.editable_program(program_id=program_id, user=me())
    return render_template(
        "training/cancel_program.html",
        program=found,
        form=ProgramActionForm(formdata=None),
        places=queries.live_enrolment_count(program_id=found.id),
    )


# --- dashboard panels -----------------------------------------------------------------------------


def _city_panel(user) -> dict:
    enrolments = queries.city_live_enrolments(city_id=user.city_id, limit=8)
    titles = queries.program_titles(ids=(e.program_id for e in enrolments))
    gaps = [row for row in queries.readiness(city_id=user.city_id) if not row["ready"] and row["items"]]
    return {"enrolments": enrolments, "titles": titles, "gaps": gaps}


def _provider_panel(user) -> dict:
    programs = queries.provider_programs(provider_id=user.provider_id, limit=8)
    return {"programs": programs}


register_panel((Role.CITY,), "training/panel_city.html", _city_panel, order=40)
register_panel((Role.PROVIDER,), "training/panel_provider.html", _provider_panel, order=40)

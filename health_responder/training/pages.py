"""Pages of training: the catalogue and a city's enrolment of its staff, a provider's programs with
their rosters and attendance marking, a city's readiness per topic, the forms that create, edit,
publish and cancel programs, and the knowledge hub (materials by topic and language, with forms to
add a link or upload a PDF).

Each POST loads the API's schema and calls the same service as the API (``web.forms.attempt`` puts
their messages next to the fields), commits once, flashes what happened and redirects. Who may change
which program, and from which state, is the services' decision; the pages only hide the buttons that
could not work.
"""

from __future__ import annotations

import zoneinfo

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from sqlmodel import select
from wtforms import (
    DateField,
    DateTimeLocalField,
    EmailField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.validators import Optional

from health_responder.auth.models import Role
from health_responder.errors import ValidationFailed
from health_responder.extensions import db
from health_responder.providers.models import Provider
from health_responder.reference.models import City, Network, TrainingTopic
from health_responder.training import queries, services
from health_responder.training.models import (
    ATTENDANCE_STATUSES,
    MATERIAL_MAX_BYTES,
    PROGRAM_TRANSITIONS,
    Enrolment,
    EnrolmentStatus,
    ProgramMode,
    ProgramStatus,
    TrainingProgram,
)
from health_responder.training.schemas import (
    AttendanceSchema,
    EnrolmentCreateSchema,
    MaterialLinkCreateSchema,
    MaterialUploadSchema,
    ProgramCreateSchema,
)
from health_responder.web.context import LANGUAGE_NAMES, NAV, label, register_panel
from health_responder.web.forms import attempt, load, status_of
from health_responder.web.guards import STAFF, is_staff, me, roles

bp = Blueprint("training_pages", __name__, template_folder="templates")
EDITORS = (Role.PROVIDER, *STAFF)

for _role in ("city", "provider", *STAFF):
    NAV[_role] += [
        (_l("Training"), "training_pages.index"),
        (_l("Knowledge hub"), "training_pages.materials"),
    ]

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


class ProgramActionForm(FlaskForm):
    """Publish or cancel a program: a button, the token is all it carries."""


def _user_timezone() -> zoneinfo.ZoneInfo:
    """The zone the user reads times in (Flask-Babel's choice); a datetime-local is typed in it too."""
    return zoneinfo.ZoneInfo(str(get_timezone() or "UTC"))


#: What a datetime-local input sends (with or without seconds); the first is how a value is shown.
LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


class ProgramForm(FlaskForm):
    """A whole program; types only here, every rule is the API schema's and the service's."""

    provider_id = SelectField(_l("Provider running it"), coerce=_optional_int, validate_choice=False)
    title = StringField(_l("Title"))
    topic = SelectField(_l("Topic"), validate_choice=False)
    description = TextAreaField(_l("Description (optional)"))
    language = StringField(_l("Language of the teaching"), default="en")
    mode = SelectField(_l("Mode"), default=ProgramMode.ONLINE.value, validate_choice=False)
    venue = TextAreaField(_l("Venue (required on site)"))
    link = URLField(_l("Link for online participants (optional)"))
    starts_at = DateTimeLocalField(
        _l("Starts"), format=LOCAL_FORMATS, tz=_user_timezone, validators=[Optional()]
    )
    ends_at = DateTimeLocalField(_l("Ends"), format=LOCAL_FORMATS, tz=_user_timezone, validators=[Optional()])
    enrolment_deadline = DateField(_l("Enrolment deadline"), validators=[Optional()])
    capacity = IntegerField(_l("Capacity (seats)"), validators=[Optional()])
    networks = SelectMultipleField(_l("Open to networks"), coerce=int, validate_choice=False)


class MaterialFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    topic = SelectField(_l("Topic"), validate_choice=False)
    language = SelectField(_l("Language"), validate_choice=False)


class LinkMaterialForm(FlaskForm):
    provider_id = SelectField(_l("Published by"), coerce=_optional_int, validate_choice=False)
    title = StringField(_l("Title"))
    topic = SelectField(_l("Topic"), validate_choice=False)
    language = StringField(_l("Language"), default="en")
    description = TextAreaField(_l("Description (optional)"))
    url = URLField(_l("Address (URL)"))


class PdfMaterialForm(FlaskForm):
    provider_id = SelectField(_l("Published by"), coerce=_optional_int, validate_choice=False)
    title = StringField(_l("Title"))
    topic = SelectField(_l("Topic"), validate_choice=False)
    language = StringField(_l("Language"), default="en")
    description = TextAreaField(_l("Description (optional)"))
    file = FileField(_l("PDF file"))


def _topic_names() -> dict[str, str]:
    return dict(db.session.execute(select(TrainingTopic.code, TrainingTopic.name)).all())


def _topic_choices(first: str) -> list[tuple]:
    topics = db.session.execute(
        select(TrainingTopic.code, TrainingTopic.name).order_by(TrainingTopic.name)
    ).all()
    return [("", first)] + [(code, name) for code, name in topics]


def _provider_choices(first: str) -> list[tuple]:
    return [("", first)] + [
        (p.id, p.name) for p in db.session.scalars(select(Provider).order_by(Provider.name))
    ]


def _provider_names() -> dict[int, str]:
    return dict(db.session.execute(select(Provider.id, Provider.name)).all())


@bp.get("/training")
@roles()
def index():
    """The catalogue: published programs (a provider also sees its drafts), soonest first."""
    user = me()
    page = queries.list_programs(
        {"page": max(1, request.args.get("page", 1, type=int) or 1), "page_size": 50}, user
    )
    readiness = queries.readiness(user.city_id) if user.role == Role.CITY else None
    return render_template(
        "training/index.html",
        programs=page["items"],
        topics=_topic_names(),
        providers=_provider_names(),
        readiness=readiness,
        can_create=user.role in EDITORS,
    )


def _roster(program: TrainingProgram) -> list[dict]:
    rows = queries.list_enrolments({"page": 1, "page_size": 100, "order_by": "id"}, me(), program=program)[
        "items"
    ]
    cities = dict(db.session.execute(select(City.id, City.name)).all())
    return [{"enrolment": e, "city": cities.get(e.city_id, "")} for e in rows]


def _attendance_choices() -> list[tuple]:
    return [(s.value, label(s.value)) for s in ATTENDANCE_STATUSES]


def _program_page(
    program: TrainingProgram,
    status: int = 200,
    enrol_form: EnrolForm | None = None,
    attendance: tuple[int, AttendanceForm] | None = None,
):
    user = me()
    roster = _roster(program)
    can_mark = user.role in STAFF or (user.role == Role.PROVIDER and program.provider_id == user.provider_id)
    # Buttons that could work; the services decide again (and alone) when one is pressed.
    can = {
        action: can_mark and program.status in PROGRAM_TRANSITIONS[action]
        for action in ("edit", "publish", "cancel")
    }
    for row in roster:
        form = AttendanceForm(
            formdata=None,
            enrolment_id=row["enrolment"].id,
            status=row["enrolment"].status
            if row["enrolment"].status in ATTENDANCE_STATUSES
            else E.ATTENDED.value,
        )
        if attendance and attendance[0] == row["enrolment"].id:
            form = attendance[1]
        form.status.choices = _attendance_choices()
        row["form"] = form
    form = enrol_form or EnrolForm(formdata=None)
    form.city_id.choices = [("", _("Choose a city"))] + [
        (c.id, c.name) for c in db.session.scalars(select(City).order_by(City.name))
    ]
    context = {
        "program": program,
        "detail": queries.program_detail(program),
        "roster": roster,
        "can_mark": can_mark,
        "can": can,
        "can_enrol": user.role in (Role.CITY, *STAFF) and program.status == ProgramStatus.PUBLISHED,
        "enrol_form": form,
        "cancel_form": CancelEnrolmentForm(formdata=None),
        "topics": _topic_names(),
        "provider": db.session.get(Provider, program.provider_id),
        "staff": is_staff(),
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
    payload = {
        "participant_name": form.participant_name.data or None,
        "participant_email": (form.participant_email.data or "").strip() or None,
    }
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


@bp.post("/training/enrolments/<int:enrolment_id>/cancel")
@roles()
def cancel_enrolment(enrolment_id: int):
    """Cancel a place; a freed seat goes to the first on the waitlist."""
    enrolment = queries.get_enrolment(enrolment_id, me())
    form = CancelEnrolmentForm()
    if not form.validate_on_submit():
        return _program_page(queries.get_program(enrolment.program_id, me()), 422)
    cancelled, status = attempt(
        form, lambda: _commit(services.cancel_enrolment(enrolment=enrolment, by=me()))
    )
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
        return _commit(
            services.mark_attendance(enrolment=enrolment, by=me(), **load(AttendanceSchema, payload))
        )

    marked, status = attempt(form, run)
    if marked is None:
        return _program_page(
            queries.get_program(enrolment.program_id, me()), status, attendance=(enrolment_id, form)
        )
    flash(
        _("%(name)s is marked %(status)s.", name=marked.participant_name, status=label(marked.status)),
        "success",
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
    form.networks.choices = [
        (n.id, f"{n.code} — {n.name}") for n in db.session.scalars(select(Network).order_by(Network.code))
    ]


def _text(field) -> str | None:
    return (field.data or "").strip() or None


def _program_payload(form: ProgramForm) -> dict:
    """The API body the form stands for: blank required fields left out (the schema names them)."""
    payload = {
        "title": _text(form.title),
        "topic": form.topic.data or None,
        "language": _text(form.language),
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
        "description": _text(form.description),
        "venue": _text(form.venue),
        "link": _text(form.link),
        "networks": list(form.networks.data or []),
    }
    return payload


def _program_form_page(form: ProgramForm, program: TrainingProgram | None, status: int):
    provider = db.session.get(Provider, program.provider_id) if program else None
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
        payload = _program_payload(form) | {"published": request.form.get("action") == "publish"}
        if form.provider_id.data is not None:
            payload["provider_id"] = form.provider_id.data

        def run():
            created = services.create_program(by=me(), **load(ProgramCreateSchema, payload))
            db.session.commit()
            return created

        created, status = attempt(form, run)
        if created is not None:
            flash(
                _("The program %(title)s is published: cities can enrol.", title=created.title)
                if created.status == ProgramStatus.PUBLISHED
                else _("The program %(title)s is saved as a draft.", title=created.title),
                "success",
            )
            return redirect(url_for(".program", program_id=created.id))
    return _program_form_page(form, None, status)


@bp.route("/training/<int:program_id>/edit", methods=["GET", "POST"])
@roles(*EDITORS)
def edit_program(program_id: int):
    """Change a program: the same form, filled with what it holds now."""
    found = queries.editable_program(program_id, me())
    if request.method == "POST":
        form = ProgramForm()
    else:
        form = ProgramForm(obj=found, networks=[n["id"] for n in queries.networks_of([found.id])[found.id]])
    _prepare_program_form(form)
    status = 200
    if form.validate_on_submit():
        payload = _program_payload(form)

        def run():
            changed = services.update_program(program=found, by=me(), **PROGRAM_EDIT_SCHEMA.load(payload))
            db.session.commit()
            return changed

        changed, status = attempt(form, run)
        if changed is not None:
            flash(_("The changes to %(title)s are saved.", title=changed.title), "success")
            return redirect(url_for(".program", program_id=changed.id))
        found = queries.editable_program(program_id, me())
    return _program_form_page(form, found, status)


def _program_action(program_id: int, action, done: str):
    """Publish or cancel from a button; a refusal (e.g. 409 for the wrong state) is flashed on the program."""
    found = queries.editable_program(program_id, me())
    form = ProgramActionForm()
    if not form.validate_on_submit():
        return _program_page(queries.get_program(program_id, me()), 422)

    def run():
        changed = action(program=found, by=me())
        db.session.commit()
        return changed

    changed, status = attempt(form, run)
    if changed is None:
        for message in form.form_errors:
            flash(message, "error")
        return _program_page(queries.get_program(program_id, me()), status)
    flash(done % {"title": changed.title}, "success")
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
    found = queries.editable_program(program_id, me())
    return render_template(
        "training/cancel_program.html",
        program=found,
        form=ProgramActionForm(formdata=None),
        places=queries.live_enrolment_count(found.id),
    )


# --- knowledge hub --------------------------------------------------------------------------------


@bp.url_value_preprocessor
def _allow_large_uploads(endpoint, _values):
    # A PDF material may be larger than the app-wide body limit. The CSRF check reads the form in the
    # first before_request hook, so the upload's own limit is set here, before anything reads the body.
    if endpoint == "training_pages.upload_material":
        request.max_content_length = MATERIAL_MAX_BYTES + 256 * 1024


def _prepare_material_form(form: LinkMaterialForm | PdfMaterialForm) -> None:
    form.provider_id.choices = _provider_choices(_("The association"))
    form.topic.choices = _topic_choices(_("Choose a topic"))


def _material_payload(form: LinkMaterialForm | PdfMaterialForm) -> dict:
    payload = {
        "title": _text(form.title),
        "topic": form.topic.data or None,
        "language": _text(form.language),
        "provider_id": form.provider_id.data,
    }
    payload = {key: value for key, value in payload.items() if value is not None}
    return payload | {"description": _text(form.description)}


def _materials_page(
    status: int = 200, link_form: LinkMaterialForm | None = None, pdf_form: PdfMaterialForm | None = None
):
    filters = MaterialFilterForm(request.args)
    filters.topic.choices = _topic_choices(_("Any topic"))
    languages = queries.material_languages()
    filters.language.choices = [("", _("Any language"))] + [
        (code, LANGUAGE_NAMES.get(code, code)) for code in languages
    ]
    args = {
        "page": max(1, request.args.get("page", 1, type=int) or 1),
        "page_size": 100,
        "topic": filters.topic.data or None,
        "language": filters.language.data if filters.language.data in languages else None,
    }
    page = queries.hub_page(args)
    forms = {}
    if me().role in EDITORS:
        forms = {
            "link_form": link_form or LinkMaterialForm(prefix="link", formdata=None),
            "pdf_form": pdf_form or PdfMaterialForm(prefix="pdf", formdata=None),
        }
        for form in forms.values():
            _prepare_material_form(form)
    link_args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template(
        "training/materials.html",
        filters=filters,
        page=page,
        topics=_topic_names(),
        providers=_provider_names(),
        language_names=LANGUAGE_NAMES,
        link_args=link_args,
        max_mb=MATERIAL_MAX_BYTES // (1024 * 1024),
        staff=is_staff(),
        **forms,
    ), status


@bp.get("/training/materials")
@roles()
def materials():
    """The knowledge hub: materials by topic and language; providers and staff add links and PDFs."""
    return _materials_page()


def _material_added(form: LinkMaterialForm | PdfMaterialForm, run, form_name: str):
    """Run the add, then back to the hub on the material's topic; or the hub again with ``form_name`` refused."""
    material, status = attempt(form, run)
    if material is None:
        return _materials_page(status, **{form_name: form})
    flash(_("%(title)s is in the knowledge hub.", title=material.title), "success")
    return redirect(url_for(".materials", topic=material.topic))


@bp.post("/training/materials/links")
@roles(*EDITORS)
def add_link_material():
    """Publish a link on a topic."""
    form = LinkMaterialForm(prefix="link")
    _prepare_material_form(form)
    if not form.validate_on_submit():
        return _materials_page(422, link_form=form)
    payload = _material_payload(form) | ({"url": _text(form.url)} if _text(form.url) else {})

    def run():
        material = services.create_link_material(by=me(), **load(MaterialLinkCreateSchema, payload))
        db.session.commit()
        return material

    return _material_added(form, run, "link_form")


@bp.post("/training/materials/pdfs")
@roles(*EDITORS)
def upload_material():
    """Upload a PDF on a topic (the service checks its type, header and size)."""
    form = PdfMaterialForm(prefix="pdf")
    _prepare_material_form(form)
    if not form.validate_on_submit():
        return _materials_page(422, pdf_form=form)
    payload = _material_payload(form)
    upload = form.file.data

    def run():
        data = load(MaterialUploadSchema, payload)
        if upload is None or not upload.filename:
            raise ValidationFailed(
                _l("Choose a PDF file."), {"file": [_l("Missing data for required field.")]}
            )
        material = services.create_pdf_material(
            by=me(), stream=upload.stream, file_name=upload.filename, content_type=upload.mimetype, **data
        )
        db.session.commit()
        return material

    return _material_added(form, run, "pdf_form")


@bp.get("/training/materials/<int:material_id>/file")
@roles()
def material_file(material_id: int):
    """The PDF of a material (the hub is readable by every role)."""
    material = queries.get_material(material_id)
    return send_file(
        services.material_file(material),
        mimetype="application/pdf",
        download_name=material.file_name or f"material-{material.id}.pdf",
        max_age=0,
    )


# --- dashboard panels -----------------------------------------------------------------------------


def _city_panel(user) -> dict:
    enrolments = db.session.scalars(
        select(Enrolment)
        .where(Enrolment.city_id == user.city_id, Enrolment.status.in_([E.ENROLLED, E.WAITLISTED]))
        .order_by(Enrolment.id.desc())
        .limit(8)
    ).all()
    titles = (
        dict(
            db.session.execute(
                select(TrainingProgram.id, TrainingProgram.title).where(
                    TrainingProgram.id.in_({e.program_id for e in enrolments})
                )
            ).all()
        )
        if enrolments
        else {}
    )
    gaps = [row for row in queries.readiness(user.city_id) if not row["ready"] and row["items"]]
    return {"enrolments": enrolments, "titles": titles, "gaps": gaps}


def _provider_panel(user) -> dict:
    programs = db.session.scalars(
        select(TrainingProgram)
        .where(
            TrainingProgram.provider_id == user.provider_id, TrainingProgram.status != ProgramStatus.CANCELLED
        )
        .order_by(TrainingProgram.starts_at)
        .limit(8)
    ).all()
    return {"programs": programs}


register_panel((Role.CITY,), "training/panel_city.html", _city_panel, order=40)
register_panel((Role.PROVIDER,), "training/panel_provider.html", _provider_panel, order=40)

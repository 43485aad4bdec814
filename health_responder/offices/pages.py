"""The Data Portal's regional offices: public list; admins open, change and close offices."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from health_responder.auth.models import Role
from health_responder.offices import queries, services
from health_responder.offices.forms import OfficeForm
from health_responder.offices.schemas import OfficeCreateSchema, OfficeUpdateSchema
from health_responder.web.forms import attempt, commit, load
from health_responder.web.guards import me, member, public, roles

bp = Blueprint("offices", __name__, template_folder="templates", url_prefix="/portal/offices")


@bp.get("/")
@public
def index():
    """Every network's offices: address, contact, languages, time zone and the cities they serve."""
    user = member()
    return render_template(
        "offices/index.html",
        offices=queries.all_offices(),
        admin=user is not None and user.role == Role.ADMIN,
    )


def _prepare(form: OfficeForm) -> None:
    form.network.choices = [(code, code) for code in queries.network_codes()]
    form.city_ids.choices = queries.city_choices()


def _payload(form: OfficeForm) -> dict:
    def text(field):
        value = (field.data or "").strip()
        return value or None

    return {
        "network": form.network.data,
        "name": (form.name.data or "").strip(),
        "address": text(form.address),
        "country": (form.country.data or "").strip(),
        "contact_name": text(form.contact_name),
        "contact_email": text(form.contact_email),
        "contact_phone": text(form.contact_phone),
        "languages": [t.strip() for t in (form.languages.data or "").split(",") if t.strip()],
        "timezone": (form.timezone.data or "").strip(),
        "city_ids": list(form.city_ids.data or []),
    }


def _save(form: OfficeForm, office_id: int | None):
    def run():
        if office_id is None:
            office = services.create_office(by=me(), **load(OfficeCreateSchema, _payload(form)))
        else:
            office = services.update_office(
                office=queries.get_office(office_id=office_id),
                by=me(),
                **load(OfficeUpdateSchema, _payload(form)),
            )
        commit()
        return office

    office, status = attempt(form, run)
    if office is None:
        return render_template("offices/form.html", form=form, office_id=office_id), status
    flash(_("%(name)s is saved.", name=office.name), "success")
    return redirect(url_for(".index"))


@bp.route("/new", methods=["GET", "POST"])
@roles(Role.ADMIN)
def new():
    """Open a regional office (admins)."""
    form = OfficeForm()
    _prepare(form)
    if request.method == "GET":
        form.languages.data, form.timezone.data = "en", "UTC"
        return render_template("offices/form.html", form=form, office_id=None)
    if not form.validate_on_submit():
        return render_template("offices/form.html", form=form, office_id=None), 422
    return _save(form, None)


@bp.route("/<int:office_id>/edit", methods=["GET", "POST"])
@roles(Role.ADMIN)
def edit(office_id: int):
    """Change an office and the cities it serves (admins)."""
    found = queries.view(office=queries.get_office(office_id=office_id))
    form = OfficeForm(
        data=found
        | {"languages": ",".join(found["languages"]), "city_ids": [c["id"] for c in found["cities"]]}
    )
    _prepare(form)
    if request.method == "GET":
        return render_template("offices/form.html", form=form, office_id=office_id)
    if not form.validate_on_submit():
        return render_template("offices/form.html", form=form, office_id=office_id), 422
    return _save(form, office_id)


@bp.post("/<int:office_id>/delete")
@roles(Role.ADMIN)
def delete(office_id: int):
    """Close an office (admins)."""
    office = queries.get_office(office_id=office_id)
    name = office.name
    services.delete_office(office=office, by=me())
    commit()
    flash(_("%(name)s is closed.", name=name), "info")
    return redirect(url_for(".index"))

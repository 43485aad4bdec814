"""Pages of stock: lots by item with expiry highlighting, receiving a lot, adjusting one with a reason,
and importing lots from CSV with a dry run that lists every row's errors before anything is written.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from sqlmodel import select
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import Optional

from health_responder.auth.models import Role
from health_responder.db import utc_today
from health_responder.errors import ValidationFailed
from health_responder.extensions import db
from health_responder.providers import queries as providers
from health_responder.providers.models import Provider, StockLocation
from health_responder.reference.models import Item
from health_responder.stock import csvio, queries, services
from health_responder.stock.models import ADJUSTMENT_REASONS, LotStatus, StockLot
from health_responder.stock.schemas import AdjustmentCreateSchema, LotCreateSchema
from health_responder.web.context import NAV, label, register_panel
from health_responder.web.forms import attempt, load, status_of
from health_responder.web.guards import STAFF, is_staff, me, roles
from health_responder.web.i18n import translate

bp = Blueprint("stock_pages", __name__, template_folder="templates")
KEEPERS = (Role.PROVIDER, *STAFF)

NAV["provider"] += [(_l("Stock"), "stock_pages.index")]
for _role in STAFF:
    NAV[_role] += [(_l("Stock"), "stock_pages.index")]


def _optional_int(value):
    return int(value) if value not in (None, "", "None") else None


class FilterForm(FlaskForm):
    class Meta:
        csrf = False

    item_id = SelectField(_l("Item"), coerce=_optional_int, validate_choice=False)
    status = SelectField(_l("Status"), validate_choice=False)
    expiring = BooleanField(_l("Only lots expired or near expiry"))


class ReceiveForm(FlaskForm):
    item_id = SelectField(_l("Item"), coerce=_optional_int, validate_choice=False)
    location_id = SelectField(_l("Location"), coerce=_optional_int, validate_choice=False)
    lot_code = StringField(_l("Lot code"))
    expires_on = DateField(_l("Expires on (leave empty if it does not expire)"), validators=[Optional()])
    quantity = IntegerField(_l("Quantity"), validators=[Optional()])
    note = TextAreaField(_l("Note (optional)"))


class AdjustForm(FlaskForm):
    delta = IntegerField(_l("Change in units (negative removes)"), validators=[Optional()])
    reason = SelectField(_l("Reason"), validate_choice=False)
    note = TextAreaField(_l("Note (optional)"))


class ImportForm(FlaskForm):
    provider_id = SelectField(_l("Provider"), coerce=_optional_int, validate_choice=False)
    file = FileField(_l("CSV file"))
    dry_run = BooleanField(_l("Check only (dry run): write nothing"), default=True)


# --- reads for the pages --------------------------------------------------------------------------


def _item_choices(first: str) -> list[tuple]:
    items = db.session.scalars(select(Item).where(Item.active.is_(True)).order_by(Item.code)).all()
    return [("", first)] + [(item.id, f"{item.code} — {item.name} ({item.unit})") for item in items]


def _location_choices() -> list[tuple]:
    statement = (
        select(StockLocation, Provider.name)
        .join(Provider, Provider.id == StockLocation.provider_id)
        .where(StockLocation.active.is_(True))
        .order_by(Provider.name, StockLocation.name)
    )
    if me().role == Role.PROVIDER:
        statement = statement.where(StockLocation.provider_id == me().provider_id)
    rows = db.session.execute(statement).all()
    return [("", _("Choose a location"))] + [
        (location.id, location.name if me().role == Role.PROVIDER else f"{provider} — {location.name}")
        for location, provider in rows
    ]


def expiry_class(lot: StockLot) -> str:
    """``expired``, ``expiring`` (within NEAR_EXPIRY_DAYS) or empty: the row's highlight."""
    if lot.expires_on is None:
        return ""
    today = utc_today()
    if lot.expires_on < today:
        return "expired"
    if lot.expires_on <= today + timedelta(days=current_app.config["NEAR_EXPIRY_DAYS"]):
        return "expiring"
    return ""


def _groups(lots: list[StockLot]) -> list[dict]:
    items = (
        {i.id: i for i in db.session.scalars(select(Item).where(Item.id.in_({lot.item_id for lot in lots})))}
        if lots
        else {}
    )
    locations = (
        {
            x.id: x
            for x in db.session.scalars(
                select(StockLocation).where(StockLocation.id.in_({lot.location_id for lot in lots}))
            )
        }
        if lots
        else {}
    )
    names = dict(db.session.execute(select(Provider.id, Provider.name)).all()) if is_staff() else {}
    groups: dict[int, dict] = {}
    for lot in sorted(lots, key=lambda x: (items[x.item_id].code, x.expires_on is None, x.expires_on, x.id)):
        group = groups.setdefault(
            lot.item_id, {"item": items[lot.item_id], "lots": [], "on_hand": 0, "available": 0}
        )
        group["lots"].append(
            {
                "lot": lot,
                "location": locations.get(lot.location_id),
                "expiry": expiry_class(lot),
                "provider": names.get(lot.provider_id, ""),
            }
        )
        group["on_hand"] += lot.on_hand
        group["available"] += lot.available
    return list(groups.values())


# --- lots by item ---------------------------------------------------------------------------------


@bp.get("/stock")
@roles(*KEEPERS)
def index():
    """The lots the user keeps, by item, earliest expiry first; expired and near-expiry lots highlighted."""
    form = FilterForm(request.args)
    form.item_id.choices = _item_choices(_("Any item"))
    form.status.choices = [("", _("Any status"))] + [(s.value, label(s.value)) for s in LotStatus]
    args: dict = {"page": max(1, request.args.get("page", 1, type=int) or 1), "page_size": 100}
    if form.item_id.data is not None:
        args["item_id"] = form.item_id.data
    if form.status.data in {s.value for s in LotStatus}:
        args["status"] = form.status.data
    if form.expiring.data:
        args["expires_before"] = utc_today() + timedelta(days=current_app.config["NEAR_EXPIRY_DAYS"] + 1)
    page = queries.list_lots(me(), args | {"order_by": "expires_on"})
    link_args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template(
        "stock/index.html",
        form=form,
        page=page,
        groups=_groups(page["items"]),
        link_args=link_args,
        near_days=current_app.config["NEAR_EXPIRY_DAYS"],
    )


# --- receive a lot --------------------------------------------------------------------------------


@bp.route("/stock/receive", methods=["GET", "POST"])
@roles(*KEEPERS)
def receive():
    """Receive a new lot at one of the provider's locations."""
    form = ReceiveForm()
    form.item_id.choices = _item_choices(_("Choose an item"))
    form.location_id.choices = _location_choices()
    status = 200
    if form.validate_on_submit():
        payload = {
            "lot_code": (form.lot_code.data or "").strip() or None,
            "item_id": form.item_id.data,
            "location_id": form.location_id.data,
            "quantity": form.quantity.data,
            "expires_on": form.expires_on.data.isoformat() if form.expires_on.data else None,
            "note": (form.note.data or "").strip() or None,
        }
        payload = {k: v for k, v in payload.items() if v is not None or k in ("expires_on", "note")}

        def run():
            lot = services.create_lot(by=me(), **load(LotCreateSchema, payload))
            db.session.commit()
            return lot

        lot, status = attempt(form, run)
        if lot is not None:
            flash(
                _("Lot %(lot)s was received: %(qty)s unit(s).", lot=lot.lot_code, qty=lot.on_hand), "success"
            )
            return redirect(url_for(".index"))
    return render_template("stock/receive.html", form=form), status_of(form, status)


# --- adjust a lot ---------------------------------------------------------------------------------


@bp.route("/stock/lots/<int:lot_id>/adjust", methods=["GET", "POST"])
@roles(*KEEPERS)
def adjust(lot_id: int):
    """Add or remove units of a lot with a reason; the lot's ledger below."""
    lot = queries.get_lot(me(), lot_id)
    form = AdjustForm()
    form.reason.choices = [("", _("Choose a reason"))] + [(r, label(r)) for r in ADJUSTMENT_REASONS]
    status = 200
    if form.validate_on_submit():
        payload = {
            "delta": form.delta.data,
            "reason": form.reason.data or None,
            "note": (form.note.data or "").strip() or None,
        }
        payload = {k: v for k, v in payload.items() if v is not None or k == "note"}

        def run():
            movement = services.adjust_lot(lot=lot, by=me(), **load(AdjustmentCreateSchema, payload))
            db.session.commit()
            return movement

        movement, status = attempt(form, run)
        if movement is not None:
            flash(
                _(
                    "Lot %(lot)s adjusted by %(delta)s unit(s).",
                    lot=lot.lot_code,
                    delta=f"{movement.delta_on_hand:+d}",
                ),
                "success",
            )
            return redirect(url_for(".adjust", lot_id=lot_id))
        lot = queries.get_lot(me(), lot_id)
    movements = queries.list_movements(lot, {"page": 1, "page_size": 30, "order_by": "-id"})["items"]
    return render_template(
        "stock/adjust.html",
        form=form,
        lot=lot,
        item=db.session.get(Item, lot.item_id),
        location=db.session.get(StockLocation, lot.location_id),
        movements=movements,
        expiry=expiry_class(lot),
    ), status_of(form, status)


# --- CSV import -----------------------------------------------------------------------------------


def _import_provider(form: ImportForm):
    """The provider whose lots are imported: the user's own, or the one a coordinator chose."""
    if me().role == Role.PROVIDER:
        return providers.get_provider(me().provider_id)
    if form.provider_id.data is None:
        raise ValidationFailed(
            _l("Say whose stock this is."), {"provider_id": [_l("Required for coordinators and admins.")]}
        )
    return providers.get_provider(form.provider_id.data)


@bp.route("/stock/import", methods=["GET", "POST"])
@roles(*KEEPERS)
def import_lots():
    """Upload a CSV of lots; a dry run lists every row's errors, a real import writes all or nothing."""
    form = ImportForm()
    form.provider_id.choices = [("", _("Choose a provider"))] + [
        (p.id, p.name) for p in db.session.scalars(select(Provider).order_by(Provider.name))
    ]
    report, status = None, 200
    if form.validate_on_submit():
        upload = request.files.get(form.file.name)

        def run():
            provider = _import_provider(form)
            if upload is None or not upload.filename:
                raise ValidationFailed(
                    _l("Choose a CSV file."), {"file": [_l("Missing data for required field.")]}
                )
            rows = csvio.read_lots(upload.read())
            found = services.import_lots(
                provider=provider, rows=rows, by=me(), dry_run=bool(form.dry_run.data)
            )
            if found.errors or found.dry_run:
                db.session.rollback()
            else:
                db.session.commit()
            return found

        report, status = attempt(form, run)
        if report is not None:
            # Text in the page's language (a lazy string would skip the escaping of the cell it quotes).
            report.errors = [replace(error, message=translate(error.message)) for error in report.errors]
            if report.errors:
                status = 422
                form.form_errors.append(
                    _(
                        "%(n)s row(s) have errors; nothing was imported.",
                        n=len({e.line for e in report.errors}),
                    )
                )
            elif report.dry_run:
                flash(
                    _(
                        "All %(n)s row(s) are valid. Untick “dry run” and import the file again to write them.",
                        n=report.rows,
                    ),
                    "success",
                )
            else:
                flash(_("%(n)s lot(s) were imported.", n=report.created), "success")
                return redirect(url_for(".index"))
    return render_template(
        "stock/import.html",
        form=form,
        report=report,
        columns=services.IMPORT_COLUMNS,
        optional=services.IMPORT_OPTIONAL,
    ), status_of(form, status)


# --- dashboard panel ------------------------------------------------------------------------------


def _provider_panel(user) -> dict:
    soon = utc_today() + timedelta(days=current_app.config["NEAR_EXPIRY_DAYS"])
    lots = db.session.scalars(
        queries.lots_visible_to(user)
        .where(StockLot.expires_on.is_not(None), StockLot.expires_on <= soon, StockLot.on_hand > 0)
        .order_by(StockLot.expires_on, StockLot.id)
        .limit(10)
    ).all()
    levels = queries.stock_levels(user, {"page": 1, "page_size": 100, "order_by": "available"})["items"]
    low = [row for row in levels if row["available"] <= current_app.config["LOW_STOCK_THRESHOLD"]][:10]
    return {"groups": _groups(lots), "low": low}


register_panel((Role.PROVIDER,), "stock/panel_provider.html", _provider_panel, order=20)

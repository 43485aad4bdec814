"""Pages of dispatches: allocations waiting to be dispatched, prepare, ship, cancel, the city's receipt
per line, and the printed documents (dispatch report, pick list, dispatch summary of a period).

The PDF routes register the document like the API's (``db.begin_write()`` first: a GET that writes).
"""

from __future__ import annotations

from collections import OrderedDict

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlmodel import select
from wtforms import (
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Optional

from health_responder.allocation.models import Allocation, AllocationStatus
from health_responder.auth.models import Role
from health_responder.dispatch import queries, services
from health_responder.dispatch.models import REJECTION_REASONS, Dispatch, DispatchLine, DispatchStatus
from health_responder.dispatch.schemas import (
    CancelDispatchSchema,
    DispatchCreateSchema,
    ReceiptSchema,
    ShipSchema,
)
from health_responder.documents.responses import pdf_response
from health_responder.errors import NotFound
from health_responder.extensions import db
from health_responder.health_requests.models import AssistanceRequest, RequestLine
from health_responder.providers.models import Provider, StockLocation
from health_responder.reference.models import City, Item
from health_responder.reports import services as reports
from health_responder.reports.schemas import SummaryArgsSchema
from health_responder.stock.models import StockLot
from health_responder.web.context import NAV, label, register_panel
from health_responder.web.forms import attempt, load
from health_responder.web.guards import STAFF, is_staff, me, roles

bp = Blueprint("dispatch_pages", __name__, template_folder="templates")

NAV["city"] += [(_l("Dispatches"), "dispatch_pages.index")]
NAV["provider"] += [
    (_l("To dispatch"), "dispatch_pages.waiting"),
    (_l("Dispatches"), "dispatch_pages.index"),
    (_l("Reports"), "dispatch_pages.summary"),
]
for _role in STAFF:
    NAV[_role] += [(_l("Dispatches"), "dispatch_pages.index"), (_l("Reports"), "dispatch_pages.summary")]

D = DispatchStatus


# --- forms ----------------------------------------------------------------------------------------


class PrepareForm(FlaskForm):
    request_id = HiddenField()
    location_id = HiddenField()
    provider_id = HiddenField()


class ShipForm(FlaskForm):
    carrier = StringField(_l("Carrier"))
    tracking_number = StringField(_l("Tracking number"))
    packages = IntegerField(_l("Packages"), validators=[Optional()])


class CancelForm(FlaskForm):
    reason = TextAreaField(_l("Reason (optional)"))


class ReceiptLineForm(Form):
    line_id = HiddenField()
    accepted = IntegerField(_l("Accepted"), validators=[Optional()])
    rejected = IntegerField(_l("Rejected"), validators=[Optional()])
    reason = SelectField(_l("Reason for rejected units"), validate_choice=False)
    note = StringField(_l("Note"))


class ReceiptForm(FlaskForm):
    lines = FieldList(FormField(ReceiptLineForm))
    received_by = StringField(_l("Received by"))


class SummaryForm(FlaskForm):
    class Meta:
        csrf = False  # a GET that prints; it changes no data a person could be tricked into changing

    period_from = DateField(_l("From"), validators=[Optional()])
    period_to = DateField(_l("To"), validators=[Optional()])


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# --- reads for the pages --------------------------------------------------------------------------


def _names(model, ids) -> dict[int, str]:
    ids = sorted({i for i in ids if i is not None})
    return (
        dict(db.session.execute(select(model.id, model.name).where(model.id.in_(ids))).all()) if ids else {}
    )


def _line_rows(dispatch: Dispatch) -> list[dict]:
    lines = services.lines_of(dispatch.id)
    items = (
        {i.id: i for i in db.session.scalars(select(Item).where(Item.id.in_([x.item_id for x in lines])))}
        if lines
        else {}
    )
    lots = (
        {
            lot.id: lot
            for lot in db.session.scalars(select(StockLot).where(StockLot.id.in_([x.lot_id for x in lines])))
        }
        if lines
        else {}
    )
    return [{"line": line, "item": items.get(line.item_id), "lot": lots.get(line.lot_id)} for line in lines]


def _waiting_groups(user) -> list[dict]:
    """Reserved allocations not yet on a dispatch, by request and location (one dispatch each)."""
    statement = (
        select(Allocation, StockLot, AssistanceRequest, RequestLine.item_id)
        .join(StockLot, StockLot.id == Allocation.lot_id)
        .join(AssistanceRequest, AssistanceRequest.id == Allocation.request_id)
        .join(RequestLine, RequestLine.id == Allocation.line_id)
        .where(Allocation.status == AllocationStatus.RESERVED, Allocation.dispatch_id.is_(None))
        .order_by(AssistanceRequest.priority_rank, AssistanceRequest.needed_by, Allocation.id)
    )
    if user.role == Role.PROVIDER:
        statement = statement.where(Allocation.provider_id == user.provider_id)
    rows = db.session.execute(statement.limit(500)).all()
    items = (
        {i.id: i for i in db.session.scalars(select(Item).where(Item.id.in_({r[3] for r in rows})))}
        if rows
        else {}
    )
    locations = _names(StockLocation, (r[1].location_id for r in rows))
    cities = _names(City, (r[2].city_id for r in rows))
    providers = _names(Provider, (r[0].provider_id for r in rows))
    groups: OrderedDict = OrderedDict()
    for allocation, lot, req, item_id in rows:
        key = (req.id, allocation.provider_id, lot.location_id)
        group = groups.setdefault(
            key,
            {
                "request": req,
                "city": cities.get(req.city_id, ""),
                "provider_id": allocation.provider_id,
                "provider": providers.get(allocation.provider_id, ""),
                "location_id": lot.location_id,
                "location": locations.get(lot.location_id, ""),
                "rows": [],
                "units": 0,
            },
        )
        group["rows"].append({"allocation": allocation, "lot": lot, "item": items.get(item_id)})
        group["units"] += allocation.quantity
    return list(groups.values())


# --- list and detail ------------------------------------------------------------------------------


@bp.get("/dispatches")
@roles()
def index():
    """Dispatches the user may see, newest first, by status."""
    status = request.args.get("status") or None
    statement = queries.dispatches_visible_to(me())
    if status in set(D):
        statement = statement.where(Dispatch.status == status)
    dispatches = db.session.scalars(statement.order_by(Dispatch.id.desc()).limit(100)).all()
    requests = (
        {
            r.id: r
            for r in db.session.scalars(
                select(AssistanceRequest).where(AssistanceRequest.id.in_([d.request_id for d in dispatches]))
            )
        }
        if dispatches
        else {}
    )
    return render_template(
        "dispatch/index.html",
        dispatches=dispatches,
        requests=requests,
        status=status,
        statuses=[(s.value, label(s.value)) for s in D],
        cities=_names(City, (d.city_id for d in dispatches)),
        providers=_names(Provider, (d.provider_id for d in dispatches)),
    )


def _receipt_form(dispatch: Dispatch, rows: list[dict]) -> ReceiptForm:
    form = ReceiptForm(
        formdata=None,
        data={
            "lines": [
                {"line_id": row["line"].id, "accepted": row["line"].quantity, "rejected": 0} for row in rows
            ]
        },
    )
    _reason_choices(form)
    return form


def _reason_choices(form: ReceiptForm) -> None:
    for entry in form.lines:
        entry.reason.choices = [("", _("No rejected units"))] + [(r, label(r)) for r in REJECTION_REASONS]


def _detail(dispatch: Dispatch, status: int = 200, **forms):
    rows = _line_rows(dispatch)
    user = me()
    can = {
        "ship": dispatch.status == D.PREPARED and user.role in (Role.PROVIDER, *STAFF),
        "cancel": dispatch.status == D.PREPARED and user.role in (Role.PROVIDER, *STAFF),
        "receipt": dispatch.status == D.SHIPPED and user.role in (Role.CITY, *STAFF),
        "pick_list": user.role in (Role.PROVIDER, *STAFF),
        "report": dispatch.status in (D.SHIPPED, D.RECEIVED),
    }
    context = {
        "dispatch": dispatch,
        "rows": rows,
        "can": can,
        "req": db.session.get(AssistanceRequest, dispatch.request_id),
        "provider": db.session.get(Provider, dispatch.provider_id),
        "city": db.session.get(City, dispatch.city_id),
        "location": db.session.get(StockLocation, dispatch.location_id),
        "ship_form": forms.get("ship_form") or ShipForm(formdata=None),
        "cancel_form": forms.get("cancel_form") or CancelForm(prefix="cancel", formdata=None),
        "receipt_form": forms.get("receipt_form") or _receipt_form(dispatch, rows),
    }
    return render_template("dispatch/detail.html", **context), status


@bp.get("/dispatches/<int:dispatch_id>")
@roles()
def detail(dispatch_id: int):
    """One dispatch: its lines, documents, and shipping or receipt forms."""
    return _detail(queries.get_dispatch(dispatch_id, me()))


# --- prepare, ship, cancel ------------------------------------------------------------------------


@bp.get("/dispatches/waiting")
@roles(Role.PROVIDER, *STAFF)
def waiting():
    """Allocations waiting to be dispatched, one box per request and warehouse."""
    groups = _waiting_groups(me())
    for group in groups:
        group["form"] = PrepareForm(
            formdata=None,
            request_id=group["request"].id,
            location_id=group["location_id"],
            provider_id=group["provider_id"],
        )
    return render_template("dispatch/waiting.html", groups=groups)


@bp.post("/dispatches/prepare")
@roles(Role.PROVIDER, *STAFF)
def prepare():
    """Prepare a dispatch of the reserved allocations of one request at one location."""
    form = PrepareForm()
    request_id = _int(form.request_id.data)
    if not form.validate_on_submit() or request_id is None:
        flash(_("Choose what to dispatch from the list."), "error")
        return redirect(url_for(".waiting"))
    req = queries.request_for(request_id, me())
    payload = {"request_id": request_id}
    if _int(form.location_id.data) is not None:
        payload["location_id"] = _int(form.location_id.data)
    if is_staff() and _int(form.provider_id.data) is not None:
        payload["provider_id"] = _int(form.provider_id.data)

    def run():
        data = load(DispatchCreateSchema, payload)
        data.pop("request_id")
        dispatch = services.create_dispatch(request=req, by=me(), **data)
        db.session.commit()
        return dispatch

    dispatch, _status = attempt(form, run)
    if dispatch is None:
        for message in form.form_errors + [m for ms in form.errors.values() for m in ms]:
            flash(str(message), "error")
        return redirect(url_for(".waiting"))
    flash(
        _("Dispatch %(ref)s is prepared: print the pick list, pack it and ship it.", ref=dispatch.reference),
        "success",
    )
    return redirect(url_for(".detail", dispatch_id=dispatch.id))


@bp.post("/dispatches/<int:dispatch_id>/ship")
@roles(Role.PROVIDER, *STAFF)
def ship(dispatch_id: int):
    """prepared → shipped, with carrier, tracking number and package count."""
    dispatch = queries.get_dispatch(dispatch_id, me())
    form = ShipForm()
    if not form.validate_on_submit():
        return _detail(dispatch, 422, ship_form=form)
    payload = {
        "carrier": (form.carrier.data or "").strip(),
        "tracking_number": (form.tracking_number.data or "").strip(),
    }
    payload = {k: v for k, v in payload.items() if v}
    if form.packages.data is not None:
        payload["packages"] = form.packages.data

    def run():
        shipped = services.ship(dispatch=dispatch, by=me(), **load(ShipSchema, payload))
        db.session.commit()
        return shipped

    shipped, status = attempt(form, run)
    if shipped is None:
        return _detail(queries.get_dispatch(dispatch_id, me()), status, ship_form=form)
    flash(_("Dispatch %(ref)s is shipped; the city has been told.", ref=shipped.reference), "success")
    return redirect(url_for(".detail", dispatch_id=dispatch_id))


@bp.post("/dispatches/<int:dispatch_id>/cancel")
@roles(Role.PROVIDER, *STAFF)
def cancel(dispatch_id: int):
    """prepared → cancelled; the allocations stay reserved for another dispatch."""
    dispatch = queries.get_dispatch(dispatch_id, me())
    form = CancelForm(prefix="cancel")
    if not form.validate_on_submit():
        return _detail(dispatch, 422, cancel_form=form)
    reason = (form.reason.data or "").strip()

    def run():
        cancelled = services.cancel(
            dispatch=dispatch, by=me(), **load(CancelDispatchSchema, {"reason": reason} if reason else {})
        )
        db.session.commit()
        return cancelled

    cancelled, status = attempt(form, run)
    if cancelled is None:
        return _detail(queries.get_dispatch(dispatch_id, me()), status, cancel_form=form)
    flash(
        _(
            "Dispatch %(ref)s was cancelled; its stock stays reserved for the request.",
            ref=cancelled.reference,
        ),
        "success",
    )
    return redirect(url_for(".detail", dispatch_id=dispatch_id))


# --- receipt --------------------------------------------------------------------------------------


def _receipt_payload(form: ReceiptForm) -> dict:
    lines = []
    for entry in form.lines:
        line: dict = {"line_id": _int(entry.line_id.data)}
        if entry.accepted.data is not None:
            line["accepted"] = entry.accepted.data
        if entry.rejected.data is not None:
            line["rejected"] = entry.rejected.data
        if entry.reason.data:
            line["reason"] = entry.reason.data
        if (entry.note.data or "").strip():
            line["note"] = entry.note.data.strip()
        lines.append(line)
    payload: dict = {"lines": lines}
    if (form.received_by.data or "").strip():
        payload["received_by"] = form.received_by.data.strip()
    return payload


@bp.post("/dispatches/<int:dispatch_id>/receipt")
@roles(Role.CITY, *STAFF)
def receipt(dispatch_id: int):
    """shipped → received: per line the accepted and rejected units, and why units were rejected."""
    dispatch = queries.get_dispatch(dispatch_id, me())
    form = ReceiptForm()
    _reason_choices(form)
    if not form.validate_on_submit():
        return _detail(dispatch, 422, receipt_form=form)

    def run():
        received = services.record_receipt(
            dispatch=dispatch, by=me(), **load(ReceiptSchema, _receipt_payload(form))
        )
        db.session.commit()
        return received

    received, status = attempt(form, run)
    if received is None:
        return _detail(queries.get_dispatch(dispatch_id, me()), status, receipt_form=form)
    rejected = sum(line.rejected or 0 for line in services.lines_of(received.id))
    flash(
        _("The receipt of %(ref)s is recorded.", ref=received.reference)
        + (
            " " + _("%(n)s rejected unit(s) are reported to the coordinators and the provider.", n=rejected)
            if rejected
            else ""
        ),
        "success",
    )
    return redirect(url_for(".detail", dispatch_id=dispatch_id))


# --- documents ------------------------------------------------------------------------------------


@bp.get("/dispatches/<int:dispatch_id>/report.pdf")
@roles()
def report(dispatch_id: int):
    """The dispatch report PDF (registered and verifiable)."""
    db.begin_write()
    document, content = reports.dispatch_report(dispatch=queries.get_dispatch(dispatch_id, me()), by=me())
    db.session.commit()
    return pdf_response(document, content)


@bp.get("/dispatches/<int:dispatch_id>/pick-list.pdf")
@roles(Role.PROVIDER, *STAFF)
def pick_list(dispatch_id: int):
    """The pick list PDF for the warehouse."""
    db.begin_write()
    document, content = reports.pick_list(dispatch=queries.get_dispatch(dispatch_id, me()), by=me())
    db.session.commit()
    return pdf_response(document, content)


@bp.get("/reports/dispatch-summary")
@roles(Role.PROVIDER, *STAFF)
def summary():
    """Choose a period and print its dispatch summary (a provider gets its own)."""
    form = SummaryForm(request.args)
    if not request.args:
        return render_template("dispatch/summary.html", form=form)
    payload = {
        key: value.isoformat()
        for key, value in (("from", form.period_from.data), ("to", form.period_to.data))
        if value is not None
    }
    status = 422
    if form.validate():
        user = me()
        provider_id = user.provider_id if user.role == Role.PROVIDER else None
        if user.role == Role.PROVIDER and provider_id is None:
            raise NotFound(_l("No provider."))

        def run():
            args = load(SummaryArgsSchema, payload)
            db.begin_write()
            document, content = reports.dispatch_summary(by=user, provider_id=provider_id, **args)
            db.session.commit()
            return pdf_response(document, content)

        response, status = attempt(form, run, {"from": "period_from", "to": "period_to"})
        if response is not None:
            return response
    return render_template("dispatch/summary.html", form=form), status


# --- discrepancies: units rejected at receipt, replaced in one click ----------------------------


def _discrepancy_page(errors: list | None = None, status: int = 200):
    show = request.args.get("show", "open")
    rows = queries.discrepancy_rows(user=me(), open_only=show != "all")
    return render_template("dispatch/discrepancies.html", rows=rows, show=show, errors=errors or []), status


@bp.get("/dispatches/discrepancies")
@roles(*STAFF)
def discrepancies():
    """Units rejected at receipt, newest first: those not yet replaced (``?show=all`` for every one)."""
    return _discrepancy_page()


@bp.post("/dispatches/discrepancies/<int:line_id>/replace")
@roles(*STAFF)
def replace(line_id: int):
    """Owe again a discrepancy's rejected units, in one click; auto_allocate serves them."""
    form = FlaskForm()
    if not form.validate_on_submit():
        return _discrepancy_page(form.form_errors, 422)

    def run():
        line = services.replace_rejected(line_id=line_id, by=me())
        db.session.commit()
        return line

    line, status = attempt(form, run)
    if line is None:
        return _discrepancy_page(form.form_errors, status)
    flash(
        _("%(n)s rejected unit(s) are owed again: they wait for stock like any back-order.", n=line.replaced),
        "success",
    )
    return redirect(url_for(".discrepancies"))


# --- dashboard panels -----------------------------------------------------------------------------


def _provider_panel(user) -> dict:
    groups = _waiting_groups(user)
    prepared = db.session.scalars(
        queries.dispatches_visible_to(user)
        .where(Dispatch.status == D.PREPARED)
        .order_by(Dispatch.id)
        .limit(10)
    ).all()
    return {"groups": groups[:10], "prepared": prepared}


def _city_panel(user) -> dict:
    shipped = db.session.scalars(
        queries.dispatches_visible_to(user)
        .where(Dispatch.status == D.SHIPPED)
        .order_by(Dispatch.shipped_at)
        .limit(10)
    ).all()
    return {"shipped": shipped}


def _staff_panel(user) -> dict:
    counts = dict(
        db.session.execute(select(Dispatch.status, sa.func.count()).group_by(Dispatch.status)).all()
    )
    recent = db.session.scalars(select(Dispatch).order_by(Dispatch.id.desc()).limit(5)).all()
    discrepancies = (
        db.session.scalar(select(sa.func.count()).select_from(DispatchLine).where(DispatchLine.rejected > 0))
        or 0
    )
    return {
        "counts": counts,
        "recent": recent,
        "discrepancies": discrepancies,
        "form": SummaryForm(formdata=None),
    }


register_panel((Role.PROVIDER,), "dispatch/panel_provider.html", _provider_panel, order=10)
register_panel((Role.CITY,), "dispatch/panel_city.html", _city_panel, order=20)
register_panel(STAFF, "dispatch/panel_staff.html", _staff_panel, order=30)

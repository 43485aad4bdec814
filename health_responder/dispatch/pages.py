"""Pages of dispatches: allocations waiting to be dispatched, prepare, ship, cancel, the city's receipt
per line, and the printed documents (dispatch report, pick list, dispatch summary of a period).

The PDF routes register the document like the API's (``db.begin_write()`` first: a GET that writes).
"""

from __future__ import annotations

from collections import OrderedDict

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from markupsafe import Markup

from health_responder import csvsafe
from health_responder.auth.models import Role
from health_responder.dispatch import queries, receipts, services
from health_responder.dispatch.forms import (
    CancelForm,
    PickCheckForm,
    PrepareForm,
    ReceiptForm,
    ShipForm,
)
from health_responder.dispatch.models import REJECTION_REASONS, Dispatch, DispatchStatus
from health_responder.dispatch.schemas import (
    CancelDispatchSchema,
    DispatchCreateSchema,
    ReceiptSchema,
    ShipSchema,
)
from health_responder.documents import pages as verify_pages
from health_responder.labels import label
from health_responder.providers import queries as providers
from health_responder.reference import queries as reference
from health_responder.stock import queries as stock
from health_responder.web.context import NAV, register_panel
from health_responder.web.forms import load, perform
from health_responder.web.guards import STAFF, is_staff, me, roles
from health_responder.web.parsing import int_or_none, link_args, page_number, text
from health_responder.web.sorting import sort_of

bp = Blueprint("dispatch_pages", __name__, template_folder="templates")

NAV["city"] += [(_l("Dispatches"), "dispatch_pages.index")]
NAV["provider"] += [(_l("To dispatch"), "dispatch_pages.waiting"), (_l("Dispatches"), "dispatch_pages.index")]
for _role in STAFF:
    NAV[_role] += [(_l("Dispatches"), "dispatch_pages.index")]

D = DispatchStatus


# --- reads for the pages --------------------------------------------------------------------------


def _line_rows(dispatch: Dispatch) -> list[dict]:
    lines = services.lines_of(dispatch.id)
    items = reference.items_by_id(ids=(x.item_id for x in lines))
    lots = stock.lots_by_id(ids=(x.lot_id for x in lines))
    return [{"line": line, "item": items.get(line.item_id), "lot": lots.get(line.lot_id)} for line in lines]


def _waiting_groups(user) -> list[dict]:
    """Reserved allocations not yet on a dispatch, by request and location (one dispatch each)."""
    rows = queries.waiting_allocations(user=user, limit=500)
    items = reference.items_by_id(ids=(r[3] for r in rows))
    locations = providers.location_names(ids=(r[1].location_id for r in rows))
    cities = reference.city_names(ids=(r[2].city_id for r in rows))
    names = providers.provider_names(ids=(r[0].provider_id for r in rows))
    groups: OrderedDict = OrderedDict()
    for allocation, lot, req, item_id in rows:
        key = (req.id, allocation.provider_id, lot.location_id)
        group = groups.setdefault(
            key,
            {
                "request": req,
                "city": cities.get(req.city_id, ""),
                "provider_id": allocation.provider_id,
                "provider": names.get(allocation.provider_id, ""),
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


#: The columns the dispatch list sorts by (``?sort=&dir=``), each an ORDER_COLUMNS name.
SORT_KEYS = ("reference", "request", "city", "provider", "status", "shipped_at")


def _list_filters() -> tuple[str | None, dict]:
    status = request.args.get("status") or None
    status = status if status in set(D) else None
    return status, ({"status": status} if status else {})


@bp.get("/dispatches")
@roles()
def index():
    """Dispatches the user may see, newest first unless sorted by a column; filtered by status."""
    status, filters = _list_filters()
    sort = sort_of(SORT_KEYS)
    page = queries.dispatches_page(
        user=me(), filters=filters, page=page_number(), page_size=50, order_by=sort.order_by
    )
    dispatches = page["items"]
    return render_template(
        "dispatch/index.html",
        page=page,
        dispatches=dispatches,
        requests=queries.requests_of(dispatches=dispatches),
        status=status,
        statuses=[(s.value, label(s.value)) for s in D],
        cities=reference.city_names(ids=(d.city_id for d in dispatches)),
        providers=providers.provider_names(ids=(d.provider_id for d in dispatches)),
        sort=sort,
        link_args=link_args(),
    )


@bp.get("/dispatches/export.csv")
@roles()
def export():
    """The dispatches the list shows (same filter and order, every page) as CSV."""
    _status, filters = _list_filters()
    rows = queries.csv_rows(user=me(), filters=filters, order_by=sort_of(SORT_KEYS).order_by)
    return csvsafe.download("dispatches.csv", queries.CSV_COLUMNS, rows)


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


def posted_receipt_form() -> ReceiptForm:
    """The receipt form as posted, its reason choices set (the scan route of barcodes posts it too)."""
    form = ReceiptForm()
    _reason_choices(form)
    return form


def detail_page(dispatch: Dispatch, status: int = 200, **forms):
    """The dispatch page; ``forms`` are the posted forms to show again (with their errors), by name.

    ``scanned`` is the id of the receipt line a scan just filled (barcodes' scan route).
    """
    rows = _line_rows(dispatch)
    user = me()
    can = {
        "pick_check": dispatch.status == D.PREPARED and user.role in (Role.PROVIDER, *STAFF),
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
        **queries.parties(dispatch=dispatch),
        "ship_form": forms.get("ship_form") or ShipForm(formdata=None),
        "cancel_form": forms.get("cancel_form") or CancelForm(prefix="cancel", formdata=None),
        "receipt_form": forms.get("receipt_form") or _receipt_form(dispatch, rows),
        "pick_form": forms.get("pick_form") or PickCheckForm(formdata=None),
        "pick": queries.pick_progress(dispatch_id=dispatch.id),
        "label_problems": queries.label_problems(dispatch=dispatch),
        "scanned": forms.get("scanned"),
    }
    return render_template("dispatch/detail.html", **context), status


@bp.get("/dispatches/<int:dispatch_id>")
@roles()
def detail(dispatch_id: int):
    """One dispatch: its lines, documents, and shipping or receipt forms (``?scanned=<line id>``: the receipt
    line a scan just filled, after barcodes' scan redirected here).
    """
    scanned = request.args.get("scanned", type=int)
    return detail_page(queries.get_dispatch(dispatch_id=dispatch_id, user=me()), scanned=scanned)


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
    request_id = int_or_none(form.request_id.data)
    if not form.validate_on_submit() or request_id is None:
        flash(_("Choose what to dispatch from the list."), "error")
        return redirect(url_for(".waiting"))
    req = queries.request_for(request_id=request_id, user=me())
    payload = {"request_id": request_id}
    if int_or_none(form.location_id.data) is not None:
        payload["location_id"] = int_or_none(form.location_id.data)
    if is_staff() and int_or_none(form.provider_id.data) is not None:
        payload["provider_id"] = int_or_none(form.provider_id.data)

    def create():
        data = load(DispatchCreateSchema, payload)
        data.pop("request_id")
        return services.create_dispatch(request=req, by=me(), **data)

    dispatch, _status = perform(
        form,
        create,
        done=lambda dispatch: _(
            "Dispatch %(ref)s is prepared: print the pick list, pack it and ship it.", ref=dispatch.reference
        ),
    )
    if dispatch is None:
        for message in form.form_errors + [m for ms in form.errors.values() for m in ms]:
            flash(str(message), "error")
        return redirect(url_for(".waiting"))
    return redirect(url_for(".detail", dispatch_id=dispatch.id))


@bp.post("/requests/<int:request_id>/prepare-dispatches")
@roles(Role.PROVIDER, *STAFF)
def prepare_request(request_id: int):
    """Prepare, in one click, a dispatch for each provider and location of the request's waiting allocations."""
    req = queries.request_for(request_id=request_id, user=me())
    form = FlaskForm()
    if not form.validate_on_submit():
        flash(_("The form has expired: try again."), "error")
        return redirect(url_for("health_requests_pages.detail", request_id=request_id))
    made, _status = perform(
        form,
        lambda: services.prepare_all(request=req, by=me()),
        done=lambda made: ngettext(
            "%(num)d dispatch is prepared (%(refs)s): print its pick list, pack it and ship it.",
            "%(num)d dispatches are prepared (%(refs)s): print their pick lists, pack them and ship them.",
            len(made),
            refs=", ".join(d.reference for d in made),
        ),
    )
    if made is None:
        for message in form.form_errors + [m for ms in form.errors.values() for m in ms]:
            flash(str(message), "error")
        return redirect(url_for("health_requests_pages.detail", request_id=request_id))
    if len(made) == 1:
        return redirect(url_for(".detail", dispatch_id=made[0].id))
    return redirect(url_for("health_requests_pages.detail", request_id=request_id, _anchor="dispatches"))


@bp.post("/dispatches/<int:dispatch_id>/ship")
@roles(Role.PROVIDER, *STAFF)
def ship(dispatch_id: int):
    """prepared → shipped, with carrier, tracking number and package count."""
    dispatch = queries.get_dispatch(dispatch_id=dispatch_id, user=me())
    form = ShipForm()
    if not form.validate_on_submit():
        return detail_page(dispatch, 422, ship_form=form)
    payload = {"carrier": text(form.carrier), "tracking_number": text(form.tracking_number)}
    payload = {k: v for k, v in payload.items() if v}
    if form.packages.data is not None:
        payload["packages"] = form.packages.data
    shipped, status = perform(
        form,
        lambda: services.ship(dispatch=dispatch, by=me(), **load(ShipSchema, payload)),
        done=lambda shipped: _("Dispatch %(ref)s is shipped; the city has been told.", ref=shipped.reference),
    )
    if shipped is None:
        return detail_page(queries.get_dispatch(dispatch_id=dispatch_id, user=me()), status, ship_form=form)
    return redirect(url_for(".detail", dispatch_id=dispatch_id))


@bp.post("/dispatches/<int:dispatch_id>/cancel")
@roles(Role.PROVIDER, *STAFF)
def cancel(dispatch_id: int):
    """prepared → cancelled; the allocations stay reserved for another dispatch."""
    dispatch = queries.get_dispatch(dispatch_id=dispatch_id, user=me())
    form = CancelForm(prefix="cancel")
    if not form.validate_on_submit():
        return detail_page(dispatch, 422, cancel_form=form)
    reason = text(form.reason)
    cancelled, status = perform(
        form,
        lambda: services.cancel(
            dispatch=dispatch, by=me(), **load(CancelDispatchSchema, {"reason": reason} if reason else {})
        ),
        done=lambda cancelled: _(
            "Dispatch %(ref)s was cancelled; its stock stays reserved for the request.",
            ref=cancelled.reference,
        ),
    )
    if cancelled is None:
        return detail_page(queries.get_dispatch(dispatch_id=dispatch_id, user=me()), status, cancel_form=form)
    return redirect(url_for(".detail", dispatch_id=dispatch_id))


# --- receipt --------------------------------------------------------------------------------------


def _receipt_payload(form: ReceiptForm) -> dict:
    lines = []
    for entry in form.lines:
        line: dict = {"line_id": int_or_none(entry.line_id.data)}
        if entry.accepted.data is not None:
            line["accepted"] = entry.accepted.data
        if entry.rejected.data is not None:
            line["rejected"] = entry.rejected.data
        if entry.reason.data:
            line["reason"] = entry.reason.data
        if text(entry.note):
            line["note"] = text(entry.note)
        lines.append(line)
    payload: dict = {"lines": lines}
    if text(form.received_by):
        payload["received_by"] = text(form.received_by)
    return payload


@bp.post("/dispatches/<int:dispatch_id>/receipt")
@roles(Role.CITY, *STAFF)
def receipt(dispatch_id: int):
    """shipped → received: per line the accepted and rejected units, and why units were rejected."""
    dispatch = queries.get_dispatch(dispatch_id=dispatch_id, user=me())
    form = posted_receipt_form()
    if not form.validate_on_submit():
        return detail_page(dispatch, 422, receipt_form=form)

    received, status = perform(
        form,
        lambda: receipts.record_receipt(
            dispatch=dispatch, by=me(), **load(ReceiptSchema, _receipt_payload(form))
        ),
    )
    if received is None:
        return detail_page(
            queries.get_dispatch(dispatch_id=dispatch_id, user=me()), status, receipt_form=form
        )
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


#: Columns of the discrepancy list's CSV (keys of ``queries.discrepancy_rows``).
DISCREPANCY_COLUMNS = (
    "dispatch_reference",
    "request_reference",
    "request_status",
    "city",
    "item_code",
    "item_name",
    "rejected",
    "reason",
    "note",
    "replaced",
    "to_replace",
    "received_at",
)


@bp.get("/dispatches/discrepancies/export.csv")
@roles(*STAFF)
def discrepancies_export():
    """The discrepancies the list shows (``show=all`` or those not yet replaced) as CSV."""
    rows = queries.discrepancy_rows(user=me(), open_only=request.args.get("show") != "all", limit=10_000)
    return csvsafe.download(
        "discrepancies.csv", DISCREPANCY_COLUMNS, ([row.get(c) for c in DISCREPANCY_COLUMNS] for row in rows)
    )


@bp.post("/dispatches/discrepancies/<int:line_id>/replace")
@roles(*STAFF)
def replace(line_id: int):
    """Owe again a discrepancy's rejected units, in one click; auto_allocate serves them."""
    form = FlaskForm()
    if not form.validate_on_submit():
        return _discrepancy_page(form.form_errors, 422)

    line, status = perform(
        form,
        lambda: receipts.replace_rejected(line_id=line_id, by=me()),
        done=lambda line: _(
            "%(n)s rejected unit(s) are owed again: they wait for stock like any back-order.", n=line.replaced
        ),
    )
    if line is None:
        return _discrepancy_page(form.form_errors, status)
    return redirect(url_for(".discrepancies"))


# --- dashboard panels -----------------------------------------------------------------------------


def _provider_panel(user) -> dict:
    groups = _waiting_groups(user)
    prepared = queries.dispatches(user=user, status=D.PREPARED, order_by=Dispatch.id, limit=10)
    return {"groups": groups[:10], "prepared": prepared}


def _city_panel(user) -> dict:
    shipped = queries.dispatches(user=user, status=D.SHIPPED, order_by=Dispatch.shipped_at, limit=10)
    return {"shipped": shipped}


def _staff_panel(user) -> dict:
    return queries.overview()


register_panel((Role.PROVIDER,), "dispatch/panel_provider.html", _provider_panel, order=10)
register_panel((Role.CITY,), "dispatch/panel_city.html", _city_panel, order=20)
register_panel(STAFF, "dispatch/panel_staff.html", _staff_panel, order=30)


def _receive_offer(document, user) -> Markup | None:
    """Scan to receive: the dispatch report's QR offers the receipt form to its receiving city."""
    found = queries.receivable_from_document(
        kind=document.kind, subject_type=document.subject_type, subject_key=document.subject_key, user=user
    )
    return None if found is None else Markup(render_template("dispatch/verify_receive.html", dispatch=found))


verify_pages.OFFERS.append(_receive_offer)

"""Pages of assistance requests: the city's list and new-request form, the coordinators' triage queue,
one request with its timeline and actions, and allocation from the suggested lots.

Each POST loads the API's schema and calls the same service as the API (``web.forms.attempt`` puts
their messages next to the fields), commits once, flashes what happened and redirects.
"""

from __future__ import annotations

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

from health_responder.allocation import queries as allocation_queries
from health_responder.allocation import services as allocation_services
from health_responder.allocation.models import Allocation, AllocationStatus
from health_responder.api.common import paginate
from health_responder.auth.models import Role
from health_responder.dispatch import queries as dispatch_queries
from health_responder.dispatch.models import Dispatch
from health_responder.extensions import db
from health_responder.health_requests import queries, services
from health_responder.health_requests.models import (
    FULFILLING,
    TRANSITIONS,
    AssistanceRequest,
    Priority,
    RequestStatus,
)
from health_responder.health_requests.schemas import (
    CancelSchema,
    CloseSchema,
    RejectSchema,
    RequestCreateSchema,
)
from health_responder.providers.models import Provider, StockLocation
from health_responder.reference.models import City, Item, Network
from health_responder.stock.models import StockLot
from health_responder.web.context import NAV, label, register_panel
from health_responder.web.forms import attempt, load, status_of
from health_responder.web.guards import STAFF, is_staff, me, roles

bp = Blueprint("health_requests_pages", __name__, template_folder="templates")

NAV["city"] += [
    (_l("Requests"), "health_requests_pages.index"),
    (_l("New request"), "health_requests_pages.new"),
]
NAV["provider"] += [(_l("Requests"), "health_requests_pages.index")]
for _role in STAFF:
    NAV[_role] += [(_l("Triage queue"), "health_requests_pages.index")]

S = RequestStatus
R = AssistanceRequest
OPEN = (S.DRAFT, S.SUBMITTED, *FULFILLING, S.DISPATCHED)
LINE_SLOTS = 3


def _optional_int(value):
    return int(value) if value not in (None, "", "None") else None


# --- forms ----------------------------------------------------------------------------------------


class LineForm(Form):
    """One line of a new request (a sub-form: the CSRF token is the parent's)."""

    item_id = SelectField(_l("Item"), coerce=_optional_int, validate_choice=False)
    quantity = IntegerField(_l("Quantity"), validators=[Optional()])


class RequestForm(FlaskForm):
    city_id = SelectField(_l("City"), coerce=_optional_int, validate_choice=False)
    priority = SelectField(_l("Priority"), default=Priority.NORMAL.value, validate_choice=False)
    needed_by = DateField(_l("Needed by"), validators=[Optional()])
    justification = TextAreaField(_l("Justification"))
    delivery_contact = TextAreaField(_l("Delivery contact (optional)"))
    lines = FieldList(FormField(LineForm), min_entries=LINE_SLOTS, max_entries=50)


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("Reason"))


class NoteForm(FlaskForm):
    note = TextAreaField(_l("Note"))


class AllocateForm(FlaskForm):
    line_id = HiddenField()
    lot_id = HiddenField()
    quantity = IntegerField(_l("Quantity"), validators=[Optional()])


class QueueFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    status = SelectField(_l("Status"), validate_choice=False)
    priority = SelectField(_l("Priority"), validate_choice=False)
    network_id = SelectField(_l("Network"), coerce=_optional_int, validate_choice=False)
    item_id = SelectField(_l("Item"), coerce=_optional_int, validate_choice=False)
    q = StringField(_l("Reference contains"))


# --- reads for the pages --------------------------------------------------------------------------


def _items_by_id(ids) -> dict[int, Item]:
    ids = sorted(set(ids))
    return {item.id: item for item in db.session.scalars(select(Item).where(Item.id.in_(ids)))} if ids else {}


def _item_choices() -> list[tuple]:
    items = db.session.scalars(select(Item).where(Item.active.is_(True)).order_by(Item.code)).all()
    return [("", _("Choose an item"))] + [
        (item.id, f"{item.code} — {item.name} ({item.unit})") for item in items
    ]


def _city_choices() -> list[tuple]:
    return [("", _("Choose a city"))] + [
        (c.id, c.name) for c in db.session.scalars(select(City).order_by(City.name))
    ]


def _priority_choices() -> list[tuple]:
    return [(p.value, label(p.value)) for p in Priority]


def _names(model, ids) -> dict[int, str]:
    ids = sorted({i for i in ids if i is not None})
    if not ids:
        return {}
    return dict(db.session.execute(select(model.id, model.name).where(model.id.in_(ids))).all())


def _first_allocated(request_id: int):
    return db.session.scalar(
        select(sa.func.min(Allocation.created_at)).where(Allocation.request_id == request_id)
    )


def _first_shipped(request_id: int):
    return db.session.scalar(
        select(sa.func.min(Dispatch.shipped_at)).where(Dispatch.request_id == request_id)
    )


def timeline(req: AssistanceRequest) -> list[dict]:
    """The request's path so far and ahead: each step with its moment and whether it is done."""
    steps = [("created", _("Created"), req.created_at), ("submitted", _("Submitted"), req.submitted_at)]
    if req.status == S.REJECTED:
        steps.append(("rejected", _("Rejected"), req.updated_at))
    else:
        steps += [
            ("approved", _("Approved"), req.approved_at),
            ("allocated", _("Stock allocated"), _first_allocated(req.id)),
            ("dispatched", _("Shipped"), _first_shipped(req.id)),
            ("delivered", _("Delivered"), req.delivered_at),
        ]
        if req.status == S.CLOSED:
            steps.append(("closed", _("Closed"), req.closed_at))
        if req.status == S.CANCELLED:
            steps = [step for step in steps if step[2] is not None] + [
                ("cancelled", _("Cancelled"), req.cancelled_at)
            ]
    found, current = [], None
    for key, text, at in steps:
        state = "done" if at is not None else "pending"
        if state == "pending" and current is None and req.status not in (S.REJECTED, S.CANCELLED, S.CLOSED):
            current, state = key, "current"
        found.append({"key": key, "label": text, "at": at, "state": state})
    return found


def _view_rows(requests: list[AssistanceRequest]) -> list[dict]:
    views = queries.request_views(requests)
    items = _items_by_id(line["item_id"] for view in views for line in view["lines"])
    cities = _names(City, (r.city_id for r in requests))
    for view, req in zip(views, requests, strict=True):
        view["city"] = cities.get(req.city_id, "")
        view["items"] = ", ".join(
            f"{items[line['item_id']].code} × {line['quantity']}"
            for line in view["lines"]
            if line["item_id"] in items
        )
        view["open"] = req.status in OPEN
    return views


def _queue_statement(user, args: dict) -> sa.Select:
    return queries.filtered(user, {k: v for k, v in args.items() if v not in (None, "")})


# --- list and triage queue ------------------------------------------------------------------------


@bp.get("/requests")
@roles()
def index():
    """The city's requests; for coordinators the triage queue, oldest critical first."""
    form = QueueFilterForm(request.args)
    form.status.choices = [("", _("Any status"))] + [(s.value, label(s.value)) for s in S]
    form.priority.choices = [("", _("Any priority"))] + _priority_choices()
    form.network_id.choices = [("", _("Any network"))] + [
        (n.id, n.code) for n in db.session.scalars(select(Network).order_by(Network.code))
    ]
    form.item_id.choices = [("", _("Any item"))] + _item_choices()[1:]
    staff = is_staff()
    if staff and "status" not in request.args:
        form.status.data = S.SUBMITTED.value
    args = {
        "status": form.status.data or None,
        "priority": form.priority.data or None,
        "network_id": form.network_id.data,
        "item_id": form.item_id.data,
        "q": (form.q.data or "").strip()[:40],
    }
    if args["status"] not in {s.value for s in S}:
        args["status"] = None
    if args["priority"] not in {p.value for p in Priority}:
        args["priority"] = None
    page_number = max(1, request.args.get("page", 1, type=int) or 1)
    if staff:
        order = (R.priority_rank.asc(), sa.case((R.submitted_at.is_(None), 1), else_=0), R.submitted_at.asc())
        page = paginate(
            db.session,
            _queue_statement(me(), args),
            {"page": page_number, "page_size": 20},
            {"id": R.id},
            default_order=order,
        )
    else:
        page = paginate(
            db.session,
            _queue_statement(me(), args),
            {"page": page_number, "page_size": 20, "order_by": "-id"},
            {"id": R.id},
        )
    page["items"] = _view_rows(page["items"])
    link_args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template(
        "health_requests/index.html", form=form, page=page, staff=staff, link_args=link_args
    )


# --- new request ----------------------------------------------------------------------------------


def _prepare_request_form(form: RequestForm) -> None:
    choices = _item_choices()
    for entry in form.lines:
        entry.item_id.choices = choices
    form.priority.choices = _priority_choices()
    form.city_id.choices = _city_choices()


def _payload(form: RequestForm) -> tuple[dict, dict[str, str]]:
    """The API body the form stands for, and which form line each payload line came from."""
    payload: dict = {"priority": form.priority.data, "lines": []}
    if (form.justification.data or "").strip():
        payload["justification"] = form.justification.data.strip()
    if form.needed_by.data is not None:
        payload["needed_by"] = form.needed_by.data.isoformat()
    if (form.delivery_contact.data or "").strip():
        payload["delivery_contact"] = form.delivery_contact.data.strip()
    if is_staff() and form.city_id.data is not None:
        payload["city_id"] = form.city_id.data
    aliases: dict[str, str] = {"lines": "lines_", "needed_by": "needed_by"}
    for position, entry in enumerate(form.lines):
        item_id, quantity = entry.item_id.data, entry.quantity.data
        if item_id is None and quantity is None:
            continue  # an unused line slot
        line = {}
        if item_id is not None:
            line["item_id"] = item_id
        if quantity is not None:
            line["quantity"] = quantity
        index = len(payload["lines"])
        for name in ("item_id", "quantity"):
            aliases[f"lines.{index}.{name}"] = f"lines.{position}.{name}"
        payload["lines"].append(line)
    return payload, aliases


def _create(form: RequestForm, payload: dict, submit_now: bool) -> AssistanceRequest:
    data = load(RequestCreateSchema, payload)
    created = services.create_request(by=me(), **data)
    if submit_now:
        created = services.submit(request=created, by=me())
    db.session.commit()
    return created


@bp.route("/requests/new", methods=["GET", "POST"])
@roles(Role.CITY, *STAFF)
def new():
    """A new request: an item picker with several lines, priority, needed-by and justification."""
    form = RequestForm()
    if request.method == "POST" and request.form.get("action") == "add_line":
        form.lines.append_entry()
        _prepare_request_form(form)
        return render_template("health_requests/new.html", form=form, staff=is_staff())
    _prepare_request_form(form)
    status = 200
    if form.validate_on_submit():
        payload, aliases = _payload(form)
        submit_now = request.form.get("action") == "submit"
        created, status = attempt(form, lambda: _create(form, payload, submit_now), aliases)
        if created is not None:
            flash(
                _("Request %(ref)s was submitted.", ref=created.reference)
                if submit_now
                else _("Request %(ref)s was saved as a draft.", ref=created.reference),
                "success",
            )
            return redirect(url_for(".detail", request_id=created.id))
    return render_template("health_requests/new.html", form=form, staff=is_staff()), status_of(form, status)


# --- one request ----------------------------------------------------------------------------------


def _dispatch_rows(req: AssistanceRequest) -> list[dict]:
    statement = (
        dispatch_queries.dispatches_visible_to(me())
        .where(Dispatch.request_id == req.id)
        .order_by(Dispatch.id)
    )
    dispatches = db.session.scalars(statement).all()
    providers = _names(Provider, (d.provider_id for d in dispatches))
    return [{"dispatch": d, "provider": providers.get(d.provider_id, "")} for d in dispatches]


def _allocation_rows(
    req: AssistanceRequest, items: dict[int, Item], line_items: dict[int, int]
) -> list[dict]:
    allocations = allocation_queries.allocations_of(req, me(), {})
    lots = (
        {
            lot.id: lot
            for lot in db.session.scalars(
                select(StockLot).where(StockLot.id.in_([a.lot_id for a in allocations]))
            )
        }
        if allocations
        else {}
    )
    providers = _names(Provider, (a.provider_id for a in allocations))
    return [
        {
            "allocation": a,
            "lot": lots.get(a.lot_id),
            "provider": providers.get(a.provider_id, ""),
            "item": items.get(line_items.get(a.line_id)),
        }
        for a in allocations
    ]


def _provider_can_prepare(req: AssistanceRequest) -> bool:
    if me().role != Role.PROVIDER:
        return False
    return (
        db.session.scalar(
            select(sa.func.count())
            .select_from(Allocation)
            .where(
                Allocation.request_id == req.id,
                Allocation.provider_id == me().provider_id,
                Allocation.status == AllocationStatus.RESERVED,
                Allocation.dispatch_id.is_(None),
            )
        )
        > 0
    )


def _detail(req: AssistanceRequest, status: int = 200, **forms):
    view = queries.request_view(req)
    items = _items_by_id(line["item_id"] for line in view["lines"])
    line_items = {line["id"]: line["item_id"] for line in view["lines"]}
    city = db.session.get(City, req.city_id)
    user = me()
    can = {
        "submit": req.status in TRANSITIONS["submit"] and user.role in (Role.CITY, *STAFF),
        "cancel": req.status in TRANSITIONS["cancel"] and user.role in (Role.CITY, *STAFF),
        "approve": req.status in TRANSITIONS["approve"] and user.role in STAFF,
        "reject": req.status in TRANSITIONS["reject"]
        and user.role in STAFF
        and not any(line["quantity_allocated"] for line in view["lines"]),
        "allocate": req.status in FULFILLING and user.role in STAFF,
        "close": req.status in TRANSITIONS["close"] and user.role in STAFF,
        "prepare": req.status in FULFILLING and _provider_can_prepare(req),
    }
    context = {
        "req": req,
        "view": view,
        "items": items,
        "city": city,
        "timeline": timeline(req),
        "allocations": _allocation_rows(req, items, line_items),
        "dispatches": _dispatch_rows(req),
        "can": can,
        "owing": req.status in FULFILLING,
        "reject_form": forms.get("reject_form") or ReasonForm(prefix="reject", formdata=None),
        "cancel_form": forms.get("cancel_form") or ReasonForm(prefix="cancel", formdata=None),
        "close_form": forms.get("close_form") or NoteForm(prefix="close", formdata=None),
        "action_error": forms.get("action_error"),
    }
    return render_template("health_requests/detail.html", **context), status


@bp.get("/requests/<int:request_id>")
@roles()
def detail(request_id: int):
    """One request: timeline, countdown, lines, allocations, dispatches and what the user may do next."""
    return _detail(queries.get_request(request_id, me()))


def _transition(
    request_id: int, action, done_message: str, form: FlaskForm | None = None, form_name: str = "", **values
):
    """Run one transition service from a button or a small form; show the outcome."""
    req = queries.get_request(request_id, me())
    form = form or FlaskForm()
    if not form.validate_on_submit():
        return _detail(req, 422, **({form_name: form} if form_name else {}))

    def run():
        changed = action(request=req, by=me(), **values)
        db.session.commit()
        return changed

    changed, status = attempt(form, run)
    if changed is None:
        req = queries.get_request(request_id, me())
        extra = {form_name: form} if form_name else {"action_error": form.form_errors}
        return _detail(req, status, **extra)
    flash(done_message % {"ref": changed.reference}, "success")
    return redirect(url_for(".detail", request_id=request_id))


@bp.post("/requests/<int:request_id>/submit")
@roles(Role.CITY, *STAFF)
def submit(request_id: int):
    """draft → submitted."""
    return _transition(request_id, services.submit, _("Request %(ref)s was submitted."))


@bp.post("/requests/<int:request_id>/approve")
@roles(*STAFF)
def approve(request_id: int):
    """submitted → approved."""
    return _transition(
        request_id, services.approve, _("Request %(ref)s was approved: allocate stock to it next.")
    )


def _with_text(request_id: int, form: FlaskForm, schema, field: str, action, message: str, form_name: str):
    req = queries.get_request(request_id, me())
    if not form.validate_on_submit():
        return _detail(req, 422, **{form_name: form})
    text = (getattr(form, field).data or "").strip()
    payload = {field: text} if text else {}  # an empty box is a missing value, as the API names it

    def run():
        data = load(schema, payload)
        changed = action(request=req, by=me(), **data)
        db.session.commit()
        return changed

    changed, status = attempt(form, run)
    if changed is None:
        return _detail(queries.get_request(request_id, me()), status, **{form_name: form})
    flash(message % {"ref": changed.reference}, "success")
    return redirect(url_for(".detail", request_id=request_id))


@bp.post("/requests/<int:request_id>/reject")
@roles(*STAFF)
def reject(request_id: int):
    """submitted/approved → rejected, with a reason."""
    return _with_text(
        request_id,
        ReasonForm(prefix="reject"),
        RejectSchema,
        "reason",
        services.reject,
        _("Request %(ref)s was rejected."),
        "reject_form",
    )


@bp.post("/requests/<int:request_id>/cancel")
@roles(Role.CITY, *STAFF)
def cancel(request_id: int):
    """Any state before a shipment → cancelled."""
    return _with_text(
        request_id,
        ReasonForm(prefix="cancel"),
        CancelSchema,
        "reason",
        services.cancel,
        _("Request %(ref)s was cancelled; its reservations were released."),
        "cancel_form",
    )


@bp.post("/requests/<int:request_id>/close")
@roles(*STAFF)
def close(request_id: int):
    """After approval → closed with a note."""
    return _with_text(
        request_id,
        NoteForm(prefix="close"),
        CloseSchema,
        "note",
        services.close,
        _("Request %(ref)s was closed."),
        "close_form",
    )


# --- allocation from suggestions ------------------------------------------------------------------


def _allocation_page(
    req: AssistanceRequest, failed: tuple[int, int, AllocateForm] | None = None, status: int = 200
):
    view = queries.request_view(req)
    items = _items_by_id(line["item_id"] for line in view["lines"])
    lines = []
    for line in services.lines_of(req.id):
        still = line.quantity - line.quantity_allocated
        suggestions = allocation_queries.suggestions(req, line) if still > 0 else []
        locations = _names(StockLocation, (s["location_id"] for s in suggestions))
        rows = []
        for suggestion in suggestions:
            form = AllocateForm(
                formdata=None,
                line_id=line.id,
                lot_id=suggestion["lot_id"],
                quantity=suggestion["suggested_quantity"],
            )
            if failed and failed[0] == line.id and failed[1] == suggestion["lot_id"]:
                form = failed[2]
            rows.append(
                {
                    "suggestion": suggestion,
                    "location": locations.get(suggestion["location_id"], ""),
                    "form": form,
                }
            )
        lines.append({"line": line, "item": items.get(line.item_id), "still": still, "rows": rows})
    stray = (
        failed[2]
        if failed and not any(row["form"] is failed[2] for entry in lines for row in entry["rows"])
        else None
    )
    return render_template(
        "health_requests/allocate.html",
        req=req,
        lines=lines,
        city=db.session.get(City, req.city_id),
        stray=stray,
    ), status


@bp.route("/requests/<int:request_id>/allocate", methods=["GET", "POST"])
@roles(*STAFF)
def allocate(request_id: int):
    """The suggested lots of each line, best first, with their rationale; allocate one with a quantity."""
    req = queries.get_request(request_id, me())
    if request.method == "GET":
        return _allocation_page(req)
    form = AllocateForm()
    line_id, lot_id = _optional_int_or_zero(form.line_id.data), _optional_int_or_zero(form.lot_id.data)
    if not form.validate_on_submit():
        return _allocation_page(req, (line_id, lot_id, form), 422)
    payload = {"line_id": line_id, "lot_id": lot_id}
    if form.quantity.data is not None:
        payload["quantity"] = form.quantity.data

    def run():
        from health_responder.allocation.schemas import AllocationCreateSchema

        allocation = allocation_services.allocate(
            request=req, by=me(), **load(AllocationCreateSchema, payload)
        )
        db.session.commit()
        return allocation

    allocation, status = attempt(form, run)
    if allocation is None:
        return _allocation_page(queries.get_request(request_id, me()), (line_id, lot_id, form), status)
    lot = db.session.get(StockLot, allocation.lot_id)
    flash(
        _("%(qty)s unit(s) of lot %(lot)s were allocated.", qty=allocation.quantity, lot=lot.lot_code),
        "success",
    )
    return redirect(url_for(".allocate", request_id=request_id))


def _optional_int_or_zero(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


# --- dashboard panels -----------------------------------------------------------------------------


def _city_panel(user) -> dict:
    statement = (
        queries.requests_visible_to(user).where(R.status.in_(OPEN)).order_by(R.needed_by, R.id).limit(10)
    )
    requests = db.session.scalars(statement).all()
    return {"requests": _view_rows(requests), "timelines": {r.id: timeline(r) for r in requests}}


def _queue_panel(user) -> dict:
    order = (R.priority_rank.asc(), R.submitted_at.asc(), R.id.asc())
    submitted = db.session.scalars(
        queries.requests_visible_to(user).where(R.status == S.SUBMITTED).order_by(*order).limit(8)
    ).all()
    counts = dict(db.session.execute(select(R.status, sa.func.count()).group_by(R.status)).all())
    return {
        "submitted": _view_rows(submitted),
        "backorders": queries.backorders(user=user, limit=12),
        "backorder_totals": queries.backorder_totals(user=user),
        "counts": counts,
    }


register_panel((Role.CITY,), "health_requests/panel_city.html", _city_panel, order=10)
register_panel(STAFF, "health_requests/panel_queue.html", _queue_panel, order=10)

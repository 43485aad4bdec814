"""Pages of assistance requests: the list (searched, sorted, exported as CSV) and new-request form, the
coordinators' triage queue, one request with its timeline and actions (the allocation page: allocation.pages).

Each POST loads the API's schema and calls the same service as the API (``web.forms.perform`` puts
their messages next to the fields, commits once and flashes what happened), then redirects.
"""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm

from health_responder import csvsafe
from health_responder.allocation import queries as allocation_queries
from health_responder.allocation import services as allocation_services
from health_responder.auth.models import Role
from health_responder.dispatch import queries as dispatch_queries
from health_responder.health_requests import queries, services
from health_responder.health_requests.forms import (
    CancelForm,
    NoteForm,
    QueueFilterForm,
    RejectForm,
    RequestForm,
)
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
from health_responder.labels import label
from health_responder.names import local_name
from health_responder.providers import queries as providers
from health_responder.reference import queries as reference
from health_responder.reference.models import Item
from health_responder.stock import queries as stock
from health_responder.web import stash
from health_responder.web.context import NAV, register_panel
from health_responder.web.forms import load, perform, status_of
from health_responder.web.guards import STAFF, is_staff, me, roles
from health_responder.web.parsing import link_args, page_number, search_words, text
from health_responder.web.sorting import sort_of

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
#: States in which staff decide or allocate, and so see the stock that could serve each line.
DECIDING = (S.SUBMITTED, *FULFILLING)


# --- reads for the pages --------------------------------------------------------------------------


def _item_choices() -> list[tuple]:
    return [("", _("Choose an item"))] + [
        (item.id, f"{item.code} — {local_name(item)} ({item.unit})") for item in reference.active_items()
    ]


def _city_choices() -> list[tuple]:
    return [("", _("Choose a city"))] + [(c.id, c.name) for c in reference.all_cities()]


def _priority_choices() -> list[tuple]:
    return [(p.value, label(p.value)) for p in Priority]


def timeline(req: AssistanceRequest) -> list[dict]:
    """The request's path so far and ahead: each step with its moment and whether it is done."""
    steps = [("created", _("Created"), req.created_at), ("submitted", _("Submitted"), req.submitted_at)]
    if req.status == S.REJECTED:
        steps.append(("rejected", _("Rejected"), req.updated_at))
    else:
        reached = queries.milestones(request=req)
        steps += [
            ("approved", _("Approved"), req.approved_at),
            ("allocated", _("Stock allocated"), reached["allocated"]),
            ("dispatched", _("Shipped"), reached["shipped"]),
            ("delivered", _("Delivered"), req.delivered_at),
        ]
        if req.status == S.CLOSED:
            steps.append(("closed", _("Closed"), req.closed_at))
        if req.status == S.CANCELLED:
            steps = [step for step in steps if step[2] is not None] + [
                ("cancelled", _("Cancelled"), req.cancelled_at)
            ]
    found, current = [], None
    for key, name, at in steps:
        state = "done" if at is not None else "pending"
        if state == "pending" and current is None and req.status not in (S.REJECTED, S.CANCELLED, S.CLOSED):
            current, state = key, "current"
        found.append({"key": key, "label": name, "at": at, "state": state})
    return found


def _view_rows(requests: list[AssistanceRequest]) -> list[dict]:
    views = queries.request_views(requests=requests)
    items = reference.items_by_id(ids=(line["item_id"] for view in views for line in view["lines"]))
    cities = reference.city_names(ids=(r.city_id for r in requests))
    for view, req in zip(views, requests, strict=True):
        view["city"] = cities.get(req.city_id, "")
        view["items"] = ", ".join(
            f"{items[line['item_id']].code} × {line['quantity']}"
            for line in view["lines"]
            if line["item_id"] in items
        )
        view["open"] = req.status in OPEN
    return views


# --- list and triage queue ------------------------------------------------------------------------


#: The columns the request list sorts by (``?sort=&dir=``), each an ORDER_COLUMNS name.
SORT_KEYS = ("reference", "city", "priority", "status", "needed_by", "submitted_at")


def _list_filters() -> tuple[QueueFilterForm, dict]:
    """The list's filter form and the filters it stands for (the page and its CSV read the same)."""
    form = QueueFilterForm(request.args)
    form.status.choices = [("", _("Any status"))] + [(s.value, label(s.value)) for s in S]
    form.priority.choices = [("", _("Any priority"))] + _priority_choices()
    form.network_id.choices = [("", _("Any network"))] + [(n.id, n.code) for n in reference.all_networks()]
    form.item_id.choices = [("", _("Any item"))] + _item_choices()[1:]
    if is_staff() and "status" not in request.args:
        form.status.data = S.SUBMITTED.value
    args = {
        "status": form.status.data or None,
        "priority": form.priority.data or None,
        "network_id": form.network_id.data,
        "item_id": form.item_id.data,
        "q": search_words(form.q),
    }
    if args["status"] not in {s.value for s in S}:
        args["status"] = None
    if args["priority"] not in {p.value for p in Priority}:
        args["priority"] = None
    return form, args


@bp.get("/requests")
@roles()
def index():
    """The city's requests; for coordinators the triage queue (priority, then needed-by); sortable."""
    form, args = _list_filters()
    sort = sort_of(SORT_KEYS)
    page = queries.requests_page(
        user=me(), filters=args, page=page_number(), page_size=20, order_by=sort.order_by
    )
    page["items"] = _view_rows(page["items"])
    return render_template(
        "health_requests/index.html",
        form=form,
        page=page,
        staff=is_staff(),
        sort=sort,
        link_args=link_args(),
    )


@bp.get("/requests/backorders")
@roles(*STAFF)
def backorders():
    """Every line still owed, critical first, oldest first: the whole list the dashboard's panel begins."""
    user = me()
    return render_template(
        "health_requests/backorders.html",
        rows=queries.backorders(user=user),
        totals=queries.backorder_totals(user=user),
    )


@bp.get("/requests/export.csv")
@roles()
def export():
    """The list as the page shows it (same filters and order, every page of it), one row per line, as CSV."""
    _form, args = _list_filters()
    filters = {k: v for k, v in args.items() if v not in (None, "")}
    order = queries.page_order(user=me(), order_by=sort_of(SORT_KEYS).order_by)
    return csvsafe.download(
        "requests.csv", queries.CSV_COLUMNS, queries.csv_rows(user=me(), args=filters, order=order)
    )


# --- new request ----------------------------------------------------------------------------------


def _prepare_request_form(form: RequestForm) -> None:
    choices = _item_choices()
    for entry in form.lines:
        entry.item_id.choices = choices
    form.priority.choices = _priority_choices()
    form.city_id.choices = _city_choices()


def _payload(form: RequestForm, *, editing: bool = False) -> tuple[dict, dict[str, str]]:
    """The API body the form stands for, and which form line each payload line came from.

    Editing a draft sends the whole request (an emptied delivery contact clears it); a line whose
    "remove" box is ticked, or left empty, is not sent: the lines sent replace the draft's.
    """
    payload: dict = {"priority": form.priority.data, "lines": []}
    if text(form.justification):
        payload["justification"] = text(form.justification)
    if form.needed_by.data is not None:
        payload["needed_by"] = form.needed_by.data.isoformat()
    if text(form.delivery_contact) or editing:
        payload["delivery_contact"] = text(form.delivery_contact)
    if is_staff() and form.city_id.data is not None and not editing:
        payload["city_id"] = form.city_id.data
    # A message about the lines as a whole ("Add at least one item line.") goes to the first line's
    # item, so the lines are marked and the error summary links to them.
    aliases: dict[str, str] = {"lines": "lines.0.item_id", "needed_by": "needed_by"}
    for position, entry in enumerate(form.lines):
        item_id, quantity = entry.item_id.data, entry.quantity.data
        if (item_id is None and quantity is None) or entry.remove.data:
            continue  # an unused line slot, or a line taken off
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


def _create(payload: dict, submit_now: bool) -> AssistanceRequest:
    data = load(RequestCreateSchema, payload)
    created = services.create_request(by=me(), **data)
    if submit_now:
        created = services.submit(request=created, by=me())
    return created


def _save(req: AssistanceRequest, payload: dict, submit_now: bool) -> AssistanceRequest:
    # The create schema: the form sends the whole draft, so what it requires, the edit requires too.
    data = load(RequestCreateSchema, payload)
    saved = services.update_request(request=req, by=me(), **data)
    if submit_now:
        saved = services.submit(request=saved, by=me())
    return saved


def _editor(req: AssistanceRequest | None):
    """The request form, new (``req`` None) or a draft's, filled; saved as a draft or submitted."""
    form = RequestForm()
    if req is not None and not form.is_submitted():
        lines = queries.request_view(request=req)["lines"]
        form = RequestForm(
            formdata=None,
            priority=req.priority,
            needed_by=req.needed_by,
            justification=req.justification,
            delivery_contact=req.delivery_contact,
            lines=[{"item_id": line["item_id"], "quantity": line["quantity"]} for line in lines]
            + [{}],  # one empty slot to add a line without a round trip
        )
    page = {"form": form, "staff": is_staff(), "req": req}
    if request.method == "POST" and request.form.get("action") == "add_line":
        # Without the page's script (which adds the line in the page): the same form, one line more,
        # through a redirect like every POST (web.stash keeps what was typed for the page it opens).
        typed = [(name, value) for name, value in request.form.items(multi=True) if name != "action"]
        fields = stash.with_rows(typed, group="lines", field="item_id", rows=len(form.lines.entries) + 1)
        return redirect(stash.carry(fields=fields, user_id=me().id, page=request.path), 303)
    _prepare_request_form(form)
    status = 200
    if form.validate_on_submit():
        payload, aliases = _payload(form, editing=req is not None)
        submit_now = request.form.get("action") == "submit"
        saved, status = perform(
            form,
            (lambda: _create(payload, submit_now))
            if req is None
            else (lambda: _save(req, payload, submit_now)),
            done=lambda saved: (
                _("Request %(ref)s was submitted.", ref=saved.reference)
                if submit_now
                else _("Request %(ref)s was saved as a draft.", ref=saved.reference)
            ),
            aliases=aliases,
        )
        if saved is not None:
            return redirect(url_for(".detail", request_id=saved.id))
    return render_template("health_requests/new.html", **page), status_of(form, status)


@bp.route("/requests/new", methods=["GET", "POST"])
@roles(Role.CITY, *STAFF)
def new():
    """A new request: an item picker with several lines, priority, needed-by and justification."""
    return _editor(None)


@bp.route("/requests/<int:request_id>/edit", methods=["GET", "POST"])
@roles(Role.CITY, *STAFF)
def edit(request_id: int):
    """A draft in the same form, filled: change anything, add, change or remove lines; the reference stays."""
    req = queries.get_request(request_id=request_id, user=me())
    services.check_editable(request=req, by=me())
    return _editor(req)


# --- one request ----------------------------------------------------------------------------------


def _dispatch_rows(req: AssistanceRequest) -> list[dict]:
    dispatches = dispatch_queries.dispatches_of_request(user=me(), request_id=req.id)
    names = providers.provider_names(ids=(d.provider_id for d in dispatches))
    return [{"dispatch": d, "provider": names.get(d.provider_id, "")} for d in dispatches]


def _allocation_rows(
    req: AssistanceRequest, items: dict[int, Item], line_items: dict[int, int]
) -> list[dict]:
    allocations = allocation_queries.allocations_of(request=req, user=me(), args={})
    lots = stock.lots_by_id(ids=(a.lot_id for a in allocations))
    names = providers.provider_names(ids=(a.provider_id for a in allocations))
    return [
        {
            "allocation": a,
            "lot": lots.get(a.lot_id),
            "provider": names.get(a.provider_id, ""),
            "item": items.get(line_items.get(a.line_id)),
        }
        for a in allocations
    ]


def _detail(req: AssistanceRequest, status: int = 200, **forms):
    view = queries.request_view(request=req)
    items = reference.items_by_id(ids=(line["item_id"] for line in view["lines"]))
    line_items = {line["id"]: line["item_id"] for line in view["lines"]}
    city = reference.city(city_id=req.city_id)
    user = me()
    can = {
        "submit": req.status in TRANSITIONS["submit"] and user.role in (Role.CITY, *STAFF),
        "edit": req.status in TRANSITIONS["edit"] and user.role in (Role.CITY, *STAFF),
        "withdraw": req.status in TRANSITIONS["withdraw"] and user.role == Role.CITY,
        "cancel": req.status in TRANSITIONS["cancel"] and user.role in (Role.CITY, *STAFF),
        "approve": req.status in TRANSITIONS["approve"] and user.role in STAFF,
        "reject": req.status in TRANSITIONS["reject"]
        and user.role in STAFF
        and not any(line["quantity_allocated"] for line in view["lines"]),
        # Only while a line has units left to allocate (its remainder): a fully allocated request's
        # next step is preparing its dispatches, not allocating.
        "allocate": req.status in FULFILLING
        and user.role in STAFF
        and any(line["quantity_unfilled"] > 0 for line in view["lines"]),
        "close": req.status in TRANSITIONS["close"] and user.role in STAFF,
        "release": user.role in STAFF,
        "prepare": req.status in FULFILLING and queries.reservations_to_dispatch(user=user, request=req) > 0,
    }
    context = {
        "req": req,
        "view": view,
        "items": items,
        "city": city,
        "timeline": timeline(req),
        "allocations": _allocation_rows(req, items, line_items),
        # The stock that could serve each line, for staff deciding (providers' quantities stay private).
        "usable": allocation_queries.usable_stock(request=req)
        if user.role in STAFF and req.status in DECIDING
        else None,
        "dispatches": _dispatch_rows(req),
        "can": can,
        "owing": req.status in FULFILLING,
        "reject_form": forms.get("reject_form") or RejectForm(prefix="reject", formdata=None),
        "cancel_form": forms.get("cancel_form") or CancelForm(prefix="cancel", formdata=None),
        "close_form": forms.get("close_form") or NoteForm(prefix="close", formdata=None),
        "action_error": forms.get("action_error"),
    }
    return render_template("health_requests/detail.html", **context), status


@bp.get("/requests/<int:request_id>")
@roles()
def detail(request_id: int):
    """One request: timeline, countdown, lines, allocations, dispatches and what the user may do next."""
    return _detail(queries.get_request(request_id=request_id, user=me()))


def _transition(
    request_id: int, action, done_message: str, form: FlaskForm | None = None, form_name: str = "", **values
):
    """Run one transition service from a button or a small form; show the outcome."""
    req = queries.get_request(request_id=request_id, user=me())
    form = form or FlaskForm()
    if not form.validate_on_submit():
        return _detail(req, 422, **({form_name: form} if form_name else {}))

    changed, status = perform(
        form,
        lambda: action(request=req, by=me(), **values),
        done=lambda changed: done_message % {"ref": changed.reference},
    )
    if changed is None:
        req = queries.get_request(request_id=request_id, user=me())
        extra = {form_name: form} if form_name else {"action_error": form.form_errors}
        return _detail(req, status, **extra)
    return redirect(url_for(".detail", request_id=request_id))


@bp.post("/requests/<int:request_id>/submit")
@roles(Role.CITY, *STAFF)
def submit(request_id: int):
    """draft → submitted."""
    return _transition(request_id, services.submit, _("Request %(ref)s was submitted."))


@bp.post("/requests/<int:request_id>/withdraw")
@roles(Role.CITY)
def withdraw(request_id: int):
    """submitted → draft, by the request's city, to change it before anyone approves it."""
    return _transition(
        request_id,
        services.withdraw,
        _("Request %(ref)s is a draft again: change it, then submit it again."),
    )


@bp.post("/requests/<int:request_id>/approve")
@roles(*STAFF)
def approve(request_id: int):
    """submitted → approved."""
    return _transition(
        request_id, services.approve, _("Request %(ref)s was approved: allocate stock to it next.")
    )


def _with_text(request_id: int, form: FlaskForm, schema, field: str, action, message: str, form_name: str):
    req = queries.get_request(request_id=request_id, user=me())
    if not form.validate_on_submit():
        return _detail(req, 422, **{form_name: form})
    written = text(getattr(form, field))
    payload = {field: written} if written else {}  # an empty box is a missing value, as the API names it
    changed, status = perform(
        form,
        lambda: action(request=req, by=me(), **load(schema, payload)),
        done=lambda changed: message % {"ref": changed.reference},
    )
    if changed is None:
        return _detail(queries.get_request(request_id=request_id, user=me()), status, **{form_name: form})
    return redirect(url_for(".detail", request_id=request_id))


@bp.post("/requests/<int:request_id>/reject")
@roles(*STAFF)
def reject(request_id: int):
    """submitted/approved → rejected, with a reason."""
    return _with_text(
        request_id,
        RejectForm(prefix="reject"),
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
        CancelForm(prefix="cancel"),
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


@bp.post("/requests/<int:request_id>/allocations/<int:allocation_id>/release")
@roles(*STAFF)
def release_allocation(request_id: int, allocation_id: int):
    """Give a reserved allocation back to its lot (one quarantined or recalled, say), then allocate another."""
    req = queries.get_request(request_id=request_id, user=me())
    allocation = allocation_queries.get_allocation(allocation_id=allocation_id, user=me())
    form = FlaskForm()
    if allocation.request_id != req.id or not form.validate_on_submit():
        return _detail(req, 422, action_error=[_("The form has expired: try again.")])
    released, status = perform(
        form,
        lambda: allocation_services.release(allocation=allocation, by=me()),
        done=lambda released: _(
            "%(qty)s unit(s) of lot %(lot)s were released; allocate another lot.",
            qty=released.quantity,
            lot=stock.lots_by_id(ids=[released.lot_id])[released.lot_id].lot_code,
        ),
    )
    if released is None:
        return _detail(
            queries.get_request(request_id=request_id, user=me()), status, action_error=form.form_errors
        )
    return redirect(url_for("allocation_pages.allocate", request_id=request_id))


# --- dashboard panels -----------------------------------------------------------------------------


def _city_panel(user) -> dict:
    requests = queries.requests_in(user=user, statuses=OPEN, order_by=(R.needed_by,), limit=10)
    return {"requests": _view_rows(requests), "timelines": {r.id: timeline(r) for r in requests}}


def _queue_panel(user) -> dict:
    submitted = queries.requests_in(user=user, statuses=[S.SUBMITTED], order_by=queries.TRIAGE_ORDER, limit=8)
    return {
        "submitted": _view_rows(submitted),
        "backorders": queries.backorders(user=user, limit=12),
        "backorder_totals": queries.backorder_totals(user=user),
        "counts": queries.status_counts(),
    }


register_panel((Role.CITY,), "health_requests/panel_city.html", _city_panel, order=10)
register_panel(STAFF, "health_requests/panel_queue.html", _queue_panel, order=10)

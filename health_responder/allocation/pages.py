"""Pages of allocation: the allocation page of a request (each open line with its suggested lots, best
first, with the rationale, and why none when there is none; one lot allocated with a quantity), and a
near-expiry alert's redistribution (the open requests of any city and network its lot could serve
before it expires, each allocated in one click by a coordinator).

Each POST loads the API's schema and calls the same service as the API, then redirects.
"""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_wtf import FlaskForm

from health_responder.allocation import queries, services
from health_responder.allocation.forms import AllocateForm, RedistributeForm
from health_responder.allocation.schemas import AllocationCreateSchema, RedistributeSchema
from health_responder.checks import queries as alerts
from health_responder.health_requests import queries as requests
from health_responder.health_requests import services as request_services
from health_responder.health_requests.models import AssistanceRequest
from health_responder.providers import queries as providers
from health_responder.reference import queries as reference
from health_responder.stock import queries as stock
from health_responder.web.forms import load, perform
from health_responder.web.guards import STAFF, is_staff, me, roles
from health_responder.web.parsing import int_or_none, int_or_zero

bp = Blueprint("allocation_pages", __name__, template_folder="templates")


# --- a request's allocation page ------------------------------------------------------------------


def _allocation_page(
    req: AssistanceRequest,
    failed: tuple[int, int, AllocateForm] | None = None,
    status: int = 200,
    whole: FlaskForm | None = None,
):
    view = requests.request_view(request=req)
    items = reference.items_by_id(ids=(line["item_id"] for line in view["lines"]))
    lines = []
    for line in request_services.lines_of(req.id):
        still = line.remainder
        suggestions = queries.suggestions(request=req, line=line) if still > 0 else []
        locations = providers.location_names(ids=(s["location_id"] for s in suggestions))
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
        why = queries.why_none(request=req, line=line) if still > 0 and not rows else None
        lines.append(
            {"line": line, "item": items.get(line.item_id), "still": still, "rows": rows, "why": why}
        )
    stray = (
        failed[2]
        if failed and not any(row["form"] is failed[2] for entry in lines for row in entry["rows"])
        else None
    )
    return render_template(
        "allocation/allocate.html",
        req=req,
        lines=lines,
        city=reference.city(city_id=req.city_id),
        stray=stray,
        whole=whole or FlaskForm(formdata=None),
        can_allocate_all=any(entry["rows"] for entry in lines),
    ), status


@bp.route("/requests/<int:request_id>/allocate", methods=["GET", "POST"])
@roles(*STAFF)
def allocate(request_id: int):
    """The suggested lots of each line, best first, with their rationale; allocate one with a quantity."""
    req = requests.get_request(request_id=request_id, user=me())
    if request.method == "GET":
        return _allocation_page(req)
    form = AllocateForm()
    line_id, lot_id = int_or_zero(form.line_id.data), int_or_zero(form.lot_id.data)
    if not form.validate_on_submit():
        return _allocation_page(req, (line_id, lot_id, form), 422)
    payload = {"line_id": line_id, "lot_id": lot_id}
    if form.quantity.data is not None:
        payload["quantity"] = form.quantity.data

    def run():
        return services.allocate(request=req, by=me(), **load(AllocationCreateSchema, payload))

    allocation, status = perform(
        form,
        run,
        done=lambda allocation: _(
            "%(qty)s unit(s) of lot %(lot)s were allocated.",
            qty=allocation.quantity,
            lot=stock.lots_by_id(ids=[allocation.lot_id])[allocation.lot_id].lot_code,
        ),
    )
    if allocation is None:
        return _allocation_page(
            requests.get_request(request_id=request_id, user=me()), (line_id, lot_id, form), status
        )
    return redirect(url_for(".allocate", request_id=request_id))


@bp.post("/requests/<int:request_id>/allocate/as-suggested")
@roles(*STAFF)
def allocate_as_suggested(request_id: int):
    """Allocate the whole request in one click by the automatic allocation's rules; the request page then
    lists every allocation with its rationale. A refusal comes back on the allocation page, which says why.
    """
    req = requests.get_request(request_id=request_id, user=me())
    form = FlaskForm()
    if not form.validate_on_submit():
        return _allocation_page(req, status=422, whole=form)
    made, status = perform(
        form,
        lambda: services.allocate_as_suggested(request=req, by=me()),
        done=lambda made: ngettext(
            "%(num)d allocation was made as suggested, %(units)s unit(s); its reasons are listed below.",
            "%(num)d allocations were made as suggested, %(units)s unit(s); their reasons are listed below.",
            len(made),
            units=sum(allocation.quantity for allocation in made),
        ),
    )
    if made is None:
        return _allocation_page(
            requests.get_request(request_id=request_id, user=me()), status=status, whole=form
        )
    return redirect(url_for("health_requests_pages.detail", request_id=request_id, _anchor="allocations"))


# --- a near-expiry lot's redistribution -----------------------------------------------------------


def _page(alert_id: int, status: int = 200, failed: tuple[int | None, RedistributeForm] | None = None):
    alert = alerts.alert_for(user=me(), alert_id=alert_id)
    view = queries.redistribution(alert=alert, user=me())
    for candidate in view["candidates"]:
        if failed and failed[0] == candidate["line_id"]:
            candidate["form"] = failed[1]
        else:
            candidate["form"] = RedistributeForm(formdata=None, line_id=candidate["line_id"])
    stray = failed[1] if failed and failed[0] not in {c["line_id"] for c in view["candidates"]} else None
    return render_template(
        "allocation/redistribution.html",
        alert=alert,
        view=view,
        can_allocate=is_staff() and alert.status == "open",
        stray=stray,
    ), status


@bp.get("/alerts/<int:alert_id>/redistribution")
@roles()
def redistribution(alert_id: int):
    """The lot near expiry and the open requests anywhere it could serve, most urgent first."""
    return _page(alert_id)


@bp.post("/alerts/<int:alert_id>/redistribution")
@roles(*STAFF)
def redistribute(alert_id: int):
    """Allocate the alert's lot to one line, in one click; 409 said on the page when it cannot be."""
    alert = alerts.alert_for(user=me(), alert_id=alert_id)
    item_id = queries.lot_of_alert(alert=alert).item_id
    form = RedistributeForm()
    line_id = int_or_none(form.line_id.data)
    if not form.validate_on_submit():
        return _page(alert_id, 422, (line_id, form))
    allocation, status = perform(
        form,
        lambda: services.redistribute(alert=alert, by=me(), **load(RedistributeSchema, {"line_id": line_id})),
        done=lambda allocation: _(
            "%(n)s unit(s) of the lot are allocated to %(reference)s (%(item)s): its provider has been told to "
            "dispatch them.",
            n=allocation.quantity,
            reference=requests.get_request(request_id=allocation.request_id, user=me()).reference,
            item=reference.item_code(item_id=item_id),
        ),
    )
    if allocation is None:
        return _page(alert_id, status, (line_id, form))
    return redirect(url_for(".redistribution", alert_id=alert_id))

"""Pages of allocation: a near-expiry alert's redistribution, the open requests of any city and network
its lot could serve before it expires, each allocated in one click by a coordinator.
"""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_babel import gettext as _

from health_responder.allocation import queries, services
from health_responder.allocation.forms import RedistributeForm
from health_responder.allocation.schemas import RedistributeSchema
from health_responder.checks import queries as alerts
from health_responder.web.forms import load, perform
from health_responder.web.guards import STAFF, is_staff, me, roles
from health_responder.web.parsing import int_or_none

bp = Blueprint("allocation_pages", __name__, template_folder="templates")


def _page(alert_id: int, status: int = 200, failed: tuple[int | None, RedistributeForm] | None = None):
    alert = alerts.alert_for(me(), alert_id)
    view = queries.redistribution(alert, me())
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
    alert = alerts.alert_for(me(), alert_id)
    form = RedistributeForm()
    line_id = int_or_none(form.line_id.data)
    if not form.validate_on_submit():
        return _page(alert_id, 422, (line_id, form))
    allocation, status = perform(
        form,
        lambda: services.redistribute(alert=alert, by=me(), **load(RedistributeSchema, {"line_id": line_id})),
        done=lambda allocation: _(
            "%(n)s unit(s) of the lot are allocated to line %(line)s: its provider has been told to dispatch them.",
            n=allocation.quantity,
            line=allocation.line_id,
        ),
    )
    if allocation is None:
        return _page(alert_id, status, (line_id, form))
    return redirect(url_for(".redistribution", alert_id=alert_id))

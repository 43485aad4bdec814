"""Pages of checks and alerts: each role's alerts with a resolve form, and for coordinators the
scheduled checks with "run now" (or a dry run) and the history of job runs.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from health_responder import scheduler
from health_responder.auth.models import Role
from health_responder.checks import queries, services
from health_responder.checks.forms import AlertFilterForm, ResolveForm, RunForm
from health_responder.checks.models import ALERT_KINDS, AlertStatus
from health_responder.checks.schemas import AlertResolveSchema
from health_responder.db import utcnow
from health_responder.errors import DomainError
from health_responder.labels import check_label, label
from health_responder.web.context import NAV, register_panel
from health_responder.web.forms import load, perform, rollback
from health_responder.web.guards import STAFF, me, roles
from health_responder.web.i18n import translate
from health_responder.web.parsing import link_args, page_number, text

bp = Blueprint("checks_pages", __name__, template_folder="templates")

for _role in ("city", "provider", *STAFF):
    NAV[_role] += [(_l("Alerts"), "checks_pages.alerts")]
for _role in STAFF:
    NAV[_role] += [(_l("Checks"), "checks_pages.jobs")]


# --- alerts ---------------------------------------------------------------------------------------


def _alerts_page(status_code: int = 200, failed: tuple[int, ResolveForm] | None = None):
    form = AlertFilterForm(request.args)
    form.kind.choices = [("", _("Any kind"))] + [(k, label(k)) for k in ALERT_KINDS]
    form.status.choices = [("", _("Any status"))] + [(s.value, label(s.value)) for s in AlertStatus]
    if "status" not in request.args:
        form.status.data = AlertStatus.OPEN.value
    args = {"page": page_number(), "page_size": 50}
    if form.kind.data in ALERT_KINDS:
        args["kind"] = form.kind.data
    if form.status.data in {s.value for s in AlertStatus}:
        args["status"] = form.status.data
    page = queries.list_alerts(me(), args)
    rows = []
    for alert in page["items"]:
        resolve_form = (
            failed[1]
            if failed and failed[0] == alert.id
            else ResolveForm(formdata=None, alert_id=alert.id, prefix=f"a{alert.id}")
        )
        rows.append({"alert": alert, "form": resolve_form})
    return render_template(
        "checks/alerts.html", form=form, page=page, rows=rows, link_args=link_args()
    ), status_code


@bp.get("/alerts")
@roles()
def alerts():
    """Alerts that name the user's city or provider (staff: all), open first."""
    return _alerts_page()


@bp.post("/alerts/<int:alert_id>/resolve")
@roles()
def resolve(alert_id: int):
    """Resolve an open alert with an optional note."""
    alert = queries.alert_for(me(), alert_id)
    form = ResolveForm(prefix=f"a{alert_id}")
    if not form.validate_on_submit():
        return _alerts_page(422, (alert_id, form))
    note = text(form.note)
    resolved, status = perform(
        form,
        lambda: services.resolve(alert=alert, by=me(), **load(AlertResolveSchema, {"note": note})),
        done=_("The alert is resolved."),
    )
    if resolved is None:
        return _alerts_page(status, (alert_id, form))
    return redirect(url_for(".alerts"))


# --- checks and job runs --------------------------------------------------------------------------


@bp.get("/checks")
@roles(*STAFF)
def jobs():
    """Each check with its interval, next tick and last run; a button to run it now; the recent runs."""
    now, plan, latest = utcnow(), scheduler.schedules(), scheduler.last_runs()
    checks = [
        {
            "name": name,
            "label": check_label(name),
            "interval": plan.get(name),
            "next_tick": scheduler.next_tick(now, plan[name]) if name in plan else None,
            "last_run": latest.get(name),
            "form": RunForm(formdata=None, prefix=name),
        }
        for name in scheduler.jobs()
    ]
    name = request.args.get("name") or None
    args = {"page": page_number(), "page_size": 30}
    if name in scheduler.jobs():
        args["name"] = name
    runs = queries.list_runs(args)
    return render_template(
        "checks/jobs.html",
        checks=checks,
        runs=runs,
        name=name,
        link_args=link_args(),
    )


@bp.post("/checks/<string:name>/run")
@roles(*STAFF)
def run_now(name: str):
    """Run a check now and wait for it (409 while another run of it is working)."""
    scheduler.get_job(name)
    form = RunForm(prefix=name)
    if not form.validate_on_submit():
        flash(_("The form has expired: try again."), "error")
        return redirect(url_for(".jobs"))
    try:
        run = scheduler.run_job(
            name,
            scheduled_for=utcnow(),
            trigger="manual",
            dry_run=bool(form.dry_run.data),
            requested_by=me().id,
        )
    except DomainError as error:
        rollback()
        flash(translate(error.message), "error")
        return redirect(url_for(".jobs"))
    counts = ", ".join(
        f"{key}: {value}" for key, value in (run.counts or {}).items() if not isinstance(value, (list, dict))
    )
    if run.outcome == "succeeded":
        flash(
            _("%(check)s ran: %(outcome)s.", check=check_label(name), outcome=label(run.outcome))
            + (f" {counts}" if counts else ""),
            "success",
        )
    else:
        flash(
            _("%(check)s ran: %(outcome)s.", check=check_label(name), outcome=label(run.outcome))
            + (f" {run.error}" if run.error else ""),
            "error",
        )
    return redirect(url_for(".jobs", name=name))


# --- dashboard panels -----------------------------------------------------------------------------


def _alerts_panel(user) -> dict:
    page = queries.list_alerts(user, {"page": 1, "page_size": 6, "status": AlertStatus.OPEN})
    return {"alerts": page["items"], "total": page["total"]}


def _runs_panel(user) -> dict:
    latest = scheduler.last_runs()
    return {"runs": [latest[name] for name in scheduler.jobs() if name in latest]}


register_panel((Role.CITY, Role.PROVIDER, *STAFF), "checks/panel_alerts.html", _alerts_panel, order=30)
register_panel(STAFF, "checks/panel_runs.html", _runs_panel, order=40)

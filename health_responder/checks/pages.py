"""Pages of checks and alerts: each role's alerts as a compact table (filtered by kind, status, city,
provider and the days they were raised; each linking to its subject; several resolved at once with one
note), and for coordinators the scheduled checks with "run now" (or a dry run) and the history of runs.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from health_responder import csvsafe, scheduler
from health_responder.auth.models import Role
from health_responder.checks import queries, services
from health_responder.checks.forms import AlertFilterForm, BatchResolveForm, ResolveForm, RunForm
from health_responder.checks.models import ALERT_KINDS, AlertStatus
from health_responder.checks.schemas import (
    RANGE_REVERSED,
    AlertBatchResolveSchema,
    AlertResolveSchema,
    reversed_range,
)
from health_responder.db import utcnow
from health_responder.errors import DomainError
from health_responder.labels import check_label, count_label, label
from health_responder.providers import queries as providers
from health_responder.reference import queries as reference
from health_responder.web.context import NAV, register_panel
from health_responder.web.forms import load, perform, rollback
from health_responder.web.guards import STAFF, is_staff, me, roles
from health_responder.web.i18n import translate
from health_responder.web.parsing import int_or_none, link_args, page_number, text
from health_responder.web.sorting import sort_of

bp = Blueprint("checks_pages", __name__, template_folder="templates")

for _role in ("city", "provider", *STAFF):
    NAV[_role] += [(_l("Alerts"), "checks_pages.alerts")]
for _role in STAFF:
    NAV[_role] += [(_l("Checks"), "checks_pages.jobs")]


# --- alerts ---------------------------------------------------------------------------------------


def subject_link(alert, role: str) -> str | None:
    """Where the alert's subject is shown to ``role`` (none where that role has no such page)."""
    kind, ident = alert.subject_type, alert.subject_id
    if ident is None:
        return None
    if kind == "assistance_request":
        return url_for("health_requests_pages.detail", request_id=ident)
    if kind == "stock_lot" and role != Role.CITY:
        return url_for("stock_pages.lot_card", lot_id=ident)
    if kind == "item" and role != Role.CITY:
        return url_for("stock_pages.index", item_id=ident)
    if kind == "city" and alert.kind == "readiness_gap":
        return url_for("training_pages.index")
    return None


#: The columns the alert table sorts by (``?sort=&dir=``), each an ALERT_ORDER name.
SORT_KEYS = ("kind", "concerns", "created_at", "status")


def _filter_form() -> tuple[AlertFilterForm, dict]:
    """The filter form as the query string fills it, and the list arguments it stands for."""
    form = AlertFilterForm(request.args)
    form.kind.choices = [("", _("Any kind"))] + [(k, label(k)) for k in ALERT_KINDS]
    form.status.choices = [("", _("Any status"))] + [(s.value, label(s.value)) for s in AlertStatus]
    if is_staff():
        form.city_id.choices = [("", _("Any city"))] + [(c.id, c.name) for c in reference.all_cities()]
        form.provider_id.choices = [("", _("Any provider"))] + [
            (p.id, p.name) for p in providers.all_providers()
        ]
    if "status" not in request.args:
        form.status.data = AlertStatus.OPEN.value
    args: dict = {"page": page_number(), "page_size": 50, "order_by": sort_of(SORT_KEYS).order_by}
    if form.kind.data in ALERT_KINDS:
        args["kind"] = form.kind.data
    if form.status.data in {s.value for s in AlertStatus}:
        args["status"] = form.status.data
    if is_staff():
        for name in ("city_id", "provider_id"):
            if getattr(form, name).data is not None:
                args[name] = getattr(form, name).data
    for name in ("raised_from", "raised_to"):
        if getattr(form, name).data is not None:
            args[name] = getattr(form, name).data
    if reversed_range(form.raised_from.data, form.raised_to.data):  # said at the field, not "no alert"
        form.raised_to.errors = [str(RANGE_REVERSED)]
    return form, args


def _alerts_page(status_code: int = 200, batch: BatchResolveForm | None = None):
    form, args = _filter_form()
    page = queries.list_alerts(user=me(), args=args)
    alerts = page["items"]
    cities = reference.city_names(ids=(a.city_id for a in alerts))
    names = providers.provider_names(ids=[a.provider_id for a in alerts if a.provider_id])
    chosen = {int_or_none(value) for value in (batch.alert_ids.data or [])} if batch else set()
    rows = [
        {
            "alert": alert,
            "link": subject_link(alert, me().role),
            "city": cities.get(alert.city_id, ""),
            "provider": names.get(alert.provider_id, ""),
            "chosen": alert.id in chosen,
        }
        for alert in alerts
    ]
    return render_template(
        "checks/alerts.html",
        form=form,
        page=page,
        rows=rows,
        batch=batch or BatchResolveForm(formdata=None),
        staff=is_staff(),
        sort=sort_of(SORT_KEYS),
        link_args=link_args(),
    ), status_code


@bp.get("/alerts/export.csv")
@roles()
def export():
    """The alerts the table shows (same filters and order, every page) as CSV."""
    _form, args = _filter_form()
    return csvsafe.download("alerts.csv", queries.CSV_COLUMNS, queries.csv_rows(user=me(), args=args))


@bp.get("/alerts")
@roles()
def alerts():
    """Alerts that name the user's city or provider (staff: all), open first, as a filterable table."""
    return _alerts_page()


@bp.get("/alerts/<int:alert_id>")
@roles()
def alert(alert_id: int):
    """Where an alert's notification points when the alert names no page of its own: the table, at its kind."""
    found = queries.alert_for(user=me(), alert_id=alert_id)
    return redirect(url_for(".alerts", kind=found.kind, status=found.status))


@bp.post("/alerts/resolve")
@roles()
def resolve_batch():
    """Resolve the ticked alerts with one note (all or none); the list comes back as it was filtered."""
    batch = BatchResolveForm()
    if not batch.validate_on_submit():
        return _alerts_page(422, batch)
    ids = [int_or_none(value) for value in batch.alert_ids.data or []]
    payload = {"alert_ids": [i for i in ids if i is not None], "note": text(batch.note)}
    resolved, status = perform(
        batch,
        lambda: services.resolve_many(by=me(), **load(AlertBatchResolveSchema, payload)),
        done=lambda resolved: ngettext(
            "%(num)d alert is resolved.", "%(num)d alerts are resolved.", len(resolved)
        ),
    )
    if resolved is None:
        return _alerts_page(status, batch)
    return redirect(url_for(".alerts", **link_args()))


@bp.post("/alerts/<int:alert_id>/resolve")
@roles()
def resolve(alert_id: int):
    """Resolve one open alert with an optional note (a notification's or a script's single button)."""
    alert = queries.alert_for(user=me(), alert_id=alert_id)
    form = ResolveForm(prefix=f"a{alert_id}")
    if not form.validate_on_submit():
        return _alerts_page(422)
    note = text(form.note)
    resolved, status = perform(
        form,
        lambda: services.resolve(alert=alert, by=me(), **load(AlertResolveSchema, {"note": note})),
        done=_("The alert is resolved."),
    )
    if resolved is None:
        batch = BatchResolveForm(formdata=None)
        batch.form_errors.extend(form.form_errors)
        return _alerts_page(status, batch)
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
    runs = queries.list_runs(args=args)
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
    summary = ", ".join(
        f"{count_label(key)}: {_count_value(value)}"
        for key, value in (run.counts or {}).items()
        if not isinstance(value, (list, dict))
    )
    if run.outcome == "succeeded":
        flash(
            _("%(check)s ran: %(outcome)s.", check=check_label(name), outcome=label(run.outcome))
            + (f" {summary}" if summary else ""),
            "success",
        )
    else:
        flash(
            _("%(check)s ran: %(outcome)s.", check=check_label(name), outcome=label(run.outcome))
            + (f" {run.error}" if run.error else ""),
            "error",
        )
    if run.dry_run:  # what it would do, action by action
        return redirect(url_for(".run_detail", run_id=run.id))
    return redirect(url_for(".jobs", name=name))


def _count_value(value) -> str:
    """A count as the flash says it: yes or no in words, numbers with the locale's separators."""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    return format_decimal(value) if isinstance(value, int | float) else str(value)


#: The lists a run's counts may hold, each shown as its own table: (key, heading, columns (key, heading)).
ACTION_LISTS = (
    (
        "planned",
        _l("Allocations it would make"),
        (
            ("request", _l("Request")),
            ("item", _l("Item")),
            ("lot", _l("Lot")),
            ("provider", _l("Provider")),
            ("quantity", _l("Quantity")),
            ("rationale", _l("Why")),
        ),
    ),
    ("would_raise", _l("Alerts it would raise"), (("message", _l("Alert")),)),
    ("would_resolve", _l("Alerts it would resolve (their condition ended)"), (("message", _l("Alert")),)),
)
#: Lists of checks that do something else than allocate or alert: (key, heading of a dry run, heading of
#: a real run, columns). Their "action" (and "report") cells are codes, labelled on the page.
DONE_LISTS = (
    (
        "messages",
        _l("Messages it would deliver"),
        _l("Messages it delivered"),
        (("to", _l("Recipient")), ("subject", _l("Subject")), ("action", _l("How"))),
    ),
    (
        "reports",
        _l("Reports it would publish"),
        _l("Reports it took up"),
        (
            ("report", _l("Report")),
            ("first_day", _l("First day")),
            ("last_day", _l("Last day")),
            ("action", _l("What")),
        ),
    ),
    (
        "documents",
        _l("Documents it would expire (their files deleted)"),
        _l("Documents it expired (their files deleted)"),
        (("kind", _l("Document")), ("code", _l("Verification code")), ("printed", _l("Printed"))),
    ),
)
REMINDER_COLUMNS = (
    ("participant", _l("Participant")),
    ("program", _l("Program")),
    ("city_users", _l("People told in the city")),
)


@bp.get("/checks/runs/<int:run_id>")
@roles(*STAFF)
def run_detail(run_id: int):
    """One run: its counts in words and, for a dry run, every action it would take."""
    run = queries.get_run(run_id=run_id)
    counts = run.counts or {}
    lists = []
    for key, heading, columns in ACTION_LISTS:
        if isinstance(counts.get(key), list):
            if key == "planned" and run.name == "training_reminders":
                heading = _("Reminders it would queue") if run.dry_run else _("Reminders it queued")
                columns = REMINDER_COLUMNS
            lists.append({"heading": heading, "columns": columns, "rows": counts[key]})
    for key, dry_heading, heading, columns in DONE_LISTS:
        if isinstance(counts.get(key), list):
            lists.append(
                {"heading": dry_heading if run.dry_run else heading, "columns": columns, "rows": counts[key]}
            )
    numbers = [(key, value) for key, value in counts.items() if not isinstance(value, (list, dict))]
    return render_template(
        "checks/run.html",
        run=run,
        numbers=numbers,
        lists=lists,
        form=RunForm(formdata=None, prefix=run.name),
        runnable=run.name in scheduler.jobs(),
    )


# --- dashboard panels -----------------------------------------------------------------------------


def _alerts_panel(user) -> dict:
    page = queries.list_alerts(user=user, args={"page": 1, "page_size": 6, "status": AlertStatus.OPEN})
    # Each alert opens its subject, as in the alerts table (a lot's card, a request, the stock of an item).
    links = {alert.id: subject_link(alert, user.role) for alert in page["items"]}
    return {"alerts": page["items"], "total": page["total"], "links": links}


def _runs_panel(user) -> dict:
    latest = scheduler.last_runs()
    return {"runs": [latest[name] for name in scheduler.jobs() if name in latest]}


register_panel((Role.CITY, Role.PROVIDER, *STAFF), "checks/panel_alerts.html", _alerts_panel, order=30)
register_panel(STAFF, "checks/panel_runs.html", _runs_panel, order=40)

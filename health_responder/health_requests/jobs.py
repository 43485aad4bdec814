"""The overdue_requests check: requests past their needed-by, or past a service level of their priority."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_babel.speaklater import LazyString
from sqlmodel import select

from health_responder.checks import services as alerts
from health_responder.errors import code_label
from health_responder.extensions import db
from health_responder.health_requests.models import AssistanceRequest, RequestStatus
from health_responder.scheduler.models import JobRun
from health_responder.scheduler.registry import job

#: Requests that are open and not yet dispatched: they can be overdue.
NOT_DISPATCHED = (
    RequestStatus.SUBMITTED,
    RequestStatus.APPROVED,
    RequestStatus.PARTIALLY_ALLOCATED,
    RequestStatus.ALLOCATED,
    RequestStatus.PARTIALLY_DISPATCHED,
)
#: Approved requests of which nothing has shipped yet: the dispatch service level runs for them.
NOTHING_SHIPPED = (RequestStatus.APPROVED, RequestStatus.PARTIALLY_ALLOCATED, RequestStatus.ALLOCATED)


def _sla_hours(name: str) -> dict[str, float]:
    """A per-priority service level from the configuration (REQUEST_APPROVAL_SLA_HOURS, REQUEST_DISPATCH_SLA_HOURS)."""
    return dict(current_app.config.get(name) or {})


@job("overdue_requests")
def overdue_requests(*, run: JobRun, now: datetime, dry_run: bool) -> dict:
    """Alert on requests past their needed-by and not dispatched, or past a service level of their priority.

    Two service levels: from submission to approval (REQUEST_APPROVAL_SLA_HOURS), and from approval to
    the first shipment (REQUEST_DISPATCH_SLA_HOURS) while nothing of the request has shipped.
    """
    today = now.astimezone(UTC).date()  # UTC decides "today" for every reader (db.utc_today)
    sla, dispatch_sla = _sla_hours("REQUEST_APPROVAL_SLA_HOURS"), _sla_hours("REQUEST_DISPATCH_SLA_HOURS")
    found = []
    with db.read_session():
        rows = db.session.execute(
            select(
                AssistanceRequest.id,
                AssistanceRequest.reference,
                AssistanceRequest.city_id,
                AssistanceRequest.priority,
                AssistanceRequest.status,
                AssistanceRequest.needed_by,
                AssistanceRequest.submitted_at,
                AssistanceRequest.approved_at,
            )
            .where(AssistanceRequest.status.in_(NOT_DISPATCHED))
            .order_by(AssistanceRequest.id)
        ).all()
    for request_id, reference, city_id, priority, status, needed_by, submitted_at, approved_at in rows:
        severity = "critical" if priority in ("critical", "high") else "warning"
        common = {
            "subject": ("assistance_request", request_id),
            "city_id": city_id,
            "severity": severity,
            "link": f"/requests/{request_id}",
        }
        if needed_by < today:
            late = (today - needed_by).days
            found.append(
                common
                | {
                    "dedup_key": f"overdue_request:request={request_id}:needed_by",
                    "message": _l(
                        "Request %(reference)s was needed by %(date)s and is still %(status)s (%(late)s).",
                        reference=reference,
                        date=needed_by.isoformat(),
                        status=code_label(status),
                        late=_days_late(late),
                    ),
                    "details": {
                        "reason": "needed_by",
                        "request_id": request_id,
                        "needed_by": needed_by.isoformat(),
                        "status": status,
                        "days_late": late,
                    },
                }
            )
        for stage, limit, since, running in (
            ("approval", sla.get(priority), submitted_at, status == RequestStatus.SUBMITTED),
            ("dispatch", dispatch_sla.get(priority), approved_at, status in NOTHING_SHIPPED),
        ):
            if not running or limit is None or since is None or now - since <= timedelta(hours=limit):
                continue
            hours = (now - since).total_seconds() / 3600
            shown, limit_text = f"{hours:.0f}", f"{limit:g}"
            what = (
                _l("has waited %(hours)s h for approval", hours=shown)
                if stage == "approval"
                else _l("was approved %(hours)s h ago and nothing of it has shipped", hours=shown)
            )
            found.append(
                common
                | {
                    "dedup_key": f"overdue_request:request={request_id}:{stage}",
                    "message": _l(
                        "The %(priority)s request %(reference)s %(what)s; its service level is %(limit)s h.",
                        priority=code_label(priority),
                        reference=reference,
                        what=what,
                        limit=limit_text,
                    ),
                    "details": {
                        "reason": f"{stage}_sla",
                        "request_id": request_id,
                        "priority": priority,
                        "status": status,
                        "sla_hours": limit,
                        "waited_hours": round(hours, 1),
                    },
                }
            )
    return alerts.sync_alerts(kind="overdue_request", found=found, run=run, dry_run=dry_run)


def _days_late(days: int) -> LazyString:
    """The days late ("3 days late") in the reader's language, rendered when the message is."""
    return LazyString(lambda: ngettext("%(num)s day late", "%(num)s days late", days))

"""The overdue_requests check: requests past their needed-by, or past a service level of their priority."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlmodel import select

from health_responder.checks import services as alerts
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
                    "message": f"Request {reference} was needed by {needed_by.isoformat()} and is still {status} "
                    f"({late} day{'s' if late != 1 else ''} late).",
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
            what = (
                f"has waited {hours:.0f} h for approval"
                if stage == "approval"
                else f"was approved {hours:.0f} h ago and nothing of it has shipped"
            )
            found.append(
                common
                | {
                    "dedup_key": f"overdue_request:request={request_id}:{stage}",
                    "message": f"The {priority} request {reference} {what}; its service level is {limit:g} h.",
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

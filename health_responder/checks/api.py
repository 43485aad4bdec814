"""Checks, their runs, and alerts over the API."""

from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint

from health_responder import scheduler
from health_responder.api.common import page_of
from health_responder.auth.access import ALL_ROLES, STAFF, roles_required
from health_responder.checks import queries, services
from health_responder.checks.schemas import (
    AlertBatchResolveSchema,
    AlertListArgsSchema,
    AlertResolveSchema,
    AlertSchema,
    CheckSchema,
    JobRunListArgsSchema,
    JobRunRequestSchema,
    JobRunSchema,
)
from health_responder.db import utcnow
from health_responder.extensions import db

blp = Blueprint("checks", __name__, description="Scheduled checks, their runs, and the alerts they raise")


@blp.route("/jobs")
class Jobs(MethodView):
    @roles_required(*STAFF)
    @blp.response(200, CheckSchema(many=True))
    def get(self):
        """Each check: its interval, next tick and last run (coordinators, admins)."""
        now, plan, latest = utcnow(), scheduler.schedules(), scheduler.last_runs()
        return [
            {
                "name": name,
                "description": entry.description,
                "interval_seconds": plan.get(name),
                "next_tick": scheduler.next_tick(now, plan[name]) if name in plan else None,
                "last_run": latest.get(name),
            }
            for name, entry in scheduler.jobs().items()
        ]


@blp.route("/jobs/runs")
class JobRuns(MethodView):
    @roles_required(*STAFF)
    @blp.arguments(JobRunListArgsSchema, location="query")
    @blp.response(200, page_of(JobRunSchema))
    def get(self, args):
        """Job runs, newest first; filter by name, outcome, trigger (coordinators, admins)."""
        return queries.list_runs(args=args)


@blp.route("/jobs/<string:name>/run")
class JobRunNow(MethodView):
    @roles_required(*STAFF)
    @blp.arguments(JobRunRequestSchema)
    @blp.response(200, JobRunSchema)
    def post(self, data, name):
        """Run a check now and wait for it; ``dry_run`` shows what it would do (coordinators, admins).

        409 while another run of the same check is working.
        """
        scheduler.get_job(name)
        return scheduler.run_job(
            name, scheduled_for=utcnow(), trigger="manual", dry_run=data["dry_run"], requested_by=g.user.id
        )


@blp.route("/alerts")
class Alerts(MethodView):
    @roles_required(*ALL_ROLES)
    @blp.arguments(AlertListArgsSchema, location="query")
    @blp.response(200, page_of(AlertSchema))
    def get(self, args):
        """Alerts: staff see all, a city or provider those that name it; filter by kind and status."""
        return queries.list_alerts(user=g.user, args=args)


@blp.route("/alerts/resolve")
class AlertBatchResolve(MethodView):
    @roles_required(*ALL_ROLES)
    @blp.arguments(AlertBatchResolveSchema)
    @blp.response(200, AlertSchema(many=True))
    def post(self, data):
        """Resolve several open alerts with one note: all of them, or none (409 if one is no longer open)."""
        alerts = services.resolve_many(by=g.user, **data)
        db.session.commit()
        return alerts


@blp.route("/alerts/<int:alert_id>/resolve")
class AlertResolve(MethodView):
    @roles_required(*ALL_ROLES)
    @blp.arguments(AlertResolveSchema)
    @blp.response(200, AlertSchema)
    def post(self, data, alert_id):
        """Resolve an open alert, with a note."""
        alert = services.resolve(
            alert=queries.alert_for(user=g.user, alert_id=alert_id), by=g.user, note=data["note"]
        )
        db.session.commit()
        return alert

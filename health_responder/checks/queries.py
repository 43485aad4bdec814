"""Reads of job runs and alerts; alerts are scoped to the caller's tenant (another's is a 404)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlmodel import select

from health_responder.auth.models import User
from health_responder.checks.models import Alert
from health_responder.db import paginate, start_of_day
from health_responder.errors import NotFound
from health_responder.extensions import db
from health_responder.scheduler.models import JobRun


def list_runs(args: dict) -> dict:
    """A page of job runs, newest first unless ordered otherwise; filtered by name, outcome, trigger."""
    statement = select(JobRun)
    for key in ("name", "outcome", "trigger"):
        if args.get(key):
            statement = statement.where(getattr(JobRun, key) == args[key])
    if not args.get("order_by"):
        args = args | {"order_by": "-id"}
    return paginate(
        db.session,
        statement,
        args,
        {
            "id": JobRun.id,
            "started_at": JobRun.started_at,
            "scheduled_for": JobRun.scheduled_for,
            "name": JobRun.name,
        },
    )


def alerts_visible_to(user: User) -> sa.Select:
    """The alerts ``user`` may see: staff all, a city its own, a provider its own."""
    statement = select(Alert)
    if user.is_staff:
        return statement
    if user.city_id is not None:
        return statement.where(Alert.city_id == user.city_id)
    if user.provider_id is not None:
        return statement.where(Alert.provider_id == user.provider_id)
    return statement.where(sa.false())


def list_alerts(user: User, args: dict) -> dict:
    """A page of the alerts the user may see, newest first, filtered by kind, status, city, provider and
    the days (UTC) they were raised on.
    """
    statement = alerts_visible_to(user)
    for key in ("kind", "status", "city_id", "provider_id"):
        if args.get(key) is not None:
            statement = statement.where(getattr(Alert, key) == args[key])
    if args.get("raised_from") is not None:
        statement = statement.where(Alert.created_at >= start_of_day(args["raised_from"]))
    if args.get("raised_to") is not None:
        statement = statement.where(Alert.created_at < start_of_day(args["raised_to"] + timedelta(days=1)))
    if not args.get("order_by"):
        args = args | {"order_by": "-id"}
    return paginate(
        db.session,
        statement,
        args,
        {"id": Alert.id, "created_at": Alert.created_at, "kind": Alert.kind, "severity": Alert.severity},
    )


def alert_for(user: User, alert_id: int) -> Alert:
    """One alert the user may see, or NotFound."""
    alert = db.session.scalar(alerts_visible_to(user).where(Alert.id == alert_id))
    if alert is None:
        raise NotFound(_l("No alert %(id)s.", id=alert_id))
    return alert

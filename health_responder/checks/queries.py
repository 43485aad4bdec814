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
from health_responder.providers.models import Provider
from health_responder.reference.models import City
from health_responder.scheduler.models import JobRun


def list_runs(*, args: dict) -> dict:
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


def get_run(*, run_id: int) -> JobRun:
    """One job run (staff read runs; the page checks the role), or NotFound."""
    run = db.session.get(JobRun, run_id)
    if run is None:
        raise NotFound(_l("No run %(id)s.", id=run_id))
    return run


def alerts_visible_to(*, user: User) -> sa.Select:
    """The alerts ``user`` may see: staff all, a city its own, a provider its own."""
    statement = select(Alert)
    if user.is_staff:
        return statement
    if user.city_id is not None:
        return statement.where(Alert.city_id == user.city_id)
    if user.provider_id is not None:
        return statement.where(Alert.provider_id == user.provider_id)
    return statement.where(sa.false())


_CITY = select(City.name).where(City.id == Alert.city_id).correlate(Alert).scalar_subquery()
_PROVIDER = select(Provider.name).where(Provider.id == Alert.provider_id).correlate(Alert).scalar_subquery()
ALERT_ORDER = {
    "id": Alert.id,
    "created_at": Alert.created_at,
    "kind": Alert.kind,
    "severity": Alert.severity,
    "status": Alert.status,
    "city": _CITY,
    "provider": _PROVIDER,
    #: what the table's "Concerns" column shows first: the city, else the provider
    "concerns": sa.func.coalesce(_CITY, _PROVIDER),
}


def _matching(user: User, args: dict) -> sa.Select:
    statement = alerts_visible_to(user=user)
    for key in ("kind", "status", "city_id", "provider_id"):
        if args.get(key) is not None:
            statement = statement.where(getattr(Alert, key) == args[key])
    if args.get("raised_from") is not None:
        statement = statement.where(Alert.created_at >= start_of_day(args["raised_from"]))
    if args.get("raised_to") is not None:
        statement = statement.where(Alert.created_at < start_of_day(args["raised_to"] + timedelta(days=1)))
    return statement


def list_alerts(*, user: User, args: dict) -> dict:
    """A page of the alerts the user may see, newest first unless ordered (ALERT_ORDER), filtered by kind,
    status, city, provider and the days (UTC) they were raised on.
    """
    if not args.get("order_by"):
        args = args | {"order_by": "-id"}
    return paginate(db.session, _matching(user, args), args, ALERT_ORDER)


#: Columns of the alert list's CSV.
CSV_COLUMNS = (
    "id",
    "kind",
    "severity",
    "status",
    "city",
    "provider",
    "message",
    "created_at",
    "resolved_at",
    "resolution",
)


def csv_rows(*, user: User, args: dict, limit: int = 10_000) -> list[tuple]:
    """The alerts the list shows (same filters and order, every page, up to ``limit``) as CSV_COLUMNS rows."""
    order = args.get("order_by") or "-id"
    column = ALERT_ORDER[order.lstrip("-")]
    statement = (
        _matching(user, args)
        .with_only_columns(
            Alert.id,
            Alert.kind,
            Alert.severity,
            Alert.status,
            City.name,
            Provider.name,
            Alert.message,
            Alert.created_at,
            Alert.resolved_at,
            Alert.resolution,
        )
        .outerjoin(City, City.id == Alert.city_id)
        .outerjoin(Provider, Provider.id == Alert.provider_id)
        .order_by(column.desc() if order.startswith("-") else column.asc(), Alert.id)
        .limit(limit)
    )
    return [tuple(row) for row in db.session.execute(statement)]


def alert_for(*, user: User, alert_id: int) -> Alert:
    """One alert the user may see, or NotFound."""
    alert = db.session.scalar(alerts_visible_to(user=user).where(Alert.id == alert_id))
    if alert is None:
        raise NotFound(_l("No alert %(id)s.", id=alert_id))
    return alert

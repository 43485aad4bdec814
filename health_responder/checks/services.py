"""Alerts: raised once by the checks, resolved by people or automatically when the condition ends.

An alert's ``dedup_key`` names its condition ("low_stock:provider=3:item=7"); a partial unique index
allows one *open* alert per key, so two checks racing to raise the same alert produce one row (the
loser's insert fails inside a savepoint and it picks up the winner's). Whom an alert concerns (the
city or provider it names, and the association's staff) hears about it once, through the outbox.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlmodel import select

from health_responder import languages
from health_responder.audit import services as audit
from health_responder.auth.access import STAFF, require_role
from health_responder.auth.models import Role, User
from health_responder.checks.models import Alert, AlertStatus
from health_responder.db import utcnow
from health_responder.errors import Conflict, InvalidTransition, NotFound, ValidationFailed, code_label
from health_responder.extensions import db
from health_responder.notifications import services as notifications
from health_responder.scheduler.models import JobRun


def _concerned(alert: Alert) -> list[int]:
    users = list(notifications.staff_users())
    if alert.city_id is not None:
        users += notifications.city_users(alert.city_id)
    if alert.provider_id is not None:
        users += notifications.provider_users(alert.provider_id)
    return users


def _open(dedup_key: str) -> Alert | None:
    return db.session.scalar(
        select(Alert).where(Alert.dedup_key == dedup_key, Alert.status == AlertStatus.OPEN)
    )


def raise_alert(
    *,
    kind: str,
    dedup_key: str,
    message: object,
    severity: str = "warning",
    details: dict | None = None,
    subject: tuple[str, int] | None = None,
    city_id: int | None = None,
    provider_id: int | None = None,
    run: JobRun | None = None,
    link: str | None = None,
) -> tuple[Alert, bool]:
    """Open the alert for ``dedup_key`` unless one is open already; returns (alert, newly raised).

    A new alert notifies whom it concerns, pointing at ``link`` ("{id}" in it stands for the alert's
    id). An open one keeps its identity; its message and details are refreshed so that what people read
    stays current. ``message`` may be a lazy gettext string: the alert keeps it in English (as the API
    shows it) and in each other offered language (as the pages show it to a reader of that language), and
    each notification is written in its recipient's language.
    """
    spoken, message = message, languages.render(message, languages.FALLBACK)
    translations = {
        language: languages.render(spoken, language)
        for language in languages.offered()
        if language != languages.FALLBACK
    }
    existing = _open(dedup_key)
    if existing is None:
        alert = Alert(
            kind=kind,
            dedup_key=dedup_key[:200],
            severity=severity,
            message=message,
            message_translations=translations,
            details=details,
            subject_type=subject[0] if subject else None,
            subject_id=subject[1] if subject else None,
            city_id=city_id,
            provider_id=provider_id,
            job_run_id=run.id if run else None,
        )
        try:
            with db.session.begin_nested():
                db.session.add(alert)
        except sa.exc.IntegrityError:
            existing = _open(dedup_key)
            if existing is None:  # resolved between our insert and this read: nothing to do this time
                raise
        else:
            audit.record(
                action="alert.raise",
                subject=alert,
                actor_label=f"job:{run.name}#{run.id}" if run else None,
                after={"kind": kind, "dedup_key": dedup_key, "message": message},
            )
            notifications.notify(
                users=_concerned(alert),
                key=f"alert:{alert.id}",
                subject=_l("[%(severity)s] %(message)s", severity=code_label(severity), message=spoken),
                body=spoken,
                link=(link or "/alerts/{id}").replace("{id}", str(alert.id)),
            )
            return alert, True
    if (existing.message, existing.message_translations, existing.details) != (
        message,
        translations,
        details,
    ):
        existing.message, existing.message_translations, existing.details = message, translations, details
    return existing, False


def resolve_missing(*, kind: str, still_open_keys: Iterable[str], run: JobRun | None = None) -> int:
    """Resolve every open alert of ``kind`` whose condition the check no longer found; returns how many."""
    keep = set(still_open_keys)
    stale = db.session.scalars(
        select(Alert).where(Alert.kind == kind, Alert.status == AlertStatus.OPEN).order_by(Alert.id)
    ).all()
    resolved = 0
    now = utcnow()
    note = f"The condition ended (checked by run {run.id})." if run else "The condition ended."
    for alert in stale:
        if alert.dedup_key in keep:
            continue
        changed = db.session.execute(
            sa.update(Alert)
            .where(Alert.id == alert.id, Alert.status == AlertStatus.OPEN)
            .values(status=AlertStatus.RESOLVED, resolved_at=now, resolution=note)
        ).rowcount
        if changed:
            resolved += 1
            audit.record(
                action="alert.resolve",
                subject=alert,
                actor_label=f"job:{run.name}#{run.id}" if run else None,
                after={"resolution": note},
            )
    return resolved


def resolve_condition(*, dedup_key: str, note: str) -> bool:
    """Resolve the open alert of ``dedup_key``, if any, because its condition ended; True when one was."""
    alert = _open(dedup_key)
    if alert is None:
        return False
    changed = db.session.execute(
        sa.update(Alert)
        .where(Alert.id == alert.id, Alert.status == AlertStatus.OPEN)
        .values(status=AlertStatus.RESOLVED, resolved_at=utcnow(), resolution=note)
    ).rowcount
    if changed:
        audit.record(action="alert.resolve", subject=alert, after={"resolution": note})
    return bool(changed)


def resolve(*, alert: Alert, by: User, note: str | None = None) -> Alert:
    """A person resolves an open alert (staff any, a city or provider user the alerts that name them)."""
    require_role(by, Role.CITY, Role.PROVIDER, *STAFF)
    if not by.is_staff and not (
        (by.city_id and alert.city_id == by.city_id)
        or (by.provider_id and alert.provider_id == by.provider_id)
    ):
        raise NotFound(_l("No alert %(id)s.", id=alert.id))
    if alert.status != AlertStatus.OPEN:
        raise InvalidTransition(_l("alert"), alert.status, AlertStatus.RESOLVED, action=_l("resolve"))
    changed = db.session.execute(
        sa.update(Alert)
        .where(Alert.id == alert.id, Alert.status == AlertStatus.OPEN)
        .values(
            status=AlertStatus.RESOLVED, resolved_at=utcnow(), resolved_by_id=by.id, resolution=note or ""
        )
    ).rowcount
    if changed != 1:
        raise InvalidTransition(_l("alert"), AlertStatus.RESOLVED, AlertStatus.RESOLVED, action=_l("resolve"))
    db.session.refresh(alert)
    audit.record(
        action="alert.resolve",
        subject=alert,
        by=by,
        before={"status": AlertStatus.OPEN},
        after={"status": alert.status, "resolution": alert.resolution},
    )
    return alert


def _may_resolve(alert: Alert, by: User) -> bool:
    return by.is_staff or bool(
        (by.city_id and alert.city_id == by.city_id)
        or (by.provider_id and alert.provider_id == by.provider_id)
    )


def resolve_many(*, alert_ids: list[int], by: User, note: str | None = None) -> list[Alert]:
    """Resolve several open alerts with one note, all or none; each resolution audited.

    An id the caller may not see is named as unknown (422); an alert no longer open (a check or a
    colleague resolved it) refuses the whole batch (409), so a person never resolves less than they saw.
    """
    require_role(by, Role.CITY, Role.PROVIDER, *STAFF)
    wanted = sorted(set(alert_ids))
    # Locked in id order (PostgreSQL), like every batch of rows here.
    found = {
        alert.id: alert
        for alert in db.session.scalars(
            select(Alert).where(Alert.id.in_(wanted)).order_by(Alert.id).with_for_update()
        )
    }
    unknown = [i for i in wanted if i not in found or not _may_resolve(found[i], by)]
    if unknown:
        raise ValidationFailed(
            _l("Some of the chosen alerts do not exist."),
            {"alert_ids": [_l("No alert %(id)s.", id=i) for i in unknown]},
        )
    closed = [i for i in wanted if found[i].status != AlertStatus.OPEN]
    if closed:
        raise Conflict(
            _l(
                "Alerts %(ids)s are already resolved; nothing was changed. Reload the list and choose again.",
                ids=", ".join(str(i) for i in closed),
            ),
            {"alert_ids": [_l("Alert %(id)s is already resolved.", id=i) for i in closed]},
        )
    now = utcnow()
    changed = db.session.execute(
        sa.update(Alert)
        .where(Alert.id.in_(wanted), Alert.status == AlertStatus.OPEN)
        .values(status=AlertStatus.RESOLVED, resolved_at=now, resolved_by_id=by.id, resolution=note or "")
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != len(wanted):  # a check resolved one between the read and the write
        raise Conflict(_l("Some of the chosen alerts were resolved meanwhile; nothing was changed."))
    resolved = []
    for alert_id in wanted:
        alert = found[alert_id]
        db.session.refresh(alert)
        audit.record(
            action="alert.resolve",
            subject=alert,
            by=by,
            before={"status": AlertStatus.OPEN},
            after={"status": alert.status, "resolution": alert.resolution, "batch": wanted},
        )
        resolved.append(alert)
    return resolved


#: Condition keys a dry run lists at most (the counts are always complete).
DRY_RUN_LIMIT = 1000


def sync_alerts(*, kind: str, found: list[dict], run: JobRun, dry_run: bool) -> dict:
    """A check's end: raise each condition it found (one short transaction each), resolve the ones that ended."""
    counts = {"open": len(found), "raised": 0, "resolved": 0}
    if dry_run:
        # Exactly what the real run would do now: raise the conditions with no open alert, resolve the
        # open alerts whose condition was not found (messages, so a person reads the list).
        with db.read_session():
            already = {
                key: (alert_id, message)
                for alert_id, key, message in db.session.execute(
                    select(Alert.id, Alert.dedup_key, Alert.message)
                    .where(Alert.kind == kind, Alert.status == AlertStatus.OPEN)
                    .order_by(Alert.id)
                )
            }
        keys = {f["dedup_key"] for f in found}
        raise_ = [
            {"dedup_key": f["dedup_key"], "message": languages.render(f["message"], languages.FALLBACK)}
            for f in found
            if f["dedup_key"] not in already
        ]
        resolve_ = [{"alert_id": i, "message": m} for key, (i, m) in already.items() if key not in keys]
        counts["would_raise"] = raise_[:DRY_RUN_LIMIT]
        counts["would_resolve"] = resolve_[:DRY_RUN_LIMIT]
        return counts
    for condition in found:
        with db.write_session():
            _alert, new = raise_alert(kind=kind, run=run, **condition)
        counts["raised"] += new
    with db.write_session():
        counts["resolved"] = resolve_missing(
            kind=kind, still_open_keys=[f["dedup_key"] for f in found], run=run
        )
    return counts

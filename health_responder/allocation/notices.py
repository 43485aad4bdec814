"""What a run of the auto_allocate check tells people: each provider what it reserved of their lots, each
city what it reserved of a back-order. Called by ``jobs`` after the run's batches commit; nothing here
commits.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlmodel import select

from health_responder.allocation.models import Allocation, AllocationStatus
from health_responder.auth.models import User
from health_responder.extensions import db
from health_responder.health_requests.models import AssistanceRequest, RequestLine
from health_responder.notifications import services as notifications

REQUESTS = AssistanceRequest.__table__


def notify_cities_of_run(*, job_run_id: int) -> int:
    """Tell each city, once per run and request, what a run reserved of a back-order (a request partly shipped)."""
    shipped = (
        select(RequestLine.request_id)
        .where(RequestLine.request_id == Allocation.request_id, RequestLine.quantity_dispatched > 0)
        .exists()
    )
    rows = db.session.execute(
        select(REQUESTS.c.id, REQUESTS.c.reference, REQUESTS.c.city_id, sa.func.sum(Allocation.quantity))
        .join(REQUESTS, REQUESTS.c.id == Allocation.request_id)
        .where(Allocation.job_run_id == job_run_id, Allocation.status == AllocationStatus.RESERVED, shipped)
        .group_by(REQUESTS.c.id, REQUESTS.c.reference, REQUESTS.c.city_id)
        .order_by(REQUESTS.c.id)
    ).all()
    queued = 0
    for request_id, reference, city_id, units in rows:
        queued += notifications.notify(
            users=notifications.city_users(city_id),
            key=f"allocation-run:{job_run_id}:request={request_id}:city",
            subject=_l(
                "More of %(reference)s reserved: %(units)s unit(s)", reference=reference, units=int(units)
            ),
            body=_l(
                "%(units)s unit(s) of what %(reference)s still waits for are reserved and will be shipped; you will "
                "hear when they leave.",
                units=int(units),
                reference=reference,
            ),
            link=f"/requests/{request_id}",
        )
    return queued


def notify_providers_of_run(*, job_run_id: int) -> int:
    """Tell each provider's users, once per run (a stable key), what a run reserved of its stock; returns messages queued."""
    rows = db.session.execute(
        select(
            Allocation.provider_id, Allocation.request_id, sa.func.count(), sa.func.sum(Allocation.quantity)
        )
        .where(Allocation.job_run_id == job_run_id, Allocation.status == AllocationStatus.RESERVED)
        .group_by(Allocation.provider_id, Allocation.request_id)
        .order_by(Allocation.provider_id, Allocation.request_id)
    ).all()
    per_provider: dict[int, list[tuple[int, int, int]]] = {}
    for provider_id, request_id, count, units in rows:
        per_provider.setdefault(provider_id, []).append((request_id, int(count), int(units)))
    shown = sorted({request_id for served in per_provider.values() for request_id, _c, _u in served[:5]})
    references = (
        dict(
            db.session.execute(
                select(REQUESTS.c.id, REQUESTS.c.reference).where(REQUESTS.c.id.in_(shown))
            ).all()
        )
        if shown
        else {}
    )
    users: dict[int, list[int]] = {}
    for user_id, provider_id in (
        db.session.execute(
            select(User.id, User.provider_id).where(
                User.provider_id.in_(sorted(per_provider)), User.active.is_(True)
            )
        ).all()
        if per_provider
        else ()
    ):
        users.setdefault(provider_id, []).append(user_id)
    queued = 0
    for provider_id, served in per_provider.items():
        units = sum(u for _r, _c, u in served)
        count = sum(c for _r, c, _u in served)
        names = ", ".join(references.get(r) or f"#{r}" for r, _c, _u in served[:5])
        more = _l(" and %(n)s more", n=len(served) - 5) if len(served) > 5 else ""
        queued += notifications.notify(
            users=users.get(provider_id, []),
            key=f"allocation-run:{job_run_id}:provider={provider_id}",
            subject=_l(
                "%(units)s unit(s) of your stock allocated to %(requests)s request(s)",
                units=units,
                requests=len(served),
            ),
            body=_l(
                "The automatic allocation (run %(run)s) reserved %(units)s unit(s) of your stock in %(count)s "
                "allocation(s) for %(names)s%(more)s. Prepare the dispatches.",
                run=job_run_id,
                units=units,
                count=count,
                names=names,
                more=more,
            ),
            link="/dispatches/waiting",
        )
    return queued

"""Provider scorecards: how well a provider serves, month by month, read from the records themselves.

The figures, each counted in the month of its event (the README repeats these definitions):

- **fill rate**: of the units asked on request lines for which the provider *had stock* (by the request's
  approval it had received a lot of the item, usable by the line's needed-by date), the share it
  allocated (allocations reserved or dispatched; released ones do not count). Month of approval;
  cancelled and rejected requests are left out.
- **on-time rate**: of its dispatches shipped, the share shipped within the dispatch service level of the
  request's priority (``REQUEST_DISPATCH_SLA_HOURS``, counted from the approval). Month of shipment.
- **lead time**: hours from the request's approval to the dispatch's shipment, p50 and p90 by nearest
  rank (the smallest value with at least 50 % / 90 % of the values at or below it). Month of shipment.
- **discrepancy rate**: of the units shipped on its dispatches that have been received, the share
  rejected at receipt. Month of shipment.
- **near-expiry write-offs**: units of its lots written off because they expired (expiry write-offs and
  adjustments with the reason ``expired``). Month of write-off.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlmodel import select

from health_responder.allocation.models import Allocation, AllocationStatus
from health_responder.auth.models import Role, User
from health_responder.db import utc_today
from health_responder.dispatch.models import Dispatch, DispatchLine, DispatchStatus
from health_responder.errors import NotFound, ValidationFailed
from health_responder.extensions import db
from health_responder.health_requests.models import AssistanceRequest, RequestLine, RequestStatus
from health_responder.providers.models import Provider
from health_responder.stock.models import MovementKind, StockLot, StockMovement
from health_responder.zones import day_bounds, zone_info

#: The longest period a scorecard covers.
MAX_DAYS = 366


@dataclass
class Figures:
    """The counts behind a scorecard's rates, for one month or the whole period."""

    month: str | None = None
    units_asked: int = 0
    units_allocated: int = 0
    dispatches_shipped: int = 0
    dispatches_on_time: int = 0
    lead_hours: list[float] = field(default_factory=list)
    units_shipped_received: int = 0
    units_rejected: int = 0
    expiry_write_offs: int = 0

    @property
    def fill_rate(self) -> float | None:
        """Units allocated of units asked where the provider had stock."""
        return _ratio(self.units_allocated, self.units_asked)

    @property
    def on_time_rate(self) -> float | None:
        """Dispatches shipped within the service level of those shipped."""
        return _ratio(self.dispatches_on_time, self.dispatches_shipped)

    @property
    def lead_time_p50_hours(self) -> float | None:
        """The median hours from approval to shipment."""
        return percentile(values=self.lead_hours, p=50)

    @property
    def lead_time_p90_hours(self) -> float | None:
        """The 90th percentile of hours from approval to shipment."""
        return percentile(values=self.lead_hours, p=90)

    @property
    def discrepancy_rate(self) -> float | None:
        """Units rejected at receipt of units shipped and received."""
        return _ratio(self.units_rejected, self.units_shipped_received)


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def percentile(*, values: list[float], p: int) -> float | None:
    """The nearest-rank ``p``-th percentile of ``values`` (None when there are none), to 0.1 hour."""
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1], 1)


@dataclass
class Scorecard:
    """A provider's figures over a period: the total and each month."""

    provider: Provider
    period_from: date
    period_to: date
    total: Figures
    months: list[Figures]


def scorecard_provider(*, user: User, provider_id: int) -> Provider:
    """The provider whose scorecard ``user`` may read: staff any, a provider user its own (else 404)."""
    provider = db.session.get(Provider, provider_id)
    if provider is None or (user.role == Role.PROVIDER and user.provider_id != provider_id):
        raise NotFound(_l("No provider %(id)s.", id=provider_id))
    return provider


def default_period(*, today: date | None = None) -> tuple[date, date]:
    """The last twelve months: from the first day of the month eleven months ago to today."""
    today = today or utc_today()
    month = today.year * 12 + today.month - 1 - 11
    return date(month // 12, month % 12 + 1, 1), today


def _month(moment: datetime | date) -> str:
    return f"{moment:%Y-%m}"


def _months(period_from: date, period_to: date) -> list[str]:
    keys, year, month = [], period_from.year, period_from.month
    while (year, month) <= (period_to.year, period_to.month):
        keys.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return keys


def _hours(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 3600


def scorecard(
    *,
    provider: Provider,
    period_from: date | None = None,
    period_to: date | None = None,
    zone: str = "UTC",
) -> Scorecard:
    """The provider's figures for the period (default: the last twelve months), in total and per month.

    The period's days and months are those of ``zone`` (the dispatch summary's reader's; UTC by default).
    """
    default_from, default_to = default_period()
    period_from, period_to = period_from or default_from, period_to or default_to
    if period_to < period_from:
        raise ValidationFailed(
            _l("The period ends before it starts."), {"to": [_l("Must be on or after 'from'.")]}
        )
    if (period_to - period_from).days >= MAX_DAYS:
        raise ValidationFailed(
            _l("The period is too long."), {"to": [_l("At most %(n)s days after 'from'.", n=MAX_DAYS)]}
        )
    start, end = day_bounds(first=period_from, last=period_to, zone=zone)
    months = {key: Figures(month=key) for key in _months(period_from, period_to)}
    total = Figures()
    where = zone_info(zone)

    def add(moment, **counts) -> None:
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
        for figures in (total, months[_month(moment.astimezone(where))]):
            for name, value in counts.items():
                if name == "lead_hours":
                    figures.lead_hours.append(value)
                else:
                    setattr(figures, name, getattr(figures, name) + value)

    for approved_at, asked, allocated in _fill(provider.id, start, end):
        add(approved_at, units_asked=asked, units_allocated=allocated)
    sla = dict(current_app.config.get("REQUEST_DISPATCH_SLA_HOURS") or {})
    for shipped_at, approved_at, priority in _shipments(provider.id, start, end):
        hours = _hours(approved_at, shipped_at)
        on_time = priority in sla and hours <= sla[priority]
        add(shipped_at, dispatches_shipped=1, dispatches_on_time=int(on_time), lead_hours=hours)
    for shipped_at, shipped, rejected in _receipts(provider.id, start, end):
        add(shipped_at, units_shipped_received=shipped, units_rejected=rejected)
    for written_at, units in _write_offs(provider.id, start, end):
        add(written_at, expiry_write_offs=units)
    return Scorecard(
        provider=provider,
        period_from=period_from,
        period_to=period_to,
        total=total,
        months=list(months.values()),
    )


def _fill(provider_id: int, start: datetime, end: datetime):
    """(approved_at, asked, allocated by the provider) per request line for which the provider had stock."""
    had_stock = (
        select(StockLot.id)
        .where(
            StockLot.provider_id == provider_id,
            StockLot.item_id == RequestLine.item_id,
            StockLot.created_at <= AssistanceRequest.approved_at,
            sa.or_(StockLot.expires_on.is_(None), StockLot.expires_on >= AssistanceRequest.needed_by),
        )
        .exists()
    )
    allocated = (
        select(sa.func.coalesce(sa.func.sum(Allocation.quantity), 0))
        .where(
            Allocation.line_id == RequestLine.id,
            Allocation.provider_id == provider_id,
            Allocation.status.in_([AllocationStatus.RESERVED, AllocationStatus.DISPATCHED]),
        )
        .scalar_subquery()
    )
    return db.session.execute(
        select(AssistanceRequest.approved_at, RequestLine.quantity, allocated)
        .join(AssistanceRequest, AssistanceRequest.id == RequestLine.request_id)
        .where(
            AssistanceRequest.approved_at >= start,
            AssistanceRequest.approved_at < end,
            AssistanceRequest.status.not_in([RequestStatus.CANCELLED, RequestStatus.REJECTED]),
            had_stock,
        )
    ).all()


_SHIPPED = [DispatchStatus.SHIPPED, DispatchStatus.RECEIVED]


def _shipments(provider_id: int, start: datetime, end: datetime):
    return db.session.execute(
        select(Dispatch.shipped_at, AssistanceRequest.approved_at, AssistanceRequest.priority)
        .join(AssistanceRequest, AssistanceRequest.id == Dispatch.request_id)
        .where(
            Dispatch.provider_id == provider_id,
            Dispatch.status.in_(_SHIPPED),
            Dispatch.shipped_at >= start,
            Dispatch.shipped_at < end,
            AssistanceRequest.approved_at.is_not(None),
        )
    ).all()


def _receipts(provider_id: int, start: datetime, end: datetime):
    return db.session.execute(
        select(Dispatch.shipped_at, sa.func.sum(DispatchLine.quantity), sa.func.sum(DispatchLine.rejected))
        .join(DispatchLine, DispatchLine.dispatch_id == Dispatch.id)
        .where(
            Dispatch.provider_id == provider_id,
            Dispatch.status == DispatchStatus.RECEIVED,
            Dispatch.shipped_at >= start,
            Dispatch.shipped_at < end,
        )
        .group_by(Dispatch.id, Dispatch.shipped_at)
    ).all()


def _write_offs(provider_id: int, start: datetime, end: datetime):
    return db.session.execute(
        select(StockMovement.created_at, -StockMovement.delta_on_hand)
        .join(StockLot, StockLot.id == StockMovement.lot_id)
        .where(
            StockLot.provider_id == provider_id,
            sa.or_(
                StockMovement.kind == MovementKind.EXPIRY_WRITEOFF,
                sa.and_(
                    StockMovement.kind == MovementKind.ADJUSTMENT,
                    StockMovement.reason == "expired",
                    StockMovement.delta_on_hand < 0,
                ),
            ),
            StockMovement.created_at >= start,
            StockMovement.created_at < end,
        )
    ).all()


def directory_summary(*, providers: list[Provider]) -> dict[int, Figures]:
    """Each provider's figures over the last twelve months, for the public directory."""
    return {p.id: scorecard(provider=p).total for p in providers}

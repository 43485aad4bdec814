"""The stock checks: low_stock (a provider's available units of an item at or below the threshold) and
near_expiry (lots expiring soon, with the open requests that could use them first; lots already expired).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlmodel import select

from health_responder.checks import services as alerts
from health_responder.extensions import db
from health_responder.health_requests.models import ALLOCATING, AssistanceRequest, RequestLine, remainder_sql
from health_responder.providers.models import Provider
from health_responder.reference.models import City, Item
from health_responder.scheduler.models import JobRun
from health_responder.scheduler.registry import job
from health_responder.stock.models import LotStatus, StockLot


def _usable_today(today: date):
    return sa.and_(
        StockLot.status == LotStatus.AVAILABLE,
        sa.or_(StockLot.expires_on.is_(None), StockLot.expires_on >= today),
    )


@job("low_stock")
def low_stock(*, run: JobRun, now: datetime, dry_run: bool) -> dict:
    """Alert a provider and the staff when its available units of an item fall to LOW_STOCK_THRESHOLD or below."""
    threshold = int(current_app.config["LOW_STOCK_THRESHOLD"])
    usable = sa.case((_usable_today(now.date()), StockLot.on_hand - StockLot.reserved), else_=0)
    with db.read_session():
        rows = db.session.execute(
            select(StockLot.provider_id, StockLot.item_id, sa.func.sum(usable), Item.code, Provider.name)
            .join(Item, Item.id == StockLot.item_id)
            .join(Provider, Provider.id == StockLot.provider_id)
            .where(Item.active.is_(True))
            .group_by(StockLot.provider_id, StockLot.item_id, Item.code, Provider.name)
            .having(sa.func.sum(usable) <= threshold)
            .order_by(StockLot.provider_id, StockLot.item_id)
        ).all()
    found = [
        {
            "dedup_key": f"low_stock:provider={provider_id}:item={item_id}",
            "message": f"{provider} has {int(left or 0)} {code} available (threshold {threshold}).",
            "severity": "critical" if not left else "warning",
            "details": {
                "provider_id": provider_id,
                "item_id": item_id,
                "item_code": code,
                "available": int(left or 0),
                "threshold": threshold,
            },
            "subject": ("item", item_id),
            "provider_id": provider_id,
            "link": f"/stock?item_id={item_id}",
        }
        for provider_id, item_id, left, code, provider in rows
    ]
    return alerts.sync_alerts(kind="low_stock", found=found, run=run, dry_run=dry_run)


def _requests_that_could_use(lot: StockLot, limit: int = 5) -> tuple[list[dict], int]:
    """Open request lines for the lot's item, needed by the lot's expiry, most urgent first, and how many.

    The alert goes to the lot's provider, so it names only requests that provider may see (those it
    holds an allocation for), as its request list does; the count covers every city.
    """
    usable = sa.and_(
        AssistanceRequest.status.in_(ALLOCATING),
        RequestLine.item_id == lot.item_id,
        remainder_sql(RequestLine) > 0,
        AssistanceRequest.needed_by <= lot.expires_on,
    )
    everywhere = db.session.scalar(
        select(sa.func.count(sa.distinct(AssistanceRequest.id)))
        .join(RequestLine, RequestLine.request_id == AssistanceRequest.id)
        .where(usable)
    )
    # The allocation table by name: allocation/ imports stock, so stock does not import it back.
    allocations = sa.table("allocation", sa.column("request_id"), sa.column("provider_id"))
    visible = AssistanceRequest.id.in_(
        sa.select(allocations.c.request_id).where(allocations.c.provider_id == lot.provider_id)
    )
    rows = db.session.execute(
        select(
            AssistanceRequest.id,
            AssistanceRequest.reference,
            AssistanceRequest.city_id,
            City.name,
            AssistanceRequest.priority,
            AssistanceRequest.needed_by,
            RequestLine.id,
            remainder_sql(RequestLine),
        )
        .join(RequestLine, RequestLine.request_id == AssistanceRequest.id)
        .join(City, City.id == AssistanceRequest.city_id)
        .where(usable, visible)
        .order_by(AssistanceRequest.priority_rank, AssistanceRequest.needed_by, AssistanceRequest.id)
        .limit(limit)
    ).all()
    return [
        {
            "request_id": r[0],
            "reference": r[1],
            "city_id": r[2],
            "city": r[3],
            "priority": r[4],
            "needed_by": r[5].isoformat(),
            "line_id": r[6],
            "still_needed": int(r[7]),
        }
        for r in rows
    ], int(everywhere or 0)


@job("near_expiry")
def near_expiry(*, run: JobRun, now: datetime, dry_run: bool) -> dict:
    """Alert on available lots expiring within NEAR_EXPIRY_DAYS (suggesting open requests that could use them),
    and on lots already expired that still hold stock.
    """
    today = now.date()
    horizon = today + timedelta(days=int(current_app.config["NEAR_EXPIRY_DAYS"]))
    found = []
    with db.read_session():
        lots = db.session.scalars(
            select(StockLot)
            .where(
                StockLot.status == LotStatus.AVAILABLE,
                StockLot.on_hand > StockLot.reserved,
                StockLot.expires_on.is_not(None),
                StockLot.expires_on >= today,
                StockLot.expires_on <= horizon,
            )
            .order_by(StockLot.expires_on, StockLot.id)
        ).all()
        codes = dict(db.session.execute(select(Item.id, Item.code)).all())
        for lot in lots:
            days = (lot.expires_on - today).days
            suggestions, wanting = _requests_that_could_use(lot)
            if suggestions:
                hint = f" {wanting} open request(s) could use it first, e.g. {suggestions[0]['reference']}."
            elif wanting:
                hint = f" {wanting} open request(s) could use it first: the coordinators can allocate it."
            else:
                hint = " No open request for this item can use it before then."
            found.append(
                {
                    "dedup_key": f"near_expiry:lot={lot.id}",
                    "message": f"Lot {lot.lot_code} ({codes.get(lot.item_id)}) expires {lot.expires_on.isoformat()} "
                    f"(in {days} days) with {lot.available} available.{hint}",
                    "severity": "critical" if days <= 7 else "warning",
                    "details": {
                        "lot_id": lot.id,
                        "item_id": lot.item_id,
                        "expires_on": lot.expires_on.isoformat(),
                        "available": lot.available,
                        "days_left": days,
                        "suggested_requests": suggestions,
                    },
                    "subject": ("stock_lot", lot.id),
                    "provider_id": lot.provider_id,
                    "link": f"/stock/lots/{lot.id}/adjust",
                }
            )
        # Lots past their date that still hold stock: nobody can allocate them, someone must write them off.
        expired = db.session.scalars(
            select(StockLot)
            .where(
                StockLot.status != LotStatus.RECALLED,
                StockLot.on_hand > 0,
                StockLot.expires_on.is_not(None),
                StockLot.expires_on < today,
            )
            .order_by(StockLot.expires_on, StockLot.id)
        ).all()
        for lot in expired:
            found.append(
                {
                    "dedup_key": f"expired:lot={lot.id}",
                    "message": f"Lot {lot.lot_code} ({codes.get(lot.item_id)}) expired on {lot.expires_on.isoformat()} "
                    f"and still holds {lot.on_hand} on hand ({lot.reserved} reserved): write it off with an "
                    "'expired' adjustment.",
                    "severity": "critical",
                    "details": {
                        "lot_id": lot.id,
                        "item_id": lot.item_id,
                        "expires_on": lot.expires_on.isoformat(),
                        "on_hand": lot.on_hand,
                        "reserved": lot.reserved,
                        "expired": True,
                    },
                    "subject": ("stock_lot", lot.id),
                    "provider_id": lot.provider_id,
                    "link": f"/stock/lots/{lot.id}/adjust",
                }
            )
    return alerts.sync_alerts(kind="near_expiry", found=found, run=run, dry_run=dry_run)

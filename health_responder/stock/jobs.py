"""The stock check low_stock: a provider's available units of an item at or below the threshold.

(near_expiry names the requests a lot could serve before it expires, by allocation's rules: it lives
in allocation/jobs.py.)
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlmodel import select

from health_responder.checks import services as alerts
from health_responder.extensions import db
from health_responder.providers.models import Provider
from health_responder.reference.models import Item
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
            "message": _l(
                "%(provider)s has %(units)s %(item)s available (threshold %(threshold)s).",
                provider=provider,
                units=int(left or 0),
                item=code,
                threshold=threshold,
            ),
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

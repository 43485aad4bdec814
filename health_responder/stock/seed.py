"""Demo stock: lots of most items at each provider location, some near expiry, one recalled, one quarantined."""

from __future__ import annotations

import random
from datetime import timedelta

from health_responder.audit.actor import Actor
from health_responder.db import clock_at, utcnow
from health_responder.extensions import db
from health_responder.stock import services
from health_responder.stock.models import LotStatus


def load_demo(context: dict) -> None:
    """Receive demo lots through the same service as real receipts (so the ledger is complete).

    The receipts happen thirteen months back (under ``clock_at``), before the year of requests that draws
    on them; a lot was recalled a month ago and one quarantined last week. Large demos hold five times the
    stock.
    """
    rng = random.Random(2026)
    today = context["today"]
    scale = 5 if context.get("size") == "large" else 1
    actor = Actor(user_id=None, label="seed")
    lots = []
    received = utcnow() - timedelta(days=395)
    for location in context["locations"]:
        for item in rng.sample(context["items"], k=16):
            expires = (
                None
                if item.category in {"imaging", "monitoring", "emergency", "shelter", "power"}
                else today + timedelta(days=rng.choice([20, 75, 120, 240, 400, 700]))
            )
            with clock_at(received):
                lot = services.receive(
                    provider_id=location.provider_id,
                    location_id=location.id,
                    item_id=item.id,
                    lot_code=f"L-{location.id:02d}{item.id:03d}-{rng.randint(100, 999)}",
                    expires_on=expires,
                    quantity=scale * rng.choice([20, 40, 60, 120, 300]),
                    actor=actor,
                    note="demo stock",
                )
            lots.append(lot.id)
    db.session.flush()
    with clock_at(utcnow() - timedelta(days=30)):
        services.set_status(
            lot_id=lots[3], status=LotStatus.RECALLED, actor=actor, note="manufacturer recall"
        )
    with clock_at(utcnow() - timedelta(days=6)):
        services.set_status(
            lot_id=lots[21], status=LotStatus.QUARANTINED, actor=actor, note="temperature excursion"
        )

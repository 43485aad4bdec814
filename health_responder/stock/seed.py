"""Demo stock: lots of most items at each provider location, some near expiry."""

from __future__ import annotations

import random
from datetime import timedelta

from health_responder.audit.actor import Actor
from health_responder.stock import services


def load_demo(context: dict) -> None:
    """Receive demo lots through the same service as real receipts (so the ledger is complete)."""
    rng = random.Random(2026)
    today = context["today"]
    actor = Actor(user_id=None, label="seed")
    for location in context["locations"]:
        for item in rng.sample(context["items"], k=12):
            expires = (
                None
                if item.category in {"imaging", "monitoring", "emergency"}
                else today + timedelta(days=rng.choice([45, 120, 240, 400, 700]))
            )
            services.receive(
                provider_id=location.provider_id,
                location_id=location.id,
                item_id=item.id,
                lot_code=f"L-{location.id:02d}{item.id:03d}-{rng.randint(100, 999)}",
                expires_on=expires,
                quantity=rng.choice([8, 20, 40, 120, 300]),
                actor=actor,
                note="demo stock",
            )

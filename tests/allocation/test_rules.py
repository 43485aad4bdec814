"""The planner and the suggestions query choose the same lots in the same order (rules.py, two forms).

On random stock (statuses, free units, expiries with ties and blanks, providers inside and outside the
city's network) and a random needed-by, the lots the auto_allocate planner takes for a line that
needs everything, in the order it takes them, are exactly the lots the suggestions query lists, in
its order. The planner reads its picture of the stock with its own read (``planner.load_queue``), so
both sides go through the database.
"""

from __future__ import annotations

import os
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from health_responder.allocation import planner, queries, rules
from health_responder.db import utcnow
from health_responder.extensions import db
from health_responder.stock.models import LotStatus, StockLot

EXAMPLES = int(os.environ.get("PROPERTY_EXAMPLES", "25"))
DAY = date(2027, 6, 1)

lot_strategy = st.fixed_dictionaries(
    {
        "provider": st.integers(0, 3),
        "status": st.sampled_from(list(LotStatus)),
        "on_hand": st.integers(0, 6),
        "reserved_share": st.integers(0, 6),
        # a few days around the needed-by (ties and the boundary itself), or no expiry at all
        "expires_in": st.one_of(st.none(), st.integers(-3, 3)),
    }
)


@pytest.fixture
def stock_world(app, make):
    """One item and four providers at a warehouse each; the first two serve the city's network."""
    network, elsewhere = make.network(), make.network()
    providers = [make.provider(networks=[network]) for _ in range(2)] + [
        make.provider(networks=[elsewhere]) for _ in range(2)
    ]
    return {
        "network_id": network.id,
        "item_id": make.item().id,
        "providers": [(p.id, make.location(p).id) for p in providers],
    }


@pytest.mark.both_databases
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(lots=st.lists(lot_strategy, min_size=0, max_size=12), needed_in=st.integers(-2, 2))
def test_the_planner_takes_the_lots_the_suggestions_list_in_the_same_order(app, stock_world, lots, needed_in):
    needed_by = DAY + timedelta(days=needed_in)
    with app.app_context():
        with db.write_session() as session:
            session.execute(StockLot.__table__.delete())
            for n, spec in enumerate(lots):
                provider_id, location_id = stock_world["providers"][spec["provider"]]
                session.add(
                    StockLot(
                        provider_id=provider_id,
                        location_id=location_id,
                        item_id=stock_world["item_id"],
                        lot_code=f"L-{n}",
                        expires_on=None
                        if spec["expires_in"] is None
                        else DAY + timedelta(days=spec["expires_in"]),
                        status=spec["status"],
                        on_hand=spec["on_hand"],
                        reserved=min(spec["reserved_share"], spec["on_hand"]),
                        updated_at=utcnow(),
                    )
                )
        with db.read_session():
            suggested = [
                lot.id
                for lot in db.session.scalars(
                    queries.usable_lots(
                        item_id=stock_world["item_id"],
                        needed_by=needed_by,
                        network_id=stock_world["network_id"],
                    )
                )
            ]
            every_lot = db.session.scalars(select(StockLot).order_by(StockLot.id)).all()
            queue = planner.load_queue()
        picture = queue.lots.get(stock_world["item_id"], [])
        choices, shortfall = planner.plan_line(
            needed=10_000,
            needed_by=needed_by,
            lots=picture,
            preferred=queue.serving.get(stock_world["network_id"], set()),
        )

    assert [lot.id for lot, _take, _preferred in choices] == suggested
    # the Python predicate and sort key say the same of every lot as the SQL condition and ORDER BY
    serving = {provider_id for provider_id, _location in stock_world["providers"][:2]}
    usable = [
        lot
        for lot in every_lot
        if rules.is_usable(
            status=lot.status, free=lot.on_hand - lot.reserved, expires_on=lot.expires_on, needed_by=needed_by
        )
    ]
    usable.sort(
        key=lambda lot: rules.order_key(
            serves_network=lot.provider_id in serving, expires_on=lot.expires_on, lot_id=lot.id
        )
    )
    assert [lot.id for lot in usable] == suggested
    assert shortfall == 10_000 - sum(take for _lot, take, _preferred in choices)

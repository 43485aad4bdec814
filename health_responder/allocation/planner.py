"""The auto_allocate planner: the queue of open lines and free lots, and the plan of each request, in memory.

The planner applies rules.py in Python (``rules.is_usable``, ``fefo_key``) to its running picture of
the free stock; bulk.reserve_lines_bulk then reserves the plans with the same rules as SQL conditions,
so a plan made on stale data can never reserve what the rules forbid.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

import sqlalchemy as sa
from sqlmodel import select

from health_responder.allocation import rules
from health_responder.extensions import db
from health_responder.health_requests.models import AssistanceRequest, RequestLine
from health_responder.providers.models import Provider, ProviderNetwork
from health_responder.reference.models import City, Network
from health_responder.stock.models import StockLot


@dataclass(slots=True)
class LotStock:
    """A lot as the planner sees it; ``left`` is what is still free to reserve (it shrinks as the plan takes)."""

    id: int
    provider_id: int
    item_id: int
    lot_code: str
    expires_on: date | None
    left: int
    #: fact 1 of rules.py (the read takes usable statuses only; kept so the predicate sees every fact)
    status: str = rules.USABLE_STATUS


def fefo_key(lot: LotStock) -> tuple:
    """rules.fefo_key of a lot of the picture."""
    return rules.fefo_key(expires_on=lot.expires_on, lot_id=lot.id)


def plan_line(
    *, needed: int, needed_by: date, lots: Sequence[LotStock], preferred: Collection[int]
) -> tuple[list[tuple[LotStock, int, bool]], int]:
    """Take ``needed`` units from one item's available ``lots`` (in FEFO order) by the rules of rules.py.

    Usable lots only (rules.is_usable); lots of the ``preferred`` providers (those serving the city's
    network) first, then the others, each in FEFO order: rules.order_key's order, which is the
    suggestions' ORDER BY (tests/allocation/test_rules.py proves it on random data). Lowers ``left`` of every lot it takes from. Returns the
    choices ``[(lot, quantity, preferred)]`` and the shortfall (0 when the line is covered).
    """
    choices: list[tuple[LotStock, int, bool]] = []
    for want_preferred in (True, False):
        for lot in lots:
            if needed <= 0:
                return choices, 0
            if (lot.provider_id in preferred) is not want_preferred or not rules.is_usable(
                status=lot.status, free=lot.left, expires_on=lot.expires_on, needed_by=needed_by
            ):
                continue
            take = min(lot.left, needed)
            lot.left -= take
            needed -= take
            choices.append((lot, take, want_preferred))
    return choices, max(needed, 0)


class PlannedAllocation(NamedTuple):
    """One allocation a plan wants: ``quantity`` of lot ``lot_id`` for line ``line_id``, and why."""

    line_id: int
    item_id: int
    lot_id: int
    provider_id: int
    quantity: int
    rationale: str


@dataclass(slots=True)
class RequestPlan:
    """A request's planned allocations: reserved all together, or (when a line changed meanwhile) none."""

    request_id: int
    needed_by: date
    allocations: list[PlannedAllocation]


@dataclass
class Queue:
    """What a run knows from its one read: the open lines in serving order and the free stock.

    The lots are the planner's running picture: it takes from ``left`` as it plans. Someone else may
    reserve or quarantine a lot meanwhile: the conditional UPDATE of reserve_lines_bulk then skips that
    lot (a race lost), and the picture takes it as empty until the next run. ``latest`` decides cheaply
    which requests are worth a batch at all.
    """

    #: (request id, needed_by as the driver gives it, item id) of every open line, in serving order
    lines: list[tuple]
    #: a date -> as the driver gives dates (None when it gives date objects). The queue compares dates
    #: in that form: SQLite's are ISO strings ("2026-11-26"), which sort as the dates do, so the tens
    #: of thousands of requests passed over are never converted.
    as_stored: Callable | None
    #: item id -> available lots with units left, FEFO order
    lots: dict[int, list[LotStock]]
    #: item id -> the latest expiry among its lots with units left (date.max: one never expires), as stored
    latest: dict[int, date | str]
    network_of_city: dict[int, int]
    serving: dict[int, set[int]]  # network id -> providers serving it
    provider_names: dict[int, str]
    network_codes: dict[int, str]

    def recount(self, item_id: int) -> None:
        """Update the item's latest expiry among the lots it still has units in."""
        left = [lot.expires_on or date.max for lot in self.lots.get(item_id, ()) if lot.left > 0]
        if left:
            self.latest[item_id] = self.stored(max(left))
        else:
            self.latest.pop(item_id, None)

    def stored(self, day: date) -> date | str:
        """A date as the database compares it (SQLite keeps dates as text)."""
        return self.as_stored(day) if self.as_stored is not None else day


def load_queue() -> Queue:
    """The one read a run plans from: the open lines in serving order, and the free lots."""
    requests, lines = AssistanceRequest.__table__, RequestLine.__table__
    connection = db.session.connection()
    dialect = connection.dialect
    open_lines = (
        select(requests.c.id, requests.c.needed_by, lines.c.item_id)
        .select_from(requests.join(lines, lines.c.request_id == requests.c.id))
        .where(rules.served_line_sql(requests.c, lines.c))
        .order_by(*rules.queue_order_sql(requests.c))
    )
    # The run's one big read (every open line: the I/O floor's own read) goes to the driver's cursor as
    # plain SQL: SQLAlchemy's per-row result objects would cost more than the query. Only needed_by
    # needs converting, once per request, with the Date type's own result processor.
    cursor = connection.connection.cursor()
    try:
        cursor.execute(str(open_lines.compile(dialect=dialect, compile_kwargs={"literal_binds": True})))
        rows = cursor.fetchall()
    finally:
        cursor.close()
    return _with_stock(connection, rows, as_stored=sa.Date().dialect_impl(dialect).bind_processor(dialect))


def load_queue_for(*, item_ids: Collection[int]) -> Queue:
    """A queue without lines that knows the free lots of ``item_ids`` only: one request planned by itself.

    The coordinator's "allocate as suggested" plans with it (``plan_request``), by the rules and in the
    order the auto_allocate check uses, from the stock as it is now.
    """
    return _with_stock(db.session.connection(), [], as_stored=None, item_ids=item_ids)


def _with_stock(connection, lines: list, *, as_stored, item_ids: Collection[int] | None = None) -> Queue:
    """A queue of ``lines`` with the free lots (of ``item_ids`` only, when given), networks and names."""
    usable = rules.usable_sql(StockLot, needed_by=None)
    if item_ids is not None:
        usable = sa.and_(usable, StockLot.item_id.in_(sorted(set(item_ids))))
    lots: dict[int, list[LotStock]] = defaultdict(list)
    for lot_id, provider_id, item_id, code, expires_on, left, status in connection.execute(
        select(
            StockLot.id,
            StockLot.provider_id,
            StockLot.item_id,
            StockLot.lot_code,
            StockLot.expires_on,
            StockLot.on_hand - StockLot.reserved,
            StockLot.status,
        ).where(usable)
    ):
        lots[item_id].append(LotStock(lot_id, provider_id, item_id, code, expires_on, int(left), status))
    serving: dict[int, set[int]] = defaultdict(set)
    for provider_id, network_id in connection.execute(
        select(ProviderNetwork.provider_id, ProviderNetwork.network_id)
    ):
        serving[network_id].add(provider_id)
    queue = Queue(
        lines=lines,
        as_stored=as_stored,
        lots={},
        latest={},
        network_of_city=dict(connection.execute(select(City.id, City.network_id)).all()),
        serving=serving,
        provider_names=dict(connection.execute(select(Provider.id, Provider.name)).all()),
        network_codes=dict(connection.execute(select(Network.id, Network.code)).all()),
    )
    for item_id, item_lots in lots.items():
        queue.lots[item_id] = sorted(item_lots, key=fefo_key)
        queue.recount(item_id)
    return queue


def plan_request(request, lines: list, queue: Queue) -> tuple[RequestPlan, dict[int, int]]:
    """The request's allocations, line by line in id order, from the queue's lots; and what each line still needed."""
    request_id, reference, city_id, _status, priority, needed_by = request
    network_id = queue.network_of_city.get(city_id)
    preferred = queue.serving.get(network_id, set())
    network = queue.network_codes.get(network_id)
    plan = RequestPlan(request_id=request_id, needed_by=needed_by, allocations=[])
    needs: dict[int, int] = {}
    for _request, line_id, item_id, owed, allocated in lines:
        needed = owed - allocated
        needs[line_id] = needed
        choices, shortfall = plan_line(
            needed=needed, needed_by=needed_by, lots=queue.lots.get(item_id, ()), preferred=preferred
        )
        for rank, (lot, take, is_preferred) in enumerate(choices):
            rationale = rules.rationale(
                lot_code=lot.lot_code,
                provider=queue.provider_names.get(lot.provider_id, f"provider {lot.provider_id}"),
                serves_network=is_preferred,
                city_network=network,
                expires_on=lot.expires_on,
                needed_by=needed_by,
                quantity=take,
                needed=needed,
                shortfall=shortfall,
                rank=rank,
                priority=priority,
                reference=reference,
            )
            plan.allocations.append(
                PlannedAllocation(
                    line_id=line_id,
                    item_id=item_id,
                    lot_id=lot.id,
                    provider_id=lot.provider_id,
                    quantity=take,
                    rationale=rationale,
                )
            )
    return plan, needs

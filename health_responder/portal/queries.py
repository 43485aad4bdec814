"""The portal's statistics, each one grouped query; shared by the API, the pages and the CSV files."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from statistics import median

import sqlalchemy as sa

from health_responder.db import start_of_day, utc_today, utcnow
from health_responder.dispatch.models import Dispatch, DispatchLine, DispatchStatus
from health_responder.extensions import db
from health_responder.health_requests.models import AssistanceRequest, RequestLine, RequestStatus
from health_responder.providers.models import Provider
from health_responder.reference.models import City, Item, Network, TrainingTopic
from health_responder.stock.models import LotStatus, StockLot
from health_responder.training.models import Enrolment, EnrolmentStatus, TrainingProgram

S = RequestStatus
#: Requests whose demand is still open (not yet fully shipped, not ended).
OPEN = (S.SUBMITTED, S.APPROVED, S.PARTIALLY_ALLOCATED, S.ALLOCATED, S.PARTIALLY_DISPATCHED)
#: Requests a coordinator accepted (the fill rate counts these).
ACCEPTED = (
    S.APPROVED,
    S.PARTIALLY_ALLOCATED,
    S.ALLOCATED,
    S.PARTIALLY_DISPATCHED,
    S.DISPATCHED,
    S.DELIVERED,
    S.CLOSED,
)


def _submitted_within(statement: sa.Select, period: tuple[date, date] | None) -> sa.Select:
    """Only requests submitted within ``period`` (first day, last day), when one is given."""
    if period is None:
        return statement
    return statement.where(
        AssistanceRequest.submitted_at >= start_of_day(period[0]),
        AssistanceRequest.submitted_at < start_of_day(period[1] + timedelta(days=1)),
    )


def requests_by_network_and_status(*, period: tuple[date, date] | None = None) -> list[dict]:
    """How many requests each network has in each status (submitted within ``period`` when given)."""
    rows = db.session.execute(
        _submitted_within(
            sa.select(Network.code, AssistanceRequest.status, sa.func.count(AssistanceRequest.id))
            .select_from(AssistanceRequest)
            .join(City, City.id == AssistanceRequest.city_id)
            .join(Network, Network.id == City.network_id),
            period,
        )
        .group_by(Network.code, AssistanceRequest.status)
        .order_by(Network.code, AssistanceRequest.status)
    )
    return [{"network": code, "status": status, "requests": count} for code, status, count in rows]


def fill_rate_by_network(*, period: tuple[date, date] | None = None) -> list[dict]:
    """Of what accepted requests asked for: the share allocated, shipped and received, per network."""
    rows = db.session.execute(
        _submitted_within(
            sa.select(
                Network.code,
                sa.func.sum(RequestLine.quantity),
                sa.func.sum(RequestLine.quantity_allocated),
                sa.func.sum(RequestLine.quantity_dispatched),
                sa.func.sum(RequestLine.quantity_received),
            )
            .select_from(RequestLine)
            .join(AssistanceRequest, AssistanceRequest.id == RequestLine.request_id)
            .join(City, City.id == AssistanceRequest.city_id)
            .join(Network, Network.id == City.network_id)
            .where(AssistanceRequest.status.in_(ACCEPTED)),
            period,
        )
        .group_by(Network.code)
        .order_by(Network.code)
    )
    result = []
    for code, asked, allocated, shipped, received in rows:
        asked = int(asked or 0)
        result.append(
            {
                "network": code,
                "requested": asked,
                "allocated": int(allocated or 0),
                "dispatched": int(shipped or 0),
                "received": int(received or 0),
                "fill_rate": round((shipped or 0) / asked, 3) if asked else 0.0,
            }
        )
    return result


def _hours(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return (end - start).total_seconds() / 3600


def _summary(values: list[float]) -> dict:
    values = [v for v in values if v is not None and v >= 0]
    if not values:
        return {"count": 0, "mean_hours": None, "median_hours": None}
    return {
        "count": len(values),
        "mean_hours": round(sum(values) / len(values), 1),
        "median_hours": round(median(values), 1),
    }


def lead_times(*, since: date | None = None, until: date | None = None) -> dict:
    """Hours from submission to approval, approval to shipping, shipping to receipt (last 365 days)."""
    since_at = start_of_day(since or (utc_today() - timedelta(days=365)))
    until_at = start_of_day((until or utc_today()) + timedelta(days=1))
    requests = db.session.execute(
        sa.select(AssistanceRequest.submitted_at, AssistanceRequest.approved_at).where(
            AssistanceRequest.submitted_at >= since_at,
            AssistanceRequest.submitted_at < until_at,
            AssistanceRequest.approved_at.is_not(None),
        )
    ).all()
    dispatches = db.session.execute(
        sa.select(AssistanceRequest.approved_at, Dispatch.shipped_at, Dispatch.received_at)
        .join(AssistanceRequest, AssistanceRequest.id == Dispatch.request_id)
        .where(
            Dispatch.shipped_at >= since_at,
            Dispatch.shipped_at < until_at,
            Dispatch.status.in_([DispatchStatus.SHIPPED, DispatchStatus.RECEIVED]),
        )
    ).all()
    return {
        "submitted_to_approved": _summary([_hours(s, a) for s, a in requests]),
        "approved_to_shipped": _summary([_hours(a, s) for a, s, _r in dispatches]),
        "shipped_to_received": _summary([_hours(s, r) for _a, s, r in dispatches]),
    }


def shortage_radar_by_item(*, today: date | None = None) -> list[dict]:
    """Per item: open demand (owed, not yet allocated) against usable supply (available, unexpired, free).

    Open demand counts every open request's remainder: requested plus replaced minus allocated.
    """
    today = today or utcnow().date()
    remainder = RequestLine.quantity + RequestLine.quantity_replaced - RequestLine.quantity_allocated
    demand = dict(
        db.session.execute(
            sa.select(RequestLine.item_id, sa.func.sum(remainder))
            .select_from(RequestLine)
            .join(AssistanceRequest, AssistanceRequest.id == RequestLine.request_id)
            .where(AssistanceRequest.status.in_(OPEN))
            .group_by(RequestLine.item_id)
        ).all()
    )
    supply = dict(
        db.session.execute(
            sa.select(StockLot.item_id, sa.func.sum(StockLot.on_hand - StockLot.reserved))
            .where(
                StockLot.status == LotStatus.AVAILABLE,
                sa.or_(StockLot.expires_on.is_(None), StockLot.expires_on >= today),
            )
            .group_by(StockLot.item_id)
        ).all()
    )
    ids = sorted(set(demand) | set(supply))
    items = (
        db.session.execute(
            sa.select(Item.id, Item.code, Item.name, Item.name_ko, Item.category).where(Item.id.in_(ids))
        ).all()
        if ids
        else []
    )
    rows = []
    for item_id, code, name, name_ko, category in items:
        open_demand, available = int(demand.get(item_id) or 0), int(supply.get(item_id) or 0)
        rows.append(
            {
                "category": category,
                "item_code": code,
                "item_name": name,
                "item_name_ko": name_ko,
                "open_demand": open_demand,
                "available": available,
                "coverage": round(min(available, open_demand) / open_demand, 2) if open_demand else None,
                "short": max(open_demand - available, 0),
            }
        )
    return sorted(rows, key=lambda r: (r["category"], r["item_code"]))


def shortage_radar(*, by_item: list[dict] | None = None, today: date | None = None) -> list[dict]:
    """Per item category, rolled up from the items: one item's surplus never hides another's shortage.

    ``short`` is the sum of the items' shortages; ``coverage`` the share of the demand that the same
    items' usable supply covers; ``items_short`` how many of the category's items are short.
    """
    by_item = by_item if by_item is not None else shortage_radar_by_item(today=today)
    totals: dict[str, dict] = {}
    for row in by_item:
        entry = totals.setdefault(
            row["category"], {"open_demand": 0, "available": 0, "covered": 0, "short": 0, "items_short": 0}
        )
        entry["open_demand"] += row["open_demand"]
        entry["available"] += row["available"]
        entry["covered"] += min(row["available"], row["open_demand"])
        entry["short"] += row["short"]
        entry["items_short"] += row["short"] > 0
    return [
        {
            "category": category,
            "open_demand": t["open_demand"],
            "available": t["available"],
            "coverage": round(t["covered"] / t["open_demand"], 2) if t["open_demand"] else None,
            "short": t["short"],
            "items_short": t["items_short"],
        }
        for category, t in sorted(totals.items())
    ]


def unmet_demand() -> list[dict]:
    """Per network: requests a coordinator closed short, and the units they still owed when closed.

    A closed request's reservations were released at closing, so what it still owed is requested plus
    replaced minus shipped; rejected units not replaced are not owed.
    """
    owed = RequestLine.quantity + RequestLine.quantity_replaced - RequestLine.quantity_dispatched
    short = (
        sa.select(AssistanceRequest.id, City.network_id, sa.func.sum(owed).label("units"))
        .join(RequestLine, RequestLine.request_id == AssistanceRequest.id)
        .join(City, City.id == AssistanceRequest.city_id)
        .where(AssistanceRequest.status == S.CLOSED, owed > 0)
        .group_by(AssistanceRequest.id, City.network_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(Network.code, sa.func.count(short.c.id), sa.func.sum(short.c.units))
        .join(short, short.c.network_id == Network.id)
        .group_by(Network.code)
        .order_by(Network.code)
    )
    return [
        {"network": code, "requests_closed_short": int(count), "units_unmet": int(units or 0)}
        for code, count, units in rows
    ]


def trained_staff_by_topic(*, period: tuple[date, date] | None = None) -> list[dict]:
    """Participants who completed a program, per training topic (completed within ``period`` when given)."""
    statement = (
        sa.select(
            TrainingProgram.topic, sa.func.count(Enrolment.id), sa.func.count(sa.distinct(Enrolment.city_id))
        )
        .select_from(Enrolment)
        .join(TrainingProgram, TrainingProgram.id == Enrolment.program_id)
        .where(Enrolment.status == EnrolmentStatus.COMPLETED)
    )
    if period is not None:
        statement = statement.where(
            Enrolment.completed_at >= start_of_day(period[0]),
            Enrolment.completed_at < start_of_day(period[1] + timedelta(days=1)),
        )
    rows = db.session.execute(statement.group_by(TrainingProgram.topic).order_by(TrainingProgram.topic)).all()
    names = {
        code: (name, name_ko)
        for code, name, name_ko in db.session.execute(
            sa.select(TrainingTopic.code, TrainingTopic.name, TrainingTopic.name_ko)
        )
    }
    return [
        {
            "topic": topic,
            "topic_name": names.get(topic, (topic, None))[0],
            "topic_name_ko": names.get(topic, (topic, None))[1],
            "trained": trained,
            "cities": cities,
        }
        for topic, trained, cities in rows
    ]


def all_stats() -> dict:
    """Everything the portal shows, in one dict (the API answer): aggregates only, never a request."""
    by_item = shortage_radar_by_item()
    return {
        "requests_by_network_and_status": requests_by_network_and_status(),
        "fill_rate_by_network": fill_rate_by_network(),
        "lead_times": lead_times(),
        "shortage_radar": shortage_radar(by_item=by_item),
        "shortage_radar_by_item": by_item,
        "unmet_demand": unmet_demand(),
        "trained_staff_by_topic": trained_staff_by_topic(),
    }


# --- the members' drill-down and the public home's headline figures ----------------------------------


def _requests_by_city(city_id: int | None = None) -> list[dict]:
    """Requests and units per city and status (one city's, or every city's for staff)."""
    statement = (
        sa.select(
            City.name,
            Network.code,
            AssistanceRequest.status,
            sa.func.count(sa.distinct(AssistanceRequest.id)),
            sa.func.coalesce(sa.func.sum(RequestLine.quantity), 0),
            sa.func.coalesce(sa.func.sum(RequestLine.quantity_dispatched), 0),
            sa.func.coalesce(sa.func.sum(RequestLine.quantity_received), 0),
        )
        .select_from(AssistanceRequest)
        .join(City, City.id == AssistanceRequest.city_id)
        .join(Network, Network.id == City.network_id)
        .outerjoin(RequestLine, RequestLine.request_id == AssistanceRequest.id)
        .group_by(City.name, Network.code, AssistanceRequest.status)
        .order_by(City.name, AssistanceRequest.status)
    )
    if city_id is not None:
        statement = statement.where(AssistanceRequest.city_id == city_id)
    return [
        {
            "city": city,
            "network": network,
            "status": status,
            "requests": int(count),
            "requested": int(asked),
            "dispatched": int(shipped),
            "received": int(received),
        }
        for city, network, status, count, asked, shipped, received in db.session.execute(statement)
    ]


def _provider_shipments(provider_id: int) -> list[dict]:
    """A provider's dispatches and units shipped per network and dispatch status."""
    rows = db.session.execute(
        sa.select(
            Network.code,
            Dispatch.status,
            sa.func.count(sa.distinct(Dispatch.id)),
            sa.func.coalesce(sa.func.sum(DispatchLine.quantity), 0),
        )
        .select_from(Dispatch)
        .join(City, City.id == Dispatch.city_id)
        .join(Network, Network.id == City.network_id)
        .outerjoin(DispatchLine, DispatchLine.dispatch_id == Dispatch.id)
        .where(Dispatch.provider_id == provider_id)
        .group_by(Network.code, Dispatch.status)
        .order_by(Network.code, Dispatch.status)
    )
    return [
        {"network": code, "status": status, "dispatches": int(count), "units": int(units)}
        for code, status, count, units in rows
    ]


def drill_down(*, user) -> dict | None:
    """A member's own figures: a city its requests, a provider its shipments, staff every city's requests.

    None for a visitor: the public sees the aggregates only.
    """
    if user is None:
        return None
    if user.role == "city":
        return {"kind": "city", "rows": _requests_by_city(user.city_id)}
    if user.role == "provider":
        return {"kind": "provider", "rows": _provider_shipments(user.provider_id)}
    return {"kind": "staff", "rows": _requests_by_city()}


def headline_figures() -> dict:
    """The public home's figures: members, networks, providers, units delivered, staff trained."""
    return {
        "networks": db.session.scalar(sa.select(sa.func.count()).select_from(Network)),
        "cities": db.session.scalar(sa.select(sa.func.count()).select_from(City)),
        "providers": db.session.scalar(sa.select(sa.func.count()).select_from(Provider)),
        "units_dispatched": int(
            db.session.scalar(sa.select(sa.func.sum(RequestLine.quantity_dispatched))) or 0
        ),
        "staff_trained": db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Enrolment)
            .where(Enrolment.status == EnrolmentStatus.COMPLETED)
        ),
    }


#: Figures a visitor does not see: with few providers, the supply on hand of an item is one provider's stock.
MEMBERS_ONLY = frozenset({"available"})


def for_visitors(*, rows: list[dict]) -> list[dict]:
    """``rows`` without the members-only figures."""
    return [{key: value for key, value in row.items() if key not in MEMBERS_ONLY} for row in rows]


def public_stats(*, stats: dict) -> dict:
    """The portal's figures as a visitor sees them: the radars without the supply on hand."""
    return stats | {
        "shortage_radar": for_visitors(rows=stats["shortage_radar"]),
        "shortage_radar_by_item": for_visitors(rows=stats["shortage_radar_by_item"]),
    }

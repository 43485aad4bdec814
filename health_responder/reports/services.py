"""From the database to the documents: gather each document's data, then issue it through the registry.

The builders (``builders/``, one module per document) are pure functions of the dataclasses in
data.py; this module is the only place that reads rows for them. A document is dated by its event (the ship date, the period), never
by the moment it is printed, so a reprint of unchanged data is the same registered file.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from statistics import median

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlmodel import select

from health_responder import languages
from health_responder.allocation.models import Allocation
from health_responder.auth.models import User
from health_responder.db import utc_today
from health_responder.dispatch import snapshot
from health_responder.dispatch.models import Dispatch, DispatchLine, DispatchStatus
from health_responder.documents import services as documents
from health_responder.documents.models import Document
from health_responder.errors import ValidationFailed
from health_responder.extensions import db
from health_responder.health_requests.models import AssistanceRequest, RequestStatus
from health_responder.providers.models import Provider, StockLocation
from health_responder.reference.models import City, Item, Network
from health_responder.reports import builders
from health_responder.reports.data import (
    Discrepancy,
    DispatchLineData,
    DispatchReportData,
    DispatchSummaryData,
    LeadTime,
    OverdueRequest,
    Party,
    PickLineData,
    PickListData,
    ScorecardRow,
    Signatory,
    TotalRow,
)
from health_responder.scorecards import queries as scorecard
from health_responder.stock.models import StockLot
from health_responder.zones import day_bounds, format_instant, local_date, zone_key

#: The longest period a summary may cover.
MAX_SUMMARY_DAYS = 366


def dispatch_report_data(dispatch: Dispatch, language: str = languages.FALLBACK) -> DispatchReportData:
    """Everything the dispatch report shows in ``language``: lots, items and parties as frozen at ship
    (dispatch.snapshot), each item by its name in that language as recorded then.

    Its times are the receiving city's: the ship date is the city's day, and each time names its zone.
    """
    parties = snapshot.parties_of(dispatch)
    zone = db.session.get(City, dispatch.city_id).timezone
    lines = [
        DispatchLineData(
            item_code=facts.item_code,
            item_name=facts.name_in(language),
            lot_code=facts.lot_code,
            expires_on=facts.expires_on,
            quantity=facts.line.quantity,
            unit=facts.unit,
            cold_chain=facts.cold_chain,
            location_name=parties["sender_location"],
            accepted=facts.line.accepted,
            rejected=facts.line.rejected,
            rejection_reason=facts.line.rejection_reason if facts.line.rejected else None,
        )
        for facts in snapshot.lines_of(dispatch)
    ]
    return DispatchReportData(
        reference=dispatch.reference,
        ship_date=local_date(at=dispatch.shipped_at, zone=zone),
        shipped_at=format_instant(at=dispatch.shipped_at, zone=zone) if dispatch.shipped_at else "",
        received_at=format_instant(at=dispatch.received_at, zone=zone) if dispatch.received_at else "",
        status=dispatch.status,
        request_reference=parties["request_reference"],
        priority=parties["priority"],
        sender=Party(**parties["sender"]),
        sender_location=parties["sender_location"],
        recipient=Party(**parties["recipient"]),
        carrier=dispatch.carrier or "",
        tracking_number=dispatch.tracking_number or "",
        packages=dispatch.packages,
        lines=lines,
        notes=dispatch.notes or "",
        verification_url="",
        verification_code="",
        association_name=current_app.config["ASSOCIATION_NAME"],
        page_size=current_app.config["PDF_PAGE_SIZE"],
        signatories=Signatory(
            prepared_by=parties["prepared_by"],
            dispatched_by=parties["dispatched_by"],
            received_by=dispatch.received_by or "",
        ),
        language=language,
    )


def pick_list_data(dispatch: Dispatch, language: str = languages.FALLBACK) -> PickListData:
    """The lots a provider picks for a dispatch, in location and expiry order, dated in the warehouse's zone,
    each item by its name in ``language``.
    """
    request = db.session.get(AssistanceRequest, dispatch.request_id)
    zone = db.session.get(StockLocation, dispatch.location_id).timezone
    parties = snapshot.parties_of(dispatch)
    lines = [
        PickLineData(
            location_name=parties["sender_location"],
            item_code=facts.item_code,
            item_name=facts.name_in(language),
            lot_code=facts.lot_code,
            expires_on=facts.expires_on,
            quantity=facts.line.quantity,
            unit=facts.unit,
            cold_chain=facts.cold_chain,
        )
        for facts in snapshot.lines_of(dispatch)
    ]
    lines.sort(
        key=lambda ln: (ln.location_name, ln.expires_on is None, ln.expires_on or date.max, ln.lot_code)
    )
    return PickListData(
        dispatch_reference=dispatch.reference,
        request_reference=parties["request_reference"],
        priority=parties["priority"],
        provider_name=parties["sender"]["name"],
        city_name=parties["recipient"]["name"],
        prepared_on=local_date(at=dispatch.created_at, zone=zone),
        prepared_at=format_instant(at=dispatch.created_at, zone=zone),
        needed_by=request.needed_by,
        lines=lines,
        association_name=current_app.config["ASSOCIATION_NAME"],
        notes=dispatch.notes or "",
        page_size=current_app.config["PDF_PAGE_SIZE"],
        language=language,
    )


def _lead(values: list[float]) -> LeadTime:
    values = [v for v in values if v is not None and v >= 0]
    if not values:
        return LeadTime(count=0, average_hours=None, median_hours=None)
    return LeadTime(
        count=len(values),
        average_hours=round(sum(values) / len(values), 1),
        median_hours=round(median(values), 1),
    )


def summary_data(
    period_from: date,
    period_to: date,
    provider_id: int | None = None,
    zone: str = "UTC",
    language: str = languages.FALLBACK,
) -> DispatchSummaryData:
    """Totals, lead times, open and overdue requests and discrepancies for dispatches shipped in the period,
    in ``language``.

    The period is whole days of ``zone`` (the reader's). Overdue is judged on UTC's calendar, as the
    overdue_requests check judges it, so the summary and the alerts agree. A discrepancy names its item
    as the dispatch report does: as it shipped (dispatch.snapshot), by its name in ``language``.
    """
    zone = zone_key(zone)
    if period_to < period_from:
        raise ValidationFailed(
            _l("The period ends before it starts."), {"to": [_l("Must be on or after 'from'.")]}
        )
    if (period_to - period_from).days >= MAX_SUMMARY_DAYS:
        raise ValidationFailed(
            _l("The period is too long."),
            {"to": [_l("At most %(n)s days after 'from'.", n=MAX_SUMMARY_DAYS)]},
        )
    start, end = day_bounds(first=period_from, last=period_to, zone=zone)
    shipped = [DispatchStatus.SHIPPED, DispatchStatus.RECEIVED]
    statement = (
        select(Dispatch.id, Network.code, City.name, Provider.name, Item.category, DispatchLine.quantity)
        .select_from(Dispatch)
        .join(DispatchLine, DispatchLine.dispatch_id == Dispatch.id)
        .join(Item, Item.id == DispatchLine.item_id)
        .join(City, City.id == Dispatch.city_id)
        .join(Network, Network.id == City.network_id)
        .join(Provider, Provider.id == Dispatch.provider_id)
        .where(Dispatch.status.in_(shipped), Dispatch.shipped_at >= start, Dispatch.shipped_at < end)
    )
    if provider_id is not None:
        statement = statement.where(Dispatch.provider_id == provider_id)
    groups = {key: defaultdict(lambda: [set(), 0]) for key in ("network", "city", "provider", "category")}
    for dispatch_id, network, city, provider, category, quantity in db.session.execute(statement):
        for key, name in (
            ("network", network),
            ("city", city),
            ("provider", provider),
            ("category", category),
        ):
            groups[key][name][0].add(dispatch_id)
            groups[key][name][1] += quantity

    def rows(key):
        return [
            TotalRow(name=name, dispatches=len(ids), quantity=qty)
            for name, (ids, qty) in sorted(groups[key].items(), key=lambda kv: (-kv[1][1], kv[0]))
        ]

    times = db.session.execute(
        select(AssistanceRequest.approved_at, Dispatch.shipped_at, Dispatch.received_at)
        .join(AssistanceRequest, AssistanceRequest.id == Dispatch.request_id)
        .where(Dispatch.status.in_(shipped), Dispatch.shipped_at >= start, Dispatch.shipped_at < end)
        .where(Dispatch.provider_id == provider_id if provider_id is not None else sa.true())
    ).all()
    hours = lambda a, b: (b - a).total_seconds() / 3600 if a and b else None  # noqa: E731
    status = RequestStatus
    open_states = [
        status.SUBMITTED,
        status.APPROVED,
        status.PARTIALLY_ALLOCATED,
        status.ALLOCATED,
        status.PARTIALLY_DISPATCHED,
    ]
    # A provider's summary lists the requests it may see (those it holds an allocation for), as its
    # request list does. Overdue is judged at the period's end (today, for a period not yet over), so
    # that a summary of a past period says how late each request was then, and prints the same later.
    open_statement = (
        select(AssistanceRequest, City.name)
        .join(City, City.id == AssistanceRequest.city_id)
        .where(AssistanceRequest.status.in_(open_states), AssistanceRequest.created_at < end)
        .order_by(AssistanceRequest.needed_by, AssistanceRequest.id)
    )
    if provider_id is not None:
        open_statement = open_statement.where(
            AssistanceRequest.id.in_(
                select(Allocation.request_id).where(Allocation.provider_id == provider_id)
            )
        )
    open_requests = db.session.execute(open_statement).all()
    as_of = min(period_to, utc_today())
    overdue = [
        OverdueRequest(
            reference=r.reference,
            city_name=name,
            priority=r.priority,
            needed_by=r.needed_by,
            status=r.status,
            days_overdue=(as_of - r.needed_by).days,
        )
        for r, name in open_requests
        if r.needed_by < as_of
    ]
    discrepancy_rows = db.session.execute(
        select(DispatchLine, Item, StockLot, Dispatch.reference, City.name)
        .join(Dispatch, Dispatch.id == DispatchLine.dispatch_id)
        .join(Item, Item.id == DispatchLine.item_id)
        .join(StockLot, StockLot.id == DispatchLine.lot_id)
        .join(City, City.id == Dispatch.city_id)
        .where(DispatchLine.rejected > 0, Dispatch.shipped_at >= start, Dispatch.shipped_at < end)
        .where(Dispatch.provider_id == provider_id if provider_id is not None else sa.true())
        .order_by(Dispatch.reference, DispatchLine.id)
    ).all()
    discrepancies = []
    for line, item, lot, reference, city in discrepancy_rows:
        facts = snapshot.line_facts(line, item, lot)
        discrepancies.append(
            Discrepancy(
                dispatch_reference=reference,
                item_code=facts.item_code,
                item_name=facts.name_in(language),
                rejected=line.rejected,
                reason=line.rejection_reason or "other",
                city_name=city,
            )
        )
    return DispatchSummaryData(
        association_name=current_app.config["ASSOCIATION_NAME"],
        period_from=period_from,
        period_to=period_to,
        totals_by_network=rows("network"),
        by_city=rows("city"),
        by_provider=rows("provider"),
        by_category=rows("category"),
        approved_to_shipped=_lead([hours(a, s) for a, s, _r in times]),
        shipped_to_received=_lead([hours(s, r) for _a, s, r in times]),
        open_requests=len(open_requests),
        overdue_requests=overdue,
        discrepancies=discrepancies,
        verification_url="",
        verification_code="",
        page_size=current_app.config["PDF_PAGE_SIZE"],
        scorecards=_scorecards(period_from, period_to, provider_id, start, end, zone),
        time_zone=zone,
        language=language,
    )


def _scorecards(
    period_from: date, period_to: date, provider_id: int | None, start, end, zone: str
) -> list[ScorecardRow]:
    """The scorecard of the provider that asks, or of every provider that shipped in the period."""
    if provider_id is not None:
        ids = [provider_id]
    else:
        ids = db.session.scalars(
            select(Dispatch.provider_id)
            .where(Dispatch.shipped_at >= start, Dispatch.shipped_at < end)
            .distinct()
        ).all()
    providers = db.session.scalars(select(Provider).where(Provider.id.in_(ids)).order_by(Provider.name)).all()
    rows = []
    for provider in providers:
        total = scorecard.scorecard(
            provider=provider, period_from=period_from, period_to=period_to, zone=zone
        ).total
        rows.append(
            ScorecardRow(
                provider_name=provider.name,
                fill_rate=total.fill_rate,
                on_time_rate=total.on_time_rate,
                lead_time_p50_hours=total.lead_time_p50_hours,
                lead_time_p90_hours=total.lead_time_p90_hours,
                discrepancy_rate=total.discrepancy_rate,
                expiry_write_offs=total.expiry_write_offs,
            )
        )
    return rows


def dispatch_report(
    *, dispatch: Dispatch, by: User | None = None, language: str | None = None
) -> tuple[Document, bytes]:
    """The registered dispatch report, in the receiving city's language unless ``language`` says another.

    Each language is its own document (its own code), so printing one never supersedes the other.
    """
    language = languages.chosen(asked=language, default=languages.of_city(dispatch.city_id))
    data = dispatch_report_data(dispatch, language)
    return documents.issue(
        kind="dispatch_report",
        subject_type="dispatch",
        subject_key=languages.keyed(str(dispatch.id), language),
        data=data,
        build=languages.in_language(builders.build_dispatch_report, language),
        event_date=data.ship_date,
        by=by,
        name=dispatch.reference,
    )


def pick_list(
    *, dispatch: Dispatch, by: User | None = None, language: str | None = None
) -> tuple[Document, bytes]:
    """The registered pick list of a dispatch, in the language of whoever prints it unless ``language`` says another."""
    language = languages.chosen(asked=language, default=languages.of_user(by))
    data = pick_list_data(dispatch, language)
    return documents.issue(
        kind="pick_list",
        subject_type="dispatch",
        subject_key=languages.keyed(str(dispatch.id), language),
        data=data,
        build=languages.in_language(builders.build_pick_list, language),
        event_date=data.prepared_on,
        by=by,
        name=dispatch.reference,
    )


def dispatch_summary(
    *,
    period_from: date,
    period_to: date,
    by: User | None = None,
    provider_id: int | None = None,
    zone: str = "UTC",
    language: str | None = None,
) -> tuple[Document, bytes]:
    """The registered dispatch summary of a period (per provider when a provider asks), in ``zone``'s days
    and the asker's language unless ``language`` says another.

    Each zone and each language is its own document: the same dates cover other instants elsewhere.
    """
    language = languages.chosen(asked=language, default=languages.of_user(by))
    data = summary_data(period_from, period_to, provider_id, zone, language)
    key = f"{period_from}..{period_to}" + (f":provider={provider_id}" if provider_id else "")
    key += "" if data.time_zone == "UTC" else f":tz={data.time_zone}"
    return documents.issue(
        kind="dispatch_summary",
        subject_type="period",
        subject_key=languages.keyed(key, language),
        data=data,
        build=languages.in_language(builders.build_dispatch_summary, language),
        event_date=period_to,
        by=by,
        name=f"{period_from}_{period_to}",
    )

"""The data of the monthly statistics report (its PDF is ``reports.builders.build_statistics_report``)."""

from __future__ import annotations

from datetime import date

from health_responder.portal import queries as portal
from health_responder.reports.data import StatisticsReportData


def statistics_data(association_name: str, period_from: date, period_to: date) -> StatisticsReportData:
    """The figures of the month from ``period_from`` to ``period_to`` (inclusive): aggregates only."""
    period = (period_from, period_to)
    return StatisticsReportData(
        association_name=association_name,
        period=f"{period_from:%Y-%m}",
        period_from=period_from,
        period_to=period_to,
        requests_by_network_and_status=portal.requests_by_network_and_status(period=period),
        fill_rate_by_network=portal.fill_rate_by_network(period=period),
        lead_times=portal.lead_times(since=period_from, until=period_to),
        trained_staff_by_topic=portal.trained_staff_by_topic(period=period),
        shortage_radar=portal.shortage_radar(today=period_to),
    )

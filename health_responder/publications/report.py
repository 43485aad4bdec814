"""The data of the monthly statistics report (its PDF is ``reports.builders.build_statistics_report``),
and its copies in other languages.

The monthly check publishes it in English; ``?lang=`` on its file (and a reader whose language is
another) gets a copy in that language, registered under its own key (``2026-11:ko``) with its own
verification code, built from the month's figures as they are now.
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

from flask import current_app

from health_responder import languages
from health_responder.documents import services as documents
from health_responder.documents.models import Document
from health_responder.portal import queries as portal
from health_responder.publications.models import Publication, PublicationKind
from health_responder.reports.builders import build_statistics_report
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


def wants_copy(*, publication: Publication, language: str) -> bool:
    """Whether ``language`` asks for a copy of a statistics report other than its published (English) file."""
    return publication.kind == PublicationKind.STATISTICS and bool(publication.period) and language != "en"


def statistics_copy(*, publication: Publication, language: str, by=None) -> tuple[Document, bytes]:
    """The statistics report of a published month in ``language``, registered. The caller commits."""
    first = date.fromisoformat(f"{publication.period}-01")
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    data = statistics_data(current_app.config["ASSOCIATION_NAME"], first, last)
    return documents.issue(
        kind="statistics_report",
        subject_type="month",
        subject_key=languages.keyed(publication.period, language),
        data=dataclasses.replace(data, language=language),
        build=languages.in_language(build_statistics_report, language),
        event_date=last,
        by=by,
        name=publication.period,
    )

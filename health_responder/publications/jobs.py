"""The monthly_statistics check: publish last month's statistics report, once per month, by itself.

It may run as often as the schedule likes (daily by default): the first run in a month builds the
previous month's report, registers it in the documents registry (with its verification code and QR)
and publishes it; every later run of that month finds the month published and does nothing. The
publication's ``period`` is unique in the database, so two schedulers racing on the same month leave
one publication (the loser's transaction rolls back whole).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from health_responder.documents import services as documents
from health_responder.extensions import db
from health_responder.publications import queries, services
from health_responder.publications.report import statistics_data
from health_responder.reports.builders import build_statistics_report
from health_responder.scheduler.registry import job

#: What a run does with the month's report, as its ``reports`` list says (labels.LABELS words them).
PUBLISH, ALREADY = "report_publish", "report_already_published"


def previous_month(today: date) -> tuple[date, date]:
    """The first and last day of the month before ``today``'s."""
    last = today.replace(day=1) - timedelta(days=1)
    return last.replace(day=1), last


@job("monthly_statistics")
def monthly_statistics(*, now: datetime, run=None, dry_run: bool = False) -> dict:
    """Publish last month's statistics report in the Data Portal, once per month.

    The month is the one before ``now`` (UTC); nothing happens when it is published already.

    A scheduled run judges the month by its tick (``run.scheduled_for``), so a run that starts a few
    seconds past midnight on the 1st still belongs to the tick that was due.
    """
    if run is not None and getattr(run, "scheduled_for", None) is not None:
        now = run.scheduled_for
    now = now.replace(tzinfo=UTC) if now.tzinfo is None else now
    first, last = previous_month(now.astimezone(UTC).date())
    period = f"{first:%Y-%m}"

    def done(action: str, **counts) -> dict:
        # The report it took up and what it did (or, dry, would do) with it: a dry run's list is the real one's.
        report = {
            "report": "statistics_report",
            "period": period,
            "first_day": first.isoformat(),
            "last_day": last.isoformat(),
        }
        return {"period": period, "published": 0, **counts, "reports": [report | {"action": action}]}

    with db.read_session():
        if queries.month_published(period=period):
            return done(ALREADY, already_published=1)
    if dry_run:
        return done(PUBLISH, would_publish=1)
    try:
        with db.write_session():
            data = statistics_data(current_app.config["ASSOCIATION_NAME"], first, last)
            document, _content = documents.issue(
                kind="statistics_report",
                subject_type="month",
                subject_key=period,
                data=data,
                build=build_statistics_report,
                event_date=last,
                name=period,
            )
            publication = services.publish_statistics_report(
                period=period,
                published_on=now.date(),
                document=document,
                title=f"Statistics report {period}",
                summary=(
                    f"Requests by network and status, fill rate, lead times, staff trained and the "
                    f"shortage radar for {first.isoformat()} to {last.isoformat()}."
                ),
            )
            publication_id, code = publication.id, document.verification_code
    except sa.exc.IntegrityError:
        # Another scheduler published this month first: its publication stands, ours rolled back.
        return done(ALREADY, already_published=1)
    return done(PUBLISH, published=1, publication_id=publication_id, verification_code=code)

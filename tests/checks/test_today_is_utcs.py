"""Which day is "today" when a calendar date decides something: UTC's, for everyone.

Needed-by and expiry are calendar dates, stored and shown as they were typed, never shifted by anyone's
zone. Where "today" decides (overdue, near expiry, the countdown a page shows) it is UTC's today, as
db.utc_today says, so an alert, a summary and a page agree whoever reads them: at 08:30 in Seoul on
the 1st it is still the 30th in UTC, and a request needed by the 30th is not late yet.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlmodel import select

from health_responder.checks.models import Alert
from health_responder.db import clock_at
from health_responder.extensions import db

pytestmark = pytest.mark.both_databases

NEEDED_BY = date(2026, 11, 30)
#: 08:30 on 1 December in Seoul, still 30 November in UTC.
SEOUL_MORNING = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)
#: Half an hour into 1 December in UTC.
UTC_MIDNIGHT_PAST = datetime(2026, 12, 1, 0, 30, tzinfo=UTC)


def _open(app, kind: str) -> list[str]:
    with app.app_context(), db.read_session() as session:
        return session.scalars(
            select(Alert.dedup_key).where(Alert.kind == kind, Alert.status == "open").order_by(Alert.id)
        ).all()


def test_a_request_is_overdue_once_its_needed_by_has_passed_in_utc(app, world, run_check):
    late = world.request((world.item, 5), needed_by=NEEDED_BY)

    with clock_at(SEOUL_MORNING):
        run_check("overdue_requests")
    assert not [k for k in _open(app, "overdue_request") if k.endswith(":needed_by")]

    with clock_at(UTC_MIDNIGHT_PAST):
        run_check("overdue_requests")
    assert f"overdue_request:request={late.id}:needed_by" in _open(app, "overdue_request")


def test_a_seoul_clerk_sees_the_date_as_typed_and_the_countdown_of_utcs_day(app, world):
    world.request((world.item, 5), needed_by=NEEDED_BY)
    page = world.page("city")

    with clock_at(SEOUL_MORNING):
        html = page.get("/requests?lang=en").get_data(as_text=True)
    # The needed-by cell: the date as typed, and UTC's countdown (still the 30th there).
    assert '<td>Nov 30, 2026<br><span class="countdown">Due today</span></td>' in html

    with clock_at(UTC_MIDNIGHT_PAST):
        html = page.get("/requests?lang=en").get_data(as_text=True)
    assert '<td>Nov 30, 2026<br><span class="countdown late">1 day overdue</span></td>' in html


def test_near_expiry_counts_days_to_a_calendar_expiry_from_utcs_today(app, world, run_check):
    world.make_lot(
        world.provider, world.location, world.item, 10, lot_code="EXP-1", expires_on=date(2026, 12, 31)
    )

    with clock_at(SEOUL_MORNING):
        run_check("near_expiry")
    with app.app_context(), db.read_session() as session:
        message = session.scalars(select(Alert.message).where(Alert.kind == "near_expiry")).one()
    assert "2026-12-31" in message and "31 day" in message, message

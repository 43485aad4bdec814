"""Documents and messages read on the reader's clock, the zone named; calendar dates never shifted.

A dispatch shipped at 23:30 UTC reached a Seoul city at 08:30 the next morning: its report is dated on
Seoul's day and says so. The pick list is on its warehouse's clock, the summary's period is whole days
of its reader's zone, a certificate is dated on the participant's city's day, and a training reminder
gives the start on the city's clock. Expiry and needed-by dates are calendar dates: printed as stored.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from health_responder.auth.models import User
from health_responder.dispatch.models import Dispatch
from health_responder.extensions import db
from health_responder.providers.models import StockLocation
from health_responder.reference.models import City
from tests.factories import allocate, approved
from tests.pdftext import pdftotext

pytestmark = pytest.mark.both_databases

SHIP = {"carrier": "CJ Logistics", "tracking_number": "KR-77", "packages": 2}
LATE_EVENING = datetime(2026, 9, 30, 23, 30, tzinfo=UTC)


def pdf_text(pdf: bytes, tmp_path) -> str:
    return " ".join(pdftotext(pdf, tmp_path, raw=True).split())


def ship(world, lot_code: str, *, at: datetime, received_at: datetime | None = None) -> dict:
    """A dispatch of 5 units to the world's city (in Asia/Seoul), shipped (and received) at those instants."""
    lot = world.make_lot(
        world.provider, world.location, world.item, 20, lot_code=lot_code, expires_on=date(2027, 3, 31)
    )
    req = approved(world, (world.item, 5), priority="high", needed_by="2026-12-20")
    allocate(world, req, 0, lot, 5)
    dispatch = world.provider_api.post("/api/v1/dispatches", json={"request_id": req["id"]}).json
    assert world.provider_api.post(f"/api/v1/dispatches/{dispatch['id']}/ship", json=SHIP).status_code == 200
    with world.app.app_context(), db.write_session() as session:
        row = session.get(Dispatch, dispatch["id"])
        row.created_at, row.shipped_at, row.received_at = at, at, received_at
    return dispatch


def set_zone(world, *, city: str | None = None, location: str | None = None, coordinator: str | None = None):
    with world.app.app_context(), db.write_session() as session:
        if city:
            session.get(City, world.city.id).timezone = city
        if location:
            session.get(StockLocation, world.location.id).timezone = location
        if coordinator:
            session.get(User, world.users["coordinator"].id).timezone = coordinator


def test_the_dispatch_report_is_on_the_receiving_citys_clock(world, tmp_path):
    set_zone(world, city="Asia/Seoul")
    dispatch = ship(world, "TZ-1", at=LATE_EVENING, received_at=datetime(2026, 10, 2, 1, 0, tzinfo=UTC))

    text = pdf_text(
        world.coordinator.get(
            f"/api/v1/dispatches/{dispatch['id']}/report.pdf", query_string={"lang": "en"}
        ).data,
        tmp_path,
    )

    # The ship date is written the document language's way (English here): the city's day.
    assert "Ship date October 1, 2026" in text, text
    assert "2026-10-01 08:30 GMT+09:00 (Asia/Seoul)" in text
    assert "Received at" in text and "2026-10-02 10:00 GMT+09:00 (Asia/Seoul)" in text
    assert "2026-09-30" not in text  # neither the UTC day nor any other
    assert "2027-03-31" in text  # the lot's expiry: a calendar date, printed as stored


def test_a_korean_citys_report_names_the_time_in_korean_words(world, tmp_path):
    set_zone(world, city="Asia/Seoul")
    with world.app.app_context(), db.write_session() as session:
        session.get(City, world.city.id).language = "ko"
    dispatch = ship(world, "TZ-KO", at=LATE_EVENING)

    text = pdf_text(world.city_api.get(f"/api/v1/dispatches/{dispatch['id']}/report.pdf").data, tmp_path)

    assert "발송 시각" in text and "2026-10-01 08:30 GMT+09:00 (Asia/Seoul)" in text
    assert "Shipped at" not in text


def test_a_city_west_of_utc_sees_the_same_instant_on_its_own_day(world, tmp_path):
    set_zone(world, city="America/Bogota")
    dispatch = ship(world, "TZ-2", at=datetime(2026, 10, 1, 3, 0, tzinfo=UTC))

    text = pdf_text(world.coordinator.get(f"/api/v1/dispatches/{dispatch['id']}/report.pdf").data, tmp_path)

    assert "2026-09-30 22:00 GMT-05:00 (America/Bogota)" in text


def test_the_pick_list_is_on_its_warehouses_clock(world, tmp_path):
    set_zone(world, location="Europe/Berlin")
    dispatch = ship(world, "TZ-3", at=LATE_EVENING)

    text = pdf_text(
        world.provider_api.get(f"/api/v1/dispatches/{dispatch['id']}/pick-list.pdf").data, tmp_path
    )

    assert "2026-10-01 01:30 GMT+02:00 (Europe/Berlin)" in text, text
    assert "December 20, 2026" in text  # needed-by: a calendar date, never shifted


def test_the_summary_counts_whole_days_of_its_readers_zone(world, tmp_path):
    set_zone(world, city="Asia/Seoul")
    ship(world, "TZ-4", at=LATE_EVENING)  # 30 September in UTC, 1 October in Seoul
    ship(world, "TZ-6", at=datetime(2026, 10, 15, 12, 0, tzinfo=UTC))  # mid-October everywhere
    october = {"from": "2026-10-01", "to": "2026-10-31"}

    in_utc = world.coordinator.get("/api/v1/reports/dispatch-summary.pdf", query_string=october)
    set_zone(world, coordinator="Asia/Seoul")
    in_seoul = world.coordinator.get("/api/v1/reports/dispatch-summary.pdf", query_string=october)

    utc_text, seoul_text = pdf_text(in_utc.data, tmp_path), pdf_text(in_seoul.data, tmp_path)
    assert "October 1, 2026 to October 31, 2026 (UTC)" in utc_text
    assert "October 1, 2026 to October 31, 2026 (Asia/Seoul)" in seoul_text
    assert "Units shipped 5 " in utc_text and "Units shipped 10" not in utc_text, utc_text
    assert "Units shipped 10" in seoul_text, seoul_text
    # Each zone is its own registered document: the same dates cover other instants.
    assert in_utc.headers["X-Verification-Code"] != in_seoul.headers["X-Verification-Code"]

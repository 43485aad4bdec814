"""db.clock_at: the services stamp and judge by the moment it sets (the demo replays a year with it)."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from health_responder.db import clock_at, utc_today, utcnow
from health_responder.extensions import db


def test_a_request_made_under_clock_at_carries_that_moment_and_its_year(app, make):
    from health_responder.audit.models import AuditEvent
    from health_responder.health_requests import services

    city, item = make.city(), make.item()
    coordinator = make.user("coordinator")
    then = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)
    with app.app_context(), db.write_session():
        with clock_at(then):
            assert utcnow() == then and utc_today() == then.date()
            request = services.create_request(
                by=coordinator,
                city_id=city.id,
                needed_by=then.date() + timedelta(days=10),  # in the past today, in the future then
                justification="Flooded clinics need their equipment replaced.",
                priority="high",
                lines=[{"item_id": item.id, "quantity": 3}],
            )
            services.submit(request=request, by=coordinator)
        request_id = request.id
    assert abs(utcnow() - datetime.now(UTC)) < timedelta(seconds=5)  # the wall clock again outside

    with app.app_context():
        from health_responder.health_requests.models import AssistanceRequest

        stored = db.session.get(AssistanceRequest, request_id)
        assert stored.reference == f"REQ-2025-{request_id:06d}"
        assert stored.created_at == then and stored.submitted_at == then
        events = db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.subject_type == "assistance_request", AuditEvent.subject_id == request_id
            )
        ).all()
        assert events and {e.at for e in events} == {then}


def test_clock_at_refuses_a_moment_without_a_time_zone():
    with pytest.raises(ValueError, match="timezone-aware"), clock_at(datetime(2025, 1, 1)):
        pass

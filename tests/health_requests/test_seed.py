"""The demo data holds requests in several states, made through the services (ledger intact)."""

from sqlmodel import select

from health_responder.extensions import db


def test_the_demo_has_a_draft_a_submitted_critical_a_partially_allocated_and_a_dispatched_request(demo_app):
    from health_responder.dispatch.models import Dispatch
    from health_responder.health_requests.models import AssistanceRequest
    from health_responder.stock import services as stock

    with demo_app.app_context():
        requests = db.session.scalars(select(AssistanceRequest)).all()
        states = {(r.status, r.priority) for r in requests}
        assert {"draft", "submitted", "partially_allocated", "dispatched"} <= {s for s, _p in states}
        assert ("submitted", "critical") in states
        assert all(r.reference.startswith("REQ-") for r in requests)
        assert {"shipped", "received"} <= {d.status for d in db.session.scalars(select(Dispatch))}
        assert stock.ledger_mismatches() == []

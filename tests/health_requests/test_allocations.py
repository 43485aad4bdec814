"""Allocations: what a lot and a line allow, releases, suggestions, and the services auto-allocation uses."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from health_responder.db import utc_today
from health_responder.errors import Conflict, InvalidTransition
from health_responder.extensions import db
from tests.factories import allocate, approved, ledger_ok, lot


def test_an_allocation_answers_its_contract_fields(world):
    lot_id = world.make_lot(world.provider, world.location, world.item, 10)
    req = approved(world, (world.item, 4))
    created = allocate(world, req, 0, lot_id, 3)
    assert {
        k: created[k]
        for k in ("line_id", "lot_id", "quantity", "status", "job_run_id", "provider_id", "request_id")
    } == {
        "line_id": req["lines"][0]["id"],
        "lot_id": lot_id,
        "quantity": 3,
        "status": "reserved",
        "job_run_id": None,
        "provider_id": world.provider.id,
        "request_id": req["id"],
    }
    assert created["rationale"] and created["id"] and created["created_at"]


def test_allocating_more_than_the_line_still_needs_or_the_lot_holds_answers_409(app, world):
    lot_id = world.make_lot(world.provider, world.location, world.item, 5)
    big = world.make_lot(world.provider, world.location, world.item, 100)
    req = approved(world, (world.item, 8))
    assert "available" in allocate(world, req, 0, lot_id, 6, expect=409)["message"]
    allocate(world, req, 0, big, 6)
    over_line = allocate(world, req, 0, big, 3, expect=409)
    assert over_line["message"] == "The OXY-CONC-10L line has only 2 unit(s) left to allocate; asked for 3."
    assert over_line["errors"] == {"quantity": ["At most 2."]}
    assert lot(app, big).reserved == 6 and lot(app, lot_id).reserved == 0 and ledger_ok(app)


def test_asking_more_than_the_line_and_the_lot_names_the_lots_tighter_limit(app, world):
    small = world.make_lot(world.provider, world.location, world.item, 5, lot_code="L-SMALL")
    req = approved(world, (world.item, 8))
    answer = allocate(world, req, 0, small, 999, expect=409)
    assert answer["message"] == (
        "Asked for 999 of OXY-CONC-10L: the line has 8 left to allocate and lot L-SMALL has only 5 available."
    )
    assert answer["errors"] == {"quantity": ["At most 5 (what the lot has available)."]}
    big = world.make_lot(world.provider, world.location, world.item, 100)
    allocate(world, req, 0, big, 8)
    full = allocate(world, req, 0, big, 1, expect=409)
    assert full["message"] == "The OXY-CONC-10L line is fully allocated: nothing is left to allocate."
    assert lot(app, small).reserved == 0 and lot(app, big).reserved == 8 and ledger_ok(app)


@pytest.mark.parametrize("quantity", [0, -1])
def test_a_zero_or_negative_allocation_answers_422(world, quantity):
    lot_id = world.make_lot(world.provider, world.location, world.item, 5)
    req = approved(world, (world.item, 8))
    assert "quantity" in allocate(world, req, 0, lot_id, quantity, expect=422)["errors"]


def test_a_lot_of_another_item_or_an_unknown_lot_answers_422(world):
    other = world.make_lot(world.provider, world.location, world.item2, 5)
    req = approved(world, (world.item, 8))
    assert "lot_id" in allocate(world, req, 0, other, 1, expect=422)["errors"]
    assert "lot_id" in allocate(world, req, 0, 999_999, 1, expect=422)["errors"]


def test_quarantined_lots_and_lots_expiring_before_the_needed_by_date_cannot_be_allocated(world):
    needed_by = utc_today() + timedelta(days=30)
    quarantined = world.make_lot(world.provider, world.location, world.item, 5, status="quarantined")
    expiring = world.make_lot(
        world.provider, world.location, world.item, 5, expires_on=needed_by - timedelta(days=1)
    )
    req = approved(world, (world.item, 8), needed_by=needed_by.isoformat())
    assert allocate(world, req, 0, quarantined, 1, expect=409)
    assert allocate(world, req, 0, expiring, 1, expect=409)


def test_releasing_an_allocation_gives_the_units_back_and_the_status_follows(app, world):
    lot_id = world.make_lot(world.provider, world.location, world.item, 5)
    req = approved(world, (world.item, 5))
    created = allocate(world, req, 0, lot_id, 5)
    assert world.coordinator.get(f"/api/v1/requests/{req['id']}").json["status"] == "allocated"
    released = world.coordinator.post(f"/api/v1/allocations/{created['id']}/release")
    assert (
        released.status_code == 200 and released.json["status"] == "released" and released.json["released_at"]
    )
    assert lot(app, lot_id).reserved == 0
    after = world.coordinator.get(f"/api/v1/requests/{req['id']}").json
    assert after["status"] == "approved" and after["lines"][0]["quantity_allocated"] == 0
    again = world.coordinator.post(f"/api/v1/allocations/{created['id']}/release")
    assert again.status_code == 409 and "released" in again.json["message"]
    assert ledger_ok(app)


def test_suggestions_list_usable_lots_network_first_then_earliest_expiry_with_none_last(world, make):
    w = world
    needed_by = utc_today() + timedelta(days=20)
    stranger = make.provider()
    stranger_location = make.location(stranger)
    d = lambda days: needed_by + timedelta(days=days)  # noqa: E731
    serving_no_expiry = w.make_lot(w.provider, w.location, w.item, 5)
    serving_late = w.make_lot(w.provider, w.location, w.item, 5, expires_on=d(90))
    serving_early = w.make_lot(w.provider, w.location2, w.item, 5, expires_on=d(10))
    serving_same_day = w.make_lot(w.provider, w.location2, w.item, 5, expires_on=d(0))
    other_early = w.make_lot(stranger, stranger_location, w.item, 5, expires_on=d(1))
    other_no_expiry = w.make_lot(stranger, stranger_location, w.item, 5)
    w.make_lot(w.provider, w.location, w.item, 5, expires_on=d(-1))  # expires too soon
    w.make_lot(w.provider, w.location, w.item, 5, status="recalled")
    w.make_lot(w.provider, w.location, w.item2, 5)  # another item
    empty = w.make_lot(w.provider, w.location, w.item, 1)
    filler = approved(w, (w.item, 1))
    allocate(w, filler, 0, empty, 1)  # nothing left in it
    req = approved(w, (w.item, 12), needed_by=needed_by.isoformat())
    answer = w.coordinator.get(f"/api/v1/requests/{req['id']}/lines/{req['lines'][0]['id']}/suggestions")
    assert answer.status_code == 200
    assert [s["lot_id"] for s in answer.json] == [
        serving_same_day,
        serving_early,
        serving_late,
        serving_no_expiry,
        other_early,
        other_no_expiry,
    ]
    first = answer.json[0]
    assert (
        first["serves_network"]
        and first["suggested_quantity"] == 5
        and first["lot_code"] in first["rationale"]
    )
    assert not answer.json[-1]["serves_network"]
    assert (
        world.city_api.get(
            f"/api/v1/requests/{req['id']}/lines/{req['lines'][0]['id']}/suggestions"
        ).status_code
        == 403
    )


def test_reserve_line_records_the_job_run_and_leaves_nothing_behind_when_it_fails(app, world):
    from health_responder.allocation import queries, services
    from health_responder.allocation.models import Allocation
    from health_responder.audit.actor import Actor
    from health_responder.db import utcnow
    from health_responder.health_requests.models import AssistanceRequest, RequestLine
    from health_responder.reference.models import City
    from health_responder.scheduler.models import JobRun

    lot_id = world.make_lot(world.provider, world.location, world.item, 5)
    req = approved(world, (world.item, 8))
    with app.app_context(), db.write_session():
        run = JobRun(name="auto_allocate", scheduled_for=utcnow(), trigger="manual")
        db.session.add(run)
        db.session.flush()
        request = db.session.get(AssistanceRequest, req["id"])
        line = db.session.get(RequestLine, req["lines"][0]["id"])
        city = db.session.get(City, request.city_id)
        usable = db.session.scalars(
            queries.usable_lots(item_id=line.item_id, needed_by=request.needed_by, network_id=city.network_id)
        ).all()
        assert [x.id for x in usable] == [lot_id]
        actor = Actor.job("auto_allocate", run.id)
        with pytest.raises(Conflict):
            services.reserve_line(
                request=request, line=line, lot_id=lot_id, quantity=6, actor=actor, rationale="x"
            )
        made = services.reserve_line(
            request=request,
            line=line,
            lot_id=lot_id,
            quantity=5,
            actor=actor,
            rationale="Nearest provider, earliest expiry.",
        )
        assert made.job_run_id == run.id and line.quantity_allocated == 5
        run_id = run.id
    with app.app_context():
        rows = db.session.scalars(select(Allocation)).all()
        assert [(a.quantity, a.job_run_id, a.rationale) for a in rows] == [
            (5, run_id, "Nearest provider, earliest expiry.")
        ]
    assert world.coordinator.get(f"/api/v1/requests/{req['id']}").json["status"] == "partially_allocated"
    assert lot(app, lot_id).reserved == 5 and ledger_ok(app)


def test_reserve_line_refuses_a_request_that_is_not_being_fulfilled(app, world):
    from health_responder.allocation import services
    from health_responder.audit.actor import Actor
    from health_responder.health_requests.models import AssistanceRequest, RequestLine

    lot_id = world.make_lot(world.provider, world.location, world.item, 5)
    req = approved(world, (world.item, 8))
    world.coordinator.post(f"/api/v1/requests/{req['id']}/close", json={"note": "Stop."})
    with app.app_context(), db.write_session():
        request = db.session.get(AssistanceRequest, req["id"])
        line = db.session.get(RequestLine, req["lines"][0]["id"])
        with pytest.raises(InvalidTransition):
            services.reserve_line(
                request=request,
                line=line,
                lot_id=lot_id,
                quantity=1,
                actor=Actor(user_id=None, label="job:test"),
                rationale="x",
            )

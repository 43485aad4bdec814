"""auto_allocate's rules, each on a small crafted dataset, and its idempotency and dry run."""

from __future__ import annotations

import pytest

from health_responder.health_requests.models import AssistanceRequest, RequestLine
from health_responder.stock.models import StockLot
from tests.factories import days


def test_critical_requests_are_served_before_earlier_normal_ones(world, run_check):
    lot = world.lot(10, expires_on=days(300))
    normal = world.request((world.item, 10), priority="normal")
    critical = world.request((world.item, 10), priority="critical")

    run = run_check("auto_allocate")

    [allocation] = world.allocations()
    assert allocation.request_id == critical.id and allocation.lot_id == lot.id and allocation.quantity == 10
    assert world.get(AssistanceRequest, critical.id).status == "allocated"
    assert world.get(AssistanceRequest, normal.id).status == "approved"
    assert run["counts"]["allocations"] == 1 and run["counts"]["lines_short"] == 1


def test_same_priority_is_served_by_needed_by_then_submission_time(world, run_check):
    world.lot(20, expires_on=days(300))
    later_need = world.request((world.item, 10), needed_by=days(40))
    first_submitted = world.request((world.item, 10), needed_by=days(20))
    second_submitted = world.request((world.item, 10), needed_by=days(20))

    run_check("auto_allocate")

    served = {a.request_id for a in world.allocations()}
    assert served == {first_submitted.id, second_submitted.id}
    assert later_need.id not in served


def test_submission_time_breaks_a_tie(world, run_check):
    world.lot(10, expires_on=days(300))
    first = world.request((world.item, 10), needed_by=days(20))
    world.request((world.item, 10), needed_by=days(20))

    run_check("auto_allocate")

    assert [a.request_id for a in world.allocations()] == [first.id]


def test_lots_are_taken_first_expiry_first_out_with_no_expiry_last(world, run_check):
    late = world.lot(10, expires_on=days(400), code="LATE")
    never = world.lot(10, expires_on=None, code="NEVER")
    soon = world.lot(10, expires_on=days(100), code="SOON")
    world.request((world.item, 25))

    run_check("auto_allocate")

    assert [(a.lot_id, a.quantity) for a in world.allocations()] == [
        (soon.id, 10),
        (late.id, 10),
        (never.id, 5),
    ]


def test_a_lot_expiring_before_the_needed_by_date_is_never_used(world, run_check):
    expiring = world.lot(50, expires_on=days(10), code="EXPIRES-FIRST")
    good = world.lot(5, expires_on=days(90), code="GOOD")
    request = world.request((world.item, 20), needed_by=days(30))

    run = run_check("auto_allocate")

    assert [(a.lot_id, a.quantity) for a in world.allocations()] == [(good.id, 5)]
    assert world.get(StockLot, expiring.id).reserved == 0
    assert world.get(AssistanceRequest, request.id).status == "partially_allocated"
    assert run["counts"]["lines_short"] == 1


def test_providers_serving_the_city_network_come_first_even_with_later_expiry(world, run_check):
    far_soon = world.lot(10, expires_on=days(60), provider=world.far, code="FAR")
    near_late = world.lot(10, expires_on=days(500), provider=world.near, code="NEAR")
    world.request((world.item, 15))

    run_check("auto_allocate")

    allocations = world.allocations()
    assert [(a.lot_id, a.provider_id, a.quantity) for a in allocations] == [
        (near_late.id, world.near.id, 10),
        (far_soon.id, world.far.id, 5),
    ]
    assert "serves the city's network (HOME)" in allocations[0].rationale
    assert "does not serve the city's network (HOME)" in allocations[1].rationale


def test_short_stock_gives_a_partial_allocation_that_says_so(world, run_check):
    lot = world.lot(10, expires_on=days(200), code="L-SHORT")
    request = world.request((world.item, 25), priority="high", needed_by=days(30))

    run_check("auto_allocate")

    [allocation] = world.allocations()
    assert allocation.quantity == 10
    assert world.get(RequestLine, request.line_ids[0]).quantity_allocated == 10
    assert world.get(AssistanceRequest, request.id).status == "partially_allocated"
    assert world.get(StockLot, lot.id).reserved == 10
    text = allocation.rationale
    assert f"Priority high request {request.reference}, needed by {days(30).isoformat()}" in text
    assert "lot L-SHORT, the earliest-expiring usable lot (FEFO)" in text
    assert f"expires {days(200).isoformat()}, on or after the needed-by date" in text
    assert "Near Supply serves the city's network (HOME)" in text
    assert "Reserved 10 of the 25 still needed; partial: usable stock is short by 15" in text


def test_allocations_record_the_run_that_made_them(world, run_check):
    world.lot(10, expires_on=days(200))
    world.request((world.item, 4))

    run = run_check("auto_allocate")

    [allocation] = world.allocations()
    assert allocation.job_run_id == run["id"] and allocation.created_by_id is None


def test_quarantined_lots_and_unapproved_requests_are_left_alone(world, run_check):
    world.lot(10, expires_on=days(200), status="quarantined")
    world.request((world.item, 5))
    world.lot(10, expires_on=days(200), code="OK")
    world.request((world.item, 5), status="submitted")

    run_check("auto_allocate")

    [allocation] = world.allocations()
    assert world.get(StockLot, allocation.lot_id).lot_code == "OK"


@pytest.mark.both_databases
def test_running_twice_allocates_nothing_the_second_time(world, run_check):
    world.lot(30, expires_on=days(200))
    world.lot(8, expires_on=None, provider=world.far)
    mask = world.mask
    world.lot(5, expires_on=days(100), item=mask)
    world.request((world.item, 20), (mask, 10), priority="critical")
    world.request((world.item, 25))

    first = run_check("auto_allocate")
    before = [(a.id, a.line_id, a.lot_id, a.quantity) for a in world.allocations()]
    second = run_check("auto_allocate")

    assert first["counts"]["allocations"] == len(before) > 0
    assert second["counts"]["allocations"] == 0 and second["counts"]["units"] == 0
    assert [(a.id, a.line_id, a.lot_id, a.quantity) for a in world.allocations()] == before
    assert world.half_handled() == 0 and world.ledger_mismatches() == []


@pytest.mark.both_databases
def test_a_dry_run_shows_the_plan_and_writes_nothing(world, run_check):
    soon = world.lot(10, expires_on=days(100))
    later = world.lot(10, expires_on=days(300))
    first = world.request((world.item, 15), priority="critical")
    second = world.request((world.item, 10))

    dry = run_check("auto_allocate", dry_run=True)

    assert dry["dry_run"] is True
    planned = [(p["request_id"], p["lot_id"], p["quantity"]) for p in dry["counts"]["planned"]]
    assert planned == [(first.id, soon.id, 10), (first.id, later.id, 5), (second.id, later.id, 5)]
    assert world.allocations() == []
    assert world.get(StockLot, soon.id).reserved == 0
    assert world.get(AssistanceRequest, first.id).status == "approved"

    real = run_check("auto_allocate")
    assert [(a.request_id, a.lot_id, a.quantity) for a in world.allocations()] == planned
    assert real["counts"]["allocations"] == dry["counts"]["allocations"] == 3
    assert [p["rationale"] for p in dry["counts"]["planned"]] == [a.rationale for a in world.allocations()]


def test_cli_dry_run_prints_the_plan(world, runner):
    lot = world.lot(10, expires_on=days(100))
    world.request((world.item, 4))

    result = runner.invoke(args=["scheduler", "run-once", "auto_allocate", "--dry-run"])

    assert result.exit_code == 0, result.output
    assert '"dry_run": true' in result.output and f'"lot_id": {lot.id}' in result.output
    assert world.allocations() == []


# --- the bulk path: audit, notifications, races -------------------------------------------------------


def _stale_plan(world, request, lot, quantity, line_index=0):
    """What the check planned for ``request`` before someone else moved: ``quantity`` of ``lot`` for one line."""
    from health_responder.allocation.planner import PlannedAllocation, RequestPlan

    return RequestPlan(
        request_id=request.id,
        needed_by=days(30),
        allocations=[
            PlannedAllocation(
                line_id=request.line_ids[line_index],
                item_id=lot.item_id,
                lot_id=lot.id,
                provider_id=lot.provider_id,
                quantity=quantity,
                rationale="planned before the person allocated",
            )
        ],
    )


def _reserve_bulk(app, plans, run_id=None):
    from health_responder.allocation.bulk import reserve_lines_bulk
    from health_responder.audit.actor import Actor
    from health_responder.extensions import db

    with app.app_context(), db.write_session():
        return reserve_lines_bulk(plans=plans, actor=Actor.job("auto_allocate", run_id))


def _audit(app, action):
    from sqlmodel import select

    from health_responder.audit.models import AuditEvent
    from health_responder.extensions import db

    with app.app_context(), db.read_session() as session:
        return [
            (e.subject_id, e.before, e.after)
            for e in session.scalars(
                select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
            )
        ]


def _notifications(app):
    from sqlmodel import select

    from health_responder.extensions import db
    from health_responder.notifications.models import Notification

    with app.app_context(), db.read_session() as session:
        return sorted((n.user_id, n.message_id) for n in session.scalars(select(Notification)))


@pytest.mark.both_databases
def test_each_served_request_gets_one_audit_event_listing_its_allocations_and_its_new_status(
    app, world, run_check
):
    soon = world.lot(10, expires_on=days(100))
    later = world.lot(10, expires_on=days(300))
    first = world.request((world.item, 15), priority="critical")
    second = world.request((world.item, 10))

    run = run_check("auto_allocate")

    events = _audit(app, "request.allocate")
    assert [(subject, before["status"], after["status"]) for subject, before, after in events] == [
        (first.id, "approved", "allocated"),
        (second.id, "approved", "partially_allocated"),
    ]
    made = {a.id: a for a in world.allocations()}
    listed = [
        (item["id"], item["lot_id"], item["quantity"])
        for _s, _b, after in events
        for item in after["allocations"]
    ]
    assert listed == [(a.id, a.lot_id, a.quantity) for a in made.values()]
    assert [(a.lot_id, a.quantity) for a in made.values()] == [(soon.id, 10), (later.id, 5), (later.id, 5)]
    assert all(after["job_run_id"] == run["id"] for _s, _b, after in events)
    assert world.get(AssistanceRequest, second.id).status == "partially_allocated"


@pytest.mark.both_databases
def test_a_lot_code_with_tabs_newlines_quotes_and_backslashes_reaches_rationale_and_ledger_unchanged(
    app, world, run_check
):
    code = 'L\\7\t"A"\nB\r\\N'  # PostgreSQL's bulk path writes these rows by COPY, whose text format escapes them
    lot = world.lot(10, expires_on=days(200), code=code)
    request = world.request((world.item, 4))

    run = run_check("auto_allocate")

    [allocation] = world.allocations()
    assert f"lot {code}, the earliest-expiring usable lot (FEFO)" in allocation.rationale
    assert (allocation.lot_id, allocation.status, allocation.job_run_id) == (lot.id, "reserved", run["id"])
    [(subject, before, after)] = _audit(app, "request.allocate")
    assert (subject, before["status"], after["allocations"][0]["lot_id"]) == (request.id, "approved", lot.id)


@pytest.mark.both_databases
def test_each_provider_hears_once_per_run_what_the_run_reserved_of_its_stock(app, world, make, run_check):
    near_user = make.user("provider", provider=world.near)
    far_user = make.user("provider", provider=world.far)
    world.lot(5, expires_on=days(200))
    world.lot(20, expires_on=days(200), provider=world.far)
    world.request((world.item, 8), priority="critical")
    world.request((world.item, 6))
    world.request((world.item, 4))

    run = run_check("auto_allocate")
    again = run_check("auto_allocate")

    assert run["counts"]["allocations"] == 4 and run["counts"]["notifications"] == 2
    assert _notifications(app) == sorted(
        [
            (near_user.id, f"allocation-run:{run['id']}:provider={world.near.id}:user={near_user.id}"),
            (far_user.id, f"allocation-run:{run['id']}:provider={world.far.id}:user={far_user.id}"),
        ]
    )
    assert again["counts"]["allocations"] == 0 and again["counts"]["notifications"] == 0


@pytest.mark.both_databases
def test_a_run_that_died_before_telling_the_providers_is_announced_by_the_next_run(
    app, world, make, run_check
):
    from health_responder.db import utcnow
    from health_responder.extensions import db
    from health_responder.scheduler.models import JobRun

    user = make.user("provider", provider=world.near)
    lot = world.lot(10, expires_on=days(200))
    request = world.request((world.item, 4))
    with app.app_context(), db.write_session() as session:
        dead = JobRun(name="auto_allocate", scheduled_for=utcnow(), trigger="schedule", outcome="abandoned")
        session.add(dead)
        session.flush()
        dead_id = dead.id
    made = _reserve_bulk(app, [_stale_plan(world, request, lot, 4)], run_id=dead_id)
    assert len(made.made) == 1 and _notifications(app) == []

    run = run_check("auto_allocate")

    assert run["counts"]["allocations"] == 0
    assert _notifications(app) == [
        (user.id, f"allocation-run:{dead_id}:provider={world.near.id}:user={user.id}")
    ]


@pytest.mark.both_databases
def test_a_lot_taken_by_a_person_after_the_plan_is_skipped_and_served_by_the_next_run(
    app, world, coordinator
):
    lot = world.lot(10, expires_on=days(200))
    planned_for = world.request((world.item, 10), priority="critical")
    other = world.request((world.item, 6))
    plan = _stale_plan(world, planned_for, lot, 10)  # the check planned all 10 units ...
    taken = coordinator.post(
        f"/api/v1/requests/{other.id}/allocations",  # ... then a person took 6 of them
        json={"line_id": other.line_ids[0], "lot_id": lot.id, "quantity": 6},
    )
    assert taken.status_code == 201, taken.json

    outcome = _reserve_bulk(app, [plan])

    assert outcome.made == [] and [a.lot_id for _r, a in outcome.lost] == [lot.id] and outcome.undone == []
    assert world.get(StockLot, lot.id).reserved == 6
    assert world.get(RequestLine, planned_for.line_ids[0]).quantity_allocated == 0
    assert world.get(AssistanceRequest, planned_for.id).status == "approved"
    assert world.half_handled() == 0 and world.ledger_mismatches() == []


@pytest.mark.both_databases
def test_a_line_allocated_by_a_person_after_the_plan_leaves_the_whole_request_untouched(
    app, world, coordinator
):
    mask = world.make.item(code="MASK-FFP2", category="ppe")
    lot = world.lot(20, expires_on=days(200))
    masks = world.lot(20, expires_on=days(200), item=mask)
    request = world.request((world.item, 5), (mask, 5))
    plan = _stale_plan(world, request, lot, 5)
    plan.allocations += _stale_plan(world, request, masks, 5, line_index=1).allocations
    taken = coordinator.post(
        f"/api/v1/requests/{request.id}/allocations",
        json={"line_id": request.line_ids[1], "lot_id": masks.id, "quantity": 3},
    )
    assert taken.status_code == 201, taken.json

    outcome = _reserve_bulk(app, [plan])

    assert outcome.made == [] and outcome.undone == [request.id]
    assert world.get(StockLot, lot.id).reserved == 0 and world.get(StockLot, masks.id).reserved == 3
    assert [a.quantity for a in world.allocations()] == [3]
    assert world.half_handled() == 0 and world.ledger_mismatches() == []


@pytest.mark.slow
@pytest.mark.both_databases
def test_the_check_and_people_allocating_the_same_lots_at_once_keep_every_invariant(app, world, make):
    """The job runs in a thread (small batches) while coordinators allocate the same lots through the API."""
    import threading

    import sqlalchemy as sa
    from sqlmodel import select

    from health_responder import scheduler
    from health_responder.allocation.models import Allocation
    from health_responder.db import utcnow
    from health_responder.extensions import db

    lots = [world.lot(12, expires_on=days(200 + i)) for i in range(6)]
    for i in range(60):
        world.request((world.item, 1 + i % 3), priority=("critical", "normal")[i % 2])
    by_hand = [world.request((world.item, 2), needed_by=days(40)) for _ in range(12)]
    people = [make.api("coordinator") for _ in range(2)]
    app.config["AUTO_ALLOCATE_BATCH_REQUESTS"] = 3
    answers, runs = [], []

    def check():
        with app.app_context():
            runs.append(scheduler.run_job("auto_allocate", scheduled_for=utcnow(), trigger="manual"))

    def person(api, requests):
        for index, request in enumerate(requests):
            lot = lots[index % len(lots)]
            answers.append(
                api.post(
                    f"/api/v1/requests/{request.id}/allocations",
                    json={"line_id": request.line_ids[0], "lot_id": lot.id, "quantity": 2},
                ).status_code
            )

    threads = [threading.Thread(target=check)] + [
        threading.Thread(target=person, args=(api, by_hand[i::2])) for i, api in enumerate(people)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert [run.outcome for run in runs] == ["succeeded"], [run.error for run in runs]
    assert len(answers) == len(by_hand) and set(answers) <= {201, 409}
    with app.app_context(), db.read_session() as session:
        reserved = dict(
            session.execute(
                select(Allocation.lot_id, sa.func.sum(Allocation.quantity))
                .where(Allocation.status == "reserved")
                .group_by(Allocation.lot_id)
            ).all()
        )
        balances = {lot.id: session.get(StockLot, lot.id) for lot in lots}
        assert all(0 <= b.reserved <= b.on_hand for b in balances.values())
        assert {lot_id: b.reserved for lot_id, b in balances.items() if b.reserved} == reserved
        pairs = session.scalar(
            select(sa.func.count()).select_from(
                select(Allocation.line_id, Allocation.lot_id)
                .group_by(Allocation.line_id, Allocation.lot_id)
                .having(sa.func.count() > 1)
                .subquery()
            )
        )
    assert pairs == 0 and world.half_handled() == 0 and world.ledger_mismatches() == []
    made_by_job = runs[0].counts["allocations"]
    assert made_by_job + answers.count(201) == len(world.allocations()) > 0
    assert sum(reserved.values()) == runs[0].counts["units"] + 2 * answers.count(201)
    print(
        "race:",
        {k: runs[0].counts[k] for k in ("allocations", "lost_races", "conflicts", "transactions")},
        {code: answers.count(code) for code in set(answers)},
    )

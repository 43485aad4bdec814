"""auto_allocate's rules, each on a small crafted dataset, and its idempotency and dry run."""

from __future__ import annotations

import pytest

from health_responder.health_requests.models import AssistanceRequest, RequestLine
from health_responder.stock.models import StockLot
from tests.checks.conftest import days


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

    assert [(a.lot_id, a.quantity) for a in world.allocations()] == [(soon.id, 10), (late.id, 10), (never.id, 5)]


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
        (near_late.id, world.near.id, 10), (far_soon.id, world.far.id, 5)]
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
    mask = world.make.item(code="MASK-N95", category="ppe")
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

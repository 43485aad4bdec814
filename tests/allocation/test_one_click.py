"""One click where one is enough: "allocate as suggested" allocates a whole request by the automatic
allocation's rules (the same plan auto_allocate's dry run makes, each allocation with its rationale), and
"prepare the dispatches" makes one dispatch per provider and location of what waits for one."""

from __future__ import annotations

import pytest

from tests.factories import days, flashes, future, ledger_ok, lot, text

pytestmark = pytest.mark.usefixtures("shelves")


def _approved(w, *lines, **kw):
    return w.make.approved_request(*lines, needed_by=future(60), **kw)


@pytest.mark.both_databases
def test_allocate_as_suggested_takes_what_auto_allocate_would_and_says_why(world, run_check):
    w = world
    near_soon = w.make.lot(20, expires_on=days(200), code="L-OXY-SOON")
    request = _approved(w, (w.item, 75), (w.item2, 5), priority="critical")
    planned = run_check("auto_allocate", dry_run=True)["counts"]["planned"]
    expected = [
        (p["line_id"], p["lot_id"], p["quantity"]) for p in planned if p["request_id"] == request["id"]
    ]
    # the city's network's provider first, earliest expiry first; the far provider's lot for the rest
    assert expected == [
        (request["lines"][0]["id"], near_soon.id, 20),
        (request["lines"][0]["id"], w.lots.oxy, 50),
        (request["lines"][0]["id"], w.lots.far, 5),
        (request["lines"][1]["id"], w.lots.pulse, 5),
    ]
    coordinator = w.page("coordinator")
    path = f"/requests/{request['id']}"
    assert "Allocate as suggested" in coordinator.html(path)
    answer = coordinator.post(f"{path}/allocate/as-suggested", page=path)
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"{path}#allocations")
    html = coordinator.html(path)
    assert "4 allocations were made as suggested, 80 unit(s)" in " ".join(flashes(html))
    assert "Allocated as suggested by a coordinator" in html and "earliest-expiring usable lot (FEFO)" in html
    made = w.coordinator.get(f"/api/v1/requests/{request['id']}/allocations").json
    assert [(a["line_id"], a["lot_id"], a["quantity"]) for a in made] == expected
    assert all(a["rationale"].startswith("Allocated as suggested") for a in made)
    after = w.coordinator.get(f"/api/v1/requests/{request['id']}").json
    assert after["status"] == "allocated" and "Allocate as suggested" not in coordinator.html(path)
    assert ledger_ok(w.app)


def test_nothing_usable_is_refused_with_the_reason_and_nothing_is_written(world):
    w = world
    expiring = w.make.lot(10, item=w.mask, expires_on=days(5), code="L-MASK-OLD")
    request = _approved(w, (w.mask, 4))
    coordinator = w.page("coordinator")
    path = f"/requests/{request['id']}"
    answer = coordinator.post(f"{path}/allocate/as-suggested", page=path)
    html = text(answer)
    assert answer.status_code == 409
    assert f"No usable stock for {request['reference']} now" in html and "L-MASK-OLD" in html  # why none
    assert w.coordinator.get(f"/api/v1/requests/{request['id']}/allocations").json == []
    assert lot(w.app, expiring.id).reserved == 0
    # the API answers the same, and a city may not ask
    api = w.coordinator.post(f"/api/v1/requests/{request['id']}/allocations/as-suggested")
    assert api.status_code == 409 and "No usable stock" in api.json["message"]
    assert w.city_api.post(f"/api/v1/requests/{request['id']}/allocations/as-suggested").status_code == 403
    assert w.page("city").post(f"{path}/allocate/as-suggested", page=path).status_code == 403


def test_allocate_as_suggested_over_the_api_and_in_korean(world):
    w = world
    request = _approved(w, (w.item2, 3))
    made = w.coordinator.post(f"/api/v1/requests/{request['id']}/allocations/as-suggested")
    assert made.status_code == 201 and [(a["lot_id"], a["quantity"]) for a in made.json] == [
        (w.lots.pulse, 3)
    ]
    again = w.coordinator.post(f"/api/v1/requests/{request['id']}/allocations/as-suggested")
    assert again.status_code == 409 and "allocated already" in again.json["message"]
    other = _approved(w, (w.item2, 2))
    coordinator = w.page("coordinator")
    coordinator.post("/language", {"locale": "ko", "next": "/dashboard"})
    html = coordinator.html(f"/requests/{other['id']}/allocate")
    assert "제안대로 배정" in html


def test_prepare_every_dispatch_of_a_request_in_one_click(world):
    w = world
    annex_lot = w.make.lot(10, location=w.location2, code="L-ANNEX")
    request = _approved(w, (w.item, 14), (w.item2, 2))
    w.make.allocation(request, 0, w.lots.oxy, 6)
    w.make.allocation(request, 0, annex_lot.id, 4)
    w.make.allocation(request, 0, w.lots.far, 4)
    w.make.allocation(request, 1, w.lots.pulse, 2)
    path = f"/requests/{request['id']}"
    # the provider prepares its own: one dispatch per warehouse (Main, Annex)
    provider = w.page("provider")
    assert "Prepare the dispatches of everything reserved" in provider.html(path)
    answer = provider.post(f"{path}/prepare-dispatches", page=path)
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"{path}#dispatches")
    assert "2 dispatches are prepared" in " ".join(flashes(provider.html(path)))
    mine = w.provider_api.get(f"/api/v1/dispatches?request_id={request['id']}").json["items"]
    assert sorted((d["location_id"], sum(x["quantity"] for x in d["lines"])) for d in mine) == sorted(
        [(w.location.id, 8), (w.location2.id, 4)]
    )
    assert "Prepare the dispatches of everything reserved" not in provider.html(path)
    # the coordinator prepares what is left: the other provider's
    coordinator = w.page("coordinator")
    answer = coordinator.post(f"{path}/prepare-dispatches", page=path)
    assert answer.status_code == 302 and "/dispatches/" in answer.headers["Location"]
    every = w.coordinator.get(f"/api/v1/dispatches?request_id={request['id']}").json["items"]
    assert len(every) == 3 and {d["provider_id"] for d in every} == {w.provider.id, w.other_provider.id}
    nothing = coordinator.post(f"{path}/prepare-dispatches", page=path)
    assert nothing.status_code == 302
    assert "No reserved allocation is waiting" in " ".join(flashes(coordinator.html(path)))
    assert w.page("city").post(f"{path}/prepare-dispatches", page=path).status_code == 403

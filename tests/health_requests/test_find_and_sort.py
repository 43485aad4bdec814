"""Finding and sorting requests: ``q`` over reference, city, items and justification (pages and API alike),
sortable columns, the triage order (priority, then needed-by) and the list's CSV export."""

from __future__ import annotations

import csv
import io
import re

import pytest

from tests.factories import future, text

pytestmark = pytest.mark.usefixtures("shelves")


def _references(html: str) -> list[str]:
    """The request references of a list page, in the order shown."""
    return re.findall(r">(REQ-\d{4}-\d+)</a>", html)


def _request(w, *lines, justification=None, by=None, priority="normal", needed_by=None):
    extra = {"justification": justification} if justification else {}
    return w.make.submitted_request(
        *lines, by=by, priority=priority, needed_by=needed_by or future(60), **extra
    )


def test_search_finds_requests_by_city_item_code_item_name_justification_and_reference(world):
    w = world
    oxygen = _request(w, (w.item, 2), justification="Flooded ward needs concentrators")
    masks = _request(w, (w.mask, 100), justification="Measles outbreak at the school")
    far = _request(w, (w.item2, 5), by=w.other_city_api, justification="Routine stock for clinics")
    coordinator = w.page("coordinator")

    def found(q: str) -> set[str]:
        return set(_references(coordinator.html(f"/requests?status=&q={q}")))

    assert found("kigali") == {far["reference"]}  # city name, any case
    assert found("MASK-N95") == {masks["reference"]}  # item code
    assert found("oximeter") == {far["reference"]}  # item name
    assert found("measles") == {masks["reference"]}  # justification
    assert found(oxygen["reference"][-6:]) == {oxygen["reference"]}  # part of the reference
    assert found("sejong") == {oxygen["reference"], masks["reference"]}
    # the API reads the same words the same way
    api = w.api["coordinator"].get("/api/v1/requests", query_string={"q": "oximeter"})
    assert api.status_code == 200 and [r["id"] for r in api.json["items"]] == [far["id"]]
    # a city searching finds only its own requests
    city = w.page("city").html("/requests?q=oximeter")
    assert far["reference"] not in city and "No request matches." in city


def test_percent_and_underscore_in_a_search_match_themselves(world):
    w = world
    plain = _request(w, (w.item, 1), justification="Needed for 100 beds")
    percent = _request(w, (w.item, 1), justification="Only 50% of the ward_B beds have oxygen")
    coordinator = w.page("coordinator")
    assert set(_references(coordinator.html("/requests?status=&q=%25"))) == {percent["reference"]}
    assert set(_references(coordinator.html("/requests?status=&q=ward_B"))) == {percent["reference"]}
    assert plain["reference"] not in coordinator.html("/requests?status=&q=0_b")
    api = w.api["coordinator"].get("/api/v1/requests", query_string={"q": "%"})
    assert [r["id"] for r in api.json["items"]] == [percent["id"]]


def test_the_triage_queue_orders_by_priority_then_needed_by(world):
    w = world
    high_late = _request(w, (w.item, 1), priority="high", needed_by=future(90))
    critical_late = _request(w, (w.item, 1), priority="critical", needed_by=future(80))
    high_soon = _request(w, (w.item, 1), priority="high", needed_by=future(10))
    critical_soon = _request(w, (w.item, 1), priority="critical", needed_by=future(20))
    html = w.page("coordinator").html("/requests")
    expected = [critical_soon, critical_late, high_soon, high_late]
    assert _references(html) == [r["reference"] for r in expected]
    dashboard = w.page("coordinator").html("/dashboard")
    positions = [dashboard.index(r["reference"]) for r in expected]
    assert positions == sorted(positions)


def test_columns_sort_both_ways_and_an_unknown_key_keeps_the_default(world):
    w = world
    soon = _request(w, (w.item, 1), needed_by=future(5))
    late = _request(w, (w.item, 1), needed_by=future(50))
    far = _request(w, (w.item, 1), by=w.other_city_api, needed_by=future(25))
    coordinator = w.page("coordinator")
    ascending = coordinator.html("/requests?status=&sort=needed_by&dir=asc")
    assert _references(ascending) == [soon["reference"], far["reference"], late["reference"]]
    assert 'aria-sort="ascending"' in ascending
    # the header link of the sorted column turns the order around
    assert "sort=needed_by&amp;dir=desc" in ascending
    descending = coordinator.html("/requests?status=&sort=needed_by&dir=desc")
    assert _references(descending) == [late["reference"], far["reference"], soon["reference"]]
    by_city = _references(coordinator.html("/requests?status=&sort=city&dir=desc"))
    assert by_city[-1] == far["reference"]  # Kigali Test after Sejong Test, descending
    unknown = coordinator.get("/requests?status=&sort=password&dir=desc")
    assert unknown.status_code == 200 and "aria-sort" not in text(unknown)
    # the API orders by the same names
    api = w.api["coordinator"].get("/api/v1/requests", query_string={"order_by": "-city"})
    assert api.status_code == 200 and api.json["items"][0]["city_id"] == w.city.id


def test_the_list_exports_what_it_shows_as_csv(world):
    w = world
    formula = _request(w, (w.item, 3), justification="=HYPERLINK(x) oxygen")
    masks = _request(w, (w.mask, 40), priority="critical")
    _request(w, (w.item2, 1), by=w.other_city_api)
    coordinator = w.page("coordinator")
    listing = coordinator.html("/requests?status=&q=sejong&sort=priority")
    assert 'href="/requests/export.csv?status=&amp;q=sejong&amp;sort=priority"' in listing
    assert coordinator.get("/requests/export.csv?status=&sort=city&dir=desc").status_code == 200
    answer = coordinator.get("/requests/export.csv?status=&q=sejong&sort=priority")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert "attachment" in answer.headers["Content-Disposition"]
    body = answer.get_data(as_text=True)
    assert body.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(body[1:])))
    assert [r["reference"] for r in rows] == [masks["reference"], formula["reference"]]
    assert rows[0]["item_code"] == "MASK-N95" and rows[0]["quantity"] == "40"
    assert rows[0]["city"] == "Sejong Test"
    # a city's export holds its own requests only; a name that starts a formula is defused
    own = w.page("other_city").get("/requests/export.csv").get_data(as_text=True)
    assert formula["reference"] not in own
    risky = w.make.item(code="=CMD-1", name="+SUM(A1)")
    _request(w, (risky, 1))
    rows = list(csv.DictReader(io.StringIO(coordinator.get("/requests/export.csv?status=&q=CMD").text[1:])))
    assert [(r["item_code"], r["item_name"]) for r in rows] == [("'=CMD-1", "'+SUM(A1)")]


def test_a_korean_page_offers_the_search_and_sorting_in_korean(world):
    w = world
    _request(w, (w.item, 1))
    client = w.page("coordinator")
    assert client.post("/language", {"locale": "ko", "next": "/requests"}).status_code == 302
    html = client.html("/requests?status=&sort=needed_by")
    assert "CSV로 내려받기" in html and 'aria-sort="ascending"' in html


@pytest.mark.both_databases
def test_search_folds_case_in_every_script_not_only_ascii(world):
    """SQLite's own lower() folds ASCII only; a city officer typing "ульяновск" finds "Ульяновск"."""
    w = world
    found = _request(w, (w.item, 2), justification="Отделение ОРИТ просит кислород")
    coordinator = w.page("coordinator")
    for q in ("отделение орит", "ОТДЕЛЕНИЕ ОРИТ", "Отделение"):
        assert _references(coordinator.html(f"/requests?status=&q={q}")) == [found["reference"]], q
    api = w.coordinator.get("/api/v1/requests", query_string={"q": "орит"})
    assert [r["reference"] for r in api.json["items"]] == [found["reference"]]

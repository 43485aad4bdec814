"""Back-orders on the pages: the coordinator's dashboard card, the city's request page and the
discrepancy list's one-click replacement, in English and Korean (issue 19)."""

from __future__ import annotations

import re

import pytest

from tests.factories import csrf_token, page_login
from tests.health_requests.backorder_world import Backorders, make_backorders


@pytest.fixture
def bo(make) -> Backorders:
    return make_backorders(make)


def _as(client, user, language: str = "en") -> None:
    page_login(client, user.email)
    token = csrf_token(client.get("/dashboard").get_data(as_text=True))
    client.post("/language", data={"locale": language, "next": "/dashboard", "csrf_token": token})


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _shipped_half(bo: Backorders) -> dict:
    """The issue's scenario: a critical request for 6 concentrators got the 3 in stock, shipped."""
    bo.lot(3)
    request = bo.request((bo.item, 6), priority="critical")
    bo.auto_allocate()
    bo.ship(request)
    return bo.get(request)


@pytest.mark.parametrize(
    ("language", "title", "owed"),
    [("en", "Still owed: back-orders", "(3 shipped)"), ("ko", "미처리 주문: 아직 드릴 물량", "(3개 발송됨)")],
)
def test_the_coordinators_dashboard_lists_every_line_still_owed(bo, client, language, title, owed):
    request = _shipped_half(bo)
    other_city = bo.make.city(name="Ulsan", network=bo.network)
    low = bo.request((bo.item, 2), priority="low", city_api=bo.make.api("city", city=other_city))
    coordinator = bo.make.user("coordinator")
    _as(client, coordinator, language)

    html = client.get("/dashboard").get_data(as_text=True)
    assert f'<html lang="{language}">' in html
    card = html[html.index('class="card panel backorders"') :]
    card = card[: card.index("</section>")]
    assert title in card
    rows = [_text(row) for row in card.split("<tr>")[2:]]
    # Oldest critical first: the critical request's 3 owed units, then the low one's 2.
    assert request["reference"] in rows[0] and "Busan" in rows[0] and "OXY-CONC-10L" in rows[0]
    assert " 3 " in rows[0] and owed in rows[0]
    assert low["reference"] in rows[1] and "Ulsan" in rows[1] and " 2 " in rows[1]
    assert f'href="/requests/{request["id"]}/allocate"' in card


def test_the_panel_shows_the_first_lines_and_links_to_every_owed_line(bo, client):
    """More lines owed than the panel shows: it says how many and opens the whole list (staff only)."""
    requests = [bo.request((bo.item, n + 1)) for n in range(14)]
    coordinator = bo.make.user("coordinator")
    _as(client, coordinator)
    html = client.get("/dashboard").get_data(as_text=True)
    card = html[html.index('class="card panel backorders"') :]
    card = card[: card.index("</section>")]
    assert (
        len(card.split("<tr>")[2:]) == 12 and 'href="/requests/backorders"' in card and "See all 14" in card
    )
    whole = client.get("/requests/backorders")
    assert whole.status_code == 200
    text = whole.get_data(as_text=True)
    assert all(r["reference"] in text for r in requests) and len(text.split("<tr>")[2:]) == 14
    city = bo.make.user("city")
    client.get("/logout")
    _as(client, city)
    assert client.get("/requests/backorders").status_code == 403


@pytest.mark.parametrize(
    ("language", "expected"), [("en", "3 shipped, 3 on back-order"), ("ko", "3개 발송됨, 3개 입고 대기")]
)
def test_the_city_sees_what_shipped_and_what_is_on_back_order(bo, client, language, expected):
    request = _shipped_half(bo)
    assert request["status"] == "partially_dispatched"
    _as(client, bo.city_api.user, language)
    html = client.get(f"/requests/{request['id']}").get_data(as_text=True)
    progress = re.search(r'<td class="progress backorder">([^<]*)</td>', html)
    assert progress is not None and progress.group(1) == expected


@pytest.mark.both_databases
def test_a_coordinator_replaces_rejected_units_in_one_click(bo, client):
    bo.lot(4)
    request = bo.request((bo.item, 4))
    bo.auto_allocate()
    dispatch = bo.receive(bo.ship(request), rejected=2, reason="wrong_item")
    line_id = dispatch["lines"][0]["id"]
    _as(client, bo.make.user("coordinator"))

    html = client.get("/dispatches/discrepancies").get_data(as_text=True)
    assert dispatch["reference"] in html and request["reference"] in html and "Wrong item" in html
    action = f'action="/dispatches/discrepancies/{line_id}/replace"'
    assert action in html and "Replace 2 unit(s)" in html

    assert client.post(f"/dispatches/discrepancies/{line_id}/replace").status_code == 400  # no CSRF token
    token = csrf_token(html)
    answer = client.post(f"/dispatches/discrepancies/{line_id}/replace", data={"csrf_token": token})
    assert answer.status_code == 302 and answer.location.endswith("/dispatches/discrepancies")
    followed = client.get("/dispatches/discrepancies").get_data(as_text=True)
    assert "2 rejected unit(s) are owed again" in followed
    assert action not in followed and "No discrepancy to replace." in followed
    assert "Replaced" in client.get("/dispatches/discrepancies?show=all").get_data(as_text=True)
    line = bo.get(request)["lines"][0]
    assert (line["quantity_replaced"], line["quantity_unfilled"]) == (2, 2)
    assert bo.get(request)["status"] == "partially_dispatched"

    # A second click (a stale page) is refused with the reason, on the page.
    again = client.post(f"/dispatches/discrepancies/{line_id}/replace", data={"csrf_token": token})
    assert again.status_code == 409 and "already replaced" in again.get_data(as_text=True)


def test_the_discrepancy_list_is_for_staff(bo, client):
    _as(client, bo.city_api.user)
    assert client.get("/dispatches/discrepancies").status_code == 403


def test_the_city_hears_that_the_rest_is_still_to_come_when_a_part_ships(bo):
    request = _shipped_half(bo)
    messages = bo.city_api.get("/api/v1/notifications").json["items"]
    shipped = [m for m in messages if m["subject"].endswith(f"shipped for {request['reference']}")]
    assert len(shipped) == 1 and "3 unit(s) of" in shipped[0]["body"] and "back-order" in shipped[0]["body"]


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "Stock of OXY-CONC-10L exists, but it expires before the needed-by date"),
        ("ko", "OXY-CONC-10L 재고가 있지만 필요일"),
    ],
)
def test_the_allocate_page_says_why_nothing_is_suggested(bo, client, language, expected):
    bo.lot(5, expires_in=5)
    request = bo.request((bo.item, 4), needed_in=30)
    _as(client, bo.make.user("coordinator"), language)
    html = client.get(f"/requests/{request['id']}/allocate").get_data(as_text=True)
    box = html[html.index('class="flash error why-none"') :]
    box = _text(box[: box.index("</div>")])
    assert expected in box and "BO-001" in box
    assert "nothing in stock that lasts" not in html


def test_the_discrepancy_list_exports_what_it_shows_as_csv(bo, client):
    import csv
    import io

    bo.lot(4)
    request = bo.request((bo.item, 4))
    bo.auto_allocate()
    dispatch = bo.receive(bo.ship(request), rejected=2, reason="damaged")
    _as(client, bo.make.user("coordinator"))
    html = client.get("/dispatches/discrepancies").get_data(as_text=True)
    assert 'href="/dispatches/discrepancies/export.csv"' in html
    answer = client.get("/dispatches/discrepancies/export.csv")
    body = answer.get_data(as_text=True)
    assert answer.mimetype == "text/csv" and body.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(body[1:])))
    assert [(r["dispatch_reference"], r["rejected"], r["reason"], r["to_replace"]) for r in rows] == [
        (dispatch["reference"], "2", "damaged", "2")
    ]

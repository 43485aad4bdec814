"""Deciding with the facts in front of you: the request page shows staff, for each line, the stock
that could serve it (allocation's usable-lot rule, per provider); reject and cancel are different forms
with different words and their own confirmation."""

from __future__ import annotations

import re

import pytest

from tests.factories import days, flashes, text

pytestmark = pytest.mark.usefixtures("shelves")


def usable_rows(html: str) -> list[list[str]]:
    start = html.index('<table class="usable">')
    body = html[start : html.index("</table>", start)]
    return [
        [
            " ".join(re.sub(r"<[^>]+>", " ", cell).split())
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body[body.index("<tbody>") :], re.S)
    ]


@pytest.mark.both_databases
def test_staff_see_the_usable_stock_of_each_line_per_provider(world):
    w = world
    w.lot(20, expires_on=days(10), code="L-TOO-SOON")  # expires before needed-by: not usable
    w.lot(15, status="quarantined", code="L-HELD")  # not available: not usable
    request = w.make.submitted_request((w.item, 70), (w.item2, 12), needed_by=days(30).isoformat())
    other = w.make.approved_request((w.item, 5))
    w.make.allocation(other, 0, w.lots.oxy, 5)  # 5 of the 50 reserved elsewhere: 45 free
    html = w.page("coordinator").html(f"/requests/{request['id']}")
    assert usable_rows(html) == [
        [
            "OXY-CONC-10L — Oxygen concentrator",
            "70",
            "55 short",
            "Near Supply: 45; Far Supply: 10 (outside the network)",
        ],
        ["PULSE-OXI — Pulse oximeter", "12", "30", "Near Supply: 30"],
    ]
    assert "Stock that could serve it" in w.page("admin").html(f"/requests/{request['id']}")


@pytest.mark.parametrize("who", ["city", "provider"])
def test_cities_and_providers_never_see_other_stock(world, who):
    w = world
    request = w.make.approved_request((w.item, 5))
    w.make.allocation(request, 0, w.lots.oxy, 5)  # so the provider may open the request
    html = w.page(who).html(f"/requests/{request['id']}")
    assert "Stock that could serve it" not in html and 'class="usable"' not in html


def test_a_draft_shows_no_stock_yet(world):
    draft = world.make.request((world.item, 5))
    assert 'class="usable"' not in world.page("coordinator").html(f"/requests/{draft['id']}")


def test_reject_and_cancel_are_different_forms_with_their_own_words(world):
    w = world
    request = w.make.submitted_request((w.item, 5))
    path = f"/requests/{request['id']}"
    page = w.page("coordinator")
    html = page.html(path)
    reject = html[
        html.index(f'action="{path}/reject"') : html.index("</form>", html.index(f'action="{path}/reject"'))
    ]
    cancel = html[
        html.index(f'action="{path}/cancel"') : html.index("</form>", html.index(f'action="{path}/cancel"'))
    ]
    assert "Reject: the association declines this request" in reject and "Why it is rejected" in reject
    assert f"Reject request {request['reference']}? The city is told your reason" in reject
    assert "Cancel: the request is no longer needed" in cancel and "Why it is cancelled (optional)" in cancel
    assert f"Cancel request {request['reference']}? Every unit reserved" in cancel
    missing = page.post(f"{path}/reject", {"reject-reason": ""}, page=path)
    html = text(missing)
    assert missing.status_code == 422 and 'id="reject-reason-errors"' in html
    assert 'id="cancel-reason-errors"' not in html
    done = page.post(f"{path}/reject", {"reject-reason": "Covered by the national stockpile."}, page=path)
    assert done.status_code == 302
    after = page.html(path)
    assert "was rejected" in " ".join(flashes(after)) and "Covered by the national stockpile." in after


def test_a_city_cancels_without_a_reason_and_sees_no_reject_form(world):
    w = world
    request = w.make.submitted_request((w.item, 5))
    path = f"/requests/{request['id']}"
    page = w.page("city")
    html = page.html(path)
    assert f'action="{path}/reject"' not in html and "Cancel: the request is no longer needed" in html
    assert page.post(f"{path}/cancel", {"cancel-reason": ""}, page=path).status_code == 302
    assert w.api["city"].get(f"/api/v1/requests/{request['id']}").json["status"] == "cancelled"


def test_the_decision_forms_in_korean(world):
    w = world
    request = w.make.submitted_request((w.item, 5))
    page = w.page("coordinator")
    page.post("/language", {"locale": "ko", "next": "/requests"})
    html = page.html(f"/requests/{request['id']}")
    assert "거절: 협회가 이 요청을 받아들이지 않음" in html and "취소: 요청이 더 이상 필요 없음" in html
    assert "이 요청에 쓸 수 있는 재고" in html

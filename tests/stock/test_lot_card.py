"""The card of one lot (/stock/lots/<id>): facts, the ledger with a running balance (paged), its
reservations and dispatches, and quarantine, recall and release with a reason, for every role."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from health_responder.audit.models import AuditEvent
from health_responder.extensions import db
from tests.factories import flashes, text

pytestmark = pytest.mark.usefixtures("shelves")


def ledger_rows(html: str) -> list[list[str]]:
    """The cells of the movements table, row by row, tags stripped."""
    table = html[html.index('<table class="ledger">') :]
    table = table[: table.index("</table>")]
    body = table[table.index("<tbody>") :]
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        cells = [re.sub(r"<[^>]+>", " ", cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        rows.append([" ".join(cell.split()) for cell in cells])
    return rows


def section(html: str, title_id: str) -> str:
    start = html.index(f'id="{title_id}"')
    return html[start : html.index("</section>", start)]


def test_the_card_shows_facts_every_movement_with_its_balance_reservations_and_dispatches(world):
    w = world
    _request, dispatch = w.make.shipped_dispatch(5)  # 50 received, 5 reserved, 5 shipped
    waiting = w.make.approved_request((w.item, 4))
    w.make.allocation(waiting, 0, w.lots.oxy, 4)  # 4 more reserved, not shipped
    path = f"/stock/lots/{w.lots.oxy}"
    provider = w.page("provider")
    adjusted = provider.post(
        f"{path}/adjust", {"delta": "-3", "reason": "damaged", "note": "dropped"}, page=f"{path}/adjust"
    )
    assert adjusted.status_code == 302
    html = provider.html(path)
    assert "Lot L-OXY-1" in html and "OXY-CONC-10L" in html and "Near Supply" in html and "Main" in html
    facts = section(html, "facts-title")
    assert re.search(r"On hand</dt><dd>42<", facts) and re.search(r"Reserved</dt><dd>4<", facts)
    assert re.search(r"Available</dt><dd>38<", facts)
    rows = ledger_rows(html)
    # newest first: adjustment, reservation (4), dispatch (-5), reservation (5), receipt (50)
    assert [row[1] for row in rows] == ["Adjustment", "Reservation", "Dispatch", "Reservation", "Receipt"]
    assert [(row[3], row[4]) for row in rows] == [
        ("42", "4"),
        ("45", "4"),
        ("45", "0"),
        ("50", "5"),
        ("50", "0"),
    ]
    assert "dropped" in rows[0][5] and dispatch["reference"] in rows[2][6]
    reservations = section(html, "reservations-title")
    assert waiting["reference"] in reservations and "Sejong Test" in reservations
    assert reservations.index(waiting["reference"]) < reservations.index("Dispatched")  # live ones first
    dispatches = section(html, "dispatches-title")
    assert dispatch["reference"] in dispatches and f'href="/dispatches/{dispatch["id"]}"' in dispatches
    assert f'href="/requests/{waiting["id"]}"' in reservations


def test_the_ledger_is_paged_and_every_page_carries_the_true_running_balance(world, make_lot):
    w = world
    lot_id = make_lot(w.provider, w.location, w.item2, 100, lot_code="L-MANY")
    provider = w.page("provider")
    path = f"/stock/lots/{lot_id}"
    for n in range(30):  # 31 movements: 25 on the first page, 6 on the second
        answer = w.api["provider"].post(
            f"/api/v1/stock/lots/{lot_id}/adjustments",
            json={"delta": -1, "reason": "recount", "note": f"n{n}"},
        )
        assert answer.status_code == 201, answer.json
    first = ledger_rows(provider.html(path))
    assert len(first) == 25 and first[0][3] == "70" and first[-1][3] == "94"
    second_html = provider.html(f"{path}?page=2")
    second = ledger_rows(second_html)
    assert [row[3] for row in second] == ["95", "96", "97", "98", "99", "100"]
    assert second[-1][1] == "Receipt" and "Page 2 of 2" in second_html
    assert f'href="/stock/lots/{lot_id}?page=1"' in second_html


@pytest.mark.parametrize(
    ("who", "own", "other"),
    [
        ("provider", 200, 404),
        ("other_provider", 404, 200),
        ("coordinator", 200, 200),
        ("admin", 200, 200),
        ("city", 403, 403),
        ("other_city", 403, 403),
    ],
)
def test_each_role_sees_the_cards_its_tenancy_allows(world, who, own, other):
    w = world
    page = w.page(who)
    assert page.get(f"/stock/lots/{w.lots.oxy}").status_code == own
    assert page.get(f"/stock/lots/{w.lots.far}").status_code == other
    assert page.get("/stock/lots/999999").status_code in (404, 403)


def test_a_visitor_is_sent_to_the_login_page(world, anonymous):
    response = anonymous.get(f"/stock/lots/{world.lots.oxy}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_stock_list_links_each_lot_to_its_card(world):
    w = world
    html = w.page("provider").html("/stock")
    assert f'href="/stock/lots/{w.lots.oxy}">L-OXY-1</a>' in html
    assert f'href="/stock/lots/{w.lots.far}"' not in html
    assert f'href="/stock/lots/{w.lots.far}">L-AF-1</a>' in w.page("coordinator").html("/stock")


def audit_notes(app, lot_id: int) -> list[tuple[str, str]]:
    with app.app_context():
        events = db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "stock_lot.update", AuditEvent.subject_id == lot_id)
            .order_by(AuditEvent.id)
        ).all()
        return [(event.after["status"], event.after["note"]) for event in events]


def test_quarantine_release_and_recall_from_the_card_each_need_a_reason(world):
    w = world
    path = f"/stock/lots/{w.lots.oxy}"
    provider = w.page("provider")
    missing = provider.post(f"{path}/status", {"status": "quarantined", "note": "  "}, page=path)
    html = text(missing)
    assert missing.status_code == 422 and 'id="note-errors"' in html and 'aria-invalid="true"' in html
    assert '<option selected value="quarantined">' in html  # what was chosen comes back
    no_action = provider.post(f"{path}/status", {"status": "", "note": "why not"}, page=path)
    assert no_action.status_code == 422 and 'id="status-errors"' in text(no_action)
    assert "why not" in text(no_action)
    assert w.api["provider"].get(f"/api/v1/stock/lots/{w.lots.oxy}").json["status"] == "available"

    done = provider.post(f"{path}/status", {"status": "quarantined", "note": "seal broken"}, page=path)
    assert done.status_code == 302 and done.headers["Location"].endswith(path)
    html = provider.html(path)
    assert "Lot L-OXY-1 is now Quarantined." in " ".join(flashes(html))
    assert 'value="available">Release' in html and 'value="quarantined"' not in html
    assert (
        provider.post(f"{path}/status", {"status": "available", "note": "seal fine"}, page=path).status_code
        == 302
    )
    recall = w.page("coordinator").post(
        f"{path}/status", {"status": "recalled", "note": "maker's recall"}, page=path
    )
    assert recall.status_code == 302
    html = provider.html(path)
    assert "A recalled lot stays recalled." in html and f'action="{path}/status"' not in html
    again = provider.post(f"{path}/status", {"status": "available", "note": "oops"}, page="/stock")
    assert again.status_code == 409 and "recalled" in text(again)
    assert audit_notes(w.app, w.lots.oxy) == [
        ("quarantined", "seal broken"),
        ("available", "seal fine"),
        ("recalled", "maker's recall"),
    ]


def test_another_tenant_cannot_change_a_lots_status(world):
    w = world
    path = f"/stock/lots/{w.lots.oxy}/status"
    data = {"status": "quarantined", "note": "not mine"}
    assert w.page("other_provider").post(path, data, page="/stock").status_code == 404
    assert w.page("city").post(path, data).status_code == 403
    assert w.api["coordinator"].get(f"/api/v1/stock/lots/{w.lots.oxy}").json["status"] == "available"
    assert audit_notes(w.app, w.lots.oxy) == []


def test_the_card_and_its_errors_in_korean(world):
    w = world
    provider = w.page("provider")
    provider.post("/language", {"locale": "ko", "next": "/stock"})
    path = f"/stock/lots/{w.lots.oxy}"
    html = provider.html(path)
    assert "로트 L-OXY-1" in html and "입출고 내역" in html and "예약 내역" in html
    assert "격리: 로트를 보류하고 배정하지 않음" in html
    bad = provider.post(f"{path}/status", {"status": "quarantined"}, page=path)
    assert bad.status_code == 422 and "사유(감사 기록에 보관됨)" in text(bad)
    assert "Missing data" not in text(bad)
    done = provider.post(f"{path}/status", {"status": "quarantined", "note": "봉인 파손"}, page=path)
    assert done.status_code == 302
    assert "로트 L-OXY-1의 상태가 이제 격리됨입니다." in " ".join(flashes(provider.html(path)))

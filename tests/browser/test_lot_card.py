"""The card of a lot in a real browser, at desktop and phone width: from the stock list to the card,
a status change refused without a reason and done with one, in English and Korean; axe finds nothing
serious on it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlmodel import select

from tests.browser.conftest import AXE
from tests.browser.test_phone_width import OVERFLOW, PHONE

pytestmark = pytest.mark.slow


def journey_lot(live, code: str, *, expires_on=None, status: str = "quarantined") -> int:
    """A lot of MedAsia Supply received for this journey alone (no other journey picks it: it is an item's
    newest lot, and this test quarantines it); its id."""
    from health_responder.extensions import db
    from health_responder.providers.models import Provider, StockLocation
    from health_responder.stock import services as stock
    from health_responder.stock.models import StockLot

    with live.app.app_context(), db.write_session() as session:
        location = session.scalars(
            select(StockLocation)
            .join(Provider, Provider.id == StockLocation.provider_id)
            .where(Provider.name == "MedAsia Supply")
            .order_by(StockLocation.id)
        ).first()
        item_id = session.scalar(
            select(StockLot.item_id).where(StockLot.provider_id == location.provider_id).order_by(StockLot.id)
        )
        lot = stock.receive(
            provider_id=location.provider_id,
            location_id=location.id,
            item_id=item_id,
            lot_code=code,
            expires_on=expires_on,
            quantity=12,
            actor=stock.Actor(user_id=None, label="browser journey"),
            status=status,  # quarantined by default: held from the start, no allocation journey can take it
        )
        session.flush()
        lot_id = lot.id
    with live.app.app_context():
        db.session.remove()
    return lot_id


@pytest.mark.parametrize("viewport", [None, PHONE], ids=["desktop", "phone"])
def test_a_provider_opens_a_lot_card_from_the_stock_list_and_releases_it_with_a_reason(
    live, open_as, viewport
):
    code = f"L-CARD-{'PHONE' if viewport else 'DESK'}"
    lot_id = journey_lot(live, code)
    page = open_as("provider")
    if viewport:
        page.set_viewport_size(viewport)
    page.goto("/stock?status=quarantined")
    page.get_by_role("link", name=code, exact=True).click()
    page.wait_for_url(f"**/stock/lots/{lot_id}")
    assert page.get_by_role("heading", name=f"Lot {code}").is_visible()
    ledger = page.locator("table.ledger tbody tr")
    assert ledger.count() == 1 and "Receipt" in ledger.first.inner_text()
    assert "12" in ledger.first.inner_text()
    found = page.evaluate(OVERFLOW)
    assert found["scroll"] <= found["width"] and found["wide"] == [], found

    action = page.get_by_label("Action")
    action.select_option("available")
    page.get_by_role("button", name="Change the status").click()
    assert page.locator(".error-summary").is_visible()
    reason = page.get_by_label("Reason (kept in the audit trail)")
    assert reason.get_attribute("aria-invalid") == "true"
    assert page.get_by_label("Action").input_value() == "available"  # the choice came back
    reason.fill("Counted and inspected: seals intact.")
    page.get_by_role("button", name="Change the status").click()
    page.wait_for_url(f"**/stock/lots/{lot_id}")
    assert f"Lot {code} is now Available." in page.locator(".flashes").inner_text()
    options = page.get_by_label("Action").locator("option").all_inner_texts()
    assert any(text.startswith("Quarantine") for text in options)
    assert not any(text.startswith("Release") for text in options)
    found = page.evaluate(OVERFLOW)
    assert found["scroll"] <= found["width"] and found["wide"] == [], found


def test_the_lot_card_in_korean_has_no_serious_accessibility_violation(live, open_as):
    if not AXE.exists():
        pytest.skip(f"axe-core not found at {AXE}: `npm install --no-save --prefix . axe-core`")
    lot_id = journey_lot(live, "L-CARD-KO")
    page = open_as("provider", bypass_csp=True)  # axe is injected as an inline script
    page.goto("/stock")
    page.locator("#locale-switch").select_option("ko")
    page.get_by_role("button", name=re.compile("^(Change|변경)$")).click()
    page.goto(f"/stock/lots/{lot_id}")
    assert page.get_by_role("heading", name="로트 L-CARD-KO").is_visible()
    page.get_by_label("작업").select_option("recalled")
    page.get_by_label("사유(감사 기록에 보관됨)").fill("제조사 회수")
    page.get_by_role("button", name="상태 변경").click()
    assert "회수됨" in page.locator(".flashes").inner_text()
    assert page.get_by_text("회수된 로트는 계속 회수 상태로 남습니다.").is_visible()
    for path in (f"/stock/lots/{lot_id}", "/stock"):
        page.goto(path)
        page.add_script_tag(path=str(AXE))
        violations = page.evaluate(
            "async () => (await axe.run(document)).violations"
            ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' '))}))"
        )
        assert [v for v in violations if v["impact"] in ("critical", "serious")] == [], path


@pytest.mark.parametrize("viewport", [None, PHONE], ids=["desktop", "phone"])
def test_a_near_expiry_message_in_the_inbox_opens_the_lot_card(live, open_as, viewport):
    from health_responder import scheduler
    from health_responder.db import utc_today, utcnow
    from health_responder.extensions import db

    code = f"L-NEAR-{'PHONE' if viewport else 'DESK'}"
    # Logged in first: open_as gives the provider back its English, and a message is written in the
    # language its recipient has when it is queued (an earlier journey may have left it in Korean).
    page = open_as("provider")
    lot_id = journey_lot(live, code, expires_on=utc_today() + timedelta(days=9), status="available")
    with live.app.app_context():
        run = scheduler.run_job("near_expiry", scheduled_for=utcnow(), trigger="manual")
        assert run.outcome == "succeeded", run.error
        db.session.remove()
    if viewport:
        page.set_viewport_size(viewport)
    page.goto("/notifications")
    message = page.get_by_role("link", name=re.compile(f"Lot {code} ")).first
    assert message.get_attribute("href") == f"/stock/lots/{lot_id}"
    message.click()
    page.wait_for_url(f"**/stock/lots/{lot_id}")
    assert page.get_by_role("heading", name=f"Lot {code}").is_visible()
    found = page.evaluate(OVERFLOW)
    assert found["scroll"] <= found["width"] and found["wide"] == [], found

"""The alerts table in a real browser, at desktop and phone width: a coordinator filters it, the
"choose all" box ticks and clears the page, two alerts are resolved with one note in one go."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from sqlmodel import select

from tests.browser.test_phone_width import OVERFLOW, PHONE

pytestmark = pytest.mark.slow


def two_alerts(live, tag: str) -> tuple[list[int], int]:
    """Two open near-expiry alerts on a MedAsia lot, made for this journey alone."""
    from health_responder.checks import services as alerts
    from health_responder.extensions import db
    from health_responder.providers.models import Provider
    from health_responder.stock.models import StockLot

    ids = []
    with live.app.app_context(), db.write_session() as session:
        provider = session.scalar(select(Provider).where(Provider.name == "MedAsia Supply"))
        lot_id = session.scalar(select(StockLot.id).where(StockLot.provider_id == provider.id))
        for n in (1, 2):
            alert, _new = alerts.raise_alert(
                kind="near_expiry",
                dedup_key=f"journey:{tag}:{n}",
                message=f"Journey {tag} alert {n}",
                provider_id=provider.id,
                subject=("stock_lot", lot_id),
            )
            session.flush()
            ids.append(alert.id)
        provider_id = provider.id
    with live.app.app_context():
        db.session.remove()
    return ids, provider_id


@pytest.mark.parametrize("viewport", [None, PHONE], ids=["desktop", "phone"])
def test_a_coordinator_filters_the_alerts_and_resolves_two_with_one_note(live, open_as, viewport):
    tag = "phone" if viewport else "desk"
    ids, provider_id = two_alerts(live, tag)
    page = open_as("coordinator")
    if viewport:
        page.set_viewport_size(viewport)
    page.goto("/alerts")
    page.get_by_label("Kind").select_option("near_expiry")
    page.get_by_label("Provider").select_option(str(provider_id))
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**/alerts?*kind=near_expiry*")
    table = page.locator("table.alerts")
    assert table.locator("tr", has_text=f"Journey {tag} alert 1").count() == 1
    assert "Low stock" not in table.inner_text()
    found = page.evaluate(OVERFLOW)
    assert found["scroll"] <= found["width"] and found["wide"] == [], found

    everyone = page.get_by_label("Choose every open alert on this page")
    boxes = page.locator('input[name="alert_ids"]')
    everyone.check()
    assert all(boxes.nth(i).is_checked() for i in range(boxes.count()))
    everyone.uncheck()
    assert not any(boxes.nth(i).is_checked() for i in range(boxes.count()))
    for alert_id in ids:
        page.locator(f"#alert-{alert_id}").check()
    page.get_by_label("Note for every chosen alert (optional)").fill("Moved to the front shelf.")
    page.get_by_role("button", name="Resolve the chosen alerts").click()
    page.wait_for_load_state()
    assert "2 alerts are resolved." in page.locator(".flashes").inner_text()
    assert "kind=near_expiry" in page.url  # the filters stay
    assert page.locator("tr", has_text=f"Journey {tag} alert").count() == 0
    page.get_by_label("Status").select_option("resolved")
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("tr", has_text=f"Journey {tag} alert")
    assert rows.count() == 2 and "Moved to the front shelf." in rows.first.inner_text()


def test_the_alerts_table_and_a_drafts_form_have_no_serious_accessibility_violation(live, open_as):
    from tests.browser.conftest import AXE

    if not AXE.exists():
        pytest.skip(f"axe-core not found at {AXE}: `npm install --no-save --prefix . axe-core`")
    two_alerts(live, "axe")
    found = {}
    for who, paths in (("coordinator", ["/alerts", "/alerts?status=resolved"]), ("city", ["/requests/new"])):
        page = open_as(who, bypass_csp=True)  # axe is injected as an inline script
        if who == "city":  # a draft of the city's, opened in the form
            page.goto("/requests/new")
            page.locator("#needed_by").fill("2099-01-31")
            page.locator("#justification").fill("A draft for the accessibility check.")
            page.locator("#lines-0-item_id").select_option(index=1)
            page.locator("#lines-0-quantity").fill("1")
            page.get_by_role("button", name="Save as draft").click()
            page.wait_for_url("**/requests/*")
            paths = [urlsplit(page.url).path + "/edit"]
        for path in paths:
            assert page.goto(path).status == 200, path
            page.add_script_tag(path=str(AXE))
            violations = page.evaluate(
                "async () => (await axe.run(document)).violations"
                ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' '))}))"
            )
            bad = [v for v in violations if v["impact"] in ("critical", "serious")]
            if bad:
                found[path] = bad
    assert found == {}

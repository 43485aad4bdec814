"""A dry run in a real browser, at desktop and phone width: the coordinator ticks "dry run" for a
check, reads what it would do in words, then runs it for real from the same page (asked once)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import AXE
from tests.browser.test_hub_journeys import axe_violations
from tests.browser.test_phone_width import OVERFLOW, PHONE

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("viewport", [None, PHONE], ids=["desktop", "phone"])
def test_a_coordinator_reads_a_dry_run_and_runs_it_for_real(live, open_as, viewport):
    page = open_as("coordinator")
    if viewport:
        page.set_viewport_size(viewport)
    page.goto("/checks")
    row = page.locator("tr", has_text="Find low stock")
    row.get_by_label("Dry run").check()
    row.get_by_role("button", name="Run now").click()
    page.wait_for_url("**/checks/runs/*")
    assert page.get_by_role("heading", name="Dry run: Find low stock").is_visible()
    assert page.get_by_text("Nothing was changed.").is_visible()
    facts = page.locator("dl.facts").inner_text()
    assert "Conditions found" in facts and "open" not in facts.split()
    for heading in ("Alerts it would raise", "Alerts it would resolve (their condition ended)"):
        assert page.get_by_role("heading", name=heading).is_visible()
    found = page.evaluate(OVERFLOW)
    assert found["scroll"] <= found["width"] and found["wide"] == [], found
    questions = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.accept()))
    page.get_by_role("button", name="Run it for real").click()
    page.wait_for_url("**/checks?name=low_stock")
    assert questions == ["Run Find low stock for real now?"]
    assert "Find low stock ran: Succeeded." in page.locator(".flashes").inner_text()
    assert "Conditions found:" in page.locator(".flashes").inner_text()


@pytest.mark.parametrize("viewport", [None, PHONE], ids=["desktop", "phone"])
def test_the_notifications_dry_run_lists_each_message_and_the_statistics_one_its_report(
    live, open_as, viewport
):
    page = open_as("coordinator", bypass_csp=True)  # axe is injected as an inline script
    if viewport:
        page.set_viewport_size(viewport)
    for check, heading, words in (
        ("Send notifications", "Messages it would deliver", "In the app only (no email server)"),
        ("Publish the monthly statistics report", "Reports it would publish", "Statistics report"),
    ):
        page.goto("/checks")
        row = page.locator("tr", has_text=check)
        row.get_by_label("Dry run").check()
        row.get_by_role("button", name="Run now").click()
        page.wait_for_url("**/checks/runs/*")
        assert page.get_by_role("heading", name=f"Dry run: {check}").is_visible()
        section = page.locator("section", has=page.get_by_role("heading", name=heading))
        assert section.is_visible()
        text = section.inner_text()
        assert words in text or "Nothing." in text, text
        assert "_" not in text.replace("__", ""), text  # codes never shown: words only
        found = page.evaluate(OVERFLOW)
        assert found["scroll"] <= found["width"] and found["wide"] == [], found
        if AXE.exists():
            assert axe_violations(page) == []

"""A dry run in a real browser, at desktop and phone width: the coordinator ticks "dry run" for a
check, reads what it would do in words, then runs it for real from the same page (asked once)."""

from __future__ import annotations

import pytest

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

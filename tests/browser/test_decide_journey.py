"""Deciding in a real browser, at desktop and phone width: the coordinator sees the stock that could
serve each line of a submitted request, and finds reject and cancel as two forms in their own words;
rejecting asks once and needs a reason."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from health_responder.db import utc_today
from tests.browser.test_phone_width import OVERFLOW, PHONE

pytestmark = pytest.mark.slow


def submitted_by_the_city(open_as, note: str) -> str:
    city = open_as("city")
    city.goto("/requests/new")
    city.locator("#needed_by").fill((utc_today() + timedelta(days=40)).isoformat())
    city.locator("#justification").fill(note)
    city.locator("#lines-0-item_id").select_option(index=1)
    city.locator("#lines-0-quantity").fill("3")
    city.get_by_role("button", name="Save and submit").click()
    city.wait_for_url(re.compile(r".*/requests/\d+$"))
    return re.sub(r"^https?://[^/]+", "", city.url)


@pytest.mark.parametrize("viewport", [None, PHONE], ids=["desktop", "phone"])
def test_the_coordinator_sees_usable_stock_and_rejects_with_a_reason(live, open_as, viewport):
    path = submitted_by_the_city(open_as, "Ulyanovsk: a request the coordinator will decline.")
    page = open_as("coordinator")
    if viewport:
        page.set_viewport_size(viewport)
    page.goto(path)
    usable = page.locator("table.usable tbody tr")
    assert usable.count() == 1 and re.search(r"\d", usable.first.inner_text())
    assert page.get_by_role("heading", name="Reject: the association declines this request").is_visible()
    assert page.get_by_role("heading", name="Cancel: the request is no longer needed").is_visible()
    found = page.evaluate(OVERFLOW)
    assert found["scroll"] <= found["width"] and found["wide"] == [], found

    questions = []
    page.on("dialog", lambda dialog: (questions.append(dialog.message), dialog.accept()))
    page.get_by_role("button", name="Reject request").click()
    page.wait_for_load_state()
    assert questions and questions[-1].startswith("Reject request REQ-")
    reason = page.get_by_label("Why it is rejected (the city reads this)")
    assert reason.get_attribute("aria-invalid") == "true"
    reason.fill("Covered by the regional stockpile this month.")
    page.get_by_role("button", name="Reject request").click()
    page.wait_for_url(f"**{path}")
    assert "was rejected" in page.locator(".flashes").inner_text()
    assert page.get_by_role("button", name="Cancel request").count() == 0
    assert len(questions) == 2 and "Cancel request" not in " ".join(questions)

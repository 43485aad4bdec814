"""Time zones in a real browser, at desktop and phone width: a provider reads times in its
warehouse's zone, chooses another zone on its profile and every time on its pages follows, then goes
back to the default; each shown time names its offset."""

from __future__ import annotations

import re

import pytest

from tests.browser.test_phone_width import OVERFLOW, PHONE

pytestmark = pytest.mark.slow


def first_time(page) -> str:
    """The newest movement's time on the first lot card of the stock list."""
    page.goto("/stock")
    href = page.locator("table.lots tbody a").first.get_attribute("href")
    assert re.fullmatch(r"/stock/lots/\d+", href), href
    page.goto(href)
    return page.locator("table.ledger tbody tr").first.locator("td").first.inner_text()


@pytest.mark.parametrize("viewport", [None, PHONE], ids=["desktop", "phone"])
def test_a_provider_reads_times_in_its_zone_and_chooses_another(live, open_as, viewport):
    page = open_as("provider")  # MedAsia Supply: its first warehouse is in Korea
    if viewport:
        page.set_viewport_size(viewport)
    assert first_time(page).endswith("GMT+09:00")
    page.goto("/profile")
    zone = page.get_by_label("Time zone", exact=True)
    assert zone.locator("option:checked").inner_text() == "Default: Asia/Seoul"
    found = page.evaluate(OVERFLOW)
    assert found["scroll"] <= found["width"] and found["wide"] == [], found
    zone.select_option("America/Bogota")
    page.get_by_role("button", name="Save").first.click()
    assert "Your profile is saved." in page.locator(".flashes").inner_text()
    assert first_time(page).endswith("GMT-05:00")
    page.goto("/profile")
    page.get_by_label("Time zone", exact=True).select_option("")
    page.get_by_role("button", name="Save").first.click()
    assert first_time(page).endswith("GMT+09:00")

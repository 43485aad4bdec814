"""Certificates on the pages, in a real browser: the city (in Korean) finds its completed participant's
certificate on its training page, the provider on the program's roster, at desktop and phone width."""

from __future__ import annotations

import io

import pypdf
import pytest

from tests.browser.test_phone_width import OVERFLOW, PHONE

pytestmark = pytest.mark.slow

PAST_PROGRAM = "초음파 진단 실습 (Point-of-care ultrasound)"  # the demo's program that took place


def pdf_words(page, href: str) -> str:
    """The text of the PDF behind ``href``, fetched with the browser's own session."""
    answer = page.request.get(href)
    assert answer.status == 200 and answer.headers["content-type"] == "application/pdf"
    body = answer.body()
    assert body.startswith(b"%PDF")
    return " ".join(" ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(body)).pages).split())


@pytest.mark.parametrize("viewport", [None, PHONE], ids=["desktop", "phone"])
def test_the_city_and_the_provider_reach_a_completed_participants_certificate(live, open_as, viewport):
    city = open_as("city_ko")
    if viewport:
        city.set_viewport_size(viewport)
    city.goto("/training")
    people = city.locator("section", has=city.locator("#people-title"))
    row = people.locator("tr", has_text="김서연")
    link = row.get_by_role("link", name="김서연")  # the link's name carries the participant's
    assert link.count() == 1
    assert "김서연" in pdf_words(city, link.get_attribute("href"))
    found = city.evaluate(OVERFLOW)
    assert found["scroll"] <= found["width"] and found["wide"] == [], found

    provider = open_as("provider")
    if viewport:
        provider.set_viewport_size(viewport)
    provider.goto("/training")
    provider.get_by_role("link", name=PAST_PROGRAM).click()
    provider.wait_for_url("**/training/*")  # count() does not wait: read the roster once it is there
    roster_link = provider.locator("tr", has_text="김서연").locator("a.certificate")
    roster_link.first.wait_for()
    assert roster_link.count() == 1
    words = pdf_words(provider, roster_link.get_attribute("href"))
    assert "김서연" in words
    found = provider.evaluate(OVERFLOW)
    assert found["scroll"] <= found["width"] and found["wide"] == [], found

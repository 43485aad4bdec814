"""Changing a request before it is decided, in a real browser at desktop and phone width: the city
submits, takes the request back to draft (asked once, in words), opens it filled in the same form,
changes a line, removes one, adds one and submits again; the reference never changes."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from health_responder.db import utc_today
from tests.browser.test_phone_width import OVERFLOW, PHONE

pytestmark = pytest.mark.slow


def fits(page) -> None:
    found = page.evaluate(OVERFLOW)
    assert found["scroll"] <= found["width"] and found["wide"] == [], found


def line_rows(page) -> list[str]:
    table = page.locator("section", has=page.get_by_role("heading", name="Lines", exact=True)).locator(
        "tbody tr"
    )
    return [" ".join(text.split()) for text in table.all_inner_texts()]


@pytest.mark.parametrize("viewport", [None, PHONE], ids=["desktop", "phone"])
def test_the_city_takes_a_request_back_changes_its_lines_and_submits_it_again(live, open_as, viewport):
    city = open_as("city")
    if viewport:
        city.set_viewport_size(viewport)
    city.goto("/requests/new")
    city.locator("#priority").select_option("normal")
    city.locator("#needed_by").fill((utc_today() + timedelta(days=45)).isoformat())
    city.locator("#justification").fill("Ulyanovsk: a request the city will change before review.")
    names = []
    for index, option in enumerate((1, 2)):
        select = city.locator(f"#lines-{index}-item_id")
        select.select_option(index=option)
        names.append(select.locator("option:checked").inner_text().split(" — ")[0])
        city.locator(f"#lines-{index}-quantity").fill(str(5 - 2 * index))
    city.get_by_role("button", name="Save and submit").click()
    heading = city.get_by_role("heading", level=1).inner_text()
    reference = re.search(r"REQ-\d{4}-\d{6}", heading).group(0)
    detail = city.url

    questions = []
    city.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.accept()))
    city.get_by_role("button", name="Take back to draft to change it").click()
    city.wait_for_url(detail)
    assert questions and reference in questions[0] and "coordinators’ queue" in questions[0]
    assert "is a draft again" in city.locator(".flashes").inner_text()
    fits(city)

    city.get_by_role("link", name="Change the draft").click()
    assert city.get_by_role("heading", level=1).inner_text() == f"Change request {reference}"
    assert city.locator("#lines-0-quantity").input_value() == "5"
    assert city.locator("#lines-1-quantity").input_value() == "3"
    fits(city)
    city.locator("#lines-0-quantity").fill("8")
    city.get_by_role("group", name="Line 2").get_by_label("Remove this line").check()
    third = city.locator("#lines-2-item_id")
    third.select_option(index=3)
    added = third.locator("option:checked").inner_text().split(" — ")[0]
    city.locator("#lines-2-quantity").fill("2")
    city.get_by_role("button", name="Save and submit").click()
    city.wait_for_url(detail)

    assert reference in city.get_by_role("heading", level=1).inner_text()
    assert "was submitted" in city.locator(".flashes").inner_text()
    rows = line_rows(city)
    assert len(rows) == 2
    assert rows[0].startswith(names[0]) and " 8 " in f"{rows[0]} "
    assert rows[1].startswith(added) and " 2 " in f"{rows[1]} "
    assert not any(row.startswith(names[1]) for row in rows)
    fits(city)

"""Issue 15 in a real browser (Debian's Chromium), at desktop and at 390 px: finding requests by city
and by item, allocating a whole request in one click, importing a CSV in one pass, Back after a save."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

pytestmark = pytest.mark.slow

PHONE = {"width": 390, "height": 844}


def read(live, statement):
    """Rows of a read on the live server's database."""
    from health_responder.extensions import db

    with live.app.app_context():
        rows = db.session.execute(statement).all()
        db.session.remove()
    return rows


def _search(page, words: str) -> list[str]:
    page.goto("/requests")
    page.get_by_label("Status").select_option("")
    page.get_by_label("Search").fill(words)
    page.get_by_label("Search").press("Enter")
    page.wait_for_url(re.compile(r".*q=.*"))
    return page.locator("table tbody tr").all_inner_texts()


@pytest.mark.parametrize("viewport", [None, PHONE], ids=["desktop", "phone"])
def test_a_coordinator_finds_requests_by_city_and_by_item(live, open_as, viewport):
    from health_responder.health_requests.models import AssistanceRequest, RequestLine
    from health_responder.reference.models import City, Item

    city, reference = read(
        live,
        sa.select(City.name, AssistanceRequest.reference)
        .join(AssistanceRequest, AssistanceRequest.city_id == City.id)
        .where(
            AssistanceRequest.status != "draft"
        )  # a coordinator sees no drafts (a journey may have left one)
        .order_by(AssistanceRequest.id.desc())
        .limit(1),
    )[0]
    item_code, item_name = read(
        live,
        sa.select(Item.code, Item.name)
        .join(RequestLine, RequestLine.item_id == Item.id)
        .join(AssistanceRequest, AssistanceRequest.id == RequestLine.request_id)
        .where(AssistanceRequest.status != "draft")
        .order_by(RequestLine.id.desc())
        .limit(1),
    )[0]
    page = open_as("coordinator")
    if viewport:
        page.set_viewport_size(viewport)
    rows = _search(page, city.upper())
    assert rows and all(city in row for row in rows), rows[:3]
    assert page.get_by_role("link", name=reference).count() == 1 or page.locator("a[rel=next]").count() == 1
    rows = _search(page, item_name)
    assert rows and all(item_code in row for row in rows), rows[:3]
    # the column headers sort, and the CSV link carries the same search
    page.get_by_role("link", name=re.compile("^Needed by")).click()
    page.wait_for_url(re.compile(r".*sort=needed_by.*"))
    assert page.locator("th[aria-sort=ascending]").inner_text().startswith("Needed by")
    href = page.get_by_role("link", name="Download as CSV").get_attribute("href")
    assert "q=" in href and "sort=needed_by" in href
    with page.expect_download() as download:
        page.get_by_role("link", name="Download as CSV").click()
    with open(download.value.path(), encoding="utf-8-sig") as file:
        body = file.read()
    assert body.startswith("reference,") and item_code in body
    if viewport:
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]


def _allocatable_request(live) -> int:
    """An approved request of the demo with a line that usable stock could serve now."""
    from health_responder.allocation import queries as allocation
    from health_responder.extensions import db
    from health_responder.health_requests.models import AssistanceRequest, RequestLine

    with live.app.app_context():
        candidates = db.session.scalars(
            sa.select(AssistanceRequest)
            .where(AssistanceRequest.status.in_(["approved", "partially_allocated"]))
            .order_by(AssistanceRequest.id.desc())
        ).all()
        for request in candidates:
            lines = db.session.scalars(
                sa.select(RequestLine).where(RequestLine.request_id == request.id)
            ).all()
            if any(
                line.remainder > 0 and allocation.suggestions(request=request, line=line) for line in lines
            ):
                found = request.id
                break
        else:
            found = None
        db.session.remove()
    assert found is not None, "the demo has no approved request that stock could serve"
    return found


@pytest.mark.parametrize("viewport", [None, PHONE], ids=["desktop", "phone"])
def test_a_coordinator_allocates_a_whole_request_in_one_click(live, open_as, viewport):
    request_id = _allocatable_request(live)
    page = open_as("coordinator")
    if viewport:
        page.set_viewport_size(viewport)
    page.goto(f"/requests/{request_id}")
    page.get_by_role("button", name="Allocate as suggested").click()
    page.wait_for_url(re.compile(rf".*/requests/{request_id}#allocations$"))
    flash = page.locator(".flash.success").inner_text()
    assert re.search(r"\d+ allocations? (was|were) made as suggested", flash), flash
    reasons = page.locator("#allocations td.prose").all_inner_texts()
    assert any(reason.startswith("Allocated as suggested by a coordinator") for reason in reasons)
    if viewport:
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]


@pytest.mark.parametrize("viewport", [None, PHONE], ids=["desktop", "phone"])
def test_a_provider_imports_a_csv_in_one_pass(live, open_as, tmp_path, viewport):
    from datetime import timedelta
    from pathlib import Path

    from health_responder.db import utc_today

    page = open_as("provider")
    if viewport:
        page.set_viewport_size(viewport)
    page.goto("/stock/import")
    with page.expect_download() as template:
        page.get_by_role("link", name="Download a template CSV").click()
    header, example = Path(template.value.path()).read_text(encoding="utf-8-sig").splitlines()[:2]
    assert header.startswith("item_code,location,lot_code")
    item_code, location = example.split(",")[:2]
    tag = "PHONE" if viewport else "DESK"
    expires = (utc_today() + timedelta(days=300)).isoformat()
    rows = [f"{item_code},{location},ONE-{tag}-{n},{expires},{5 + n}" for n in range(3)]
    bad = tmp_path / "bad.csv"
    bad.write_text(header + "\n" + rows[0] + "\n" + f'{item_code},{location},ONE-{tag}-X,{expires},"1,000"\n')
    page.get_by_label("CSV file").set_input_files(str(bad))
    page.get_by_role("button", name="Check and import").click()
    assert "Line 3, column quantity" in page.locator("section", has_text="Rows with errors").inner_text()
    assert page.get_by_role("button", name=re.compile("^Import th")).count() == 0
    good = tmp_path / "good.csv"
    good.write_text(header + "\n" + "\n".join(rows) + "\n")
    page.get_by_label("CSV file").set_input_files(str(good))
    page.get_by_role("button", name="Check and import").click()
    assert f"ONE-{tag}-2" in page.locator("section.preview").inner_text()  # the preview of the first rows
    page.get_by_role("button", name="Import these 3 rows").click()  # no second upload
    page.wait_for_url("**/stock")
    assert "3 lot(s) were imported." in page.locator(".flash.success").inner_text()
    page.goto(f"/stock?q=ONE-{tag}")
    assert page.locator("table.lots tbody tr:not(.group)").count() == 3
    if viewport:
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]

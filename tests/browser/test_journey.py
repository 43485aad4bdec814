"""The whole workflow in a real browser, in English and partly in Korean; form errors; accessibility;
screenshots of the three dashboards and the data portal for the README.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect
from sqlmodel import select

from health_responder.db import utc_today
from tests.browser.conftest import AXE, SCREENSHOTS

pytestmark = pytest.mark.slow
NEEDED_BY = utc_today() + timedelta(days=30)
_used_items: set[int] = set()


def medasia_lots(live, count: int = 2) -> list:
    """Lots of MedAsia Supply at Incheon Hub that last past NEEDED_BY, of items no earlier journey used."""
    from health_responder.extensions import db
    from health_responder.providers.models import Provider, StockLocation
    from health_responder.reference.models import Item
    from health_responder.stock.models import StockLot

    with live.app.app_context():
        rows = db.session.execute(
            select(StockLot.lot_code, StockLot.item_id, Item.code)
            .join(Provider, Provider.id == StockLot.provider_id)
            .join(Item, Item.id == StockLot.item_id)
            .join(StockLocation, StockLocation.id == StockLot.location_id)
            .where(
                Provider.name == "MedAsia Supply",
                StockLocation.name == "Incheon Hub",
                StockLot.status == "available",
                StockLot.on_hand - StockLot.reserved >= 10,
                sa.or_(StockLot.expires_on.is_(None), StockLot.expires_on >= NEEDED_BY),
            )
            .order_by(StockLot.id)
        ).all()
        db.session.remove()
    chosen = []
    for lot_code, item_id, code in rows:
        if item_id not in _used_items and item_id not in {c[1] for c in chosen}:
            chosen.append((lot_code, item_id, code))
        if len(chosen) == count:
            break
    assert len(chosen) == count, rows
    _used_items.update(c[1] for c in chosen)
    return chosen


def flash_text(page) -> str:
    return page.locator(".flashes").inner_text()


def fill_request(page, lots, quantity: int, justification: str, priority: str = "high"):
    page.locator("#priority").select_option(priority)
    page.locator("#needed_by").fill(NEEDED_BY.isoformat())
    page.locator("#justification").fill(justification)
    for index, (_lot, item_id, _code) in enumerate(lots):
        page.locator(f"#lines-{index}-item_id").select_option(str(item_id))
        page.locator(f"#lines-{index}-quantity").fill(str(quantity))


def allocate_lots(page, lots, button: str):
    for lot_code, _item, _code in lots:
        page.locator("tr", has_text=lot_code).get_by_role("button", name=button).click()
        page.wait_for_load_state()


def test_the_journey_in_english(live, open_as):
    lots = medasia_lots(live)
    # the city submits a request with two lines
    city = open_as("city")
    city.get_by_role("link", name="New request").first.click()
    fill_request(city, lots, 3, "Ulyanovsk regional hospital: oxygen therapy for the winter wave.")
    city.get_by_role("button", name="Save and submit").click()
    assert "was submitted" in flash_text(city)
    reference = re.search(r"REQ-\d{4}-\d{6}", city.locator("h1").inner_text()).group(0)
    assert "Submitted" in city.locator(".timeline").inner_text()

    # a coordinator approves it and allocates the suggested lots
    coordinator = open_as("coordinator")
    coordinator.get_by_role("link", name="Triage queue").first.click()
    coordinator.get_by_role("link", name=reference).click()
    coordinator.get_by_role("button", name="Approve").click()
    assert "was approved" in flash_text(coordinator)
    coordinator.get_by_role("link", name="Allocate stock").click()
    assert coordinator.get_by_text("serves the city's network").first.is_visible()
    allocate_lots(coordinator, lots, "Allocate")
    assert "were allocated" in flash_text(coordinator)
    coordinator.get_by_role("link", name="Back to the request").click()
    assert (
        "Allocated" in coordinator.locator(".badge").first.inner_text()
        or "Allocated" in coordinator.content()
    )

    # the provider prepares it, prints the pick list, ships it and downloads the dispatch report
    provider = open_as("provider")
    provider.get_by_role("link", name="To dispatch").click()
    provider.locator("section", has_text=reference).get_by_role(
        "button", name=re.compile("Prepare dispatch")
    ).click()
    assert "is prepared" in flash_text(provider)
    with provider.expect_download() as pick:
        provider.get_by_role("link", name="Pick list (PDF)").click()
    assert Path(pick.value.path()).read_bytes()[:5] == b"%PDF-"
    provider.get_by_label("Carrier").fill("Korea Post EMS")
    provider.get_by_label("Tracking number").fill("EE123456789KR")
    provider.get_by_label("Packages").fill("2")
    provider.get_by_role("button", name="Mark as shipped").click()
    assert "is shipped" in flash_text(provider)
    with provider.expect_download() as report:
        provider.get_by_role("link", name="Dispatch report (PDF)").click()
    assert Path(report.value.path()).read_bytes()[:5] == b"%PDF-"
    assert report.value.suggested_filename.endswith(".pdf")

    # the city confirms the receipt with one rejected unit
    city.get_by_role("link", name="Dispatches").first.click()
    city.locator("tr", has_text=reference).get_by_role("link").first.click()
    city.locator("#lines-0-accepted").fill("2")
    city.locator("#lines-0-rejected").fill("1")
    city.locator("#lines-0-reason").select_option("damaged")
    city.locator("#lines-0-note").fill("Cracked housing")
    city.get_by_label("Received by").fill("Anna Smirnova")
    city.get_by_role("button", name="Confirm receipt").click()
    assert "1 rejected unit(s)" in flash_text(city)
    assert "Damaged" in city.content()
    city.get_by_role("link", name=reference).click()
    assert city.locator(".badge", has_text="Delivered").count() == 1


def test_the_journey_partly_in_korean(live, open_as):
    lots = medasia_lots(live)
    city = open_as("city_ko")  # this user prefers Korean
    assert "대시보드" in city.locator("nav").inner_text()
    city.locator("#locale-switch").select_option("en")
    city.get_by_role("button", name="변경").click()
    assert "New request" in city.locator("nav").inner_text()
    city.locator("#locale-switch").select_option("ko")
    city.get_by_role("button", name="Change").click()
    assert "언어를 한국어(으)로 바꿨습니다." in flash_text(city)
    city.get_by_role("link", name="새 요청").first.click()
    assert city.get_by_label("우선순위").is_visible() and city.get_by_label("필요 날짜").is_visible()
    fill_request(city, lots, 2, "세종 보건소: 겨울철 산소 치료 장비가 부족합니다.", priority="critical")
    city.get_by_role("button", name="저장하고 제출").click()
    assert "제출했습니다" in flash_text(city)
    reference = re.search(r"REQ-\d{4}-\d{6}", city.locator("h1").inner_text()).group(0)
    assert "일 남음" in city.locator(".countdown").first.inner_text()

    coordinator = open_as("coordinator")
    coordinator.locator("#locale-switch").select_option("ko")
    coordinator.get_by_role("button", name="Change").click()
    coordinator.get_by_role("link", name="분류 대기열").first.click()
    coordinator.get_by_role("link", name=reference).click()
    coordinator.get_by_role("button", name="승인").click()
    assert "승인했습니다" in flash_text(coordinator)
    coordinator.get_by_role("link", name="재고 배정").click()
    allocate_lots(coordinator, lots, "배정")
    assert "배정했습니다" in flash_text(coordinator)
    coordinator.locator("#locale-switch").select_option("en")
    coordinator.get_by_role("button", name="변경").click()


def test_a_form_with_three_mistakes_shows_three_errors_after_one_submit(live, open_as):
    city = open_as("city")
    city.goto("/requests/new")
    past = (utc_today() - timedelta(days=2)).isoformat()
    city.locator("#needed_by").fill(past)  # mistake 1: a day in the past
    city.locator("#lines-0-item_id").select_option(index=1)
    city.locator("#lines-0-quantity").fill("0")  # mistake 2: no units
    city.locator("#delivery_contact").fill("Ward 3, Dr. Petrova")  # mistake 3: no justification
    city.get_by_role("button", name="Save and submit").click()
    summary = city.locator(".error-summary")
    assert summary.is_visible()
    # It takes focus (app.js, deferred: once the page is parsed; expect waits for it, a bare read raced it)
    expect(summary).to_be_focused()
    links = summary.get_by_role("link")
    assert links.count() == 3
    texts = [links.nth(i).inner_text() for i in range(3)]
    assert any(t.startswith("Needed by") and "is in the past" in t for t in texts), texts
    assert any(t.startswith("Justification: Please fill in this field.") for t in texts), texts
    assert any(t.startswith("Quantity, line 1:") for t in texts), texts
    assert "Missing data for required field" not in city.content()
    for field in ("needed_by", "justification", "lines-0-quantity"):
        box = city.locator(f"#{field}")
        assert box.get_attribute("aria-invalid") == "true"
        assert f"{field}-errors" in box.get_attribute("aria-describedby")
        assert city.locator(f"#{field}-errors").is_visible()
    summary.get_by_role("link", name=re.compile("^Justification")).click()  # the summary leads to the field
    assert city.evaluate("location.hash") == "#justification"
    # what was typed comes back
    assert city.locator("#lines-0-quantity").input_value() == "0"
    assert city.locator("#needed_by").input_value() == past
    assert city.locator("#delivery_contact").input_value() == "Ward 3, Dr. Petrova"


def test_a_provider_publishes_a_program_and_a_city_enrols(live, open_as):
    title = "Oxygen concentrators: maintenance on site"
    starts = utc_today() + timedelta(days=20)
    provider = open_as("provider")
    provider.goto("/training")
    provider.get_by_role("link", name="New program").click()
    provider.get_by_label("Title").fill(title)
    provider.get_by_label("Topic").select_option("biomedical_maintenance")
    provider.get_by_label("Mode").select_option("onsite")
    provider.get_by_role("button", name="Publish now").click()  # refused: no venue, no dates
    assert provider.locator(".has-error, .error").count() > 0
    assert provider.get_by_label("Title").input_value() == title  # what was typed is kept
    provider.get_by_label("Venue (required on site)").fill("Seoul training centre, room 4")
    provider.get_by_label("Starts").fill(f"{starts.isoformat()}T09:00")
    provider.get_by_label("Ends").fill(f"{starts.isoformat()}T17:00")
    provider.get_by_label("Enrolment deadline").fill((starts - timedelta(days=5)).isoformat())
    provider.get_by_label("Capacity (seats)").fill("2")
    provider.get_by_role("button", name="Publish now").click()
    assert provider.locator("h1").inner_text() == title
    program_url = provider.url

    city = open_as("city")
    city.goto("/training")
    city.get_by_role("link", name=title).click()
    assert city.url == program_url
    city.get_by_label("Participant's name").first.fill("Irina Volkova")
    city.get_by_label("Participant's email").first.fill("irina@ulyanovsk.example.org")
    city.get_by_role("button", name="Enrol", exact=True).click()
    assert "Irina Volkova" in city.content()


MAIN_PAGES = [
    (None, ["/login", "/verify/NOPE1234"]),
    (
        "city",
        [
            "/dashboard",
            "/requests/new",
            "/requests",
            "/dispatches",
            "/training",
            "/alerts",
            "/notifications",
            "/profile",
        ],
    ),
    (
        "admin",
        [
            "/admin/",
            "/admin/users",
            "/admin/users/new",
            "/admin/networks",
            "/admin/topics",
            "/admin/cities",
            "/admin/cities/new",
            "/admin/items",
            "/admin/items/new",
            "/admin/providers",
            "/admin/providers/new",
            "/profile",
        ],
    ),
    (
        "coordinator",
        ["/dashboard", "/requests", "/checks", "/reports/dispatch-summary", "/portal/", "/training/new"],
    ),
    (
        "provider",
        [
            "/dashboard",
            "/stock",
            "/stock/receive",
            "/dispatches/waiting",
            "/stock/import",
            "/training/new",
            "/hub/materials",
        ],
    ),
]


@pytest.mark.parametrize(("who", "paths"), MAIN_PAGES)
def test_the_main_pages_have_no_critical_or_serious_accessibility_violations(live, open_as, who, paths):
    if not AXE.exists():
        pytest.skip(
            f"axe-core not found at {AXE}: `npm install --no-save --prefix . axe-core` (done by .ci/run)"
        )
    page = open_as(who, bypass_csp=True)  # axe is injected as an inline script, which the CSP forbids
    found = {}
    for path in paths:
        page.goto(path)
        page.add_script_tag(path=str(AXE))
        result = page.evaluate(
            "async () => (await axe.run(document)).violations"
            ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' '))}))"
        )
        bad = [v for v in result if v["impact"] in ("critical", "serious")]
        if bad:
            found[path] = bad
    assert found == {}


def test_screenshots_of_the_dashboards_and_the_data_portal(live, open_as, tmp_path):
    # docs/screenshots (the README's pictures) only when asked: UPDATE_SCREENSHOTS=1 make test
    target = SCREENSHOTS if os.environ.get("UPDATE_SCREENSHOTS") == "1" else tmp_path
    target.mkdir(parents=True, exist_ok=True)
    lots = medasia_lots(live)
    for who, name in (
        ("city", "dashboard-city"),
        ("provider", "dashboard-provider"),
        ("coordinator", "dashboard-coordinator"),
    ):
        page = open_as(who)
        if who == "city":  # an open request on the city's dashboard, waiting in the coordinators' queue
            page.goto("/requests/new")
            fill_request(
                page, lots, 4, "Ulyanovsk: pulse oximeters for the district clinics.", priority="normal"
            )
            page.get_by_role("button", name="Save and submit").click()
            page.goto("/dashboard")
        page.screenshot(path=str(target / f"{name}.png"), full_page=True)
        if who == "coordinator":
            page.goto("/portal/")
            assert page.locator("svg").count() >= 2
            page.screenshot(path=str(target / "data-portal.png"), full_page=True)
    for name in ("dashboard-city", "dashboard-provider", "dashboard-coordinator", "data-portal"):
        assert (target / f"{name}.png").stat().st_size > 10_000


def test_cancelling_a_request_asks_once_saying_what_will_happen(live, open_as):
    lots = medasia_lots(live, count=1)
    city = open_as("city")
    city.goto("/requests/new")
    fill_request(city, lots, 2, "Ulyanovsk: a request the city will think twice about.")
    city.get_by_role("button", name="Save and submit").click()
    detail = city.url
    questions = []

    def answer(dialog, accept: bool):
        questions.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    city.once("dialog", lambda dialog: answer(dialog, False))
    city.get_by_role("button", name="Cancel request").click()
    assert city.url == detail and city.get_by_role("button", name="Cancel request").is_visible()
    assert re.search(r"Cancel request .+\? Every unit reserved for it goes back to stock", questions[0])
    city.once("dialog", lambda dialog: answer(dialog, True))
    city.get_by_role("button", name="Cancel request").click()
    city.wait_for_load_state()
    assert len(questions) == 2
    assert city.get_by_role("button", name="Cancel request").count() == 0

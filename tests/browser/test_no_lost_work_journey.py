"""No lost work, in Chromium: Back after saving sends nothing again; Enter sends a form's main action
(with and without the page's script); a form sent after the session ended comes back filled once its
user has signed in again, at phone width.
"""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from health_responder.db import utc_today
from health_responder.extensions import db
from tests.browser.conftest import PASSWORD, USERS
from tests.browser.test_phone_width import OVERFLOW, PHONE

pytestmark = pytest.mark.slow

#: A request's own page (where a saved form lands).
DETAIL = re.compile(r"/requests/\d+$")


def _count(live, justification: str) -> int:
    """How many requests carry ``justification`` (each journey writes its own, unique)."""
    with live.app.app_context():
        found = db.session.execute(
            sa.text("select count(*) from assistance_request where justification = :j"), {"j": justification}
        ).scalar_one()
        db.session.remove()
    return found


def _fill_request(page, justification: str, quantity: str = "6") -> None:
    page.goto("/requests/new")
    page.locator("#priority").select_option("high")
    page.locator("#needed_by").fill((utc_today() + timedelta(days=40)).isoformat())
    page.locator("#justification").fill(justification)
    page.locator("#lines-0-item_id").select_option(index=1)
    page.locator("#lines-0-quantity").fill(quantity)


def _unique(words: str) -> str:
    return f"{words} ({uuid.uuid4().hex[:8]})"


def test_back_after_saving_shows_the_form_again_and_sends_nothing_twice(live, open_as):
    city = open_as("city")
    dialogs: list[str] = []
    city.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    justification = _unique("Back after saving must not send the request twice")
    _fill_request(city, justification)
    city.get_by_role("button", name="Save as draft").click()
    city.wait_for_url(DETAIL)
    assert "saved as a draft" in city.locator(".flashes").inner_text()
    saved = city.url
    answer = city.go_back()
    assert answer is not None and answer.ok and answer.request.method == "GET"
    assert city.url.endswith("/requests/new")  # the empty form, not a resubmission
    city.go_forward()
    assert city.url == saved
    city.reload()
    assert dialogs == [] and _count(live, justification) == 1
    # The token a profile issues: shown once; Back and a reload issue no other.
    city.goto("/profile")
    city.get_by_label("Token name").fill("dock tablet")
    city.get_by_role("button", name="Create a token").click()
    city.wait_for_url("**/profile")
    assert city.locator("#new-token").count() == 1
    city.reload()
    assert city.locator("#new-token").count() == 0 and dialogs == []
    assert city.locator("tr", has_text="dock tablet").count() == 1


def test_enter_in_a_field_sends_the_forms_main_action(live, open_as):
    city = open_as("city")
    justification = _unique("Enter in the quantity submits the request")
    _fill_request(city, justification, quantity="4")
    city.locator("#lines-0-quantity").press("Enter")  # the first button of the form is "Add a line"
    city.wait_for_url(DETAIL)
    assert "was submitted" in city.locator(".flashes").inner_text()
    assert _count(live, justification) == 1


def test_enter_sends_the_main_action_without_the_script_too(live, browser):
    context = browser.new_context(base_url=live.url, java_script_enabled=False, locale="en-US")
    try:
        page = context.new_page()
        page.goto("/login")
        page.get_by_label("Email").fill(USERS["city"])
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_label("Password").press("Enter")
        page.wait_for_url("**/dashboard")
        justification = _unique("Enter without the script submits the request")
        _fill_request(page, justification, quantity="3")
        page.locator("#lines-0-quantity").press("Enter")  # the hidden default button: save and submit
        page.wait_for_url(DETAIL)
        assert "was submitted" in page.locator(".flashes").inner_text()
        assert _count(live, justification) == 1
    finally:
        context.close()


def test_enter_in_a_receipt_field_confirms_the_receipt_not_the_scan(live, open_as):
    """The receipt form's first button fills a scanned line (a scanner's Enter); Enter elsewhere confirms."""
    with live.app.app_context():
        dispatch_id = db.session.execute(
            sa.text(
                "select d.id from dispatch d join assistance_request r on r.id = d.request_id "
                "join city c on c.id = r.city_id join user u on u.city_id = c.id "
                "where d.status = 'shipped' and u.email = :email order by d.id limit 1"
            ),
            {"email": USERS["city"]},
        ).scalar()
        db.session.remove()
    if dispatch_id is None:
        pytest.fail("the demo world has no shipped dispatch for the city to receive")
    city = open_as("city")
    city.goto(f"/dispatches/{dispatch_id}")
    receipt = city.locator("#receipt")
    receipt.locator("input[type=number]").first.fill("")
    receipt.get_by_label("Received by").fill("Night shift lead")
    receipt.get_by_label("Received by").press("Enter")
    city.wait_for_load_state()
    summary = city.locator(".error-summary")
    assert summary.count() == 1  # the receipt was checked (and refused: a line has no count) …
    assert "scan" not in summary.inner_text().lower()  # … not the scan, whose field is empty
    assert city.locator("#receipt").get_by_label("Received by").input_value() == "Night shift lead"


def test_a_form_sent_after_the_session_ended_comes_back_filled_after_signing_in_on_a_phone(live, open_as):
    city = open_as("city")
    city.set_viewport_size(PHONE)
    justification = _unique("Typed on a phone at the loading dock while the session ran out")
    _fill_request(city, justification, quantity="9")
    city.context.clear_cookies()  # the session ends while the form is open
    city.get_by_role("button", name="Save and submit").click()
    city.wait_for_url(re.compile(r"/login\?next="))
    assert "Your session has ended, so the form was not sent." in city.locator(".flashes").inner_text()
    assert _count(live, justification) == 0
    found = city.evaluate(OVERFLOW)
    assert found["scroll"] <= found["width"] and found["wide"] == [], found
    city.get_by_label("Email").fill(USERS["city"])
    city.get_by_label("Password").fill(PASSWORD)
    city.get_by_role("button", name="Log in").click()
    city.wait_for_url(re.compile(r"/requests/new\?restore="))
    assert "What you typed is back" in city.locator(".flashes").inner_text()
    assert city.locator("#justification").input_value() == justification
    assert city.locator("#lines-0-quantity").input_value() == "9"
    assert city.locator("#priority").input_value() == "high"
    found = city.evaluate(OVERFLOW)
    assert found["scroll"] <= found["width"] and found["wide"] == [], found
    city.get_by_role("button", name="Save and submit").click()
    city.wait_for_url(DETAIL)
    assert "was submitted" in city.locator(".flashes").inner_text()
    assert _count(live, justification) == 1


def test_adding_a_line_asks_nothing_of_the_server_and_the_line_is_saved(live, open_as):
    city = open_as("city")
    justification = _unique("A line added without a round trip")
    _fill_request(city, justification, quantity="2")
    lines = city.locator(".line").count()
    posts: list[str] = []
    city.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)
    city.get_by_role("button", name="Add a line").click()
    assert city.locator(".line").count() == lines + 1 and posts == []
    added = city.get_by_role("group", name=f"Line {lines + 1}")
    assert added.get_by_label("Quantity").input_value() == ""
    added.get_by_label("Item").select_option(index=2)
    added.get_by_label("Quantity").fill("7")
    city.get_by_role("button", name="Save and submit").click()
    city.wait_for_url(DETAIL)
    with live.app.app_context():
        quantities = (
            db.session.execute(
                sa.text(
                    "select l.quantity from request_line l join assistance_request r on r.id = l.request_id "
                    "where r.justification = :j order by l.id"
                ),
                {"j": justification},
            )
            .scalars()
            .all()
        )
        db.session.remove()
    assert quantities == [2, 7]


def test_more_participant_rows_come_without_a_round_trip_and_enter_enrols(live, open_as):
    title = _unique("Ventilator basics, rows added in the page")
    starts = utc_today() + timedelta(days=25)
    provider = open_as("provider")
    provider.goto("/training/new")
    provider.get_by_label("Title").fill(title)
    provider.get_by_label("Topic").select_option("ventilation")
    provider.get_by_label("Mode").select_option("online")
    provider.get_by_label("Starts").fill(f"{starts.isoformat()}T09:00")
    provider.get_by_label("Ends").fill(f"{starts.isoformat()}T12:00")
    provider.get_by_label("Enrolment deadline").fill((starts - timedelta(days=3)).isoformat())
    provider.get_by_label("Capacity (seats)").fill("10")
    provider.get_by_role("button", name="Publish now").click()
    assert provider.locator("h1").inner_text() == title
    program = provider.url

    city = open_as("city")
    city.goto(program)
    rows = city.locator("fieldset.participant")
    before = rows.count()
    posts: list[str] = []
    city.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)
    city.get_by_role("button", name="Add more rows").click()
    assert rows.count() > before and posts == []
    last = rows.nth(before)
    assert last.locator("legend").inner_text() == f"Participant {before + 1}"
    rows.nth(0).get_by_label("Participant's name").fill("Olga Petrova")
    rows.nth(0).get_by_label("Participant's email").fill("olga@ulyanovsk.example.org")
    last.get_by_label("Participant's name").fill("Pavel Orlov")
    last.get_by_label("Participant's email").fill("pavel@ulyanovsk.example.org")
    last.get_by_label("Participant's email").press("Enter")  # the main action: enrol
    city.locator(".flashes").wait_for()  # the enrolment's answer: back on the program, with its message
    roster = city.content()
    assert "Olga Petrova" in roster and "Pavel Orlov" in roster

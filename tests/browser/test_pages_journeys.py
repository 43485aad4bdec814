"""Journeys of issue 14 in a real browser: the inbox, the administrator's and the profile pages, and
the verify page of a superseded dispatch report; in English and partly in Korean."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

pytestmark = pytest.mark.slow


def user_id(live, email: str) -> int:
    from health_responder.auth.models import User
    from health_responder.extensions import db

    with live.app.app_context():
        found = db.session.scalar(select(User.id).where(User.email == email))
        db.session.remove()
    return found


def notify(live, email: str, key: str, subject: str, link: str) -> None:
    from health_responder.extensions import db
    from health_responder.notifications import services

    with live.app.app_context(), db.write_session():
        services.notify(users=[user_id(live, email)], key=key, subject=subject, body=subject, link=link)
    with live.app.app_context():
        db.session.remove()


def bell(page) -> str:
    return page.locator("a.bell").inner_text()


def test_the_inbox_opens_what_a_message_is_about_and_marks_all_read(live, open_as):
    from tests.browser.conftest import USERS

    notify(live, USERS["provider"], "journey:1", "Your lots are waiting", "/stock")
    notify(live, USERS["provider"], "journey:2", "A dispatch to prepare", "/dispatches/waiting")
    page = open_as("provider")
    assert re.search(r"Notifications\s+\d+", bell(page))
    page.locator("a.bell").click()
    page.wait_for_url("**/notifications")
    rows = page.locator("tbody tr")
    assert "A dispatch to prepare" in rows.first.inner_text()  # newest first
    assert page.locator("tr.unread").count() >= 2
    page.locator("tr", has_text="Your lots are waiting").get_by_role(
        "button", name=re.compile("Read and open")
    ).click()
    page.wait_for_url("**/stock")
    page.goto("/notifications")
    assert page.locator("tr.read", has_text="Your lots are waiting").count() == 1
    page.get_by_role("button", name="Mark all as read").click()
    assert page.locator("tr.unread").count() == 0
    assert page.locator("a.bell .count").count() == 0


def test_the_inbox_in_korean(live, open_as):
    from tests.browser.conftest import USERS

    notify(live, USERS["city_ko"], "journey:ko", "세종 알림", "/requests")
    page = open_as("city_ko")
    page.locator("#locale-switch").select_option("ko")
    page.get_by_role("button", name=re.compile("Change|변경")).click()
    page.locator("a.bell").click()
    assert page.get_by_role("heading", name="알림").count() == 1
    page.get_by_role("link", name="세종 알림").click()
    page.wait_for_url("**/requests")


def test_an_admin_creates_and_deactivates_a_user(live, open_as):
    page = open_as("admin")
    page.get_by_role("link", name="Administration").first.click()
    page.get_by_role("link", name="Users", exact=True).click()
    page.get_by_role("link", name="New user").click()
    page.get_by_label("Email").fill("nurse@ulyanovsk.example.org")
    page.get_by_label("Name").fill("Olga Nurse")
    page.get_by_label("Role").select_option("city")
    page.get_by_label("City (for city users)").select_option(label="Ульяновск")
    page.get_by_label("First password").fill("first-pass-2026")
    page.get_by_role("button", name="Create the user").click()
    assert "is created" in page.locator(".flashes").inner_text()
    page.get_by_label("Email or name contains").fill("nurse@")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="nurse@ulyanovsk.example.org").click()
    page.get_by_role("button", name="Deactivate").click()
    assert "is deactivated" in page.locator(".flashes").inner_text()


def test_the_admin_adds_reference_data_in_korean(live, open_as):
    page = open_as("admin")
    page.locator("#locale-switch").select_option("ko")
    page.get_by_role("button", name=re.compile("Change|변경")).click()
    page.goto("/admin/")
    assert page.get_by_role("heading", name="관리").count() == 1
    page.goto("/admin/topics")
    page.locator("#code").fill("triage_journey")
    page.locator("#name").fill("Triage")
    page.locator("form.card button[type=submit]").click()
    assert "triage_journey" in page.content()

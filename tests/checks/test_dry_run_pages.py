"""Dry runs that show what would happen: each check's dry run lists, in words, the allocations, the
alerts it would raise or resolve and the reminders; the same run for real then does exactly that."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from health_responder.checks.models import Alert
from health_responder.extensions import db
from tests.factories import days, flashes

pytestmark = pytest.mark.usefixtures("shelves")


def dry_run(page, name: str) -> tuple[int, str]:
    """Run ``name`` as a dry run from the checks page; the run's id and its page."""
    answer = page.post(f"/checks/{name}/run", {f"{name}-dry_run": "y"}, page="/checks")
    assert answer.status_code == 302 and "/checks/runs/" in answer.headers["Location"], answer.headers
    run_id = int(answer.headers["Location"].rsplit("/", 1)[1])
    return run_id, page.html(answer.headers["Location"])


def table_rows(html: str, heading: str) -> list[list[str]]:
    start = html.index(f"<h2>{heading}</h2>")
    section = html[start : html.index("</section>", start)]
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", section[section.find("<tbody>") :], re.S):
        rows.append(
            [
                " ".join(re.sub(r"<[^>]+>", " ", c).split())
                for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
            ]
        )
    return rows


def test_the_allocation_dry_run_lists_each_allocation_in_words_and_the_real_run_makes_them(world):
    w = world
    soon = w.lot(10, expires_on=days(100), code="L-SOON")
    request = w.request((w.item, 15), priority="critical")
    page = w.page("coordinator")
    run_id, html = dry_run(page, "auto_allocate")
    assert "Dry run: Allocate stock to approved requests" in html and "Nothing was changed." in html
    assert "Requests looked at" in html and "requests_seen" not in html
    rows = table_rows(html, "Allocations it would make")
    assert [row[:5] for row in rows] == [
        [request.reference, "OXY-CONC-10L", "L-SOON", "Near Supply", "10"],
        [request.reference, "OXY-CONC-10L", "L-OXY-1", "Near Supply", "5"],
    ]
    assert w.allocations() == []
    real = page.post("/checks/auto_allocate/run", {}, page=f"/checks/runs/{run_id}")
    assert real.status_code == 302 and real.headers["Location"].endswith("/checks?name=auto_allocate")
    assert [(a.request_id, a.lot_id, a.quantity) for a in w.allocations()] == [
        (request.id, soon.id, 10),
        (request.id, w.lots.oxy, 5),
    ]
    assert "Allocations: 2" in " ".join(flashes(page.html("/checks?name=auto_allocate")))


def open_alerts(app, kind: str) -> list[str]:
    with app.app_context():
        return sorted(
            db.session.scalars(select(Alert.message).where(Alert.kind == kind, Alert.status == "open")).all()
        )


def test_an_alert_checks_dry_run_lists_what_it_would_raise_and_resolve_and_the_real_run_does_that(
    world, make_lot
):
    w = world
    page = w.page("coordinator")
    masks = make_lot(w.provider, w.location, w.mask, 3)  # low: an alert (so is the far provider's lot of 10)
    assert w.api["coordinator"].post("/api/v1/jobs/low_stock/run", json={}).status_code == 200
    raised_before = open_alerts(w.app, "low_stock")
    assert len(raised_before) == 2
    # the masks are restocked (that alert's condition ends) and the pulse oximeters run low
    w.api["provider"].post(f"/api/v1/stock/lots/{masks}/adjustments", json={"delta": 500, "reason": "found"})
    w.api["provider"].post(
        f"/api/v1/stock/lots/{w.lots.pulse}/adjustments", json={"delta": -25, "reason": "lost"}
    )

    run_id, html = dry_run(page, "low_stock")
    would_raise = [row[0] for row in table_rows(html, "Alerts it would raise")]
    would_resolve = [row[0] for row in table_rows(html, "Alerts it would resolve (their condition ended)")]
    assert would_resolve == [m for m in raised_before if "MASK-N95" in m]
    assert len(would_raise) == 1 and "PULSE-OXI" in would_raise[0]
    assert open_alerts(w.app, "low_stock") == raised_before  # nothing changed

    real = w.api["coordinator"].post("/api/v1/jobs/low_stock/run", json={}).json["counts"]
    assert (real["raised"], real["resolved"]) == (len(would_raise), len(would_resolve))
    assert open_alerts(w.app, "low_stock") == sorted(
        set(raised_before) - set(would_resolve) | set(would_raise)
    )


def test_the_reminders_dry_run_names_each_participant_and_program(world, make):
    w = world
    make.topics()
    start = (datetime.now(UTC) + timedelta(hours=20)).replace(microsecond=0)
    program = make.program(
        title="Ventilator basics",
        starts_at=start.isoformat(),
        ends_at=(start + timedelta(hours=2)).isoformat(),
        enrolment_deadline=start.date().isoformat(),
    )
    w.users["city"]  # someone of the city to remind
    enrolled = w.api["city"].post(
        f"/api/v1/training/programs/{program['id']}/enrolments",
        json={"participant_name": "Mina Park", "participant_email": "mina@city.example.org"},
    )
    assert enrolled.status_code == 201, enrolled.json
    page = w.page("coordinator")
    run_id, html = dry_run(page, "training_reminders")
    assert table_rows(html, "Reminders it would queue") == [["Mina Park", "Ventilator basics", "1"]]
    assert "Reminders queued" in html
    # the real run's page lists the reminders it queued, the same rows
    assert page.post("/checks/training_reminders/run", {}, page=f"/checks/runs/{run_id}").status_code == 302
    runs = w.api["coordinator"].get("/api/v1/jobs/runs", query_string={"name": "training_reminders"}).json
    real = page.html(f"/checks/runs/{runs['items'][0]['id']}")
    assert table_rows(real, "Reminders it queued") == [["Mina Park", "Ventilator basics", "1"]]


@pytest.mark.parametrize("who", ["city", "provider"])
def test_only_staff_read_a_run(world, who):
    run = world.api["coordinator"].post("/api/v1/jobs/low_stock/run", json={"dry_run": True}).json
    assert world.page(who).get(f"/checks/runs/{run['id']}").status_code == 403
    assert world.page("admin").get(f"/checks/runs/{run['id']}").status_code == 200
    assert world.page("coordinator").get("/checks/runs/999999").status_code == 404


def test_the_checks_page_names_counts_in_words_and_links_each_run(world):
    w = world
    run = w.api["coordinator"].post("/api/v1/jobs/low_stock/run", json={}).json
    html = w.page("coordinator").html("/checks")
    assert f'href="/checks/runs/{run["id"]}"' in html and "Conditions found: " in html
    assert "Alerts raised: " in html and ", raised:" not in html and ">raised:" not in html


def test_a_dry_run_in_korean(world):
    page = world.page("coordinator")
    page.post("/language", {"locale": "ko", "next": "/checks"})
    _run_id, html = dry_run(page, "low_stock")
    assert "시험 실행" in html and "발생시킬 경보" in html

"""The monthly_statistics check publishes last month's statistics report by itself, once per month,
registered in the documents registry with a verification code that its QR code carries."""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import UTC, datetime, timedelta

import pytest
from pypdf import PdfReader

from health_responder.extensions import db
from health_responder.health_requests.models import AssistanceRequest, RequestLine
from health_responder.scheduler import run_job


def _run(app, when: datetime):
    with app.app_context():
        run = run_job("monthly_statistics", scheduled_for=when, trigger="manual")
        assert run.outcome == "succeeded", run.error
        return run.counts


@pytest.fixture
def november(app, make):
    network = make.network(code="AfSCN")
    city = make.city(name="Kigali", network=network)
    item = make.item(category="ppe")
    submitted = datetime(2026, 11, 10, 9, tzinfo=UTC)
    with app.app_context(), db.write_session() as s:
        request = AssistanceRequest(
            city_id=city.id,
            status="partially_dispatched",
            needed_by=submitted.date() + timedelta(days=30),
            justification="Secret justification of Kigali",
            submitted_at=submitted,
            approved_at=submitted + timedelta(hours=6),
        )
        s.add(request)
        s.flush()
        s.add(
            RequestLine(
                request_id=request.id,
                item_id=item.id,
                quantity=100,
                quantity_allocated=60,
                quantity_dispatched=40,
            )
        )
    return city


@pytest.mark.both_databases
def test_the_report_is_published_once_per_month(app, november, anonymous):
    first = _run(app, datetime(2026, 12, 1, 0, 5, tzinfo=UTC))
    assert first["published"] == 1 and first["period"] == "2026-11"
    # Later runs in December (another day, or another scheduler) find November published.
    assert _run(app, datetime(2026, 12, 2, tzinfo=UTC))["published"] == 0
    assert _run(app, datetime(2026, 12, 31, 23, tzinfo=UTC))["already_published"] == 1

    listed = anonymous.get("/api/v1/publications?kind=statistics").get_json()
    assert [p["period"] for p in listed["items"]] == ["2026-11"]
    assert listed["items"][0]["title"] == "Statistics report 2026-11"

    # January publishes December, once.
    assert _run(app, datetime(2027, 1, 1, 6, tzinfo=UTC))["period"] == "2026-12"
    assert _run(app, datetime(2027, 1, 15, tzinfo=UTC))["published"] == 0
    periods = [p["period"] for p in anonymous.get("/api/v1/publications?kind=statistics").get_json()["items"]]
    assert sorted(periods) == ["2026-11", "2026-12"]


def test_the_report_is_registered_readable_and_aggregates_only(app, november, anonymous, tmp_path):
    counts = _run(app, datetime(2026, 12, 1, 3, tzinfo=UTC))
    code = counts["verification_code"]
    publication = anonymous.get(f"/api/v1/publications/{counts['publication_id']}").get_json()
    assert publication["verification_code"] == code

    verified = anonymous.get(f"/api/v1/documents/verify/{code}").get_json()
    assert verified["genuine"] and verified["current"] and verified["kind"] == "statistics_report"
    assert verified["subject_key"] == "2026-11"

    pdf = anonymous.get(publication["file_url"])
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    content = pdf.data
    pdf.close()
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    assert "Statistics report 2026-11" in text and code in text
    assert "AfSCN" in text and "40%" in text  # the network's fill rate: 40 of 100 shipped
    assert "Kigali" not in text and "Secret justification" not in text and "REQ-" not in text

    missing = [tool for tool in ("pdftoppm", "zbarimg") if not shutil.which(tool)]
    if missing:
        pytest.skip(f"{' and '.join(missing)} not installed")
    (tmp_path / "r.pdf").write_bytes(content)
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "200",
            "-png",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(tmp_path / "r.pdf"),
            str(tmp_path / "p"),
        ],
        check=True,
    )
    decoded = subprocess.run(
        ["zbarimg", "--quiet", "--raw", str(tmp_path / "p.png")], capture_output=True, text=True
    )
    assert decoded.stdout.strip().endswith(f"/verify/{code}")


def test_a_dry_run_publishes_nothing(app, november, anonymous):
    with app.app_context():
        run = run_job(
            "monthly_statistics",
            scheduled_for=datetime(2026, 12, 1, tzinfo=UTC),
            trigger="manual",
            dry_run=True,
        )
    report = {
        "report": "statistics_report",
        "period": "2026-11",
        "first_day": "2026-11-01",
        "last_day": "2026-11-30",
        "action": "report_publish",
    }
    assert run.counts == {"period": "2026-11", "published": 0, "would_publish": 1, "reports": [report]}
    assert anonymous.get("/api/v1/publications").get_json()["total"] == 0


def test_the_real_run_publishes_exactly_what_the_dry_run_listed_and_a_later_one_nothing(
    app, november, anonymous
):
    tick = datetime(2026, 12, 1, tzinfo=UTC)
    with app.app_context():
        dry = run_job("monthly_statistics", scheduled_for=tick, trigger="manual", dry_run=True).counts
    real, again = _run(app, tick + timedelta(minutes=1)), _run(app, tick + timedelta(days=1))

    assert real["reports"] == dry["reports"] and [r["action"] for r in real["reports"]] == ["report_publish"]
    assert [p["period"] for p in anonymous.get("/api/v1/publications").get_json()["items"]] == ["2026-11"]
    assert [r["action"] for r in again["reports"]] == ["report_already_published"]
    with app.app_context():
        later_dry = run_job(
            "monthly_statistics", scheduled_for=tick + timedelta(days=2), trigger="manual", dry_run=True
        ).counts
    assert later_dry["reports"] == again["reports"]

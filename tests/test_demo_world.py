"""The demo world: a year of the association's life across the five networks, loaded through the services,
every invariant intact, every dashboard of the six logins with something in each panel.
"""

import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import select

from health_responder.db import utcnow
from health_responder.extensions import db
from tests.clients import page_login

LOGINS = [
    "admin@responder.example.org",
    "coordinator@responder.example.org",
    "city@sejong.example.org",
    "city@ulyanovsk.example.org",
    "provider@medasia.example.org",
    "provider@afya.example.org",
]


@pytest.mark.both_databases
def test_the_demo_world_keeps_every_invariant_and_fills_dashboards_portal_and_radar(app):
    from health_responder import seed
    from health_responder.dispatch.models import Dispatch
    from health_responder.health_requests.models import AssistanceRequest
    from health_responder.portal import queries as portal
    from health_responder.reference.models import City, Item, Network
    from health_responder.stock import services as stock
    from health_responder.stock.models import StockLot

    started = time.perf_counter()
    with app.app_context():
        logins = seed.build_demo()
    loaded_in = time.perf_counter() - started
    assert [email for _role, email, _pw in logins] == LOGINS

    with app.app_context():
        assert stock.ledger_mismatches() == []
        assert db.session.scalar(select(sa.func.count()).where(StockLot.reserved > StockLot.on_hand)) == 0
        cities = db.session.scalars(select(City)).all()
        assert 20 <= len(cities) <= 30
        networks = {n.id: n.code for n in db.session.scalars(select(Network))}
        requests = db.session.scalars(select(AssistanceRequest)).all()
        assert {networks[c.network_id] for c in cities} == {"CJK", "NEASCN", "ASCN", "AfSCN", "LASCN"}
        by_city = {c.id: networks[c.network_id] for c in cities}
        assert {by_city[r.city_id] for r in requests} == set(networks.values())
        assert {r.priority for r in requests} == {"critical", "high", "normal", "low"}
        assert {"draft", "submitted", "approved", "rejected", "cancelled", "closed"} <= {
            r.status for r in requests
        }
        assert "partially_dispatched" in {r.status for r in requests}  # a back-order still owed
        ages = [(utcnow() - r.created_at).days for r in requests]
        assert max(ages) >= 330 and min(ages) == 0
        for r in (
            requests
        ):  # each reference carries the year the request was made in, and its timeline runs forward
            assert r.reference == f"REQ-{r.created_at.year}-{r.id:06d}"
            steps = [
                t for t in (r.created_at, r.submitted_at, r.approved_at, r.delivered_at, r.closed_at) if t
            ]
            assert steps == sorted(steps), r.reference
        assert len({r.reference[4:8] for r in requests}) == 2  # the year runs over into the one before
        received = db.session.scalars(select(Dispatch).where(Dispatch.received_at.is_not(None))).all()
        assert received and all(d.shipped_at < d.received_at for d in received)
        for d in db.session.scalars(select(Dispatch)):
            assert d.reference == f"DSP-{d.created_at.year}-{d.id:06d}"
        items = db.session.scalars(select(Item)).all()
        assert 40 <= len(items) <= 60 and sum(1 for i in items if i.gtin) >= 10
        assert db.session.scalar(select(sa.func.count()).where(StockLot.status == "recalled")) >= 1

        stats = portal.all_stats()
        lead = stats["lead_times"]
        assert lead and any(v for v in (lead.values() if isinstance(lead, dict) else lead))
        assert stats["requests_by_network_and_status"] and stats["fill_rate_by_network"]
        assert any(row["short"] > 0 for row in stats["shortage_radar"])

    with app.app_context():
        _training_holds_together()
        _hub_and_portal_have_their_content()
        _checks_ran_and_alerts_moved()
        _every_document_verifies()

    client = app.test_client()
    for email in LOGINS:
        page_login(client, email, seed.DEMO_PASSWORD)
        response = client.get("/dashboard")
        assert response.status_code == 200, email
        client.post("/logout", data={"csrf_token": _csrf(client)})
    portal_page = client.get("/portal/")
    assert portal_page.status_code == 200 and "CJK" in portal_page.get_data(as_text=True)

    from flask_login import login_user

    from health_responder.auth.models import User
    from health_responder.web.context import PANELS

    for email in LOGINS:  # each login lands on a dashboard with something in every panel
        with app.test_request_context("/dashboard"):
            user = db.session.scalar(select(User).where(User.email == email))
            login_user(user)
            assert PANELS[user.role], email
            for panel in PANELS[user.role]:
                assert _filled(panel.load(user)), (email, panel.template)
    print(f"demo loaded in {loaded_in:.1f} s")


def _training_holds_together():
    """Programs past and upcoming (a webinar each way), no overbooked seat, a waitlist, certificates."""
    from health_responder.training.models import HOLDS_SEAT, Enrolment, TrainingProgram

    now = utcnow()
    programs = db.session.scalars(select(TrainingProgram)).all()
    past = [p for p in programs if p.ends_at < now]
    upcoming = [p for p in programs if p.starts_at > now and p.status == "published"]
    assert len(past) >= 4 and len(upcoming) >= 4
    assert {"online", "onsite", "webinar"} <= {p.mode for p in past} & {p.mode for p in upcoming}
    assert all(p.join_url for p in programs if p.mode == "webinar")
    assert any(p.recording_url for p in past if p.mode == "webinar")
    assert len({p.provider_id for p in programs}) >= 5 and len({p.language for p in programs}) >= 5
    enrolments = db.session.scalars(select(Enrolment)).all()
    for program in programs:  # seats_taken is exactly the places holding a seat, never over capacity
        mine = [e for e in enrolments if e.program_id == program.id]
        assert program.seats_taken == sum(1 for e in mine if e.status in HOLDS_SEAT) <= program.capacity
        tickets = [e.waitlist_position for e in mine if e.status == "waitlisted"]
        assert len(tickets) == len(set(tickets)) and (not tickets or program.seats_taken == program.capacity)
    statuses = {e.status for e in enrolments}
    assert {"enrolled", "waitlisted", "cancelled", "completed", "attended", "no_show"} <= statuses
    assert any(e.promoted_at for e in enrolments)  # a seat given up went to the waitlist
    completed = [e for e in enrolments if e.status == "completed"]
    assert all(e.completed_at < now for e in completed)
    certificates = _documents("certificate")
    # A Korean city's participant has a Korean copy (key "<id>:ko"), the others an English one.
    assert len(certificates) >= len(past) and {c.subject_key.split(":")[0] for c in certificates} <= {
        str(e.id) for e in completed
    }


def _hub_and_portal_have_their_content():
    """Materials in several languages, links and real PDFs (one in two versions); publications of every kind."""
    import pypdf

    from health_responder.materials import services as materials
    from health_responder.materials.models import Material, MaterialVersion
    from health_responder.publications.models import Publication

    found = db.session.scalars(select(Material)).all()
    assert {"en", "ko", "ru", "es"} <= {m.language for m in found}
    assert {"link", "pdf"} == {m.kind for m in found}
    versions = db.session.scalars(select(MaterialVersion)).all()
    assert max(v.number for v in versions) == 2
    for material in (m for m in found if m.kind == "pdf"):
        text = "".join(
            page.extract_text() for page in pypdf.PdfReader(materials.material_file(material)).pages
        )
        if material.language in ("en", "ru", "es"):  # CJK may come out of reportlab's CID fonts unmapped
            assert material.title.split(":")[0] in " ".join(text.split()), material.title
    publications = db.session.scalars(select(Publication)).all()
    assert {"finding", "research", "statistics"} == {p.kind for p in publications}
    assert any(p.partners for p in publications if p.kind == "finding")
    (statistics,) = [p for p in publications if p.kind == "statistics"]
    first_of_month = utcnow().date().replace(day=1)
    assert statistics.document_id and statistics.period == f"{first_of_month - timedelta(days=1):%Y-%m}"


def _checks_ran_and_alerts_moved():
    """Every scheduled check ran at back-dated ticks; alerts were raised, some resolved by a check, one by hand."""
    from health_responder.checks.models import Alert
    from health_responder.scheduler.models import JobRun

    runs = db.session.scalars(select(JobRun)).all()
    assert all(r.outcome == "succeeded" for r in runs)
    for name in ("overdue_requests", "low_stock", "near_expiry", "readiness_gaps", "training_reminders"):
        ticks = sorted(r.scheduled_for for r in runs if r.name == name)
        assert len(ticks) >= 3 and ticks[0] < utcnow() - timedelta(days=7), name
    assert any(r.counts.get("published") == 1 for r in runs if r.name == "monthly_statistics")
    assert any(r.dry_run for r in runs if r.name == "auto_allocate")
    alerts = db.session.scalars(select(Alert)).all()
    resolved = [a for a in alerts if a.status == "resolved"]
    assert any(a.status == "open" for a in alerts)
    assert {"low_stock", "overdue_request", "readiness_gap"} <= {
        a.kind for a in resolved if a.resolved_by_id is None
    }
    assert any(a.resolved_by_id for a in resolved)
    assert all(a.created_at < a.resolved_at for a in resolved)


def _documents(kind: str):
    from health_responder.documents.models import Document

    return db.session.scalars(select(Document).where(Document.kind == kind)).all()


def _every_document_verifies():
    """Each issued PDF (certificates, the statistics report) is on disk, byte for byte the registered one."""
    from health_responder.documents import services as documents
    from health_responder.documents.models import Document

    issued = db.session.scalars(select(Document)).all()
    assert issued
    for document in issued:
        facts = documents.verify_bytes(documents.read(document))
        assert facts["genuine"] and facts["current"], document.path


def _csrf(client):
    import re

    html = client.get("/dashboard").get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    return match.group(1) if match else ""


def _filled(load) -> bool:
    if isinstance(load, dict):
        return any(_filled(v) for v in load.values())
    if isinstance(load, list | tuple):
        return len(load) > 0
    return bool(load)

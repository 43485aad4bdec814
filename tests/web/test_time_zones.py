"""Time zones everyone can trust: every user has a zone (their own, else their city's, their provider's
first location's, or UTC); every shown time names its zone; program times a provider types are read in
the provider's zone, and a city sees the same instant in its own."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from health_responder.extensions import db
from health_responder.providers.models import StockLocation
from health_responder.reference.models import City
from tests.factories import flashes, text

pytestmark = pytest.mark.usefixtures("shelves")


def zones(w) -> None:
    """Sejong Test in Asia/Seoul (UTC+9), the provider's warehouse in Asia/Tokyo, the other city's in
    Europe/Samara (UTC+4); the other provider's warehouse keeps UTC."""
    with w.app.app_context(), db.write_session() as session:
        session.execute(sa.update(City).where(City.id == w.city.id).values(timezone="Asia/Seoul"))
        session.execute(sa.update(City).where(City.id == w.other_city.id).values(timezone="Europe/Samara"))
        session.execute(
            sa.update(StockLocation).where(StockLocation.id == w.location.id).values(timezone="Asia/Tokyo")
        )


def shown_zone(html: str) -> str:
    match = re.search(r"<dt>Time zone</dt><dd>([^<]+)</dd>", html)
    return match.group(1)


@pytest.mark.parametrize(
    ("who", "zone"),
    [
        ("city", "Asia/Seoul"),
        ("other_city", "Europe/Samara"),
        ("provider", "Asia/Tokyo"),
        ("other_provider", "UTC"),
        ("coordinator", "UTC"),
        ("admin", "UTC"),
    ],
)
def test_every_user_has_a_default_zone_from_their_city_or_provider(world, who, zone):
    w = world
    zones(w)
    assert shown_zone(w.page(who).html("/profile")) == zone


def test_a_user_chooses_a_zone_on_the_profile_and_can_go_back_to_the_default(world):
    w = world
    zones(w)
    page = w.page("city")
    html = page.html("/profile")
    assert '<option selected value="">Default: Asia/Seoul</option>' in html
    data = {"name": "Min", "locale": "en", "timezone": "America/Bogota"}
    assert page.post("/profile", data, page="/profile").status_code == 302
    html = page.html("/profile")
    assert shown_zone(html) == "America/Bogota" and "Your profile is saved." in " ".join(flashes(html))
    assert w.api["city"].get("/api/v1/auth/me").json["timezone"] == "America/Bogota"
    bad = page.post("/profile", data | {"timezone": "Mars/Olympus"}, page="/profile")
    assert bad.status_code == 422 and "An IANA timezone such as Asia/Seoul." in text(bad)
    assert page.post("/profile", data | {"timezone": ""}, page="/profile").status_code == 302
    assert shown_zone(page.html("/profile")) == "Asia/Seoul"


def test_every_shown_time_names_its_zone(world):
    w = world
    zones(w)
    path = f"/stock/lots/{w.lots.oxy}"
    provider = w.page("provider").html(path)
    staff = w.page("coordinator").html(path)
    when = re.search(r"<td>([^<]*\d{4}[^<]*)</td><td>Receipt</td>", provider).group(1)
    assert when.endswith("GMT+09:00"), when
    assert re.search(r"<td>([^<]*\d{4}[^<]*) UTC</td><td>Receipt</td>", staff)


def test_program_times_typed_by_a_provider_are_its_zone_and_a_city_sees_the_same_instant_in_its_own(
    world, make
):
    w = world
    zones(w)
    make.topics()
    day = (datetime.now(UTC) + timedelta(days=20)).date()
    page = w.page("provider")
    html = page.html("/training/new")
    assert "Times are in Asia/Tokyo." in html
    data = {
        "title": "Night shift oxygen",
        "topic": "oxygen_therapy",
        "language": "en",
        "mode": "online",
        "link": "https://learn.example.org/night",
        "starts_at": f"{day.isoformat()}T09:00",
        "ends_at": f"{day.isoformat()}T11:30",
        "enrolment_deadline": (day - timedelta(days=3)).isoformat(),
        "capacity": "20",
        "action": "publish",
    }
    answer = page.post("/training/new", data, page="/training/new")
    assert answer.status_code == 302, text(answer)[:3000]
    program_id = int(answer.headers["Location"].rsplit("/", 1)[1])
    stored = w.api["coordinator"].get(f"/api/v1/training/programs/{program_id}").json
    assert stored["starts_at"].startswith(f"{day.isoformat()}T00:00:00")  # 09:00 in Tokyo is 00:00 UTC
    assert stored["timezone"] == "Asia/Tokyo"

    def starts(who) -> str:
        html = w.page(who).html(f"/training/{program_id}")
        return re.search(r"<dt>Starts</dt><dd>([^<]+)</dd>", html).group(1)

    assert re.search(r", 9:00:00\W+AM GMT\+09:00$", starts("provider"))  # Tokyo
    assert re.search(r", 9:00:00\W+AM GMT\+09:00$", starts("city"))  # Seoul: the same hour
    assert re.search(r", 4:00:00\W+AM GMT\+04:00$", starts("other_city"))  # Samara
    assert re.search(r", 12:00:00\W+AM UTC$", starts("coordinator"))


def test_the_location_form_takes_a_zone(world):
    w = world
    page = w.page("admin")
    path = f"/admin/providers/{w.provider.id}/locations/{w.location.id}"
    html = page.html(path)
    assert 'name="timezone"' in html
    data = {"name": "Main", "country": "KR", "timezone": "Asia/Seoul", "active": "y"}
    assert page.post(path, data, page=path).status_code == 302
    assert shown_zone(w.page("provider").html("/profile")) == "Asia/Seoul"
    bad = page.post(path, data | {"timezone": "Nowhere/Land"}, page=path)
    assert bad.status_code == 422 and "An IANA timezone such as Asia/Seoul." in text(bad)


def test_the_zone_choice_in_korean(world):
    w = world
    zones(w)
    page = w.page("city")
    page.post("/language", {"locale": "ko", "next": "/profile"})
    assert "기본값: Asia/Seoul" in page.html("/profile")

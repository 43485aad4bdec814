"""The pages that create, edit, publish and cancel training programs, and the knowledge hub's pages.

Logged in through the login page as provider, coordinator and city users (the ``world`` of the page
tests), the forms are filled as a browser fills them; what they did is read back through the API.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from tests.factories import CAST, flashes, program_body, text

pytestmark = pytest.mark.usefixtures("shelves")

START = (datetime.now(UTC) + timedelta(days=20)).replace(hour=9, minute=0, second=0, microsecond=0)


def form_data(w, **overrides) -> dict:
    """What a person types into the new-program form: an onsite program open to the first network."""
    data = {
        "title": "Ventilator handling, level 1",
        "topic": "ventilation",
        "language": "ko",
        "mode": "onsite",
        "venue": "Sejong General Hospital, room 3",
        "link": "",
        "description": "Hands-on, small groups.",
        "starts_at": START.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (START + timedelta(hours=6)).strftime("%Y-%m-%dT%H:%M"),
        "enrolment_deadline": (START.date() - timedelta(days=5)).isoformat(),
        "capacity": "12",
        "networks": [str(w.network.id)],
        "action": "draft",
    }
    return data | overrides


def api_program(w, by="provider", **overrides) -> dict:
    answer = w.api[by].post("/api/v1/training/programs", json=program_body(**overrides))
    assert answer.status_code == 201, answer.json
    return answer.json


def read(w, program_id: int, by="coordinator") -> dict:
    answer = w.api[by].get(f"/api/v1/training/programs/{program_id}")
    assert answer.status_code == 200, answer.json
    return answer.json


def program_id_of(response) -> int:
    assert response.status_code == 302, text(response)
    match = re.fullmatch(r"/training/(\d+)", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


@pytest.fixture
def w(world, topics):
    # Each token's first use is a GET (see tests/training/conftest.py: the api fixture).
    for client in (world.api[key] for key in CAST):
        assert client.get("/api/v1/topics").status_code == 200
    return world


# --- creating -------------------------------------------------------------------------------------


def test_a_provider_creates_a_draft_through_the_form_and_publishes_it(w):
    provider = w.page("provider")
    assert 'href="/training/new"' in provider.html("/training")
    form_page = provider.html("/training/new")
    assert 'name="provider_id"' not in form_page  # a provider runs its own programs only

    program_id = program_id_of(provider.post("/training/new", form_data(w), page="/training/new"))
    assert "Ventilator handling, level 1 is saved as a draft." in " ".join(
        flashes(provider.html(f"/training/{program_id}"))
    )
    saved = read(w, program_id, by="provider")
    assert saved["status"] == "draft" and saved["provider_id"] == w.provider.id
    assert saved["topic"] == "ventilation" and saved["language"] == "ko" and saved["mode"] == "onsite"
    assert saved["venue"] == "Sejong General Hospital, room 3" and saved["capacity"] == 12
    assert datetime.fromisoformat(saved["starts_at"]) == START
    assert datetime.fromisoformat(saved["ends_at"]) == START + timedelta(hours=6)
    assert [n["id"] for n in saved["networks"]] == [w.network.id]
    assert "Ventilator handling, level 1" in provider.html("/training")
    assert "Ventilator handling, level 1" not in w.page("city").html(
        "/training"
    )  # a draft is not offered yet

    published = provider.post(f"/training/{program_id}/publish", page=f"/training/{program_id}")
    assert published.status_code == 302
    assert read(w, program_id)["status"] == "published"
    assert "Ventilator handling, level 1" in w.page("city").html("/training")
    again = provider.post(f"/training/{program_id}/publish", page=f"/training/{program_id}")
    assert again.status_code == 409
    assert "Cannot publish a training program that is published" in " ".join(flashes(text(again)))


def test_publish_now_creates_a_published_program_open_to_every_network(w):
    provider = w.page("provider")
    data = form_data(w, action="publish", mode="online", venue="", link="https://learn.example.org/vent")
    data.pop("networks")
    program_id = program_id_of(provider.post("/training/new", data, page="/training/new"))
    saved = read(w, program_id)
    assert saved["status"] == "published" and saved["networks"] == []
    assert saved["link"] == "https://learn.example.org/vent" and saved["venue"] is None
    assert "Ventilator handling, level 1" in w.page("other_city").html("/training")


def test_a_coordinator_chooses_the_provider(w):
    coordinator = w.page("coordinator")
    assert 'name="provider_id"' in coordinator.html("/training/new")
    missing = coordinator.post("/training/new", form_data(w), page="/training/new")
    assert missing.status_code == 422
    assert "Required for staff." in text(missing) and 'value="Ventilator handling, level 1"' in text(missing)
    program_id = program_id_of(
        coordinator.post(
            "/training/new",
            form_data(w, provider_id=str(w.other_provider.id), action="publish"),
            page="/training/new",
        )
    )
    saved = read(w, program_id)
    assert saved["provider_id"] == w.other_provider.id and saved["status"] == "published"


def test_one_answer_names_every_problem_of_the_program_form(w):
    """Dates out of order, an onsite program with no venue and no capacity: one round, every field marked."""
    provider = w.page("provider")
    data = form_data(
        w, ends_at=(START - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"), venue="", capacity="0"
    )
    refused = provider.post("/training/new", data, page="/training/new")
    html = text(refused)
    assert refused.status_code == 422
    for field, message in (
        ("ends_at", "Must be after the start."),
        ("venue", "An onsite program needs a venue."),
        ("capacity", "Must be between 1 and 100000."),
    ):
        assert re.search(rf'<p class="error" id="{field}-errors">{re.escape(message)}</p>', html), field
    api = w.api["provider"].post(
        "/api/v1/training/programs",
        json={
            "title": "Ventilation",
            "topic": "ventilation",
            "mode": "webinar",
            "starts_at": START.isoformat(),
            "ends_at": (START - timedelta(hours=1)).isoformat(),
            "enrolment_deadline": (START.date() + timedelta(days=1)).isoformat(),
            "capacity": 10,
        },
    )
    assert api.status_code == 422 and set(api.json["errors"]) == {"ends_at", "enrolment_deadline", "join_url"}


def test_a_refused_form_answers_422_shows_the_messages_and_keeps_what_was_typed(w):
    provider = w.page("provider")
    no_seats = provider.post("/training/new", form_data(w, capacity="0"), page="/training/new")
    assert no_seats.status_code == 422
    assert re.search(
        r'<p class="error" id="capacity-errors">Must be between 1 and 100000.</p>', text(no_seats)
    )
    assert 'value="0"' in text(no_seats) and 'value="Ventilator handling, level 1"' in text(no_seats)
    data = form_data(
        w,
        ends_at=(START - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        title="Ventilation for night shifts",
    )
    refused = provider.post("/training/new", data, page="/training/new")
    html = text(refused)
    assert refused.status_code == 422
    assert re.search(r'<p class="error" id="ends_at-errors">Must be after the start.</p>', html)
    assert 'aria-describedby="ends_at-errors"' in html and 'id="ends_at-errors"' in html
    assert 'value="Ventilation for night shifts"' in html
    assert (
        "Sejong General Hospital, room 3</textarea>" in html and "Hands-on, small groups.</textarea>" in html
    )
    assert (
        f'value="{data["ends_at"]}"' in html
        and f'value="{data["starts_at"]}"' in html
        and 'value="12"' in html
    )
    assert re.search(rf'value="{w.network.id}"\s+checked', html)
    assert w.api["provider"].get("/api/v1/training/programs").json["total"] == 0


def test_the_rules_across_fields_are_shown_next_to_their_field(w):
    provider = w.page("provider")
    refused = provider.post("/training/new", form_data(w, venue="  "), page="/training/new")
    assert refused.status_code == 422
    assert re.search(
        r'<p class="error" id="venue-errors">An onsite program needs a venue.</p>', text(refused)
    )
    late = provider.post(
        "/training/new",
        form_data(w, enrolment_deadline=(START.date() + timedelta(days=1)).isoformat()),
        page="/training/new",
    )
    assert late.status_code == 422 and "Must be on or before the day the program starts." in text(late)
    not_a_date = provider.post("/training/new", form_data(w, starts_at="next tuesday"), page="/training/new")
    assert not_a_date.status_code == 422 and 'value="next tuesday"' in text(not_a_date)
    assert w.api["provider"].get("/api/v1/training/programs").json["total"] == 0


# --- editing, publishing, cancelling --------------------------------------------------------------


def test_edit_shows_the_program_and_saves_the_changes(w):
    program = api_program(w, published=False, networks=[w.network.id], capacity=30)
    provider = w.page("provider")
    path = f"/training/{program['id']}"
    page = provider.html(path)
    assert (
        f'href="{path}/edit"' in page
        and f'action="{path}/publish"' in page
        and f'href="{path}/cancel"' in page
    )
    form = provider.html(f"{path}/edit")
    starts = datetime.fromisoformat(program["starts_at"]).strftime("%Y-%m-%dT%H:%M")
    assert 'value="Oxygen therapy basics"' in form and f'value="{starts}"' in form and 'value="30"' in form
    assert re.search(rf'value="{w.network.id}"\s+checked', form)

    data = form_data(
        w,
        title="Oxygen therapy, revised",
        topic="oxygen_therapy",
        mode="online",
        venue="",
        link="https://learn.example.org/oxygen-2",
        capacity="40",
    )
    data.pop("networks")
    saved = provider.post(f"{path}/edit", data, page=f"{path}/edit")
    assert saved.status_code == 302 and saved.headers["Location"] == path
    assert "The changes to Oxygen therapy, revised are saved." in " ".join(flashes(provider.html(path)))
    after = read(w, program["id"])
    assert after["title"] == "Oxygen therapy, revised" and after["capacity"] == 40 and after["networks"] == []
    assert after["status"] == "draft" and datetime.fromisoformat(after["starts_at"]) == START

    emptied = provider.post(f"{path}/edit", form_data(w, title=" ", capacity="5"), page=f"{path}/edit")
    assert emptied.status_code == 422 and "Please fill in this field." in text(emptied)
    assert read(w, program["id"])["title"] == "Oxygen therapy, revised"


def test_a_coordinator_edits_and_cancels_any_providers_program(w):
    program = api_program(w)
    coordinator = w.page("coordinator")
    path = f"/training/{program['id']}"
    assert 'name="provider_id"' not in coordinator.html(
        f"{path}/edit"
    )  # the provider is fixed once it exists
    data = form_data(w, title="Oxygen therapy for coordinators", topic="oxygen_therapy")
    assert coordinator.post(f"{path}/edit", data, page=f"{path}/edit").status_code == 302
    assert read(w, program["id"])["title"] == "Oxygen therapy for coordinators"
    assert coordinator.post(f"{path}/cancel", page=f"{path}/cancel").status_code == 302
    assert read(w, program["id"])["status"] == "cancelled"


def test_capacity_below_the_seats_taken_is_refused_by_the_service(w):
    program = api_program(w, capacity=2)
    for n in (1, 2):
        assert (
            w.api["city"]
            .post(
                f"/api/v1/training/programs/{program['id']}/enrolments",
                json={"participant_name": f"P{n}", "participant_email": f"p{n}@sejong.kr"},
            )
            .status_code
            == 201
        )
    path = f"/training/{program['id']}"
    refused = w.page("provider").post(
        f"{path}/edit", form_data(w, capacity="1", title="Smaller"), page=f"{path}/edit"
    )
    assert refused.status_code == 422
    assert "2 seats are taken already; capacity cannot be lower." in text(refused)
    assert 'value="Smaller"' in text(refused) and read(w, program["id"])["capacity"] == 2


def test_cancelling_asks_first_then_cancels_the_places(w):
    program = api_program(w)
    enrolment = (
        w.api["city"]
        .post(
            f"/api/v1/training/programs/{program['id']}/enrolments",
            json={"participant_name": "Kim Min-ji", "participant_email": "minji@sejong.kr"},
        )
        .json
    )
    provider = w.page("provider")
    path = f"/training/{program['id']}"
    confirm = provider.html(f"{path}/cancel")
    assert (
        "Cancel Oxygen therapy basics?" in confirm and "1 participant place(s) will be cancelled" in confirm
    )
    assert f'action="{path}/cancel"' in confirm and "Yes, cancel the program" in confirm
    assert read(w, program["id"])["status"] == "published"  # asking changed nothing

    done = provider.post(f"{path}/cancel", page=f"{path}/cancel")
    assert done.status_code == 302 and done.headers["Location"] == path
    page = provider.html(path)
    assert "is cancelled; its participants&#39; cities are told." in " ".join(flashes(page))
    assert f'href="{path}/edit"' not in page and f'href="{path}/cancel"' not in page
    assert read(w, program["id"])["status"] == "cancelled"
    assert w.api["city"].get(f"/api/v1/training/enrolments/{enrolment['id']}").json["status"] == "cancelled"

    again = provider.post(f"{path}/cancel", page=path)
    assert again.status_code == 409
    assert "Cannot cancel a training program that is cancelled" in " ".join(flashes(text(again)))
    edit = provider.post(f"{path}/edit", form_data(w, title="Back from the dead"), page=f"{path}/edit")
    assert edit.status_code == 409
    assert "A cancelled training program cannot be changed." in text(
        edit
    ) and 'value="Back from the dead"' in text(edit)


def test_a_provider_cannot_touch_another_providers_program(w):
    program = api_program(w, published=False)
    other = w.page("other_provider")
    path = f"/training/{program['id']}"
    assert other.get(f"{path}/edit").status_code == 404
    assert other.get(f"{path}/cancel").status_code == 404
    assert other.post(f"{path}/edit", form_data(w, title="Hijacked")).status_code == 404
    assert other.post(f"{path}/publish").status_code == 404
    assert other.post(f"{path}/cancel").status_code == 404
    after = read(w, program["id"])
    assert after["title"] == "Oxygen therapy basics" and after["status"] == "draft"
    published = api_program(w, title="Open to all")
    page = other.html(
        f"/training/{published['id']}"
    )  # another provider's published program: visible, not editable
    assert "Open to all" in page and f"/training/{published['id']}/edit" not in page
    assert f"/training/{published['id']}/publish" not in page


def test_a_city_user_sees_no_controls_and_is_refused(w):
    program = api_program(w)
    city = w.page("city")
    path = f"/training/{program['id']}"
    assert "/training/new" not in city.html("/training")
    page = city.html(path)
    assert "Oxygen therapy basics" in page
    assert f"{path}/edit" not in page and f"{path}/publish" not in page and f"{path}/cancel" not in page
    assert city.get("/training/new").status_code == 403
    assert city.get(f"{path}/edit").status_code == 403
    assert city.get(f"{path}/cancel").status_code == 403
    assert city.post("/training/new", form_data(w, action="publish")).status_code == 403
    assert city.post(f"{path}/edit", form_data(w, title="Renamed by a city")).status_code == 403
    assert city.post(f"{path}/publish").status_code == 403
    assert city.post(f"{path}/cancel").status_code == 403
    after = read(w, program["id"])
    assert after["title"] == "Oxygen therapy basics" and after["status"] == "published"


def test_these_forms_require_the_csrf_token(w):
    program = api_program(w, published=False)
    provider = w.page("provider")
    path = f"/training/{program['id']}"
    posts = {
        "/training/new": form_data(w, action="publish"),
        f"{path}/edit": form_data(w, title="Forged"),
        f"{path}/publish": {},
        f"{path}/cancel": {},
    }
    for url, data in posts.items():
        missing = provider.post(url, data, token=False)
        assert missing.status_code == 400 and "CSRF" in text(missing), url
        forged = provider.post(url, data | {"csrf_token": "forged"}, token=False)
        assert forged.status_code == 400, url
    after = read(w, program["id"])
    assert after["title"] == "Oxygen therapy basics" and after["status"] == "draft"
    assert w.api["provider"].get("/api/v1/training/programs").json["total"] == 1


# --- language -------------------------------------------------------------------------------------


def test_the_new_pages_speak_korean(w):
    provider = w.page("provider")
    assert provider.post("/language", {"locale": "ko", "next": "/training"}).status_code == 302
    assert ">새 교육 과정</a>" in provider.html("/training")
    form = provider.html("/training/new")
    assert '<html lang="ko">' in form and "<h1>새 교육 과정 만들기</h1>" in form
    for words in (
        "정원(좌석 수)",
        "등록 마감일",
        "<legend>등록 가능한 네트워크</legend>",
        "임시 저장",
        "지금 공개",
        "교육 언어",
        "시간대: UTC.",
    ):
        assert words in form, words
    refused = provider.post("/training/new", form_data(w, capacity="0"), page="/training/new")
    assert refused.status_code == 422 and 'value="Ventilator handling, level 1"' in text(refused)
    program = api_program(w, published=False)
    page = provider.html(f"/training/{program['id']}")
    assert "<h2>교육 과정 관리</h2>" in page and ">공개</button>" in page and ">교육 과정 취소</a>" in page
    confirm = provider.html(f"/training/{program['id']}/cancel")
    assert (
        "Oxygen therapy basics 교육 과정을 취소할까요?" in confirm and "예, 교육 과정을 취소합니다" in confirm
    )

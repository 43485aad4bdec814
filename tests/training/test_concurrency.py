"""Racing enrolments and cancellations, counted, on SQLite and PostgreSQL, with real threads."""

from __future__ import annotations

import threading
from collections import Counter

import pytest

from tests.factories import enrol


def race(app, calls):
    """Run each ``(token, method, path, body)`` in its own thread with its own client, all released at once."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, token, method, path, body):
        client = app.test_client()
        headers = {"Authorization": f"Bearer {token}"}
        barrier.wait()
        try:
            response = getattr(client, method)(path, json=body, headers=headers)
            results[index] = (response.status_code, response.get_json())
        except Exception as error:  # noqa: BLE001 - a crash in a thread must fail the test, not vanish
            results[index] = (f"exception {error!r}", None)

    threads = [threading.Thread(target=run, args=(i, *call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a request never finished"
    return results


def roster(client, program_id):
    items, page = [], 1
    while True:
        body = client.get(
            f"/api/v1/training/programs/{program_id}/enrolments",
            query_string={"page": page, "page_size": 100},
        ).json
        items += body["items"]
        if page >= body["pages"]:
            return items
        page += 1


@pytest.mark.both_databases
def test_300_simultaneous_enrolments_take_exactly_30_seats_and_number_the_waitlist_1_to_270(
    app, api, new_program
):
    program = new_program(capacity=30)
    cities = [api("city") for _ in range(3)]
    path = f"/api/v1/training/programs/{program['id']}/enrolments"
    calls = [
        (
            cities[i % 3].token,
            "post",
            path,
            {"participant_name": f"Nurse {i}", "participant_email": f"nurse{i}@city.example.org"},
        )
        for i in range(300)
    ]

    results = race(app, calls)

    statuses = Counter(code for code, _ in results)
    assert statuses == {201: 300}, statuses
    answered = Counter(body["status"] for _, body in results)
    assert answered == {"enrolled": 30, "waitlisted": 270}
    assert sorted(body["waitlist_position"] for _, body in results if body["status"] == "waitlisted") == list(
        range(1, 271)
    )
    coordinator = api("coordinator")
    stored = roster(coordinator, program["id"])
    assert Counter(e["status"] for e in stored) == {"enrolled": 30, "waitlisted": 270}
    assert sorted(e["waitlist_position"] for e in stored if e["status"] == "waitlisted") == list(
        range(1, 271)
    )
    detail = coordinator.get(f"/api/v1/training/programs/{program['id']}").json
    assert (detail["seats_taken"], detail["seats_left"], detail["waitlisted"]) == (30, 0, 270)


@pytest.mark.both_databases
def test_10_simultaneous_identical_enrolments_make_one_record(app, api, new_program):
    program = new_program(capacity=5)
    city = api("city")
    path = f"/api/v1/training/programs/{program['id']}/enrolments"
    body = {"participant_name": "Kim Min-jun", "participant_email": "minjun.kim@sejong.example.org"}

    results = race(app, [(city.token, "post", path, body)] * 10)

    assert Counter(code for code, _ in results) == {201: 1, 409: 9}
    assert all("already" in body["message"] for code, body in results if code == 409)
    stored = roster(city, program["id"])
    assert [(e["participant_email"], e["status"]) for e in stored] == [
        ("minjun.kim@sejong.example.org", "enrolled")
    ]
    assert city.get(f"/api/v1/training/programs/{program['id']}").json["seats_taken"] == 1


@pytest.mark.both_databases
def test_10_simultaneous_cancellations_promote_the_first_10_waitlisted_and_keep_30_enrolled(
    app, api, new_program
):
    program = new_program(capacity=30)
    city = api("city")
    made = [enrol(city, program["id"], f"Medic {i}", f"medic{i}@city.example.org").json for i in range(45)]
    enrolled = [e for e in made if e["status"] == "enrolled"]
    waitlisted = [e for e in made if e["status"] == "waitlisted"]
    assert (len(enrolled), [e["waitlist_position"] for e in waitlisted]) == (30, list(range(1, 16)))

    leaving = enrolled[5:15]
    results = race(
        app, [(city.token, "post", f"/api/v1/training/enrolments/{e['id']}/cancel", {}) for e in leaving]
    )

    assert Counter(code for code, _ in results) == {200: 10}
    stored = {e["id"]: e for e in roster(city, program["id"])}
    first_ten, rest = waitlisted[:10], waitlisted[10:]
    assert all(stored[e["id"]]["status"] == "enrolled" and stored[e["id"]]["promoted_at"] for e in first_ten)
    assert [(stored[e["id"]]["status"], stored[e["id"]]["waitlist_position"]) for e in rest] == [
        ("waitlisted", p) for p in range(11, 16)
    ]
    assert all(stored[e["id"]]["status"] == "cancelled" for e in leaving)
    assert Counter(e["status"] for e in stored.values()) == {"enrolled": 30, "cancelled": 10, "waitlisted": 5}
    assert city.get(f"/api/v1/training/programs/{program['id']}").json["seats_taken"] == 30

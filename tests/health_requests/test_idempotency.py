"""Idempotency-Key on creating POSTs: replay, mismatch, retry after failure, per-user scope."""

from __future__ import annotations

from sqlmodel import select

from health_responder.extensions import db
from tests.factories import approved, request_body


def _count(app, model):
    with app.app_context():
        return len(db.session.scalars(select(model)).all())


def test_a_retry_with_the_same_key_and_body_replays_the_first_answer_and_creates_nothing(app, world):
    from health_responder.health_requests.models import AssistanceRequest

    body = request_body((world.item, 2))
    first = world.city_api.post("/api/v1/requests", json=body, headers={"Idempotency-Key": "k-1"})
    again = world.city_api.post(
        "/api/v1/requests", json=dict(reversed(list(body.items()))), headers={"Idempotency-Key": "k-1"}
    )
    assert first.status_code == again.status_code == 201
    assert again.json == first.json and again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert _count(app, AssistanceRequest) == 1


def test_the_same_key_with_another_body_answers_422(app, world):
    world.city_api.post(
        "/api/v1/requests", json=request_body((world.item, 2)), headers={"Idempotency-Key": "k-2"}
    )
    answer = world.city_api.post(
        "/api/v1/requests", json=request_body((world.item, 3)), headers={"Idempotency-Key": "k-2"}
    )
    assert answer.status_code == 422 and "Idempotency-Key" in answer.json["errors"]


def test_a_failed_first_attempt_frees_the_key_for_a_corrected_retry(app, world):
    bad = request_body((world.item, 2)) | {"lines": [{"item_id": 999_999, "quantity": 1}]}
    assert (
        world.city_api.post("/api/v1/requests", json=bad, headers={"Idempotency-Key": "k-3"}).status_code
        == 422
    )
    good = world.city_api.post(
        "/api/v1/requests", json=request_body((world.item, 2)), headers={"Idempotency-Key": "k-3"}
    )
    assert good.status_code == 201 and "Idempotent-Replayed" not in good.headers


def test_keys_belong_to_their_user(app, world, make):
    from health_responder.health_requests.models import AssistanceRequest

    colleague = make.api("city", city=world.city)
    body = request_body((world.item, 2))
    a = world.city_api.post("/api/v1/requests", json=body, headers={"Idempotency-Key": "shared"})
    b = colleague.post("/api/v1/requests", json=body, headers={"Idempotency-Key": "shared"})
    assert a.status_code == b.status_code == 201 and a.json["id"] != b.json["id"]
    assert _count(app, AssistanceRequest) == 2


def test_a_key_longer_than_200_characters_answers_422(world):
    answer = world.city_api.post(
        "/api/v1/requests", json=request_body((world.item, 2)), headers={"Idempotency-Key": "k" * 201}
    )
    assert answer.status_code == 422 and "Idempotency-Key" in answer.json["errors"]


def test_a_replayed_allocation_and_dispatch_reserve_and_prepare_once(app, world):
    from health_responder.allocation.models import Allocation
    from health_responder.dispatch.models import Dispatch

    lot_id = world.make_lot(world.provider, world.location, world.item, 10)
    req = approved(world, (world.item, 5))
    body = {"line_id": req["lines"][0]["id"], "lot_id": lot_id, "quantity": 4}
    answers = [
        world.coordinator.post(
            f"/api/v1/requests/{req['id']}/allocations", json=body, headers={"Idempotency-Key": "alloc"}
        )
        for _ in range(3)
    ]
    assert [a.status_code for a in answers] == [201, 201, 201] and len({a.json["id"] for a in answers}) == 1
    assert _count(app, Allocation) == 1
    dispatches = [
        world.provider_api.post(
            "/api/v1/dispatches", json={"request_id": req["id"]}, headers={"Idempotency-Key": "dsp"}
        )
        for _ in range(2)
    ]
    assert [d.status_code for d in dispatches] == [201, 201] and dispatches[1].headers[
        "Idempotent-Replayed"
    ] == "true"
    assert _count(app, Dispatch) == 1


def test_an_expired_key_may_be_used_again(app, world):
    from datetime import timedelta

    import sqlalchemy as sa

    from health_responder.api.models import IdempotencyKey
    from health_responder.db import utcnow
    from health_responder.health_requests.models import AssistanceRequest

    body = request_body((world.item, 2))
    world.city_api.post("/api/v1/requests", json=body, headers={"Idempotency-Key": "old"})
    with app.app_context(), db.write_session():
        db.session.execute(
            sa.update(IdempotencyKey).values(
                created_at=utcnow() - timedelta(hours=app.config["IDEMPOTENCY_TTL_HOURS"] + 1)
            )
        )
    again = world.city_api.post("/api/v1/requests", json=body, headers={"Idempotency-Key": "old"})
    assert again.status_code == 201 and "Idempotent-Replayed" not in again.headers
    assert _count(app, AssistanceRequest) == 2


def test_the_header_is_described_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").json
    parameters = spec["paths"]["/api/v1/requests"]["post"].get("parameters", [])
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in parameters)

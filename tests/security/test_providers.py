"""Item 1 of the attack review: a provider keeps its contact fields; names and networks are the association's."""

import pytest


@pytest.mark.both_databases
def test_a_provider_cannot_claim_networks_or_rename_itself(make):
    network = make.network()
    mine = make.provider(name="Mine")
    make.provider(name="MedAsia Supplies")
    api = make.api("provider", provider=mine)
    for change in ({"network_ids": [network.id]}, {"name": "MedAsia  supplies"}, {"country": "JP"}):
        response = api.patch(f"/api/v1/providers/{mine.id}", json=change)
        assert response.status_code == 403, response.json
        assert set(response.json["errors"]) == set(change)
    detail = api.get(f"/api/v1/providers/{mine.id}").json
    assert detail["name"] == "Mine" and detail["network_ids"] == [] and detail["country"] == "KR"
    edited = api.patch(
        f"/api/v1/providers/{mine.id}", json={"contact_email": "desk@mine.example", "description": "Oxygen."}
    )
    assert edited.status_code == 200 and edited.json["contact_email"] == "desk@mine.example"


@pytest.mark.both_databases
def test_provider_names_are_unique_after_trimming_and_case_folding(make):
    make.provider(name="MedAsia Supplies")
    other = make.provider(name="Other")
    admin = make.api("admin")
    for name in ("  medasia SUPPLIES ", "MEDASIA   Supplies"):
        created = admin.post("/api/v1/providers", json={"name": name, "country": "KR"})
        assert created.status_code == 409 and "name" in created.json["errors"], created.json
        renamed = admin.patch(f"/api/v1/providers/{other.id}", json={"name": name})
        assert renamed.status_code == 409 and "name" in renamed.json["errors"]
    assert admin.post("/api/v1/providers", json={"name": "   ", "country": "KR"}).status_code == 422
    created = admin.post("/api/v1/providers", json={"name": "  Straße  Medical ", "country": "KR"})
    assert created.status_code == 201 and created.json["name"] == "Straße Medical"
    clash = admin.post("/api/v1/providers", json={"name": "STRASSE MEDICAL", "country": "KR"})
    assert clash.status_code == 409

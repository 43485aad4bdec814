from tests.health_requests.conftest import approved, allocate, create, lot, ledger_ok, request_body

def test_smoke(app, world):
    w = world
    lot1 = w.make_lot(w.provider, w.location, w.item, 50)
    r = approved(w, (w.item, 30), (w.item2, 5))
    print(r)
    a = allocate(w, r, 0, lot1, 20)
    print(a)
    print(w.coordinator.get(f"/api/v1/requests/{r['id']}").json["status"])
    s = w.coordinator.get(f"/api/v1/requests/{r['id']}/lines/{r['lines'][0]['id']}/suggestions")
    print(s.status_code, s.json)
    d = w.provider_api.post("/api/v1/dispatches", json={"request_id": r["id"]})
    print(d.status_code, d.json)
    sh = w.provider_api.post(f"/api/v1/dispatches/{d.json['id']}/ship", json={"carrier": "DHL", "tracking_number": "X1", "packages": 2})
    print(sh.status_code, sh.json)
    rc = w.city_api.post(f"/api/v1/dispatches/{d.json['id']}/receipt", json={"lines": [{"line_id": d.json["lines"][0]["id"], "accepted": 18, "rejected": 2, "reason": "damaged"}], "received_by": "Kim"})
    print(rc.status_code, rc.json)
    print(w.coordinator.get(f"/api/v1/requests/{r['id']}").json)
    print(w.coordinator.get("/api/v1/dispatches/discrepancies").json)
    print(w.coordinator.get("/api/v1/requests.csv").get_data(as_text=True))
    print(lot(app, lot1), ledger_ok(app))

"""Item 10 of the attack review: parse bombs answer 400 in the error envelope, not 500, on every JSON route."""

import pytest

BOMBS = {
    "deep nesting": "[" * 100_000,
    "deep objects": '{"a":' * 50_000,
    "huge integer": '{"quantity": ' + "9" * 5000 + "}",
}


@pytest.mark.parametrize("bomb", BOMBS.values(), ids=BOMBS.keys())
def test_a_parse_bomb_answers_400_on_every_json_route(app, make, bomb):
    api = make.api("admin")
    routes = [
        rule
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/") and {"POST", "PATCH"} & set(rule.methods) and not rule.arguments
    ]
    assert len(routes) > 10
    for rule in routes:
        method = "POST" if "POST" in rule.methods else "PATCH"
        response = api._client.open(
            rule.rule,
            method=method,
            data=bomb,
            headers={**api._headers(None), "Content-Type": "application/json"},
        )
        assert response.status_code == 400, (rule.rule, response.status_code)
        assert response.json["code"] == 400 and "JSON" in response.json["message"]

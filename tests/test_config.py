"""Settings come from defaults, instance/config.py, FLASK_* and DATABASE_URL, and the test dict last."""

from health_responder import config as config_module
from health_responder import create_app


def test_environment_overrides_parse_json_and_plain_values(monkeypatch):
    found = config_module.from_environment(
        {
            "FLASK_LOW_STOCK_THRESHOLD": "25",
            "FLASK_ASSOCIATION_NAME": "Cities United",
            "FLASK_APP": "wsgi",
            "DATABASE_URL": "postgresql+psycopg://db/x",
            "REPORTS_DIR": "/srv/reports",
            "HOME": "/root",
        }
    )
    assert found == {
        "LOW_STOCK_THRESHOLD": 25,
        "ASSOCIATION_NAME": "Cities United",
        "DATABASE_URL": "postgresql+psycopg://db/x",
        "REPORTS_DIR": "/srv/reports",
    }


def test_the_test_dict_wins_and_defaults_fill_the_rest(tmp_path, monkeypatch):
    monkeypatch.setenv("FLASK_LOW_STOCK_THRESHOLD", "7")
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite",
            "REPORTS_DIR": str(tmp_path / "r"),
            "LOW_STOCK_THRESHOLD": 3,
        }
    )
    assert app.config["LOW_STOCK_THRESHOLD"] == 3
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True and app.config["MAX_CONTENT_LENGTH"] > 0
    assert (tmp_path / "r").is_dir()


def test_first_run_writes_an_instance_config_with_a_random_secret(tmp_path):
    config_module_path = tmp_path / "instance"
    from health_responder import _ensure_instance_config

    _ensure_instance_config(config_module_path)
    first = (config_module_path / "config.py").read_text()
    _ensure_instance_config(config_module_path)
    assert (config_module_path / "config.py").read_text() == first and "SECRET_KEY = '" in first
    assert len(first.split("'")[1]) == 64

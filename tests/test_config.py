"""Settings come from defaults, instance/config.py, FLASK_* and DATABASE_URL, and the test dict last;
every log record carries the request id and the user id."""

import logging
import stat

from flask import Flask

from health_responder import _ensure_instance_config, _load_config, create_app
from health_responder.log import RequestContextFilter


def _configured(instance, monkeypatch, environ: dict[str, str]) -> Flask:
    for key, value in environ.items():
        monkeypatch.setenv(key, value)
    app = Flask("config_test", instance_path=str(instance), instance_relative_config=True)
    _load_config(app, None)
    return app


def test_the_environment_wins_over_instance_config_and_parses_json(tmp_path, monkeypatch):
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text(
        "SECRET_KEY = 'from-instance'\nLOW_STOCK_THRESHOLD = 5\nASSOCIATION_NAME = 'Instance'\n"
        "DATABASE_URL = 'sqlite:///instance.sqlite'\nNEAR_EXPIRY_DAYS = 30\n"
    )
    app = _configured(
        instance,
        monkeypatch,
        {
            "FLASK_LOW_STOCK_THRESHOLD": "25",
            "FLASK_ASSOCIATION_NAME": "Cities United",
            "FLASK_JOB_SCHEDULES__low_stock": "600",
            "DATABASE_URL": "postgresql+psycopg://db/x",
            "REPORTS_DIR": str(tmp_path / "srv-reports"),
        },
    )
    assert app.config["LOW_STOCK_THRESHOLD"] == 25  # JSON: a number, not "25"
    assert app.config["ASSOCIATION_NAME"] == "Cities United"  # not JSON: kept as text
    assert app.config["DATABASE_URL"] == "postgresql+psycopg://db/x"
    assert app.config["REPORTS_DIR"] == str(tmp_path / "srv-reports") and (tmp_path / "srv-reports").is_dir()
    assert (
        app.config["JOB_SCHEDULES"]["low_stock"] == 600
        and app.config["JOB_SCHEDULES"]["auto_allocate"] == 300
    )
    # What the environment does not name keeps the instance value, then the default.
    assert app.config["SECRET_KEY"] == "from-instance" and app.config["NEAR_EXPIRY_DAYS"] == 30
    assert app.config["MAIL_PORT"] == 25


def test_an_empty_database_url_in_the_environment_does_not_erase_the_setting(tmp_path, monkeypatch):
    app = _configured(
        tmp_path / "instance", monkeypatch, {"DATABASE_URL": "", "REPORTS_DIR": str(tmp_path / "r")}
    )
    assert app.config["DATABASE_URL"].startswith("sqlite:///")


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
    _ensure_instance_config(config_module_path)
    first = (config_module_path / "config.py").read_text()
    _ensure_instance_config(config_module_path)
    assert (config_module_path / "config.py").read_text() == first and "SECRET_KEY = '" in first
    assert len(first.split("'")[1]) == 64
    assert stat.S_IMODE((config_module_path / "config.py").stat().st_mode) == 0o600


def test_an_instance_config_others_can_read_is_narrowed_to_its_owner(tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text("SECRET_KEY = 'kept'\n")
    (instance / "config.py").chmod(0o644)
    _ensure_instance_config(instance)
    assert stat.S_IMODE((instance / "config.py").stat().st_mode) == 0o600
    assert (instance / "config.py").read_text() == "SECRET_KEY = 'kept'\n"


class _Kept(logging.Handler):
    def __init__(self):
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


def test_every_record_of_a_request_carries_its_request_id_and_user_id(app, make):
    kept = _Kept()
    kept.addFilter(RequestContextFilter())
    logger = logging.getLogger("health_responder")
    logger.addHandler(kept)
    logger.setLevel(logging.INFO)
    try:
        api = make.api("coordinator")
        response = api.get("/api/v1/networks", headers={"X-Request-ID": "trace-42"})
        anonymous = app.test_client().get("/api/v1/networks")
        with app.app_context():
            logging.getLogger("health_responder.somewhere").warning("outside any request")
    finally:
        logger.removeHandler(kept)
        logger.setLevel(logging.NOTSET)
    assert response.status_code == 200 and anonymous.status_code == 401
    access = [r for r in kept.records if r.name == "health_responder.access"]
    assert [(r.request_id, r.user_id, r.status) for r in access] == [
        ("trace-42", api.user.id, 200),
        (anonymous.headers["X-Request-ID"], None, 401),
    ]
    outside = kept.records[-1]
    assert outside.getMessage() == "outside any request" and (outside.request_id, outside.user_id) == (
        None,
        None,
    )

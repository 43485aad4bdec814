"""Extension objects, created unbound and bound to the app in ``create_app``."""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf import CSRFProtect

from health_responder.db import Database

db = Database()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
#: No default limits: only failed logins are limited (see auth/services.py), never ordinary calls.
limiter = Limiter(key_func=get_remote_address, default_limits=[])

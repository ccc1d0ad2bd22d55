"""Unbound extensions; create_app() binds them."""
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from .database import Base, json_dumps

# JSON columns keep non-ASCII text as it is (a LIKE over translations finds "Yıllık").
db = SQLAlchemy(model_class=Base, engine_options={"json_serializer": json_dumps})
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def limit_from_config(config_key: str, *, methods: tuple[str, ...] | None = ("POST",),
                      deduct_when=None):
    """Rate-limit a view by the limit string in ``config[config_key]``: its
    POSTs, or the ``methods`` given (None: every method); ``deduct_when(response)``
    says which answers count (default: all)."""
    from flask import current_app

    return limiter.limit(lambda: current_app.config[config_key],
                         methods=list(methods) if methods else None, deduct_when=deduct_when)
